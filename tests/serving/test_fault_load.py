"""A bounded load test on loopback: good and bad requests mixed, never a 5xx.

The issue asks for 60 s; the suite runs ``BIGHEAD_FAULT_SECONDS`` (default 10) to keep
the default run short. ``BIGHEAD_FAULT_SECONDS=60 pytest tests/serving/test_fault_load.py``
is the full run (bench/README.md, Serving). Bounded in time and in count (at most
``MAX_REQUESTS``), against a real server process started with ``jupyter bighead serve``.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import COLUMNS, instances, serve_process, training_frame

SECONDS = float(os.environ.get("BIGHEAD_FAULT_SECONDS", "10"))
MAX_REQUESTS = 200_000
THREADS = 4


def _bodies() -> list[tuple[bool, bytes]]:
    X, _y = training_frame(rows=50)
    rows = instances(X)
    good = [json.dumps({"instances": rows[:1]}), json.dumps({"instances": rows}),
            json.dumps({"inputs": {c: [r[c] for r in rows[:3]] for c in COLUMNS}})]
    bad = ['{"instances": [', "[]", '{"instances": []}', json.dumps({"instances": [{"f0": 1}]}),
           json.dumps({"instances": [{**rows[0], "zz": 1}]}),
           json.dumps({"instances": [{**rows[0], "f0": "x"}]}),
           json.dumps({"instances": [{**rows[0], "n_items": None}]}),
           json.dumps({"instances": [{**rows[0], "n_items": 10**40}]}),
           json.dumps({"instances": [[1, 2, 3]]}), json.dumps({"inputs": {"f0": 3}}),
           json.dumps({"instances": "abc"}), "\u00ff\u00fe", "x" * 5000,
           json.dumps({"instances": [rows[0]] * 2000})]  # over the 64 KiB limit: 413
    return [(True, b.encode()) for b in good] + [(False, b.encode()) for b in bad]


@pytest.fixture
def served_process(registry, tmp_path):
    proc, port = serve_process(["clf@production", "--registry", registry.store.uri,
                                "--max-body-bytes", "65536"], tmp_path / "serve.log")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/v2/health/ready")
            if conn.getresponse().status == 200:
                break
        except OSError:
            pass
        time.sleep(0.2)
    else:
        proc.kill()
        raise AssertionError((tmp_path / "serve.log").read_text())
    yield port
    proc.terminate()
    proc.wait(10)


def test_mixed_good_and_bad_requests_never_get_a_5xx(served_process):
    port = served_process
    bodies = _bodies()
    end = time.monotonic() + SECONDS
    budget = MAX_REQUESTS // THREADS

    def worker(seed: int) -> Counter[tuple[bool, int]]:
        rnd = random.Random(seed)
        seen: Counter[tuple[bool, int]] = Counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _ in range(budget):
            if time.monotonic() > end:
                break
            good, body = rnd.choice(bodies)
            path = "/v1/models/clf:predict" if rnd.random() < 0.95 else "/v1/models/nope:predict"
            try:
                conn.request("POST", path, body=body, headers={"Content-Type":
                                                                "application/json"})
                resp = conn.getresponse()
                resp.read()
            except (http.client.HTTPException, OSError):
                # The server answers an oversized body with 413 and hangs up, possibly
                # before the client has sent it all: a broken pipe. Count it as 0.
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                seen[(good, 0)] += 1
                continue
            seen[(good and path.startswith("/v1/models/clf"), resp.status)] += 1
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()
        return seen

    with ThreadPoolExecutor(THREADS) as pool:
        totals: Counter[tuple[bool, int]] = sum(pool.map(worker, range(THREADS)), Counter())
    codes = Counter(code for (_g, code) in totals.elements())
    assert sum(totals.values()) > 100
    assert not [c for c in codes if c >= 500], totals
    assert {code for (good, code) in totals if good} == {200}
    assert {code for (good, code) in totals if not good} <= {0, 400, 404, 413}
