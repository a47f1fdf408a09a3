"""Materialization on a Dask cluster equals the single-process engine, bit for bit.

One ``LocalCluster`` (2 single-threaded worker processes, ``tests/dask_cluster.py``)
serves every Dask test of a run: starting one costs seconds on a small machine. The
data is drawn like the point-in-time property tests' (an hourly grid, so ties, events
at exactly the query time and at exactly ``t - window`` are common; nulls, unknown
entities, duplicate spine rows, late rows), over parquet files and folders, integer and
string entities.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import HOUR_MS, fresh, write_parquet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.features import AGGS, EventSource, Feature, FeatureRepo
from jupyter_bighead.features.distributed import entity_buckets

WINDOWS = ["1h", "3h", "1d", None]


@pytest.fixture(scope="module")
def dask_cluster():
    """A ``distributed.Client`` on the run's shared LocalCluster (given as ``cluster=``)."""
    from tests.dask_cluster import shared_client

    return shared_client()


def assert_identical(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert got.dtypes.to_dict() == want.dtypes.to_dict()
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for name in want.columns:  # NaN payloads and -0.0 too: compare the bytes
        a, b = got[name].to_numpy(), want[name].to_numpy()
        if a.dtype.kind in "fiu":
            assert a.tobytes() == b.tobytes(), name


@st.composite
def scenarios(draw: st.DrawFn) -> dict:
    n = draw(st.integers(0, 60))
    strings = draw(st.booleans())
    ids = ["a", "b", "c", "zz"] if strings else [1, 2, 3, 1000, -5]
    entity = [draw(st.sampled_from(ids)) for _ in range(n)]
    # arbitrary floats: each entity's window sums restart at its first event, so even
    # sums whose rounding depends on the order of additions are equal bit for bit
    number = st.one_of(st.integers(-1000, 1000).map(float), st.floats(-1e6, 1e6),
                       st.floats(-1e300, 1e300), st.floats(-1e-300, 1e-300))
    values = st.one_of(st.none(), st.sampled_from([0.0, 1.0, 2.5, -3.0]), number)
    ev = pd.DataFrame(
        {
            "user_id": pd.Series(entity, dtype=object if strings else np.int64),
            "ts": np.array([draw(st.integers(0, 36)) for _ in range(n)], dtype=np.int64)
            * HOUR_MS,
            "amount": np.array([draw(values) for _ in range(n)], dtype=float),
            "tag": [draw(st.sampled_from(["x", "y", None])) for _ in range(n)],
        }
    )
    if strings:
        ev["user_id"] = ev["user_id"].astype(str)
    late = draw(st.booleans())
    if late:
        delays = [draw(st.one_of(st.none(), st.integers(-2, 30))) for _ in range(n)]
        ev["created"] = pd.array(
            [None if d is None else t + d * HOUR_MS for t, d in zip(ev["ts"], delays, strict=True)],
            dtype="Int64",
        )
    q = draw(st.integers(0, 30))
    spine = pd.DataFrame(
        {
            "user_id": [draw(st.sampled_from([*ids, "nobody" if strings else 77]))
                        for _ in range(q)],
            "ts": np.array([draw(st.integers(0, 40)) for _ in range(q)], dtype=np.int64) * HOUR_MS,
            "label": np.arange(q, dtype=np.int32),
        },
        index=pd.Index(np.arange(q)[::-1] * 3 + 7),  # not a RangeIndex: it must be kept
    )
    if not strings:
        spine["user_id"] = spine["user_id"].astype(np.int64)
    if q > 1 and draw(st.booleans()):  # duplicate spine rows are kept
        spine = pd.concat([spine, spine.iloc[:2]])
    return {
        "events": ev,
        "spine": spine,
        "late": late,
        "datetimes": draw(st.booleans()),
        "files": draw(st.integers(1, 3)),
        "partitions": draw(st.integers(3, 17)),
    }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=scenarios())
