"""Smoke test of the serving benchmark's harness: behaviour only, never timings.

A tiny model, one-second wrk runs, no MLflow: the servers (ours with the prediction
log on among them) start, agree on the predictions, answer every request with a 2xx,
run round-robin for every round, and the wrk output is parsed. Every server the
harness starts (MLflow's included) runs with telemetry off.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import OFFLINE_ENV  # noqa: E402
from bench.serving.run import main, parse_wrk  # noqa: E402
from bench.serving.servers import MLFLOW_PY, server_env, start, stop  # noqa: E402

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:1/x
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   356.00us  120.00us   4.10ms   90.00%
  Latency Distribution
     50%  331.00us
     75%  400.00us
     90%  500.00us
     99%    1.65ms
  28040 requests in 10.00s, 4.6MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   2804.08
"""


def test_wrk_output_is_parsed_in_milliseconds():
    got = parse_wrk(WRK_OUTPUT)
    assert got == {"rps": 2804.08, "mean_ms": pytest.approx(0.356),
                   "p50_ms": pytest.approx(0.331), "p99_ms": 1.65, "non_2xx": 3.0,
                   "timeouts": 0.0, "requests": 28040.0}


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_the_harness_runs_every_server_round_robin_and_they_agree(tmp_path):
    # four of the five servers (bare is built like bare-2p with one process): every
    # server costs this test about 10 s of wrk runs
    names = ["ours", "ours-log", "ours-2w", "bare-2p"]
    results = main(["--duration", "1", "--rounds", "2", "--trees", "5", "--no-mlflow",
                    "--probe", "1", "--only", ",".join(names),
                    "--json", str(tmp_path / "r.json")])
    assert set(results["commands"]) == set(names)
    assert results["same_predictions"] and all(results["same_predictions"].values())
    for name in names:
        x = results[name]
        assert len(x["rounds"]) == 2 and x["errors"] == 0
        assert 0 < x["rps_c8"]["min"] <= x["rps_c8"]["best"] == x["rps_c8"]["max"]
        assert 0 < x["rows1000_ms"]["best"] == x["rows1000_ms"]["min"]
        # the server's own CPU per request, measured from its processes
        assert 0 < x["cpu_us_c8"]["best"] and 0 < x["cpu_ms_rows1000"]["best"]
        assert set(results["formats"][name].values()) <= {"instances", "inputs_columns"}
    pairs = {(q["ours"], q["baseline"], q["measure"]) for q in results["ratios"]}
    assert ("ours-2w", "bare-2p", "rps_c8") in pairs
    assert ("ours-2w", "bare-2p", "p99_ms_c1") in pairs
    # logging on against off, from the same rounds; and the log did log, dropping nothing
    assert ("ours-log", "ours", "rps_c8") in pairs
    counts = results["ours-log"]["log"]
    assert counts["logged"] + counts["written"] > 0 and counts["write_errors"] == 0
    assert counts["rate_limited"] == counts["dropped_full"] == counts["sampled_out"] == 0
    assert all(len(q["per_round"]) == 2 and min(q["per_round"]) <= q["median_round"]
               <= max(q["per_round"]) for q in results["ratios"])
    assert json.loads((tmp_path / "r.json").read_text())["rounds"] == 2


def test_every_server_the_harness_starts_runs_with_telemetry_off(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "false")  # even against the caller's
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    assert OFFLINE_ENV["MLFLOW_DISABLE_TELEMETRY"] == "true" and OFFLINE_ENV["DO_NOT_TRACK"] == "1"
    log = tmp_path / "env.log"
    proc = start([sys.executable, "-c", "import json, os; print(json.dumps(dict(os.environ)))"],
                 log, {"MLFLOW_DISABLE_TELEMETRY": "false"})
    proc.wait(30)
    stop(proc)
    seen = json.loads(log.read_text())
    for key, value in OFFLINE_ENV.items():
        assert seen[key] == value
    assert seen["OMP_NUM_THREADS"] == "1"


@pytest.mark.skipif(not MLFLOW_PY.exists(), reason="bench/.venv-mlflow is not installed")
def test_mlflow_itself_sees_its_telemetry_disabled_in_the_harness_environment():
    probe = "from mlflow.telemetry.utils import is_telemetry_disabled as d; print(d())"
    env = {**server_env(), "PYTHONPATH": ""}
    got = subprocess.run([str(MLFLOW_PY), "-c", probe], env=env, capture_output=True,
                         text=True, timeout=120, check=True)
    assert got.stdout.strip().splitlines()[-1] == "True"
