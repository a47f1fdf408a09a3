"""Smoke test of the feature benchmark's harness: correctness only, never timings.

The peers (DuckDB, Polars) and the brute-force reference must agree on tiny generated data,
and the reference must honour the window contract on hand-written cases, so that a
benchmark failure always points at the contender and never at the harness.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.features import contenders, generate, reference  # noqa: E402
from bench.features.workload import DAY_MS, NAMES  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench-data")
    events_path, spine_path = generate.ensure("T", root=root)
    events = pd.read_parquet(events_path)
    spine = pd.read_parquet(spine_path)
    ref = reference.reference(events, spine, np.arange(len(spine)))
    return events_path, events, spine, ref


def test_generator_is_deterministic_and_has_the_promised_shape(tmp_path):
    sc = generate.SCALES["T"]
    a = generate.generate_events(sc, seed=3)
    b = generate.generate_events(sc, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == sc.events
    assert not a.duplicated(["entity_id", "ts"]).any()
    assert not a["ts"].is_monotonic_increasing
    spine = generate.generate_spine(a, sc, seed=3)
    assert len(spine) == sc.queries
    keys = set(zip(a["entity_id"], a["ts"], strict=True))
    at_event = [k in keys for k in zip(spine["entity_id"], spine["ts"], strict=True)]
    assert sum(at_event) >= sc.queries // 10
    assert (~spine["entity_id"].isin(a["entity_id"])).any()
    assert spine.duplicated().any()


def test_reference_follows_the_window_contract():
    events = pd.DataFrame(
        {"entity_id": [1, 1, 1], "ts": [0, DAY_MS, 2 * DAY_MS], "value": [1.0, 2.0, 4.0]}
    )
    spine = pd.DataFrame(
        {
            "entity_id": [1, 1, 1, 1, 2],
            # at an event that is also 1d after another (twice); 1 ms later; at the first
            # event; an unknown entity
            "ts": [2 * DAY_MS, 2 * DAY_MS, 2 * DAY_MS + 1, 0, 5],
        }
    )
    ref = reference.reference(events, spine, np.arange(len(spine)))
    # t = 2d: the event at 2d is excluded (open upper); the event at 1d = t - 1d counts.
    assert ref.loc[0, "v_1d_sum"] == 2.0 and ref.loc[0, "v_1d_count"] == 1
    assert ref.loc[0, "v_7d_sum"] == 3.0 and ref.loc[0, "v_last"] == 2.0
    assert ref.loc[1].equals(ref.loc[0])
    # t = 2d + 1ms: the event at 1d has left the 1d window, the one at 2d has entered it.
    assert ref.loc[2, "v_1d_sum"] == 4.0 and ref.loc[2, "v_last"] == 4.0
    # Nothing strictly before t = 0, and an unknown entity: empty-window values.
    for row in (3, 4):
        assert ref.loc[row, "v_1d_count"] == 0 and ref.loc[row, "v_30d_sum"] == 0.0
        assert np.isnan(ref.loc[row, "v_7d_mean"]) and np.isnan(ref.loc[row, "v_last"])


@pytest.mark.parametrize(
    "name", ["duckdb", "duckdb-asof", "duckdb-probe", "polars", "polars-probe"]
)
def test_peer_agrees_with_the_reference(tiny, name):
    pytest.importorskip(name.split("-")[0])
    events_path, _, spine, ref = tiny
    out = contenders.CONTENDERS[name](events_path, spine)
    assert list(out.columns) == ["entity_id", "ts", *NAMES]
    np.testing.assert_array_equal(out["entity_id"].to_numpy(), spine["entity_id"].to_numpy())
    np.testing.assert_array_equal(out["ts"].to_numpy(), spine["ts"].to_numpy())
    report = reference.compare(out, ref)
    assert report["ok"], report


def test_compare_flags_a_wrong_answer(tiny):
    ref = tiny[3]
    wrong = ref.copy()
    wrong.loc[wrong.index[0], "v_7d_count"] += 1
    wrong.loc[wrong.index[1], "v_1d_sum"] *= 1 + 1e-6
    report = reference.compare(wrong.reset_index(drop=True), ref)
    assert not report["ok"]
    assert report["bad_cells"]["v_7d_count"] == 1


def test_probe_peers_follow_the_window_contract(tmp_path):
    """Hand-written edge cases for the one-join probe peers: a query exactly at an event, at
    exactly ``event + 1d``, 1 ms later, before any event, an unknown entity, duplicates, and
    two entities whose probes interleave in time."""
    events = pd.DataFrame(
        {
            "entity_id": [7, 7, 7, 3, 3],
            "ts": [2 * DAY_MS, 0, DAY_MS, DAY_MS, DAY_MS + 5],
            "value": [4.0, 1.0, 2.0, 10.0, 20.0],
        }
    )
    path = tmp_path / "events.parquet"
    events.to_parquet(path, index=False)
    spine = pd.DataFrame(
        {
            "entity_id": [7, 7, 3, 7, 7, 9, 3, 7],
            "ts": [
                2 * DAY_MS,
                2 * DAY_MS,
                DAY_MS + 5,
                2 * DAY_MS + 1,
                0,
                5,
                40 * DAY_MS,
                2 * DAY_MS,
            ],
        }
    )
    ref = reference.reference(events, spine, np.arange(len(spine)))
    for name in ("polars-probe", "duckdb-probe"):
        pytest.importorskip(name.split("-")[0])
        out = contenders.CONTENDERS[name](path, spine)
        np.testing.assert_array_equal(out["ts"].to_numpy(), spine["ts"].to_numpy())
        report = reference.compare(out, ref)
        assert report["ok"], (name, report)
        assert out.loc[0, "v_1d_sum"] == 2.0 and out.loc[3, "v_1d_sum"] == 4.0
        assert np.isnan(out.loc[6, "v_1d_mean"]) and out.loc[6, "v_last"] == 20.0


def test_best_peer_is_the_fastest_passing_variant():
    from bench.features import run

    by = {
        "polars": {"seconds": 0.4, "check": {"ok": True}},
        "polars-probe": {"seconds": 0.1, "check": {"ok": False}},
        "duckdb-probe": {"seconds": 0.3, "check": {"ok": True}},
        "duckdb": {"error": "killed"},
        "ours": {"seconds": 0.05, "check": {"ok": True}},
    }
    peers = run.passing_peers(by)
    assert [p["seconds"] for p in peers] == [0.3, 0.4]
    assert set(run.PEERS) >= {"duckdb", "duckdb-asof", "duckdb-probe", "polars", "polars-probe"}


def test_spread_reports_median_and_cpu_ratios_against_the_best_peer():
    from bench.features import run

    ours = {"label": "ours", "median_seconds": 0.2, "min_cpu_seconds": 0.1}
    peers = [
        {"label": "polars", "median_seconds": 0.5, "min_cpu_seconds": 0.4},
        {"label": "polars-probe", "median_seconds": 0.8, "min_cpu_seconds": 0.25},
    ]
    text = run.spread(ours, peers)
    assert "median wall: ours 0.200 s, best peer polars 0.500 s (0.40x)" in text
    assert "least CPU: ours 0.100 s, best peer polars-probe 0.250 s (0.40x)" in text
