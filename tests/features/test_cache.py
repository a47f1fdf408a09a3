"""The result cache: hits are observable, and corrupt or stale entries are never returned."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import HOUR_MS, write_parquet

from jupyter_bighead.features import EventSource, Feature, FeatureRepo


@pytest.fixture
def setup(tmp_path, events):
    path = write_parquet(tmp_path / "data", events)
    src = EventSource("bookings", path=str(path), entity="user_id", timestamp="ts")
    repo = FeatureRepo(tmp_path / "repo")
    repo.apply(
        [
            Feature("s", source=src, column="amount", agg="sum", window="1d"),
            Feature("c", source=src, column="amount", agg="count", window="1d"),
        ]
    )
    spine = pd.DataFrame({"user_id": [1, 2, 1], "ts": [3 * HOUR_MS, 31 * HOUR_MS, 25 * HOUR_MS]})
    return repo, src, spine, path


def _cache_files(repo):
    return sorted((repo.path / "cache").rglob("*.bhc"))


def test_the_same_call_again_is_answered_from_the_cache(setup):
    repo, _, spine, _ = setup
    first = repo.materialize(spine, ["s", "c"])
    assert repo.last_stats.computed == ["s", "c"]
    second = repo.materialize(spine, ["s", "c"])
    assert repo.last_stats.cache_hits == ["s", "c"]
    assert repo.last_stats.computed == []
    assert repo.last_stats.sources_read == []
    pd.testing.assert_frame_equal(first, second)


def test_adding_a_feature_computes_only_the_new_one(setup):
    repo, src, spine, _ = setup
    repo.materialize(spine, ["s"])
    repo.apply([Feature("m", source=src, column="amount", agg="max")])
    repo.materialize(spine, ["s", "m"])
    assert repo.last_stats.cache_hits == ["s"]
    assert repo.last_stats.computed == ["m"]


def test_a_corrupted_cache_file_is_detected_and_recomputed(setup):
    repo, _, spine, _ = setup
    expected = repo.materialize(spine, ["s"])
    (path,) = _cache_files(repo)
    blob = bytearray(path.read_bytes())
    blob[-20] ^= 0xFF  # flip bits inside the payload
    path.write_bytes(bytes(blob))
    again = repo.materialize(spine, ["s"])
    assert repo.last_stats.computed == ["s"]
    pd.testing.assert_frame_equal(again, expected)
    repo.materialize(spine, ["s"])
    assert repo.last_stats.cache_hits == ["s"]


def test_a_truncated_or_foreign_cache_file_is_never_returned(setup):
    repo, _, spine, _ = setup
    expected = repo.materialize(spine, ["s"])
    (path,) = _cache_files(repo)
    path.write_bytes(path.read_bytes()[:30])
    pd.testing.assert_frame_equal(repo.materialize(spine, ["s"]), expected)
    assert repo.last_stats.computed == ["s"]
    path.write_bytes(b"not a cache file at all")
    pd.testing.assert_frame_equal(repo.materialize(spine, ["s"]), expected)
    assert repo.last_stats.computed == ["s"]


def test_a_changed_source_file_makes_the_cached_entry_stale(setup, events):
    repo, _, spine, path = setup
    before = repo.materialize(spine, ["s"])
    changed = events.assign(amount=events["amount"] * 2)
    changed.to_parquet(path, index=False)
    after = repo.materialize(spine, ["s"])
    assert repo.last_stats.computed == ["s"]
    np.testing.assert_allclose(after["s"], before["s"] * 2)


def test_a_different_spine_is_a_cache_miss(setup):
    repo, _, spine, _ = setup
    repo.materialize(spine, ["s"])
    repo.materialize(spine.assign(ts=spine["ts"] + 1), ["s"])
    assert repo.last_stats.computed == ["s"]


def test_cache_false_neither_reads_nor_writes(setup):
    repo, _, spine, _ = setup
    repo.materialize(spine, ["s"], cache=False)
    assert _cache_files(repo) == []


def test_progress_reports_each_feature(setup):
    repo, _, spine, _ = setup
    calls = []
    repo.materialize(spine, ["s", "c"], progress=lambda d, t, m: calls.append((d, t, m)))
    assert calls[0][:2] == (0, 2)
    assert calls[-1][:2] == (2, 2)
    repo.materialize(spine, ["s", "c"], progress=lambda d, t, m: calls.append((d, t, m)))
    assert calls[-1] == (2, 2, "cached c")
