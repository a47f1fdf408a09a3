"""Smoke test of the serving benchmark's harness: behaviour only, never timings.

A tiny model, one-second wrk runs, no MLflow: the servers start, agree on the
predictions, answer every request with a 2xx, and the wrk output is parsed.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.serving.run import main, parse_wrk  # noqa: E402

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
                   "timeouts": 0.0}


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_the_harness_runs_both_servers_and_they_agree(tmp_path):
    results = main(["--duration", "1", "--trees", "5", "--no-mlflow",
                    "--json", str(tmp_path / "r.json")])
    assert results["same_predictions"] == {"ours": True, "bare": True}
    for name in ("ours", "bare"):
        assert results[name]["rps_c8"] > 0 and results[name]["errors"] == 0
        assert results[name]["rows1000_ms"] > 0
    assert (tmp_path / "r.json").exists()
