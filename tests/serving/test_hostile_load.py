"""The README's promise under load: ``jupyter bighead serve`` never answers 5xx and
never crashes, with eight clients sending mixed batch sizes (1, 50, 1,000 and 5,000
rows, so both sides of the fast path's thread policy run at once), malformed tensors,
over-long scalars and bad JSON, while slow clients hold half-open connections.

``BIGHEAD_FAULT_SECONDS=60 pytest tests/serving/test_hostile_load.py`` is the full run;
the suite runs 10 s.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from .conftest import COLUMNS, instances, serve_process, training_frame

SECONDS = float(os.environ.get("BIGHEAD_FAULT_SECONDS", "10"))
CLIENTS = 8
SIZES = (1, 50, 1000, 5000)
SLOW_CLIENTS = 40


def _requests() -> list[tuple[str, str, bytes, int]]:
    """``(kind, path, body, rows)``: rows > 0 for a good request, 0 for a bad one."""
    X, _y = training_frame(rows=max(SIZES), seed=11)
    rows = instances(X)
    v1, v2 = "/v1/models/clf:predict", "/v2/models/clf/infer"
    out = [(f"v1 {n} rows", v1, json.dumps({"instances": rows[:n]}).encode(), n)
           for n in SIZES]
    out += [(f"v2 {n} rows", v2, json.dumps({"inputs": [
        {"name": c, "shape": [n], "datatype": "FP64" if c != "is_member" else "BOOL",
         "data": [r[c] for r in rows[:n]]} for c in COLUMNS]}).encode(), n) for n in (1, 1000)]
    bad = {
        "float shape": {"inputs": [{"name": "input-0", "shape": [1, 5.0], "datatype": "FP64",
                                    "data": [0.1, 0.2, 0.3, 4, 1]}]},
        "bool shape": {"inputs": [{"name": "input-0", "shape": [True, 5], "datatype": "FP64",
                                   "data": [0.1, 0.2, 0.3, 4, 1]}]},
        "huge shape": {"inputs": [{"name": "input-0", "shape": [2**40, 2**40],
                                   "datatype": "FP64", "data": [0.1]}]},
        "long scalar": {"instances": [{**rows[0], "f0": "2024" * 200000}]},
        "huge int": {"instances": [{**rows[0], "n_items": 10**4000}]},
        "deep JSON": None,
        "not JSON": None,
    }
    for kind, body in bad.items():
        path = v2 if "shape" in kind else v1
        out.append((kind, path, json.dumps(body).encode(), 0))
    out[-2] = ("deep JSON", v1, b"[" * 100000 + b"]" * 100000, 0)
    out[-1] = ("not JSON", v1, b'{"instances": [', 0)
    return out


def _slow_client(port: int, end: float) -> int:
    """Keeps ``SLOW_CLIENTS`` half-open connections; returns how many the server closed."""
    head = (b"POST /v1/models/clf:predict HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: 100000\r\n\r\n{\"instances\": [")
    held: list[socket.socket] = []
    closed = 0
    while time.monotonic() < end:
        while len(held) < SLOW_CLIENTS:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(head)
            s.setblocking(False)
            held.append(s)
        for s in list(held):
            try:
                if s.recv(4096) == b"":
                    raise ConnectionResetError
            except BlockingIOError:
                continue  # still open
            except OSError:
                pass
            held.remove(s)
            s.close()
            closed += 1
        time.sleep(0.2)
    for s in held:
        s.close()
    return closed


def test_serving_never_answers_5xx_under_mixed_hostile_load(registry, tmp_path):
    proc, port = serve_process(["clf@production", "--registry", registry.store.uri,
                                "--header-timeout", "2", "--body-timeout", "2"],
                               tmp_path / "serve.log")
    requests = _requests()
    end = time.monotonic() + SECONDS

    def client(seed: int) -> Counter[tuple[str, int]]:
        rnd = random.Random(seed)
        seen: Counter[tuple[str, int]] = Counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < end:
            kind, path, body, n = rnd.choice(requests)
            try:
                conn.request("POST", path, body=body,
                             headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                payload = resp.read()
            except (http.client.HTTPException, OSError) as exc:
                seen[(f"{kind}: {type(exc).__name__}", 0)] += 1  # a dead server, say
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            if resp.status == 200 and n:
                predictions = json.loads(payload)
                got = (predictions["predictions"] if "predictions" in predictions
                       else predictions["outputs"][0]["data"])
                if len(got) != n:
                    kind += f" answered {len(got)} predictions"
            seen[(kind, resp.status)] += 1
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.close()
        return seen

    try:
        with ThreadPoolExecutor(CLIENTS + 1) as pool:
            slow = pool.submit(_slow_client, port, end)
            totals: Counter[tuple[str, int]] = sum(pool.map(client, range(CLIENTS)), Counter())
            closed_slow = slow.result()
        alive = proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(20)
    log = (tmp_path / "serve.log").read_text(errors="replace")[-3000:]
    print(f"{sum(totals.values())} requests in {SECONDS:.0f} s, {closed_slow} slow clients "
          f"closed: {sorted(totals.items())}")  # shown by pytest -s
    assert alive, f"the server died (return code {proc.returncode}):\n{log}"
    good = {k: c for (k, c), _n in totals.items() if "rows" in k}
    bad = {k: c for (k, c), _n in totals.items() if "rows" not in k}
    assert set(good.values()) == {200}, totals  # and each with as many predictions as rows
    assert set(bad.values()) <= {400, 413}, totals
    for n in SIZES:  # every batch size was really mixed in
        assert totals[(f"v1 {n} rows", 200)] > 0, totals
    assert closed_slow >= SLOW_CLIENTS, closed_slow  # half-open connections were closed
