"""Path checks are linear in the path's length and refuse very long paths up front."""

from __future__ import annotations

import time

import pytest

from jupyter_bighead._io import MAX_PATH_CHARS, is_within, safe_join
from jupyter_bighead.errors import Forbidden


def test_a_huge_path_is_refused_without_touching_the_disk(tmp_path):
    started = time.perf_counter()
    for _ in range(6):  # six 234 KiB paths once stalled every thread-backed route
        with pytest.raises(Forbidden, match="at most"):
            safe_join(tmp_path, "a/" * (117 * 1024))
    assert time.perf_counter() - started < 0.5


def test_the_longest_allowed_path_is_checked_quickly(tmp_path):
    many = "a/" * (MAX_PATH_CHARS // 2 - 1) + "b"
    assert len(many) <= MAX_PATH_CHARS
    started = time.perf_counter()
    for _ in range(20):
        assert safe_join(tmp_path, many).name == "b"
    assert time.perf_counter() - started < 2.0


def test_is_within_compares_whole_components(tmp_path):
    root = tmp_path / "root"
    assert is_within(root, root) and is_within(root / "a" / "b", root)
    assert not is_within(tmp_path / "root2" / "x", root)
    assert not is_within(tmp_path, root)
