"""Serving benchmark: our server vs ``mlflow models serve`` vs a bare tornado handler.

    python bench/serving/run.py [--duration 10] [--trees 200] [--mlflow-python PATH]

The model: a LightGBM binary classifier, 200 trees, 31 leaves, 20 numeric features.
Three servers on loopback, one process each, the same booster:

* ours: ``jupyter bighead serve bench@production`` (registry in a temporary folder);
* MLflow: ``mlflow models serve --env-manager local`` on the same booster saved with
  ``mlflow.lightgbm.save_model``, from its own virtualenv (``bench/.venv-mlflow``;
  MLflow pins its own dependencies). Its body is ``dataframe_records``, ours and the
  bare handler's ``instances``: the same rows, each server's native shape;
* bare: ``bench/serving/bare.py``, tornado + ``booster.predict`` and nothing else.

Before loading them, the harness checks that all three return the same predictions.
Every server runs with ``OMP_NUM_THREADS=1`` (the same for all three). Load comes
from wrk (Debian package ``wrk``) with a Lua script for the POST body:
single-row throughput at 8 connections, p99 latency at 1 connection, and a
1,000-row request at 1 connection. Targets: throughput >= 2x MLflow and >= 60% of
bare; p99 <= half of MLflow's.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MLFLOW_PY = HERE.parent / ".venv-mlflow" / "bin" / "python"

SAVE_MLFLOW = """
import sys, lightgbm as lgb, mlflow.lightgbm
mlflow.lightgbm.save_model(lgb.Booster(model_file=sys.argv[1]), sys.argv[2])
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def post(port: int, path: str, body: bytes, timeout: float = 30) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")
    finally:
        conn.close()


