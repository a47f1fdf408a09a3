"""Webhook delivery against a real local HTTP server, and the alert history."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.monitoring.alerts import AlertStore, send_webhook


class Hook:
    """A local HTTP server answering each POST with the next status of ``answers``."""

    def __init__(self, answers: list[int]) -> None:
        self.answers = list(answers)
        self.bodies: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                hook.bodies.append({"type": self.headers["Content-Type"],
                                    "body": json.loads(self.rfile.read(length))})
                status = hook.answers.pop(0) if hook.answers else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook_factory():
    made: list[Hook] = []

    def make(answers: list[int]) -> Hook:
        made.append(Hook(answers))
        return made[-1]

    yield make
    for h in made:
        h.close()


def test_a_webhook_that_fails_twice_then_succeeds_gets_three_tries_with_backoff(hook_factory):
    hook = hook_factory([500, 503])
    waits: list[float] = []
    result = send_webhook(hook.url, {"model": "m", "features": ["a"], "psi": float("nan")},
                          backoff_s=0.01, sleep=waits.append)
    assert result.ok and result.attempts == 3 and result.status == 200
    assert waits == [0.01, 0.02]  # exponential
    assert len(hook.bodies) == 3
    assert hook.bodies[-1] == {"type": "application/json",
                               "body": {"model": "m", "features": ["a"], "psi": None}}


def test_delivery_is_bounded_and_a_client_error_is_not_retried(hook_factory):
    failing = hook_factory([500] * 10)
    result = send_webhook(failing.url, {"x": 1}, attempts=3, backoff_s=0.001)
    assert not result.ok and result.attempts == 3 and result.status == 500
    assert len(failing.bodies) == 3
    refused = hook_factory([404])
    result = send_webhook(refused.url, {"x": 1}, backoff_s=0.001)
    assert not result.ok and result.attempts == 1 and result.status == 404
    closed = hook_factory([])
    url = closed.url
    closed.close()
    waits: list[float] = []
    result = send_webhook(url, {"x": 1}, attempts=4, backoff_s=1.0, max_backoff_s=1.5,
                          sleep=waits.append, timeout_s=2)
    assert not result.ok and result.status is None and result.error
    assert waits == [1.0, 1.5, 1.5]  # capped
    with pytest.raises(InvalidSpec):
        send_webhook("file:///etc/passwd", {})


def test_alerts_are_kept_newest_first_per_model(tmp_path):
    store = AlertStore(tmp_path)
    first = store.add("churn", {"severity": "alert", "features": ["a"]})
    second = store.add("churn", {"severity": "alert", "features": ["b"], "psi": float("inf")})
    store.add("other.model", {"severity": "alert"})
    got = store.list("churn")
    assert [a["id"] for a in got] == [second, first]
    assert got[0]["features"] == ["b"] and got[0]["psi"] is None
    assert len(store.list()) == 3 and store.get(first)["model"] == "churn"
