"""Window sums depend only on their own entity's values, bit for bit.

Each entity's compensated running sum restarts at its first event, so neither the other
entities a process holds (a Dask partition holds a hash-subset of them) nor the number
of worker threads (which decides how events are split into spans) changes a sum.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import HOUR_MS, fresh, write_parquet

from jupyter_bighead.features import EventSource, Feature, FeatureRepo


def _materialize(tmp_path, ev: pd.DataFrame, spine: pd.DataFrame) -> pd.DataFrame:
    src = EventSource("bookings", path=str(write_parquet(tmp_path / "data", ev)),
                      entity="user_id", timestamp="ts")
    feats = [
        Feature(f"{agg}_{w or 'all'}", source=src, column="amount", agg=agg, window=w)
        for agg in ("sum", "mean")
        for w in ("1d", "7d", None)
    ]
    repo = FeatureRepo(fresh(tmp_path), keep_sources=0)
    repo.apply(feats)
    return repo.materialize(spine, [f.name for f in feats], entity="user_id", timestamp="ts",
                            cache=False)


def _events(rng: np.random.Generator, ids: np.ndarray, n: int, scale: float) -> pd.DataFrame:
    amount = rng.lognormal(0.0, 3.0, n) * rng.choice([-1.0, 1.0], n) * scale
    amount[rng.random(n) < 0.1] = np.nan
    amount[rng.random(n) < 0.05] = -0.0
    return pd.DataFrame({"user_id": ids[rng.integers(0, len(ids), n)],
                         "ts": rng.integers(0, 20 * 24, n) * HOUR_MS // 3, "amount": amount})


def _assert_identical(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    for name in got.columns:
        a, b = got[name].to_numpy(), want[name].to_numpy()
        assert a.dtype == b.dtype, name
        assert a.tobytes() == b.tobytes(), name


@pytest.mark.parametrize("block", [8, 1 << 15])  # 8: the entity is summed block by block
def test_a_window_sum_ignores_the_events_of_other_entities(tmp_path, monkeypatch, block):
    from jupyter_bighead.features import sums

    monkeypatch.setattr(sums, "BLOCK", block)
    rng = np.random.default_rng(5)
    mine = _events(rng, np.array([42]), 300, 1.0)
    spine = pd.DataFrame({"user_id": np.full(200, 42),
                          "ts": rng.integers(0, 22 * 24, 200) * HOUR_MS // 3})
    alone = _materialize(tmp_path, mine, spine)
    assert (alone["sum_7d"] != 0).any() and not np.signbit(alone.to_numpy()[alone == 0]).any()
    # other entities, huge and tiny, first in the file: they get smaller codes and their
    # events sort before entity 42's in every span
    huge = _events(rng, np.array([1, 2, 3]), 2_000, 1e15)
    tiny = _events(rng, np.array([4, 5]), 2_000, 1e-12)
    crowded = pd.concat([huge, tiny, mine, huge.assign(user_id=7)], ignore_index=True)
    _assert_identical(_materialize(tmp_path, crowded, spine), alone)


def test_the_result_does_not_depend_on_the_number_of_worker_threads(tmp_path, monkeypatch):
    from jupyter_bighead.features import engine, sorting, sums

    rng = np.random.default_rng(9)
    ids = rng.choice(2**40, 200, replace=False)
    ev = _events(rng, ids, 20_000, 1.0)
    ev.loc[rng.random(len(ev)) < 0.2, "amount"] *= 1e12
    spine = pd.DataFrame({"user_id": np.append(ids[rng.integers(0, 200, 3_000)], 5),
                          "ts": rng.integers(0, 22 * 24, 3_001) * HOUR_MS // 3})
    monkeypatch.setattr(sums, "BLOCK", 256)  # both the matrix and the blockwise path
    monkeypatch.setattr(sums, "WIDE", 4)
    results = []
    for workers in (1, 3, 8):
        monkeypatch.setattr(engine, "PARALLEL_MIN_EVENTS", 0)
        monkeypatch.setattr(sorting, "PARALLEL_MIN_EVENTS", 0)
        monkeypatch.setattr(engine, "_workers", lambda w=workers: w)
        monkeypatch.setattr(sorting, "_workers", lambda w=workers: w)
        results.append(_materialize(tmp_path, ev, spine))
    _assert_identical(results[1], results[0])
    _assert_identical(results[2], results[0])


def _per_entity(values, valid, starts, code, hi, lo):
    """One sequential compensated running sum per entity, restarted at its first event."""
    total = np.zeros(len(hi))
    count = np.zeros(len(hi), dtype=np.int64)
    for e in range(len(starts) - 1):
        a, b = starts[e], starts[e + 1]
        x = np.where(valid[a:b], values[a:b], 0.0)
        s = np.concatenate(([0.0], np.cumsum(np.concatenate(([0.0], x)))[1:]))
        bb = s[1:] - s[:-1]
        err = (s[:-1] - (s[1:] - bb)) + (x - bb)
        ce = np.concatenate(([0.0], np.cumsum(err)))
        pc = np.concatenate(([0], np.cumsum(valid[a:b])))
        mine = code == e
        h, lw = hi[mine] - a, lo[mine] - a
        total[mine] = (s[h] - s[lw]) + (ce[h] - ce[lw])
        count[mine] = pc[h] - pc[lw]
    return total, count


@pytest.mark.parametrize("nulls", [False, True])
@pytest.mark.parametrize("block", [16, 1 << 15])
@pytest.mark.parametrize("wide", [1, 10**9])  # matrices summed row by row, or entity by entity
def test_window_sums_restart_at_each_entity(monkeypatch, nulls, block, wide):
    from jupyter_bighead.features import engine, sums

    monkeypatch.setattr(sums, "BLOCK", block)
    monkeypatch.setattr(sums, "WIDE", wide)
    rng = np.random.default_rng(13)
    lengths = np.concatenate((rng.integers(0, 40, 150), [0, 1, 1, 2, 100, 300]))
    rng.shuffle(lengths)
    starts = np.concatenate(([0], np.cumsum(lengths)))
    n = int(starts[-1])
    values = rng.lognormal(3.0, 4.0, n) * rng.choice([-1.0, 1.0], n)
    values[rng.random(n) < 0.05] = -0.0
    if nulls:
        values[rng.random(n) < 0.2] = np.nan
    valid = ~np.isnan(values)
    col = engine.Column(True, values, valid, all_valid=bool(valid.all()))
    code = np.sort(rng.integers(0, len(lengths) + 1, 4_000))  # len(lengths): unknown
    a = starts[np.minimum(code, len(lengths))]
    b = starts[np.minimum(code + 1, len(lengths))]
    b[code == len(lengths)] = a[code == len(lengths)] = n
    hi = a + (rng.random(len(code)) * (b - a + 1)).astype(np.int64)
    lo = a + (rng.random(len(code)) * (hi - a + 1)).astype(np.int64)
    tasks = [(0, int(starts[80]), 0, int(np.searchsorted(code, 80))),
             (int(starts[80]), n, int(np.searchsorted(code, 80)),
              int(np.searchsorted(code, len(lengths))))]
    found = sums.window_sums(col, hi, [lo, hi, a], tasks, starts, code)
    for low, (total, count) in zip([lo, hi, a], found, strict=True):
        want_total, want_count = _per_entity(values, valid, starts, code, hi, low)
        np.testing.assert_array_equal(total, want_total)
        assert total.tobytes() == want_total.tobytes()  # the sign of zeros too
        np.testing.assert_array_equal(count, want_count)
        assert not np.signbit(total[low == hi]).any()