def test_materialize_on_a_cluster_equals_one_process_bit_for_bit(tmp_path, dask_cluster, case):
    ev, spine = case["events"], case["spine"]
    if case["datetimes"]:
        for col in ("ts", "created"):
            if col in ev:
                ev[col] = pd.to_datetime(ev[col], unit="ms").astype("datetime64[us]")
        spine = spine.assign(ts=pd.to_datetime(spine["ts"], unit="ms"))
    folder = fresh(tmp_path, "events")
    if case["files"] == 1:
        path = write_parquet(folder, ev)
    else:  # a folder of files, read in file-name order: ties keep that order
        for part in np.array_split(np.arange(len(ev)), case["files"]):
            write_parquet(folder, ev.iloc[part])
        path = folder
    src = EventSource("bookings", path=str(path), entity="user_id", timestamp="ts",
                      created_at="created" if case["late"] else None)
    feats = [
        Feature(f"{agg}_{w or 'all'}", source=src, column="amount", agg=agg, window=w)
        for agg in AGGS
        for w in WINDOWS
    ]
    feats += [
        Feature(f"tag_{agg}", source=src, column="tag", agg=agg, window="1d")
        for agg in ("last", "first", "count", "count_distinct")
    ]
    feats.append(Feature("events_1d", source=src, agg="count", window="1d"))
    repo = FeatureRepo(fresh(tmp_path), keep_sources=0)
    repo.apply(feats)
    names = [f.name for f in feats]
    want = repo.materialize(spine, names, entity="user_id", timestamp="ts", cache=False)
    got = repo.materialize(spine, names, entity="user_id", timestamp="ts", cache=False,
                           cluster=dask_cluster, partitions=case["partitions"])
    assert repo.last_stats is not None and repo.last_stats.sources_read == ["bookings"]
    assert_identical(got, want)


def test_cluster_results_fill_the_cache_that_one_process_reads(
    tmp_path, dask_cluster, events, capsys
):
    src = EventSource("b", path=str(write_parquet(tmp_path, events)), entity="user_id",
                      timestamp="ts")
    repo = FeatureRepo(fresh(tmp_path))
    repo.apply([Feature("s", source=src, column="amount", agg="sum", window="1d")])
    spine = pd.DataFrame({"user_id": [1, 2, 3], "ts": [HOUR_MS * 3, HOUR_MS * 31, 0]})
    seen: list[str] = []
    got = repo.materialize(spine, ["s"], cluster=dask_cluster, partitions=4, verbose=True,
                           progress=lambda done, total, message: seen.append(message))
    assert any("partitions" in m for m in seen) and seen[-1] == "computed s"
    assert "100% Completed" in capsys.readouterr().out  # Dask's text progress bar
    again = repo.materialize(spine, ["s"])
    assert repo.last_stats is not None and repo.last_stats.cache_hits == ["s"]
    assert_identical(again, got)
    assert got["s"].tolist() == [30.0, 7.0, 0.0]


def test_errors_raised_on_workers_come_back_typed_with_the_same_message(
    tmp_path, dask_cluster, events
):
    naive = events.assign(ts=pd.to_datetime(events["ts"], unit="ms"))
    src = EventSource("b", path=str(write_parquet(tmp_path, naive)), entity="user_id",
                      timestamp="ts")
    repo = FeatureRepo(fresh(tmp_path))
    repo.apply([Feature("s", source=src, column="amount", agg="sum", window="1d")])
    aware = pd.DataFrame({"user_id": [1], "ts": pd.to_datetime([0], utc=True)})
    texts = pd.DataFrame({"user_id": ["1"], "ts": pd.to_datetime([0])})
    for spine, says in ((aware, "tz-aware"), (texts, "can never match")):
        with pytest.raises(InvalidSpec, match=says) as one:
            repo.materialize(spine, ["s"], cache=False)
        with pytest.raises(InvalidSpec, match=says) as many:
            repo.materialize(spine, ["s"], cluster=dask_cluster, cache=False)
        assert many.value.message == one.value.message
    with pytest.raises(InvalidSpec, match="partitions must be an integer"):
        repo.materialize(texts, ["s"], cluster=dask_cluster, partitions=0)
    with pytest.raises(InvalidSpec, match="unknown cluster setting"):
        repo.materialize(texts, ["s"], cluster="spark")


