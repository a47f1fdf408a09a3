"""Run one contender once in this (fresh) process; write its output and a JSON record.

``python -m bench.features.worker CONTENDER EVENTS SPINE OUT_PARQUET OUT_JSON``

The spine is read and the contender's library imported before the clock starts. The timed
call is the contender's whole materialization: reading the events parquet, computing, and
returning the spine-ordered pandas frame. For ``ours`` a second, warm call on the same repo
(answered by the cache) is timed separately, after the peak memory of the cold call has been
recorded. The CPU seconds of the cold call (all threads) are recorded too: on a shared
machine they move much less with the load than the wall-clock time does.
"""

from __future__ import annotations

import importlib
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
import pandas as pd

from bench.features import measure
from bench.features.workload import ENTITY, NAMES, TIMESTAMP

LIBRARIES = {
    "ours": "jupyter_bighead.features",
    "duckdb": "duckdb",
    "duckdb-asof": "duckdb",
    "duckdb-probe": "duckdb",
    "polars-probe": "polars",
    "polars": "polars",
}


def _same_spine(out: pd.DataFrame, spine: pd.DataFrame) -> bool:
    if len(out) != len(spine) or ENTITY not in out or TIMESTAMP not in out:
        return False
    return bool(
        np.array_equal(out[ENTITY].to_numpy(), spine[ENTITY].to_numpy())
        and np.array_equal(out[TIMESTAMP].to_numpy(), spine[TIMESTAMP].to_numpy())
    )


def run(name: str, events: Path, spine_path: Path, out_parquet: Path) -> dict[str, object]:
    from bench.features import contenders

    spine = pd.read_parquet(spine_path)
    importlib.import_module(LIBRARIES[name])
    record: dict[str, object] = {"contender": name}
    repo = None
    if name == "ours":
        repo_dir = Path(tempfile.mkdtemp(prefix="bighead-bench-repo-"))
        repo = contenders.ours_repo(events, repo_dir)  # apply() only stores definitions

    base = measure.rss_mib()
    record["peak_exact"] = measure.reset_peak()
    t0, c0 = time.perf_counter(), time.process_time()
    if repo is not None:
        out = contenders.ours_materialize(repo, spine)
    else:
        out = contenders.CONTENDERS[name](events, spine)
    record["seconds"] = time.perf_counter() - t0
    record["cpu_seconds"] = time.process_time() - c0  # every thread of this process
    record["peak_mib"] = measure.peak_mib() - base
    record["baseline_rss_mib"] = base

    if repo is not None:
        t0 = time.perf_counter()
        warm = contenders.ours_materialize(repo, spine)
        record["warm_seconds"] = time.perf_counter() - t0
        record["warm_equal"] = bool(warm[NAMES].equals(out[NAMES]))
        contenders.cleanup_repo(repo_dir)

    record["spine_order_ok"] = _same_spine(out, spine)
    record["missing_columns"] = [n for n in NAMES if n not in out.columns]
    present = [n for n in NAMES if n in out.columns]
    out[present].reset_index(drop=True).to_parquet(out_parquet, index=False)
    return record


def main(argv: list[str]) -> int:
    name, events, spine, out_parquet, out_json = argv
    try:
        record = run(name, Path(events), Path(spine), Path(out_parquet))
    except Exception as exc:  # report, don't crash the whole benchmark
        record = {
            "contender": name,
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
        }
    Path(out_json).write_text(json.dumps(record))
    return 0 if "error" not in record else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
