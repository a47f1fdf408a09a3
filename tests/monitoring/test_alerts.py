"""Webhook delivery against a real local HTTP server, and the alert history."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.monitoring import MonitorSettings
from jupyter_bighead.monitoring.alerts import AlertStore, check_webhook_url, send_webhook


class Hook:
    """A local HTTP server answering each POST with the next status of ``answers``."""

    def __init__(self, answers: list) -> None:
        self.answers = list(answers)
        self.bodies: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                hook.bodies.append({"type": self.headers["Content-Type"],
                                    "body": json.loads(self.rfile.read(length))})
                answer = hook.answers.pop(0) if hook.answers else 200
                status, location = answer if isinstance(answer, tuple) else (answer, None)
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
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

    def make(answers: list) -> Hook:
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
    refused = send_webhook("file:///etc/passwd", {})  # never raises: says why
    assert not refused.ok and refused.attempts == 0 and "http(s)" in refused.error


@pytest.mark.parametrize("url", ["http://[::1", "https://user:pw@host/x", "http:///path",
                                 "https://host:99999/x", "http://ho st/", "ftp://host/"])
def test_malformed_webhook_urls_are_refused_when_set_and_reported_when_sent(url, tmp_path):
    with pytest.raises(InvalidSpec) as err:
        check_webhook_url(url)
    assert "pw" not in str(err.value)
    with pytest.raises(InvalidSpec):
        MonitorSettings(tmp_path).set("m", webhook_url=url)
    got = send_webhook(url, {"x": 1})
    assert not got.ok and got.attempts == 0 and got.error
    assert check_webhook_url("https://hooks.example.com:8443/a?token=t") \
        == "https://hooks.example.com:8443/a?token=t"


def test_redirects_are_followed_only_to_the_same_host(hook_factory):
    target = hook_factory([200])
    same = hook_factory([])
    same.answers.append((307, same.url + "/moved"))
    got = send_webhook(same.url, {"x": 1}, backoff_s=0.001)
    assert got.ok and len(same.bodies) == 2 and same.bodies[1]["body"] == {"x": 1}
    bounce = hook_factory([(307, target.url.replace("127.0.0.1", "localhost"))])
    got = send_webhook(bounce.url, {"x": 1}, backoff_s=0.001)
    assert not got.ok and got.status == 307 and "another host" in got.error
    assert target.bodies == []


def test_a_delivery_gives_up_within_its_total_time(hook_factory):
    closed = hook_factory([])
    url = closed.url
    closed.close()
    started = time.monotonic()
    got = send_webhook(url, {"x": 1}, attempts=50, backoff_s=0.2, max_backoff_s=0.2,
                       total_s=1.0)
    assert time.monotonic() - started < 3 and not got.ok
    assert 1 <= got.attempts < 10 and "gave up" in got.error


def test_alerts_are_kept_newest_first_per_model(tmp_path):
    store = AlertStore(tmp_path)
    first = store.add("churn", {"severity": "alert", "features": ["a"]})
    second = store.add("churn", {"severity": "alert", "features": ["b"], "psi": float("inf")})
    store.add("other.model", {"severity": "alert"})
    got = store.list("churn")
    assert [a["id"] for a in got] == [second, first]
    assert got[0]["features"] == ["b"] and got[0]["psi"] is None
    assert len(store.list()) == 3 and store.get(first)["model"] == "churn"
