from __future__ import annotations

import os

import pytest

from jupyter_bighead._io import atomic_write_bytes, safe_join
from jupyter_bighead.errors import Forbidden


@pytest.mark.parametrize("bad", ["../x", "a/../../x", "/etc/passwd", "", "a\x00b"])
def test_safe_join_refuses_paths_outside_the_root(tmp_path, bad):
    with pytest.raises(Forbidden):
        safe_join(tmp_path, bad)


def test_safe_join_refuses_symlinks_that_escape(tmp_path):
    (tmp_path / "root").mkdir()
    os.symlink("/etc", tmp_path / "root" / "link")
    with pytest.raises(Forbidden):
        safe_join(tmp_path / "root", "link/passwd")


def test_safe_join_allows_nested_relative_paths(tmp_path):
    assert safe_join(tmp_path, "a/b/../c.txt") == (tmp_path / "a" / "c.txt").resolve()


def test_atomic_write_replaces_whole_file_and_keeps_mode(tmp_path):
    target = tmp_path / "f.bin"
    atomic_write_bytes(target, b"old")
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)
    target.chmod(0o600)
    atomic_write_bytes(target, b"new contents")
    assert target.read_bytes() == b"new contents"
    assert target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]  # no temp files left


def test_atomic_write_leaves_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "f.bin"
    atomic_write_bytes(target, b"old")

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]
