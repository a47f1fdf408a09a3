"""Out-of-core feature materialization on Dask (issue 15), beside the single-process engine.

``python bench/features/xl.py [--scale XL] [--workers 2] [--memory-limit 1GiB]
[--partitions 64] [--single L,XL]``

1. Generates the scale's data once (:mod:`bench.features.generate`; XL is written in
   chunks, so generating it needs a few hundred MiB).
2. Starts a ``LocalCluster`` of ``--workers`` single-threaded worker processes, each with
   ``--memory-limit`` (by default below the events' in-memory size, so the events cannot
   sit in one worker), and times ``FeatureRepo.materialize(spine, ten features,
   cluster=client, partitions=N)`` on the events parquet, which the workers read lazily,
   about 1M rows per part. It prints the time, each worker's peak memory (``VmHWM`` after
   a reset), what Dask spilled to disk (its ``disk-write`` byte metrics, summed over the
   run) and whether a worker was lost and restarted.
3. Runs the single-process engine at each ``--single`` scale in a fresh process, as
   ``run.py --contenders ours`` does (same worker, same memory guard), and compares the
   Dask result at the same scale with it bit for bit, every column.

The record goes to ``bench/.data/results-xl-<scale>.json``. The exit status is 1 when the
Dask result differs from the single-process one, or the Dask run failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from the repository root
    sys.path.insert(0, str(ROOT))

from bench.features import contenders, generate, measure  # noqa: E402
from bench.features.workload import ENTITY, NAMES, TIMESTAMP  # noqa: E402

MIB = 1024**2


def in_memory_bytes(events: Path) -> int:
    """The events' size as NumPy columns: rows times the fixed widths of their types."""
    import pyarrow.parquet as pq

    meta = pq.read_metadata(events)
    schema = meta.schema.to_arrow_schema()
    return int(meta.num_rows * sum(f.type.bit_width // 8 for f in schema))


def _reset_worker_peak() -> bool:
    return measure.reset_peak()


def _worker_memory() -> dict[str, float]:
    return {"peak_mib": measure.peak_mib(), "rss_mib": measure.rss_mib()}


def _worker_spill(dask_worker: Any) -> dict[str, float]:
    """Bytes and seconds this worker wrote to and read from its spill folder so far."""
    out = {"write_bytes": 0.0, "read_bytes": 0.0, "write_count": 0.0}
    for key, value in dask_worker.digests_total.items():
        if not isinstance(key, tuple) or len(key) < 2:
            continue
        if key[-2:] == ("disk-write", "bytes"):
            out["write_bytes"] += value
        elif key[-2:] == ("disk-read", "bytes"):
            out["read_bytes"] += value
        elif key[-2:] == ("disk-write", "count"):
            out["write_count"] += value
    return out


def same_bits(a: pd.DataFrame, b: pd.DataFrame) -> dict[str, Any]:
    """Whether the ten feature columns of ``a`` and ``b`` are identical: dtypes and every
    bit (NaN payloads and the sign of zero included)."""
    bad: dict[str, int] = {}
    if len(a) != len(b):
        return {"equal": False, "why": f"{len(a)} vs {len(b)} rows"}
    for name in NAMES:
        x, y = a[name].to_numpy(), b[name].to_numpy()
        if x.dtype != y.dtype:
            bad[name] = -1
            continue
        if x.dtype.kind == "f":
            x, y = x.view(np.int64), y.view(np.int64)
        diff = int(np.count_nonzero(x != y))
        if diff:
            bad[name] = diff
    return {"equal": not bad, "differing_cells": bad}


def run_dask(
    events: Path, spine_path: Path, workers: int, memory_limit: str, partitions: int, work: Path
) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """Materialize on a fresh LocalCluster; return the record and the result."""
    from distributed import Client, LocalCluster

    record: dict[str, Any] = {"workers": workers, "memory_limit": memory_limit,
                              "partitions": partitions}
    spine = pd.read_parquet(spine_path)
    repo = contenders.ours_repo(events, work / "repo-dask")
    with LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        memory_limit=memory_limit,
        dashboard_address=None,
        local_directory=str(work / "dask"),
    ) as cluster, Client(cluster) as client:
        before = set(client.scheduler_info()["workers"])
        record["memory_limit_bytes"] = [
            w["memory_limit"] for w in client.scheduler_info()["workers"].values()
        ]
        client.run(_reset_worker_peak)
        base = measure.rss_mib()
        measure.reset_peak()
        t0 = time.perf_counter()
        try:
            out = repo.materialize(
                spine, NAMES, entity=ENTITY, timestamp=TIMESTAMP, cluster=client,
                partitions=partitions,
            )
        except Exception as exc:  # report it with the metrics gathered so far
            record["error"] = f"{type(exc).__name__}: {exc}"[:2000]
            out = None
        record["seconds"] = time.perf_counter() - t0
        record["client_peak_mib"] = measure.peak_mib() - base
        after = set(client.scheduler_info()["workers"])
        record["workers_lost"] = len(before - after)
        memory = client.run(_worker_memory)
        spill = client.run(_worker_spill)
        record["worker_peak_mib"] = [memory[w]["peak_mib"] for w in sorted(memory)]
        record["spilled_bytes"] = sum(s["write_bytes"] for s in spill.values())
        record["unspilled_bytes"] = sum(s["read_bytes"] for s in spill.values())
        record["spill_writes"] = int(sum(s["write_count"] for s in spill.values()))
    if out is not None:
        record["spine_order_ok"] = bool(
            np.array_equal(out[ENTITY].to_numpy(), spine[ENTITY].to_numpy())
            and np.array_equal(out[TIMESTAMP].to_numpy(), spine[TIMESTAMP].to_numpy())
        )
    contenders.cleanup_repo(work / "repo-dask")
    return record, out


def run_single(
    scale: str, root: Path, work: Path, timeout: float, mem_limit_gib: float
) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """The single-process engine in a fresh process, exactly as ``run.py`` runs ``ours``."""
    from bench.features import run as bench_run

    events, spine = generate.ensure(scale, root)
    folder = work / f"single-{scale}"
    folder.mkdir(parents=True, exist_ok=True)
    return bench_run.run_worker("ours", events, spine, folder, timeout, mem_limit_gib, None)


def _gib(n: float) -> str:
    return f"{n / 1024**3:.2f} GiB"


def report(result: dict[str, Any]) -> str:
    d = result["dask"]
    lines = [
        f"scale {result['scale']}: {result['events']:,} events "
        f"({_gib(result['events_bytes'])} in memory), {result['queries']:,} queries",
        f"dask: {d['workers']} workers, memory limit {d['memory_limit']} each "
        f"({'below' if result['limit_below_events'] else 'NOT below'} the events' size), "
        f"{d['partitions']} partitions",
    ]
    if "error" in d:
        lines.append(f"  FAILED after {d['seconds']:.1f} s: {d['error']}")
    else:
        lines.append(f"  time {d['seconds']:.1f} s; client peak {d['client_peak_mib']:.0f} MiB")
    peaks = ", ".join(f"{p:.0f}" for p in d.get("worker_peak_mib", []))
    spilled, back = d.get("spilled_bytes", 0) / MIB, d.get("unspilled_bytes", 0) / MIB
    lines.append(
        f"  worker peaks [{peaks}] MiB; spilled {spilled:.0f} MiB to disk in "
        f"{d.get('spill_writes', 0)} writes, read back {back:.0f} MiB; "
        f"workers lost {d.get('workers_lost', 0)}"
    )
    for scale, s in result["single"].items():
        if "error" in s:
            lines.append(f"single process at {scale}: did not complete: {s['error'][:500]}")
        else:
            lines.append(
                f"single process at {scale}: {s['seconds']:.1f} s, peak {s['peak_mib']:.0f} MiB"
                f" (above its baseline RSS {s.get('baseline_rss_mib', 0):.0f} MiB)"
            )
    if result.get("compare") is not None:
        c = result["compare"]
        lines.append(
            "dask vs single process at the same scale: "
            + ("identical, bit for bit" if c["equal"] else f"DIFFERENT: {c}")
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Out-of-core materialization on Dask.")
    parser.add_argument("--scale", choices=sorted(generate.SCALES), default="XL")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="1GiB", help="per worker (Dask syntax)")
    parser.add_argument("--partitions", type=int, default=64)
    parser.add_argument(
        "--single", default="L,XL", help="scales to run the single-process engine at ('' none)"
    )
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per single run")
    parser.add_argument(
        "--mem-limit-gib", type=float, default=12.0,
        help="kill a single-process run whose RSS passes this (the machine is shared)",
    )
    parser.add_argument("--data-root", type=Path, default=generate.DATA_DIR)
    parser.add_argument("--keep-output", type=Path, help="write the Dask result here (parquet)")
    parser.add_argument("--json", type=Path, help="default: DATA_ROOT/results-xl-SCALE.json")
    args = parser.parse_args(argv)

    from dask.utils import parse_bytes

    sc = generate.SCALES[args.scale]
    t0 = time.perf_counter()
    events, spine = generate.ensure(args.scale, args.data_root)
    size = in_memory_bytes(events)
    result: dict[str, Any] = {
        "scale": sc.name, "events": sc.events, "queries": sc.queries,
        "events_bytes": size, "generate_seconds": time.perf_counter() - t0,
        "limit_below_events": parse_bytes(args.memory_limit) < size,
        "loadavg_start": os.getloadavg(), "cpus": os.cpu_count(),
    }
    print(f"data ready in {result['generate_seconds']:.0f} s: {events}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="bighead-xl-"))
    dask_record, out = run_dask(
        events, spine, args.workers, args.memory_limit, args.partitions, work
    )
    result["dask"] = dask_record
    print(f"dask done: {dask_record.get('seconds', 0):.1f} s", flush=True)
    dask_out = args.keep_output or work / "dask.parquet"
    if out is not None:
        out[NAMES].to_parquet(dask_out, index=False)
        del out
    result["single"] = {}
    result["compare"] = None
    for scale in [s.strip() for s in args.single.split(",") if s.strip()]:
        record, single = run_single(scale, args.data_root, work, args.timeout, args.mem_limit_gib)
        record.pop("traceback", None)
        result["single"][scale] = record
        print(f"single process at {scale}: {record.get('seconds', record.get('error'))}",
              flush=True)
        if scale == args.scale and single is not None and dask_out.exists():
            result["compare"] = same_bits(pd.read_parquet(dask_out), single)
        del single
    result["loadavg_end"] = os.getloadavg()
    print()
    print(report(result))
    out_json = args.json or args.data_root / f"results-xl-{args.scale}.json"
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nwrote {out_json}")
    failed = "error" in dask_record or (
        result["compare"] is not None and not result["compare"]["equal"]
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
