"""Slow clients and hostile values cannot stall the inference server: half-open
connections are closed after the header/body timeouts, over-long scalars are a 400
before any parsing, and request work runs off the event loop, so the health probes
keep answering."""

from __future__ import annotations

import http.client
import json
import selectors
import socket
import threading
import time
from typing import Any

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.registry import Registry
from jupyter_bighead.serving.runtime.schema import MAX_DATETIME_CHARS, MAX_STRING_CHARS

from .conftest import start_server

HALF_OPEN = 200


def error_of(body: Any) -> tuple[str, str | None]:
    """``(code, field)`` of an error body."""
    if isinstance(body.get("error"), dict):  # {"error": {"code", "message", "field"}}
        return body["error"]["code"], body["error"].get("field")
    return body.get("code"), body.get("field")  # {"error": message, "code", "field"}


def timed_get(port: int, path: str, timeout: float = 5) -> tuple[int, float]:
    start = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        status = conn.getresponse().status
    finally:
        conn.close()
    return status, time.monotonic() - start


def half_open(port: int, n: int, partial_headers: bool) -> list[socket.socket]:
    """``n`` connections that send part of a request and then nothing more."""
    request = (b"POST /v1/models/clf:predict HTTP/1.1\r\nHost: x\r\n"
               b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
               b'{"instances": [')
    if partial_headers:
        request = request[:40]
    out = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(request)
        out.append(s)
    return out


def wait_closed(sockets: list[socket.socket], within: float) -> list[socket.socket]:
    """The sockets the server has not closed after ``within`` seconds."""
    sel = selectors.DefaultSelector()
    for s in sockets:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    open_ = set(sockets)
    deadline = time.monotonic() + within
    while open_ and time.monotonic() < deadline:
        for key, _ev in sel.select(timeout=max(0.0, deadline - time.monotonic())):
            sock = key.fileobj
            try:
                data = sock.recv(65536)  # type: ignore[union-attr]
            except (ConnectionResetError, BlockingIOError):
                data = b""
            if not data:  # closed by the server (a 4xx before closing is fine too)
                sel.unregister(sock)
                open_.discard(sock)  # type: ignore[arg-type]
    sel.close()
    return list(open_)


def test_half_open_connections_neither_stall_health_nor_stay_open(registry):
    srv = start_server(registry, header_timeout=2.0, body_timeout=2.0)
    conns: list[socket.socket] = []
    try:
        conns = (half_open(srv.port, HALF_OPEN, partial_headers=False) +
                 half_open(srv.port, 20, partial_headers=True))
        latencies = [timed_get(srv.port, "/v2/health/live") for _ in range(5)]
        assert all(status == 200 for status, _t in latencies)
        assert max(t for _s, t in latencies) < 1.0, latencies
        assert srv.call("POST", "/v1/models/clf:predict",
                        {"instances": [[0.1, 0.2, 0.3, 4, True]]})[0] == 200
        # Closed after the 2 s timeouts (and without a timeout: never).
        assert wait_closed(conns, within=20) == []
    finally:
        for c in conns:
            c.close()
        srv.close()


# ---- over-long scalars, on a pipeline with a date-time and a string column ---------------
@pytest.fixture(scope="module")
def pipeline_registry(tmp_path_factory) -> Registry:
    import lightgbm as lgb

    from jupyter_bighead.pipeline import CategoryEncode, DateParts, Pipeline

    rng = np.random.default_rng(1)
    n = 600
    X = pd.DataFrame({
        "user_id": rng.integers(0, 1000, n).astype("int64"),
        "channel": rng.choice(["web", "ios", "android"], n),
        "ts": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 10**6, n), "s"),
    })
    y = (X.user_id % 2).to_numpy()
    pipe = Pipeline([DateParts(columns=["ts"]), CategoryEncode(columns=["channel"])],
                    learner=lgb.LGBMClassifier(n_estimators=5, verbose=-1))
    reg = Registry(tmp_path_factory.mktemp("pipe") / "registry")
    reg.register("p", pipe.fit(X, y), X_valid=X[:100], y_valid=y[:100])
    return reg


@pytest.fixture
def pipeline_server(pipeline_registry):
    srv = start_server(pipeline_registry, ref="p")
    yield srv
    srv.close()


ROW = {"user_id": 7, "channel": "web", "ts": "2026-02-03T04:05:06"}


def test_a_long_date_string_is_a_400_and_health_answers_while_it_is_in_flight(pipeline_server):
    srv = pipeline_server
    assert srv.call("POST", "/v1/models/p:predict", {"instances": [ROW]})[0] == 200
    hostile = json.dumps({"instances": [{**ROW, "ts": "2024" * 200000}]})
    answer: dict[str, Any] = {}

    def send() -> None:
        answer["reply"] = srv.call("POST", "/v1/models/p:predict", raw=hostile.encode())

    sender = threading.Thread(target=send)
    sender.start()
    latencies = []
    while sender.is_alive() or len(latencies) < 5:
        # Before the fix the date parser ran on the event loop for minutes: this timed out.
        latencies.append(timed_get(srv.port, "/v2/health/live", timeout=5)[1])
    sender.join()
    assert max(latencies) < 1.0, latencies
    status, body = answer["reply"]
    assert status == 400 and error_of(body) == ("too_long", "ts"), body


@pytest.mark.parametrize("field,value,code", [
    ("ts", "9" * (MAX_DATETIME_CHARS + 1), "too_long"),
    ("ts", "x" * MAX_DATETIME_CHARS, "wrong_type"),  # within the cap: parsed, refused
    ("channel", "w" * (MAX_STRING_CHARS + 1), "too_long"),
])
def test_over_long_or_unparsable_scalars_are_400s_naming_the_field(pipeline_server, field,
                                                                   value, code):
    status, body = pipeline_server.call("POST", "/v1/models/p:predict",
                                        {"instances": [{**ROW, field: value}]})
    assert status == 400 and error_of(body) == (code, field), body
    if code == "too_long":
        assert value not in json.dumps(body)  # the message does not echo the input


def test_iso_date_strings_of_every_common_form_are_accepted(pipeline_server):
    stamps = ["2026-02-03", "2026-02-03T04:05:06", "2026-02-03 04:05:06.123456",
              "2026-02-03T04:05:06.123456789"]
    status, body = pipeline_server.call("POST", "/v1/models/p:predict",
                                        {"instances": [{**ROW, "ts": t} for t in stamps]})
    assert status == 200 and len(body["predictions"]) == len(stamps), body
