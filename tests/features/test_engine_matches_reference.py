"""Property tests: materialize equals the brute-force reference on random small data.

The data is drawn on an hourly grid so that ties, events at exactly the query time and
events at exactly ``t - window`` are common; nulls, unknown entities, duplicate spine
rows and late rows (``created_at`` after ``ts``) are all drawn too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import HOUR_MS, assert_columns_match, fresh, write_parquet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import reference

from jupyter_bighead.features import AGGS, EventSource, Feature, FeatureRepo

WINDOWS = ["1h", "3h", "1d", None]
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def scenarios(draw: st.DrawFn) -> dict:
    n = draw(st.integers(0, 40))
    entities = st.sampled_from([1, 2, 3, 1000])
    hours = st.integers(0, 36)
    values = st.one_of(
        st.none(), st.sampled_from([0.0, 1.0, 2.5, -3.0]), st.floats(-1e6, 1e6, allow_nan=False)
    )
    ev = pd.DataFrame(
        {
            "user_id": np.array([draw(entities) for _ in range(n)], dtype=np.int64),
            "ts": np.array([draw(hours) for _ in range(n)], dtype=np.int64) * HOUR_MS,
            "amount": np.array([draw(values) for _ in range(n)], dtype=float),
        }
    )
    late = draw(st.booleans())
    if late:
        delays = [draw(st.one_of(st.none(), st.integers(-2, 30))) for _ in range(n)]
        ev["created"] = pd.array(
            [None if d is None else t + d * HOUR_MS for t, d in zip(ev["ts"], delays, strict=True)],
            dtype="Int64",
        )
    q = draw(st.integers(1, 25))
    spine = pd.DataFrame(
        {
            "user_id": np.array(
                [draw(st.sampled_from([1, 2, 3, 1000, 77])) for _ in range(q)], dtype=np.int64
            ),
            "ts": np.array([draw(st.integers(0, 40)) for _ in range(q)], dtype=np.int64) * HOUR_MS,
        }
    )
    if q > 1 and draw(st.booleans()):  # duplicate spine rows are kept
        spine = pd.concat([spine, spine.iloc[:2]], ignore_index=True)
    kind = draw(st.sampled_from(["ms", "datetime_ms", "datetime_us"]))
    return {"events": ev, "spine": spine, "late": late, "kind": kind}


def _as_datetimes(frame: pd.DataFrame, columns: list[str], unit: str) -> pd.DataFrame:
    frame = frame.copy()
    for col in columns:
        if col in frame:
            frame[col] = pd.to_datetime(frame[col], unit="ms").astype(f"datetime64[{unit}]")
    return frame


@SETTINGS
@given(case=scenarios())
def test_materialize_equals_brute_force_for_every_agg_and_window(tmp_path, case):
    ev, spine = case["events"], case["spine"]
    if case["kind"] != "ms":
        unit = case["kind"].split("_")[1]
        ev = _as_datetimes(ev, ["ts", "created"], unit)
        spine = _as_datetimes(spine, ["ts"], "ns")
    path = write_parquet(tmp_path / "data", ev)
    src = EventSource(
        "bookings",
        path=str(path),
        entity="user_id",
        timestamp="ts",
        created_at="created" if case["late"] else None,
    )
    feats = [
        Feature(f"{agg}_{w or 'all'}", source=src, column="amount", agg=agg, window=w)
        for agg in AGGS
        for w in WINDOWS
    ]
    feats.append(Feature("events_1d", source=src, agg="count", window="1d"))
    repo = FeatureRepo(fresh(tmp_path), keep_sources=0)
    repo.apply(feats)
    names = [f.name for f in feats]
    out = repo.materialize(spine, names, entity="user_id", timestamp="ts", cache=False)
    expected = reference(
        ev,
        spine,
        {f.name: (f.column, f.agg, f.window_ns) for f in feats},
        entity="user_id",
        timestamp="ts",
        created_at="created" if case["late"] else None,
    )
    assert list(out.columns) == [*spine.columns, *names]
    pd.testing.assert_frame_equal(out[spine.columns], spine)
    assert_columns_match(out, expected, names)


@SETTINGS
@given(
    ts=st.lists(st.integers(0, 10), min_size=1, max_size=12),
    labels=st.lists(st.sampled_from(["a", "b", None]), min_size=12, max_size=12),
)
def test_last_first_and_distinct_work_on_string_columns(tmp_path, ts, labels):
    ev = pd.DataFrame(
        {"user_id": [1] * len(ts), "ts": [t * HOUR_MS for t in ts], "tag": labels[: len(ts)]}
    )
    path = write_parquet(tmp_path / "data", ev)
    src = EventSource("tags", path=str(path), entity="user_id", timestamp="ts")
    feats = [
        Feature(f"{agg}_{w or 'all'}", source=src, column="tag", agg=agg, window=w)
        for agg in ("last", "first", "count", "count_distinct")
        for w in ("3h", None)
    ]
    repo = FeatureRepo(fresh(tmp_path), keep_sources=0)
    repo.apply(feats)
    spine = pd.DataFrame({"user_id": [1] * 12, "ts": [h * HOUR_MS for h in range(12)]})
    out = repo.materialize(spine, [f.name for f in feats], cache=False)
    expected = reference(
        ev,
        spine,
        {f.name: (f.column, f.agg, f.window_ns) for f in feats},
        entity="user_id",
        timestamp="ts",
    )
    for f in feats:
        got = [None if pd.isna(v) else v for v in out[f.name]]
        want = [None if pd.isna(v) else v for v in expected[f.name]]
        assert got == want, f.name


def test_parallel_sort_gives_the_same_order_as_the_serial_one(monkeypatch):
    import numpy as np

    from jupyter_bighead.features import engine, sorting
    from jupyter_bighead.features.sources import Ticks

    rng = np.random.default_rng(5)
    n = 20_000
    entity = pd.Series(rng.integers(0, 300, n))
    ts = Ticks(rng.integers(0, 50, n), None, 1_000_000, "epoch")
    serial = engine.prepare(entity, ts, None, "src")
    monkeypatch.setattr(engine, "PARALLEL_MIN_EVENTS", 0)
    monkeypatch.setattr(sorting, "PARALLEL_MIN_EVENTS", 0)
    monkeypatch.setattr(engine, "_workers", lambda: 4)
    monkeypatch.setattr(sorting, "_workers", lambda: 4)
    parallel = engine.prepare(entity, ts, None, "src")
    np.testing.assert_array_equal(parallel.keys, serial.keys)
    np.testing.assert_array_equal(parallel.perm, serial.perm)
    np.testing.assert_array_equal(parallel.starts, serial.starts)


def _full_compensated(values, valid, hi, lo):
    """The straightforward form: full prefix arrays of sums and TwoSum errors."""
    v = np.where(valid, values, 0.0)
    cs = np.zeros(len(v) + 1)
    np.cumsum(v, out=cs[1:])
    a, s = cs[:-1], cs[1:]
    bb = s - a
    err = (a - (s - bb)) + (v - bb)
    ce = np.zeros(len(v) + 1)
    np.cumsum(err, out=ce[1:])
    pc = np.zeros(len(v) + 1, dtype=np.int64)
    np.cumsum(valid, out=pc[1:])
    return (cs[hi] - cs[lo]) + (ce[hi] - ce[lo]), pc[hi] - pc[lo]


@pytest.mark.parametrize("nulls", [False, True])
@pytest.mark.parametrize("block", [7, 64, 1 << 15])
def test_blockwise_window_sums_equal_the_full_prefix_arrays_bit_for_bit(monkeypatch, nulls, block):
    from jupyter_bighead.features import engine, sums

    monkeypatch.setattr(sums, "BLOCK", block)
    rng = np.random.default_rng(11)
    n = 5_000
    values = rng.lognormal(3.0, 4.0, n) * rng.choice([-1.0, 1.0], n)
    if nulls:
        values[rng.random(n) < 0.2] = np.nan
    valid = ~np.isnan(values)
    col = engine.Column(True, values, valid, all_valid=bool(valid.all()))
    hi = np.sort(rng.integers(0, n + 1, 3_000))
    lo_sorted = np.minimum(np.sort(rng.integers(0, n + 1, 3_000)), hi)
    lo_jumbled = np.maximum(hi - rng.integers(0, 50, 3_000), 0)  # not monotone
    los = [lo_sorted, lo_jumbled, hi, np.zeros_like(hi)]
    found = sums.window_sums(col, hi, los)
    for lo, (total, count) in zip(los, found, strict=True):
        want_total, want_count = _full_compensated(values, valid, hi, lo)
        np.testing.assert_array_equal(total, want_total)
        np.testing.assert_array_equal(count, want_count)


def test_the_parallel_paths_match_the_brute_force(tmp_path, monkeypatch):
    """Threads, many sorted parts and code spans, small blocks and a split factorize."""
    from jupyter_bighead.features import engine, sorting, sums

    monkeypatch.setattr(engine, "PARALLEL_MIN_EVENTS", 0)
    monkeypatch.setattr(sorting, "PARALLEL_MIN_EVENTS", 0)
    monkeypatch.setattr(engine, "_workers", lambda: 3)
    monkeypatch.setattr(sorting, "_workers", lambda: 3)
    monkeypatch.setattr(sorting, "PART_SIZE", 64)
    monkeypatch.setattr(sums, "BLOCK", 50)
    rng = np.random.default_rng(7)
    n = 12_000
    ids = rng.choice(2**40, 300, replace=False)
    amount = rng.lognormal(2.0, 2.0, n)
    amount[rng.random(n) < 0.1] = np.nan
    ev = pd.DataFrame(
        {
            "user_id": ids[rng.integers(0, 300, n)],
            "ts": rng.integers(0, 40 * 24, n) * HOUR_MS // 4,
            "amount": amount,
        }
    )
    q = 1_500
    spine = pd.DataFrame(
        {
            "user_id": np.where(rng.random(q) < 0.1, 5, ids[rng.integers(0, 300, q)]),
            "ts": rng.integers(0, 42 * 24, q) * HOUR_MS // 4,
        }
    )
    path = write_parquet(tmp_path / "data", ev)
    src = EventSource("bookings", path=str(path), entity="user_id", timestamp="ts")
    feats = [
        Feature(f"{agg}_{w or 'all'}", source=src, column="amount", agg=agg, window=w)
        for agg in ("sum", "mean", "count", "last", "max")
        for w in ("1d", "7d", None)
    ]
    feats.append(Feature("events_1d", source=src, agg="count", window="1d"))
    repo = FeatureRepo(fresh(tmp_path), keep_sources=0)
    repo.apply(feats)
    names = [f.name for f in feats]
    out = repo.materialize(spine, names, entity="user_id", timestamp="ts", cache=False)
    expected = reference(
        ev,
        spine,
        {f.name: (f.column, f.agg, f.window_ns) for f in feats},
        entity="user_id",
        timestamp="ts",
    )
    assert_columns_match(out, expected, names)


def test_split_factorize_equals_one_call(monkeypatch):
    from jupyter_bighead.features import engine, sorting

    monkeypatch.setattr(engine, "PARALLEL_MIN_EVENTS", 0)
    monkeypatch.setattr(sorting, "PARALLEL_MIN_EVENTS", 0)
    monkeypatch.setattr(engine, "_workers", lambda: 2)
    monkeypatch.setattr(sorting, "_workers", lambda: 2)
    rng = np.random.default_rng(3)
    values = rng.choice(2**40, 500)[rng.integers(0, 500, 10_001)]
    codes, uniques = engine._factorize(pd.Series(values))
    want_codes, want_uniques = pd.factorize(values, sort=False)
    np.testing.assert_array_equal(codes, want_codes)
    np.testing.assert_array_equal(np.asarray(uniques), np.asarray(want_uniques))
