"""Serving benchmark: our server against ``mlflow models serve`` and a bare tornado handler.

    python bench/serving/run.py [--rounds 3] [--duration 10] [--trees 200] [--no-mlflow]

The model: a LightGBM binary classifier, 200 trees, 31 leaves, 20 numeric features. Six
servers on loopback (:mod:`.servers`), the same booster, one and two processes each:

* ``ours`` / ``ours-2w``: ``jupyter bighead serve bench@production --workers 1|2``;
* ``ours-log``: ``ours`` with the prediction log on (#16; every row logged, no rate cap);
* ``bare`` / ``bare-2p``: :mod:`.bare`, tornado + ``booster.predict`` and nothing else,
  the two-process one on ``SO_REUSEPORT`` sockets: the practical ceiling;
* ``mlflow`` / ``mlflow-2w``: ``mlflow models serve --env-manager local -w 1|2`` on the
  same booster saved with ``mlflow.lightgbm.save_model``, from its own virtualenv
  (``bench/.venv-mlflow``, with ``uvicorn[standard]`` for its workers).

Fairness: every server gets ``OMP_NUM_THREADS=1`` and the offline environment
(:func:`bench.offline_env`: no telemetry). Before any timing the harness checks that
every server returns the same predictions in every request format it accepts, then
sends each the fastest of its formats (a short wrk probe per format, for one row and
for 1,000 rows separately). The contenders then run round-robin, ``--rounds`` times (the
order rotates each round); each round runs, per server, single-row throughput at 8
connections, single-row latency at 1 connection and a 1,000-row request at 1
connection. The report gives each measure's range (min-max) and best over the rounds,
and each ratio both from the bests and per round, with the median of the per-round
ratios (the two servers of a round ran minutes apart at most; with short runs and many
rounds the median is the figure least moved by other load on a shared machine).

Targets: ours-log >= 95% of ours' throughput at c=8 (logging costs at most 5%);
ours >= 2x MLflow's throughput and p99 <= half of MLflow's; ours-2w >= 80% of
bare-2p's throughput at c=8; ours' c=1 p99 <= 1.5x bare's; a 1,000-row request <= 1.2x
bare's time (the last two for one and for two processes).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make ``bench.serving`` importable
    sys.path.insert(0, str(ROOT))

from bench.serving.servers import (  # noqa: E402
    MLFLOW_PY,
    Contender,
    bodies,
    contenders,
    launch,
    post,
    save_mlflow_model,
    stop,
    wait_ready,
)

ALL = ["ours", "ours-log", "bare", "mlflow", "ours-2w", "bare-2p", "mlflow-2w"]
MEASURES = ("rps_c8", "p50_ms_c1", "p99_ms_c1", "rows1000_ms", "cpu_us_c8",
            "cpu_ms_rows1000")
#: (ours, baseline, measure, target, higher is better)
TARGETS = [
    ("ours-log", "ours", "rps_c8", 0.95, True),
    ("ours-log", "ours", "cpu_us_c8", None, False),
    ("ours-log", "ours", "p99_ms_c1", None, False),
    ("ours-log", "ours", "rows1000_ms", None, False),
    ("ours", "mlflow", "rps_c8", 2.0, True),
    ("ours", "mlflow", "p99_ms_c1", 0.5, False),
    ("ours-2w", "mlflow-2w", "rps_c8", 2.0, True),
    ("ours", "bare", "rps_c8", 0.6, True),
    ("ours-2w", "bare-2p", "rps_c8", 0.8, True),
    ("ours", "bare", "p99_ms_c1", 1.5, False),
    ("ours-2w", "bare-2p", "p99_ms_c1", 1.5, False),
    ("ours", "bare", "rows1000_ms", 1.2, False),
    ("ours", "bare", "cpu_ms_rows1000", None, False),
    ("ours-2w", "bare-2p", "rows1000_ms", 1.2, False),
    ("ours", "mlflow", "rows1000_ms", None, False),
]


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def parse_wrk(text: str) -> dict[str, float]:
    """Requests/s, mean and p50/p99 latency (ms), and error counts from ``wrk --latency``."""
    out: dict[str, float] = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    out["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"Latency\s+([\d.]+)(us|ms|s)\b", text)
    if m:
        out["mean_ms"] = float(m.group(1)) * _UNITS[m.group(2)]
    for pct in ("50", "99"):
        m = re.search(rf"\s{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s)\b", text)
        if m:
            out[f"p{pct}_ms"] = float(m.group(1)) * _UNITS[m.group(2)]
    m = re.search(r"(\d+) requests in ", text)
    out["requests"] = float(m.group(1)) if m else 0.0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    out["non_2xx"] = float(m.group(1)) if m else 0.0
    m = re.search(r"Socket errors:.*?timeout (\d+)", text)
    out["timeouts"] = float(m.group(1)) if m else 0.0
    return out


def make_model(trees: int, features: int, rows: int = 20_000) -> tuple[Any, Any, list[str]]:
    import lightgbm as lgb
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    cols = [f"f{i}" for i in range(features)]
    X = pd.DataFrame(rng.normal(size=(rows, features)), columns=cols)
    y = ((X.to_numpy() @ rng.normal(size=features) + rng.normal(size=rows)) > 0).astype(int)
    model = lgb.LGBMClassifier(n_estimators=trees, num_leaves=31, verbose=-1).fit(X, y)
    return model, X, cols


def run_wrk(url: str, body: bytes, connections: int, duration: float, tmp: Path,
            threads: int | None = None) -> dict[str, float]:
    script = tmp / f"post-{abs(hash(body))}.lua"
    script.write_text('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                      f"wrk.body = {json.dumps(body.decode())}\n")
    cmd = ["wrk", f"-t{threads or min(connections, 2)}", f"-c{connections}",
           f"-d{max(1, round(duration))}s", "--latency", "-s", str(script), url]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return parse_wrk(done.stdout)


def pick_formats(c: Contender, tmp: Path, probe: float) -> dict[str, str]:
    """The fastest of ``c``'s accepted formats for one row and for 1,000 rows."""
    url = f"http://127.0.0.1:{c.port}{c.path}"
    if len(c.formats) == 1:
        only = next(iter(c.formats))
        return {"single": only, "bulk": only}
    speed: dict[str, dict[str, float]] = {"single": {}, "bulk": {}}
    for name, (single, bulk) in c.formats.items():
        speed["single"][name] = run_wrk(url, single, 1, probe, tmp, threads=1)["rps"]
        speed["bulk"][name] = run_wrk(url, bulk, 1, probe, tmp, threads=1)["rps"]
    return {k: max(v, key=lambda n: v[n]) for k, v in speed.items()}


