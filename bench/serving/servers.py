"""The serving benchmark's contenders: how each server is started, stopped and spoken to.

Every server runs in a session of its own (so stopping it stops its workers too) with
``OMP_NUM_THREADS=1`` and the offline environment of :func:`bench.offline_env`.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import offline_env

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MLFLOW_PY = HERE.parent / ".venv-mlflow" / "bin" / "python"

SAVE_MLFLOW = """
import os, sys
assert os.environ.get("MLFLOW_DISABLE_TELEMETRY") == "true", "run through bench.offline_env"
import lightgbm as lgb, mlflow.lightgbm
mlflow.lightgbm.save_model(lgb.Booster(model_file=sys.argv[1]), sys.argv[2])
"""


@dataclass
class Contender:
    """One server: its command, its predict path, and the request formats it accepts
    (name -> (one-row body, 1,000-row body)); the harness picks the fastest of them."""

    name: str
    cmd: list[str]
    path: str
    formats: dict[str, tuple[bytes, bytes]]
    env: dict[str, str] = field(default_factory=dict)
    label: str = ""
    chosen: dict[str, str] = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A server's environment: offline, one OpenMP thread (single-row predictions gain
    nothing from more, and spinning OpenMP threads would steal the cores wrk and the
    event loops use), the same for every contender."""
    return offline_env({"OMP_NUM_THREADS": "1", **(extra or {})})


def start(cmd: list[str], log: Path, env: dict[str, str] | None = None
          ) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in a session of its own with :func:`server_env`, output to ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                env=server_env(env), start_new_session=True)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's whole session (its workers too), then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def post(port: int, path: str, body: bytes, timeout: float = 30) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")
    finally:
        conn.close()


def wait_ready(c: Contender, body: bytes, timeout: float = 180) -> None:
    assert c.proc is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if c.proc.poll() is not None:
            raise RuntimeError(f"{c.name} on {c.port} exited with {c.proc.returncode}")
        try:
            if post(c.port, c.path, body, timeout=5)[0] == 200:
                return
        except (OSError, http.client.HTTPException, ValueError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{c.name} on {c.port} never answered {c.path}")


def bodies(X: Any, cols: list[str]) -> dict[str, tuple[bytes, bytes]]:
    """The request shapes, one row and 1,000 rows, by name."""
    recs = [{c: float(v) for c, v in r.items()} for r in X.iloc[:1000].to_dict("records")]
    matrix = X.iloc[:1000].to_numpy().tolist()

    def both(make: Any) -> tuple[bytes, bytes]:
        return (json.dumps(make(recs[:1], matrix[:1])).encode(),
                json.dumps(make(recs, matrix)).encode())

    return {
        "instances": both(lambda r, m: {"instances": r}),
        "dataframe_records": both(lambda r, m: {"dataframe_records": r}),
        "dataframe_split": both(lambda r, m: {"dataframe_split": {"columns": cols,
                                                                  "data": m}}),
        "inputs_matrix": both(lambda r, m: {"inputs": m}),
        "inputs_columns": both(lambda r, m: {"inputs": {c: [row[i] for row in m]
                                                        for i, c in enumerate(cols)}}),
    }


def contenders(tmp: Path, cols: list[str], shapes: dict[str, tuple[bytes, bytes]],
               mlflow_python: Path | None, names: list[str]) -> list[Contender]:
    """The servers to compare, those of ``names`` (``mlflow*`` only with its venv)."""
    py = sys.executable
    pypath = {"PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    ours = ["instances", "inputs_columns"]
    bare = ["instances", "inputs_columns"]
    mlflow = ["dataframe_split", "dataframe_records", "instances", "inputs_matrix"]
    out: list[Contender] = []
    # Our server with the prediction log on (#16), its cap lifted (1e9 rows/s) so every
    # row is logged and nothing is dropped to save work; its parts go under tmp.
    out.append(Contender(
        "ours-log",
        [py, "-m", "jupyter_bighead.cli", "serve", "bench@production", "--registry",
         str(tmp / "registry"), "--workers", "1", "--port", "{port}", "--prediction-log",
         str(tmp / "predictions"), "--log-max-rows-per-second", "1e9"],
        "/v1/models/bench:predict", {k: shapes[k] for k in ours}, pypath,
        "jupyter bighead serve bench@production --prediction-log DIR "
        "--log-max-rows-per-second 1e9"))
    for workers in (1, 2):
        suffix = "" if workers == 1 else f"-{workers}w"
        bare_suffix = "" if workers == 1 else f"-{workers}p"
        out.append(Contender(
            f"ours{suffix}",
            [py, "-m", "jupyter_bighead.cli", "serve", "bench@production", "--registry",
             str(tmp / "registry"), "--workers", str(workers), "--port", "{port}"],
            "/v1/models/bench:predict", {k: shapes[k] for k in ours}, pypath,
            f"jupyter bighead serve bench@production --workers {workers}"))
        out.append(Contender(
            f"bare{bare_suffix}",
            [py, str(HERE / "bare.py"), str(tmp / "model.txt"), json.dumps(cols), "{port}",
             str(workers)],
            "/predict", {k: shapes[k] for k in bare}, {},
            f"python bench/serving/bare.py model.txt COLS P {workers}"))
        if mlflow_python is not None:
            mlflow_bin = mlflow_python.parent / "mlflow"
            out.append(Contender(
                f"mlflow{suffix}",
                [str(mlflow_bin), "models", "serve", "-m", str(tmp / "mlflow-model"), "-p",
                 "{port}", "-h", "127.0.0.1", "--env-manager", "local", "-w", str(workers)],
                "/invocations", {k: shapes[k] for k in mlflow},
                {"PATH": f"{mlflow_python.parent}:{os.environ['PATH']}", "PYTHONPATH": ""},
                f"mlflow models serve -m MODEL --env-manager local -w {workers}"))
    return [c for c in out if c.name in names]


def save_mlflow_model(mlflow_python: Path, model_txt: Path, dest: Path) -> None:
    subprocess.run([str(mlflow_python), "-c", SAVE_MLFLOW, str(model_txt), str(dest)],
                   check=True, capture_output=True, env=offline_env({"PYTHONPATH": ""}))


def launch(c: Contender, tmp: Path) -> None:
    c.port = free_port()
    c.proc = start([a.replace("{port}", str(c.port)) for a in c.cmd], tmp / f"{c.name}.log",
                   c.env)