def wait_ready(port: int, path: str, body: bytes, proc: subprocess.Popen[bytes],
               timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on {port} exited with {proc.returncode}")
        try:
            if post(port, path, body, timeout=5)[0] == 200:
                return
        except (OSError, http.client.HTTPException, ValueError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server on {port} never answered {path}")


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
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    out["non_2xx"] = float(m.group(1)) if m else 0.0
    m = re.search(r"Socket errors:.*?timeout (\d+)", text)
    out["timeouts"] = float(m.group(1)) if m else 0.0
    return out


def run_wrk(url: str, body: bytes, connections: int, duration: float, tmp: Path,
            threads: int | None = None) -> tuple[dict[str, float], list[str]]:
    script = tmp / f"post-{abs(hash(body))}.lua"
    script.write_text('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                      f"wrk.body = {json.dumps(body.decode())}\n")
    cmd = ["wrk", f"-t{threads or min(connections, 2)}", f"-c{connections}",
           f"-d{max(1, int(duration))}s", "--latency", "-s", str(script), url]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return parse_wrk(done.stdout), cmd


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


def start(cmd: list[str], log: Path, env: dict[str, str] | None = None
          ) -> subprocess.Popen[bytes]:
    # One OpenMP thread for every server: single-row predictions gain nothing from
    # more, and spinning OpenMP threads would steal the cores wrk and the event loop use.
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    with log.open("wb") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--trees", type=int, default=200)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--mlflow-python", default=str(MLFLOW_PY))
    parser.add_argument("--no-mlflow", action="store_true")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")

    from jupyter_bighead.registry import Registry

    model, X, cols = make_model(args.trees, args.features)
    row = {c: float(v) for c, v in X.iloc[0].items()}
    rows = [{c: float(v) for c, v in r.items()} for r in X.iloc[:1000].to_dict("records")]
    bodies = {
        "ours": (json.dumps({"instances": [row]}).encode(),
                 json.dumps({"instances": rows}).encode()),
        "bare": (json.dumps({"instances": [row]}).encode(),
                 json.dumps({"instances": rows}).encode()),
        "mlflow": (json.dumps({"dataframe_records": [row]}).encode(),
                   json.dumps({"dataframe_records": rows}).encode()),
    }
    results: dict[str, Any] = {"trees": args.trees, "features": args.features,
                               "duration_s": args.duration, "commands": {}}
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        reg = Registry(tmp / "registry")
        mv = reg.register("bench", model, X_valid=X[:2000], y_valid=model.predict(X[:2000]))
        reg.set_alias("bench", "production", mv.version)
        model.booster_.save_model(str(tmp / "model.txt"))
        servers: dict[str, tuple[int, str]] = {}
        try:
            port = free_port()
            env = {"PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
            cmd = [sys.executable, "-m", "jupyter_bighead.cli", "serve", "bench@production",
                   "--registry", str(tmp / "registry"), "--port", str(port)]
            procs.append(start(cmd, tmp / "ours.log", env))
            servers["ours"] = (port, "/v1/models/bench:predict")
            results["commands"]["ours"] = "jupyter bighead serve bench@production --port P"
            port = free_port()
            procs.append(start([sys.executable, str(HERE / "bare.py"), str(tmp / "model.txt"),
                                json.dumps(cols), str(port)], tmp / "bare.log"))
            servers["bare"] = (port, "/predict")
            results["commands"]["bare"] = "python bench/serving/bare.py model.txt COLS P"
            mlflow_py = Path(args.mlflow_python)
            if not args.no_mlflow and mlflow_py.exists():
                subprocess.run([str(mlflow_py), "-c", SAVE_MLFLOW, str(tmp / "model.txt"),
                                str(tmp / "mlflow-model")], check=True, capture_output=True)
                port = free_port()
                mlflow_bin = mlflow_py.parent / "mlflow"
                cmd = [str(mlflow_bin), "models", "serve", "-m", str(tmp / "mlflow-model"),
                       "-p", str(port), "-h", "127.0.0.1", "--env-manager", "local", "-w", "1"]
                procs.append(start(cmd, tmp / "mlflow.log",
                                   {"PATH": f"{mlflow_py.parent}:{os.environ['PATH']}",
                                    "PYTHONPATH": ""}))
                servers["mlflow"] = (port, "/invocations")
                results["commands"]["mlflow"] = ("mlflow models serve -m MODEL -p P "
                                                 "--env-manager local -w 1")
            elif not args.no_mlflow:
                results["mlflow"] = f"skipped: {mlflow_py} does not exist (see bench/README.md)"
            for name, (port, path) in servers.items():
                wait_ready(port, path, bodies[name][0], procs[list(servers).index(name)])
            # The same predictions from every server, before any timing.
            answers = {}
            for name, (port, path) in servers.items():
                _s, got = post(port, path, bodies[name][1])
                answers[name] = got["predictions"]
            expected = model.predict_proba(X.iloc[:1000])[:, 1].tolist()
            results["same_predictions"] = {n: a == expected for n, a in answers.items()}
            for name, (port, path) in servers.items():
                url = f"http://127.0.0.1:{port}{path}"
                single, bulk = bodies[name]
                run_wrk(url, single, args.concurrency, 1, tmp)  # warm-up
                c8, wrk_cmd = run_wrk(url, single, args.concurrency, args.duration, tmp)
                c1, _ = run_wrk(url, single, 1, args.duration, tmp, threads=1)
                big, _ = run_wrk(url, bulk, 1, args.duration, tmp, threads=1)
                results[name] = {"rps_c8": c8["rps"], "p99_ms_c1": c1.get("p99_ms"),
                                 "p50_ms_c1": c1.get("p50_ms"), "rps_c1": c1["rps"],
                                 "rows1000_ms": big.get("mean_ms"),
                                 "errors": c8["non_2xx"] + c1["non_2xx"] + big["non_2xx"]}
            results["wrk"] = " ".join([*wrk_cmd[:-3], "-s", "post.lua", "URL"])
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


def report(r: dict[str, Any]) -> None:
    names = [n for n in ("ours", "mlflow", "bare") if isinstance(r.get(n), dict)]
    print(f"\nLightGBM binary, {r['trees']} trees, {r['features']} features; "
          f"{r['duration_s']:.0f} s per run; same predictions: {r.get('same_predictions')}")
    print(f"{'server':8} {'rps c=8':>10} {'p50 c=1':>10} {'p99 c=1':>10} {'1000 rows':>10}")
    for n in names:
        x = r[n]
        print(f"{n:8} {x['rps_c8']:10.0f} {x['p50_ms_c1'] or 0:9.2f}ms {x['p99_ms_c1'] or 0:9.2f}ms"
              f" {x['rows1000_ms'] or 0:9.2f}ms")
    ours = r.get("ours")
    if ours and isinstance(r.get("mlflow"), dict):
        m = r["mlflow"]
        print(f"throughput vs MLflow: {ours['rps_c8'] / m['rps_c8']:.2f}x (target >= 2x); "
              f"p99 vs MLflow: {ours['p99_ms_c1'] / m['p99_ms_c1']:.2f} (target <= 0.5); "
              f"1000 rows vs MLflow: {ours['rows1000_ms'] / m['rows1000_ms']:.2f}")
    if ours and isinstance(r.get("bare"), dict):
        print(f"throughput vs bare tornado: {ours['rps_c8'] / r['bare']['rps_c8']:.2f} "
              "(target >= 0.6)")


if __name__ == "__main__":
    main()