#: The runs of a round, in order: single row at c connections, at 1, and 1,000 rows.
RUNS = ("c8", "c1", "rows1000")


def server_cpu(c: Contender) -> float:
    """CPU seconds (user + system) the server's processes have used so far."""
    import psutil

    assert c.proc is not None
    try:
        root = psutil.Process(c.proc.pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def one_run(c: Contender, which: str, tmp: Path, duration: float,
            concurrency: int) -> dict[str, float]:
    """One of a round's :data:`RUNS` against ``c``, with the server's CPU time per
    request (its CPU seconds over the run / requests answered): what a request costs the
    server, far less moved by other load on the machine than requests per second."""
    url = f"http://127.0.0.1:{c.port}{c.path}"
    single = c.formats[c.chosen["single"]][0]
    bulk = c.formats[c.chosen["bulk"]][1]
    cpu = server_cpu(c)
    if which == "c8":
        w = run_wrk(url, single, concurrency, duration, tmp)
    else:
        w = run_wrk(url, single if which == "c1" else bulk, 1, duration, tmp, threads=1)
    per_request = (server_cpu(c) - cpu) / w["requests"] * 1e3 if w.get("requests") else 0.0
    errors = w["non_2xx"] + w["timeouts"]
    if which == "c8":
        return {"rps_c8": w["rps"], "cpu_us_c8": per_request * 1e3, "errors": errors}
    if which == "c1":
        return {"p50_ms_c1": w.get("p50_ms", 0.0), "p99_ms_c1": w.get("p99_ms", 0.0),
                "rps_c1": w["rps"], "errors": errors}
    return {"rows1000_ms": w.get("mean_ms", 0.0), "cpu_ms_rows1000": per_request,
            "errors": errors}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3, help="round-robin rounds")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--probe", type=float, default=1.0,
                        help="seconds per wrk run when choosing a server's request format")
    parser.add_argument("--trees", type=int, default=200)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--only", default=",".join(ALL), help="comma-separated contenders")
    parser.add_argument("--mlflow-python", default=str(MLFLOW_PY))
    parser.add_argument("--no-mlflow", action="store_true")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")

    from jupyter_bighead.registry import Registry

    model, X, cols = make_model(args.trees, args.features)
    shapes = bodies(X, cols)
    names = [n for n in args.only.split(",") if n]
    mlflow_py = Path(args.mlflow_python)
    results: dict[str, Any] = {"trees": args.trees, "features": args.features,
                               "duration_s": args.duration, "rounds": args.rounds,
                               "commands": {}, "formats": {}}
    if args.no_mlflow or not mlflow_py.exists():
        if not args.no_mlflow and any(n.startswith("mlflow") for n in names):
            results["mlflow"] = f"skipped: {mlflow_py} does not exist (see bench/README.md)"
        names = [n for n in names if not n.startswith("mlflow")]
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        reg = Registry(tmp / "registry")
        mv = reg.register("bench", model, X_valid=X[:2000], y_valid=model.predict(X[:2000]))
        reg.set_alias("bench", "production", mv.version)
        model.booster_.save_model(str(tmp / "model.txt"))
        use_mlflow = any(n.startswith("mlflow") for n in names)
        if use_mlflow:
            save_mlflow_model(mlflow_py, tmp / "model.txt", tmp / "mlflow-model")
        servers = contenders(tmp, cols, shapes, mlflow_py if use_mlflow else None, names)
        try:
            for c in servers:
                launch(c, tmp)
                results["commands"][c.name] = c.label
            for c in servers:
                wait_ready(c, next(iter(c.formats.values()))[0])
            # The same predictions from every server in every accepted format, first.
            expected = model.predict_proba(X.iloc[:1000])[:, 1].tolist()
            same: dict[str, bool] = {}
            for c in servers:
                for fmt, (_one, bulk) in list(c.formats.items()):
                    status, answer = post(c.port, c.path, bulk)
                    if status != 200:  # a shape this server does not take: never timed
                        results.setdefault("rejected_formats", {})[
                            f"{c.name}/{fmt}"] = status
                        del c.formats[fmt]
                        continue
                    same[f"{c.name}/{fmt}"] = answer.get("predictions") == expected
                if not c.formats:
                    raise RuntimeError(f"{c.name} accepted none of its request formats")
            results["same_predictions"] = same
            if not all(same.values()):
                raise RuntimeError(f"a server returned other predictions: {same}")
            for c in sorted(servers, key=lambda c: c.name == "ours-log"):
                # ours-log is ours with the log on: the same formats, so that the two
                # differ by the log alone (a format probe on a loaded machine may not)
                same_as = next((o for o in servers if o.name == "ours" and o.chosen), None)
                c.chosen = (dict(same_as.chosen) if c.name == "ours-log" and same_as
                            else pick_formats(c, tmp, args.probe))
                results["formats"][c.name] = c.chosen
                single = c.formats[c.chosen["single"]][0]
                run_wrk(f"http://127.0.0.1:{c.port}{c.path}", single, args.concurrency, 1, tmp)
            for r in range(args.rounds):
                # Round-robin per run: each server's run of a kind follows the others'
                # at once, so the pairs compared ran seconds apart (the order rotates).
                k = r % len(servers)
                order = servers[k:] + servers[:k]
                got: dict[str, dict[str, float]] = {c.name: {"errors": 0.0} for c in order}
                for which in RUNS:
                    for c in order:
                        one = one_run(c, which, tmp, args.duration, args.concurrency)
                        got[c.name]["errors"] += one.pop("errors")
                        got[c.name].update(one)
                for c in order:
                    results.setdefault(c.name, {"rounds": []})["rounds"].append(got[c.name])
            for c in servers:
                if c.name == "ours-log":
                    results[c.name]["log"] = log_counts(c.port)
        finally:
            for c in servers:
                if c.proc is not None:
                    stop(c.proc)
    summarize(results)
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


