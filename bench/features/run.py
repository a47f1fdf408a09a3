"""Run the point-in-time feature benchmark and print the ratios.

    python bench/features/run.py --scale S|M|L [--contenders ours,polars-probe,duckdb,feast]

Every contender runs in a fresh subprocess on the same generated data (``generate.py``), in
the same run; its output is checked against the brute-force reference (every query at S, a
random sample at M and L). The table goes to stdout and, with the machine and the library
versions, to ``bench/.data/results-<scale>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make ``bench.features`` importable
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import psutil  # noqa: E402

from bench.features import contenders, generate, reference  # noqa: E402
from bench.features.workload import NAMES  # noqa: E402

# "Best peer" = the fastest of these whose output passes the reference.
PEERS = ("duckdb", "duckdb-asof", "duckdb-probe", "polars", "polars-probe")
ALL = ("ours", *PEERS, "feast")
FEAST_PYTHON = ROOT / "bench" / ".venv-feast" / "bin" / "python"
FEAST_SCALES = ("T", "S", "M")
DEFAULT_SAMPLE = 20_000


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), str(ROOT / "server_ext"), env.get("PYTHONPATH")) if p
    )
    return env


def _tree_rss_gib(proc: psutil.Process) -> float:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total / 1024**3


def _watch(proc: subprocess.Popen, timeout: float, mem_limit_gib: float) -> str | None:
    """Wait for ``proc``; kill it past ``timeout`` or ``mem_limit_gib`` (other work shares
    this machine, and Feast's Dask join can take most of its memory). Returns why it was
    killed, or None."""
    watched = psutil.Process(proc.pid)
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        why = None
        if time.monotonic() > deadline:
            why = f"killed: ran past {timeout:.0f} s"
        else:
            try:
                rss = _tree_rss_gib(watched)
            except psutil.Error:
                rss = 0.0
            if rss > mem_limit_gib:
                why = f"killed: RSS {rss:.1f} GiB passed the {mem_limit_gib:.1f} GiB limit"
        if why:
            proc.kill()
            proc.wait()
            return why
        time.sleep(0.2)
    return None


def run_worker(
    name: str,
    events: Path,
    spine: Path,
    work: Path,
    timeout: float,
    mem_limit_gib: float,
    feast_table: Path | None,
) -> tuple[dict, pd.DataFrame | None]:
    """Run one contender once in a fresh process; return its record and its output."""
    out_parquet, out_json = work / f"{name}.parquet", work / f"{name}.json"
    for p in (out_parquet, out_json):
        p.unlink(missing_ok=True)
    if name == "feast":
        cmd = [str(FEAST_PYTHON), "-m", "bench.features.feast_worker", str(feast_table)]
    else:
        cmd = [sys.executable, "-m", "bench.features.worker", name, str(events)]
    cmd += [str(spine), str(out_parquet), str(out_json)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    killed = _watch(proc, timeout, mem_limit_gib)
    output = proc.stdout.read() if proc.stdout else ""
    if killed:
        return {"contender": name, "error": killed}, None
    if not out_json.exists():
        tail = output[-2000:]
        return {"contender": name, "error": f"worker exited {proc.returncode}: {tail}"}, None
    record = json.loads(out_json.read_text())
    record["process_seconds"] = time.perf_counter() - t0
    out = pd.read_parquet(out_parquet) if out_parquet.exists() else None
    return record, out


def check(name: str, out: pd.DataFrame, ref: pd.DataFrame) -> dict:
    if name != "feast":
        return reference.compare(out, ref)
    # Feast can only express ``last`` exactly (see contenders.feast_prepare); the windowed
    # columns are stale by construction, so count them separately instead of failing them.
    full = reference.compare(out, ref)
    last_only = reference.compare(
        out.assign(**{n: ref.reindex(out.index)[n] for n in NAMES if n != "v_last"}), ref
    )
    bad_cells: dict[str, int] = full["bad_cells"]  # type: ignore[assignment]
    last_only["stale_windowed_cells"] = sum(v for k, v in bad_cells.items() if k != "v_last")
    last_only["checked_columns"] = ["v_last"]
    return last_only


def passing_peers(by: dict[str, dict]) -> list[dict]:
    """The DuckDB/Polars results (by label) that ran and passed the reference check."""
    return [
        by[p]
        for p in PEERS
        if p in by and by[p].get("seconds") and by[p].get("check", {}).get("ok")
    ]


def spread(ours: dict, peers: list[dict]) -> str:
    """Two load-robust views of the ratio (informative; the targets use the best runs).

    The median of each contender's runs, and its least CPU time (all threads), each
    against the lowest such figure among the passing peers.
    """
    lines = []
    for key, what in (("median_seconds", "median wall"), ("min_cpu_seconds", "least CPU")):
        theirs = [(p[key], p["label"]) for p in peers if p.get(key)]
        if ours.get(key) and theirs:
            value, label = min(theirs)
            lines.append(
                f"{what}: ours {ours[key]:.3f} s, best peer {label} {value:.3f} s "
                f"({ours[key] / value:.2f}x)"
            )
    return "\n".join(lines)


def fmt_ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}x"


def table(rows: list[dict], ours_s: float | None, peer_s: float | None) -> str:
    head = ["contender", "seconds", "vs ours", "vs best peer", "peak MiB", "max rel err", "ok"]
    lines = []
    for r in rows:
        s = r.get("seconds")
        err = r.get("check", {}).get("max_rel_error")
        ok = r.get("check", {}).get("ok")
        lines.append(
            [
                r["label"],
                f"{s:.3f}" if s is not None else "failed",
                fmt_ratio(s, ours_s),
                fmt_ratio(s, peer_s),
                f"{r['peak_mib']:.0f}" if r.get("peak_mib") is not None else "-",
                f"{err:.1e}" if err is not None else "-",
                {True: "yes", False: "NO", None: "-"}[ok],
            ]
        )
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines, strict=True)]
    out = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |"]
    out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in lines:
        out.append(
            "| " + " | ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)) + " |"
        )
    return "\n".join(out)


def versions() -> dict[str, str]:
    found = {}
    for pkg in ("duckdb", "polars", "pandas", "numpy", "pyarrow"):
        try:
            found[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            found[pkg] = "missing"
    return found


def machine() -> dict[str, object]:
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "mem_gib": mem,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg_start": os.getloadavg(),
    }


def git_head() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Point-in-time feature benchmark.")
    parser.add_argument("--scale", choices=sorted(generate.SCALES), default="S")
    parser.add_argument(
        "--contenders",
        default=",".join(ALL),
        help=f"comma-separated subset of {','.join(ALL)} (feast runs at S and M only)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="fresh runs per contender (best)")
    parser.add_argument(
        "--sample",
        type=int,
        default=DEFAULT_SAMPLE,
        help="reference queries checked at M and L (every query at T and S)",
    )
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per contender run")
    parser.add_argument(
        "--mem-limit-gib",
        type=float,
        default=round(psutil.virtual_memory().total / 1024**3 * 0.8, 1),
        help="kill a contender whose process tree passes this RSS (default: 80%% of RAM)",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    names = [n.strip() for n in args.contenders.split(",") if n.strip()]
    unknown = sorted(set(names) - set(ALL))
    if unknown:
        parser.error(f"unknown contenders {unknown}; choose from {', '.join(ALL)}")
    skipped: dict[str, str] = {}
    if "feast" in names and args.scale not in FEAST_SCALES:
        names.remove("feast")
        skipped["feast"] = f"not run at scale {args.scale} (S and M only)"
    if "feast" in names and not FEAST_PYTHON.exists():
        names.remove("feast")
        skipped["feast"] = (
            f"{FEAST_PYTHON} is missing: python3 -m venv bench/.venv-feast && "
            "bench/.venv-feast/bin/pip install feast"
        )

    info = {"scale": args.scale, "machine": machine(), "versions": versions(), "head": git_head()}
    sc = generate.SCALES[args.scale]
    print(
        f"scale {sc.name}: {sc.events:,} events, {sc.queries:,} queries, "
        f"{sc.entities:,} entities; {os.cpu_count()} CPUs",
        flush=True,
    )
    t0 = time.perf_counter()
    events_path, spine_path = generate.ensure(args.scale, seed=args.seed)
    info["generate_seconds"] = time.perf_counter() - t0
    events = pd.read_parquet(events_path)
    spine = pd.read_parquet(spine_path)
    if args.scale in ("T", "S") or args.sample >= len(spine):
        rows = np.arange(len(spine))
    else:
        rng = np.random.default_rng(args.seed + 7)
        rows = np.sort(rng.choice(len(spine), size=args.sample, replace=False))
    t0 = time.perf_counter()
    ref = reference.reference(events, spine, rows)
    info["reference_seconds"] = time.perf_counter() - t0
    info["reference_rows"] = len(rows)
    print(f"reference: {len(rows):,} queries in {info['reference_seconds']:.1f} s", flush=True)
    del events

    work = Path(tempfile.mkdtemp(prefix="bighead-bench-"))
    feast_table = None
    if "feast" in names:
        feast_table = generate.data_dir(args.scale, seed=args.seed) / "feast_table.parquet"
        if not feast_table.exists():
            contenders.feast_prepare(events_path, feast_table)

    # Round-robin repeats: on a shared machine, a burst of other work then hits every
    # contender about equally instead of all the runs of one of them.
    runs: dict[str, list[dict]] = {name: [] for name in names}
    for rep in range(args.repeat):
        for name in names:
            if runs[name] and "error" in runs[name][-1]:
                continue
            record, out = run_worker(
                name,
                events_path,
                spine_path,
                work,
                args.timeout,
                args.mem_limit_gib,
                feast_table,
            )
            if out is not None and "error" not in record:
                record["check"] = check(name, out, ref)
            runs[name].append(record)
            status = record.get("error") or f"{record['seconds']:.3f} s"
            print(f"  run {rep + 1}: {name}: {status}", flush=True)

    results: list[dict] = []
    for name in names:
        done = [r for r in runs[name] if "seconds" in r]
        # Report the fastest run with the highest peak seen: the conservative pair.
        best = min(done, key=lambda r: r["seconds"]) if done else runs[name][-1]
        if done:
            best["peak_mib"] = max(r["peak_mib"] for r in done)
            best["runs_seconds"] = [r["seconds"] for r in done]
            best["median_seconds"] = float(np.median(best["runs_seconds"]))
            cpu = [r["cpu_seconds"] for r in done if "cpu_seconds" in r]
            if cpu:
                best["min_cpu_seconds"] = min(cpu)
            if any(not r.get("check", {}).get("ok") for r in done):
                best["check"] = next(r["check"] for r in done if not r["check"]["ok"])
        best["label"] = name
        if best.get("check") and not best["check"]["ok"]:
            print(
                f"  !!! {name} DISAGREES WITH THE REFERENCE: {best['check']['bad_cells']}\n"
                f"      examples: {best['check']['examples']}",
                flush=True,
            )
        results.append(best)
        if name == "ours" and "warm_seconds" in best:
            results.append(
                {
                    "label": "ours (warm cache)",
                    "contender": "ours-warm",
                    "seconds": best["warm_seconds"],
                    "check": {"ok": best.get("warm_equal"), "max_rel_error": None},
                }
            )

    by = {r["label"]: r for r in results}
    ours = by.get("ours")
    ours_s = ours.get("seconds") if ours else None
    good_peers = passing_peers(by)
    best_peer = min(good_peers, key=lambda r: r["seconds"]) if good_peers else None
    peer_s = best_peer["seconds"] if best_peer else None

    print()
    print(table(results, ours_s, peer_s))
    if best_peer:
        print(
            f"best peer: {best_peer['label']} (fastest of all DuckDB/Polars variants that passed)"
        )
    if ours is not None and ours_s is not None and good_peers:
        print(spread(ours, good_peers))
    if "feast" in by and by["feast"].get("check"):
        print(
            "feast: only v_last is checked (Feast cannot aggregate a window ending at the "
            f"query time); {by['feast']['check']['stale_windowed_cells']:,} of its "
            f"{9 * by['feast']['check']['checked_rows']:,} checked windowed cells are stale, "
            "as expected"
        )
    for name, why in skipped.items():
        print(f"{name}: {why}")
    for r in results:
        if r.get("error"):
            print(f"{r['label']} failed: {r['error'][:500]}")

    targets = {}
    if ours and ours_s is not None:
        ok_ours = bool(ours.get("check", {}).get("ok"))
        targets["error <= 1e-9 (counts exact), spine order kept"] = ok_ours and bool(
            ours.get("spine_order_ok")
        )
        if peer_s is not None and best_peer is not None:
            targets["time <= 0.5x best peer"] = ours_s <= 0.5 * peer_s
            peer_peaks = [r["peak_mib"] for r in good_peers if r.get("peak_mib") is not None]
            if peer_peaks and ours.get("peak_mib") is not None:
                # Strict reading of "no higher than theirs": the lowest DuckDB/Polars peak,
                # and (looser) the peak of the peer that set the time to beat.
                targets["peak memory <= lowest peer peak"] = ours["peak_mib"] <= min(peer_peaks)
                targets["peak memory <= best peer's peak"] = (
                    ours["peak_mib"] <= best_peer["peak_mib"]
                )
        feast = by.get("feast")
        if feast and feast.get("seconds"):
            targets[">= 50x faster than Feast"] = feast["seconds"] >= 50 * ours_s
    applies = args.scale in ("M", "L")
    print(f"\ntargets ({'binding' if applies else 'informative only'} at scale {args.scale}):")
    for what, held in targets.items():
        print(f"  [{'PASS' if held else 'FAIL'}] {what}")
    if not ours or ours_s is None:
        print("  ours did not run: " + (ours or {}).get("error", "not selected")[:300])

    info["machine"]["loadavg_end"] = os.getloadavg()
    info.update(
        {
            "results": [{k: v for k, v in r.items() if k != "traceback"} for r in results],
            "errors": {r["label"]: r.get("traceback") for r in results if r.get("traceback")},
            "best_peer": best_peer["label"] if best_peer else None,
            "targets": targets,
            "targets_binding": applies,
            "skipped": skipped,
        }
    )
    out_json = generate.DATA_DIR / f"results-{args.scale}.json"
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(info, indent=2, default=str))
    print(f"\nwrote {out_json}")
    failed = [
        r["label"]
        for r in results
        if r.get("check") and not r["check"].get("ok") and r["label"] != "feast"
    ]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
