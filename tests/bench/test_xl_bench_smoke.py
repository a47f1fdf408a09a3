"""Smoke test of the out-of-core (scale XL) harness: correctness only, never timings.

The chunked generator must keep the generator's promises (unique ``(entity, ts)``, the
spine's boundary cases), and ``bench/features/xl.py`` must report a Dask result that is
the single-process engine's, bit for bit, with its metrics filled in.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.features import contenders, generate, xl  # noqa: E402
from bench.features.workload import ENTITY, NAMES, TIMESTAMP  # noqa: E402

TINY = generate.Scale("XT", 30_000, 3_000, 300, chunked=True)


def test_chunked_generator_keeps_keys_unique_across_chunks_and_samples_the_spine(tmp_path):
    spine = generate.write_events_chunked(TINY, tmp_path / "e.parquet", seed=1, chunk=4_000)
    events = pd.read_parquet(tmp_path / "e.parquet")
    assert len(events) == TINY.events
    assert pq.read_metadata(tmp_path / "e.parquet").num_row_groups == 8  # one per chunk
    assert not events.duplicated([ENTITY, TIMESTAMP]).any()
    assert events[ENTITY].nunique() > TINY.entities // 2
    assert len(spine) == TINY.queries
    keys = set(zip(events[ENTITY], events[TIMESTAMP], strict=True))
    at_event = [k in keys for k in zip(spine[ENTITY], spine[TIMESTAMP], strict=True)]
    assert sum(at_event) >= TINY.queries // 10  # the "exactly at an event" share
    assert (~spine[ENTITY].isin(events[ENTITY])).any()
    assert spine.duplicated().any()
    again = generate.write_events_chunked(TINY, tmp_path / "f.parquet", seed=1, chunk=4_000)
    pd.testing.assert_frame_equal(spine, again)
    pd.testing.assert_frame_equal(events, pd.read_parquet(tmp_path / "f.parquet"))


def test_same_bits_tells_nan_payloads_and_signed_zeros_apart():
    a = pd.DataFrame({n: np.zeros(3) for n in NAMES})
    assert xl.same_bits(a, a.copy())["equal"]
    b = a.copy()
    b.loc[1, NAMES[0]] = -0.0
    assert xl.same_bits(a, b)["differing_cells"] == {NAMES[0]: 1}
    c = a.copy()
    c[NAMES[1]] = c[NAMES[1]].astype(np.float32)
    assert not xl.same_bits(a, c)["equal"]


def test_xl_runner_matches_the_single_process_engine(tmp_path, monkeypatch):
    monkeypatch.setitem(generate.SCALES, "XT", TINY)
    monkeypatch.setattr(generate, "CHUNK_EVENTS", 7_000)
    monkeypatch.setattr(generate, "ROW_GROUP", 2_000)
    out = tmp_path / "dask.parquet"
    status = xl.main([
        "--scale", "XT", "--partitions", "5", "--memory-limit", "1GiB", "--single", "XT",
        "--data-root", str(tmp_path), "--keep-output", str(out),
    ])
    record = json.loads((tmp_path / "results-xl-XT.json").read_text())
    assert status == 0, record
    # a worker's own footprint is above any limit below 720 kB: XL is where it is below
    assert record["events_bytes"] == 24 * TINY.events
    assert record["limit_below_events"] is False
    dask = record["dask"]
    assert dask["spine_order_ok"] and dask["partitions"] == 5 and dask["workers_lost"] == 0
    assert len(dask["worker_peak_mib"]) == 2 and min(dask["worker_peak_mib"]) > 10
    assert dask["spilled_bytes"] >= 0
    assert record["compare"] == {"equal": True, "differing_cells": {}}
    # and independently of the runner's own comparison: the engine in this process
    events, spine_path = generate.ensure("XT", tmp_path)
    spine = pd.read_parquet(spine_path)
    repo = contenders.ours_repo(events, tmp_path / "repo")
    single = contenders.ours_materialize(repo, spine)
    assert xl.same_bits(pd.read_parquet(out), single)["equal"]