def test_the_environment_setting_is_used_when_no_cluster_is_given(
    tmp_path, dask_cluster, events, monkeypatch
):
    src = EventSource("b", path=str(write_parquet(tmp_path, events)), entity="user_id",
                      timestamp="ts")
    repo = FeatureRepo(fresh(tmp_path))
    repo.apply([Feature("n", source=src, agg="count")])
    spine = pd.DataFrame({"user_id": [2, 1], "ts": [HOUR_MS * 40, HOUR_MS * 40]})
    monkeypatch.setenv("BIGHEAD_DASK", dask_cluster.cluster.scheduler_address)
    seen: list[str] = []
    out = repo.materialize(spine, ["n"], cache=False, progress=lambda d, t, m: seen.append(m))
    assert out["n"].tolist() == [2, 4]
    assert any("partitions" in m for m in seen)  # it went through the cluster
    assert repo.materialize(spine, ["n"], cache=False, cluster="none")["n"].tolist() == [2, 4]


def test_entity_buckets_are_stable_and_agree_across_number_types():
    ints = pd.Series([1, 2, 3, 1000, -5, 0], dtype=np.int64)
    floats = pd.Series([1.0, 2.0, 3.0, 1000.0, -5.0, -0.0])
    nullable = pd.Series([1, 2, 3, 1000, -5, 0], dtype="Int64")
    for other in (floats, nullable):
        np.testing.assert_array_equal(entity_buckets(ints, 13), entity_buckets(other, 13))
    texts = pd.Series(["a", "b", "a"], dtype=object)
    np.testing.assert_array_equal(entity_buckets(texts, 7), entity_buckets(texts.astype(str), 7))
    # the same in every process and run (no salted hash): pinned values
    assert entity_buckets(ints, 1000).tolist() == [566, 525, 893, 519, 229, 0]
    assert entity_buckets(pd.Series(["a", "b", "user-17"]), 1000).tolist() == [504, 975, 226]
    assert set(entity_buckets(pd.Series(range(1000)), 5)) == {0, 1, 2, 3, 4}


def _materialize_in_a_worker(repo_path: str, env: str) -> tuple[list[int], list[str]]:
    """Run on a Dask worker: materialize with $BIGHEAD_DASK set there."""
    import os

    os.environ["BIGHEAD_DASK"] = env
    try:
        repo = FeatureRepo(repo_path)
        spine = pd.DataFrame({"user_id": [2, 1], "ts": [HOUR_MS * 40, HOUR_MS * 40]})
        seen: list[str] = []
        out = repo.materialize(spine, ["n"], cache=False, progress=lambda d, t, m: seen.append(m))
        return out["n"].tolist(), seen
    finally:
        del os.environ["BIGHEAD_DASK"]


def test_code_on_a_worker_and_online_lookups_stay_in_their_process(
    tmp_path, dask_cluster, events, monkeypatch
):
    src = EventSource("b", path=str(write_parquet(tmp_path, events)), entity="user_id",
                      timestamp="ts")
    repo = FeatureRepo(fresh(tmp_path))
    repo.apply([Feature("n", source=src, agg="count")])
    # a scoring chunk or a pipeline's lookup running on a worker inherits the variable
    counts, seen = dask_cluster.submit(
        _materialize_in_a_worker, str(repo.path), "tcp://127.0.0.1:9", pure=False
    ).result()
    assert counts == [2, 4] and not any("partitions" in m for m in seen)
    monkeypatch.setenv("BIGHEAD_DASK", "tcp://127.0.0.1:9")  # nobody answers there
    assert repo.online([1, 2], ["n"], at=HOUR_MS * 40)["n"].tolist() == [4, 2]