def log_counts(port: int) -> dict[str, float]:
    """The prediction log's row counts by outcome (and write errors), from the
    server's ``/metrics``: proof that the logging contender logged what it served."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    out = {m.group(1): float(m.group(2)) for m in re.finditer(
        r'^bighead_prediction_log_rows_total\{[^}]*outcome="(\w+)"\} (\S+)$', text, re.M)}
    m = re.search(r"^bighead_prediction_log_write_errors_total\{[^}]*\} (\S+)$", text, re.M)
    out["write_errors"] = float(m.group(1)) if m else float("nan")
    return out


def summarize(r: dict[str, Any]) -> None:
    """Best and range of each measure; ratios from the bests and per round."""
    for name in ALL:
        x = r.get(name)
        if not isinstance(x, dict):
            continue
        rounds = x["rounds"]
        x["errors"] = sum(z["errors"] for z in rounds)
        for m in MEASURES:
            vals = [z[m] for z in rounds]
            x[m] = {"min": min(vals), "max": max(vals),
                    "best": max(vals) if m.startswith("rps") else min(vals)}
    ratios = []
    for ours, base, m, target, higher in TARGETS:
        if not (isinstance(r.get(ours), dict) and isinstance(r.get(base), dict)):
            continue
        a, b = r[ours], r[base]
        per_round = [x[m] / y[m] for x, y in zip(a["rounds"], b["rounds"], strict=True) if y[m]]
        best = a[m]["best"] / b[m]["best"] if b[m]["best"] else float("nan")
        met = None if target is None else (best >= target if higher else best <= target)
        median = statistics.median(per_round) if per_round else float("nan")
        ratios.append({"ours": ours, "baseline": base, "measure": m, "best": best,
                       "per_round": per_round, "median_round": median, "target": target,
                       "higher_is_better": higher, "met": met})
    r["ratios"] = ratios


def report(r: dict[str, Any]) -> None:
    names = [n for n in ALL if isinstance(r.get(n), dict)]
    print(f"\nLightGBM binary, {r['trees']} trees, {r['features']} features; "
          f"{r['rounds']} rounds of {r['duration_s']:.0f} s per wrk run; every server gave "
          f"the expected predictions: {all(r.get('same_predictions', {}).values())}")
    print("request formats (one row / 1000 rows): "
          + "; ".join(f"{n} {f['single']}/{f['bulk']}" for n, f in r["formats"].items()))
    print(f"{'server':10} {'rps c=8 best (range)':>24} {'p50 c=1':>18} {'p99 c=1':>20}"
          f" {'1000 rows':>20} errors")
    for n in names:
        x = r[n]
        cells = []
        for m, unit in zip(MEASURES, ("", "ms", "ms", "ms", "us", "ms"), strict=True):
            v = x[m]
            fmt = "{:.0f}" if m.startswith("rps") else "{:.2f}"
            cells.append(f"{fmt.format(v['best'])}{unit} ({fmt.format(v['min'])}-"
                         f"{fmt.format(v['max'])})")
        print(f"{n:10} {cells[0]:>24} {cells[1]:>18} {cells[2]:>20} {cells[3]:>20}"
              f" {x['errors']:.0f}")
    print("server CPU per request, best (range): " + "; ".join(
        f"{n} {r[n]['cpu_us_c8']['best']:.0f} us at c=8 ({r[n]['cpu_us_c8']['min']:.0f}-"
        f"{r[n]['cpu_us_c8']['max']:.0f}), {r[n]['cpu_ms_rows1000']['best']:.2f} ms per "
        f"1,000 rows" for n in names))
    if isinstance(r.get("ours-log"), dict) and "log" in r["ours-log"]:
        print("ours-log prediction log rows: " + ", ".join(
            f"{k} {v:.0f}" for k, v in r["ours-log"]["log"].items()))
    for q in r["ratios"]:
        pr = q["per_round"]
        rng = f"{min(pr):.2f}-{max(pr):.2f}" if pr else "n/a"
        goal = ("" if q["target"] is None else
                f"target {'>=' if q['higher_is_better'] else '<='} {q['target']}: "
                f"{'MET' if q['met'] else 'MISSED'}")
        print(f"{q['measure']:12} {q['ours']} / {q['baseline']}: {q['best']:.2f} from the bests,"
              f" per round {rng} (median {q['median_round']:.2f})  {goal}")


if __name__ == "__main__":
    main()
