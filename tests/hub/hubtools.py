"""A real `jupyter bighead hub` for tests: started in its own process group on free
ports, each demo user's server started and given an API token, and everything stopped
afterwards, checked: no process names the hub's folder and nothing listens on the
throwaway PostgreSQL's port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jupyter_bighead.hub.local import DEMO_PASSWORD, find_proxy

DRIVER = "bighead-hub-test-driver-token"
USERS = ("dana", "rita", "adam", "vera")
PASSWORD = DEMO_PASSWORD


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Hub:
    """A running hub: its URL and folder, and each started user's API token."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url, self.folder = url, folder
        self.tokens: dict[str, str] = {}

    @property
    def settings(self) -> dict[str, Any]:
        return json.loads((self.folder / "bighead_hub.json").read_text())

    def home(self, user: str) -> Path:
        """``user``'s server's folder (their notebooks)."""
        return self.folder / "users" / user

    def call(self, method: str, path: str, body: Any = None, token: str = DRIVER,
             timeout: float = 120) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path.lstrip("/"), method=method, data=data,
            headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                return exc.code, json.loads(raw)
            except ValueError:
                return exc.code, raw[:200]

    def bighead(self, user: str, method: str, path: str, body: Any = None, *,
                as_user: str | None = None) -> tuple[int, Any]:
        """A Bighead REST call on ``user``'s server with ``as_user``'s token."""
        token = self.tokens[as_user or user]
        return self.call(method, f"user/{user}/bighead/api/{path}", body, token=token)


def _wait(condition, what: str, seconds: float, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise AssertionError(f"the hub exited: {log.read_text()[-3000:]}")
        try:
            if condition():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} in {seconds:.0f} s: {log.read_text()[-3000:]}")
        time.sleep(0.5)


def _processes_naming(folder: Path) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(folder) in cmdline:
            found.append(cmdline)
    return found


@contextmanager
def running_hub(folder: Path, users: Iterable[str] = USERS) -> Iterator[Hub]:
    """Run ``jupyter bighead hub folder`` with ``users``' servers started; stop it all
    on exit and assert that nothing of it is left running."""
    port = free_port()
    env = {**os.environ, "BIGHEAD_HUB_API_TOKEN": DRIVER, "BIGHEAD_CHP": find_proxy()}
    log_path = folder.parent / f"{folder.name}-hub.log"
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter_bighead.cli", "hub", str(folder), "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    hub = Hub(f"http://127.0.0.1:{port}/", folder)
    try:
        _wait(lambda: hub.call("GET", "hub/api/", timeout=5)[0] == 200,
              "the hub did not answer", 120, process, log_path)
        users = tuple(users)
        for user in users:  # all servers start at once
            code, _ = hub.call("POST", f"hub/api/users/{user}/server")
            assert code in (201, 202), code
            code, token = hub.call("POST", f"hub/api/users/{user}/tokens", {"note": "test"})
            assert code == 201, token
            hub.tokens[user] = token["token"]
        for user in users:
            _wait(lambda user=user: hub.bighead(user, "GET", "status")[0] == 200,
                  f"{user}'s server did not start", 180, process, log_path)
        yield hub
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        finally:
            log.close()
    # Nothing of the hub is left running: no process names its folder.
    deadline = time.monotonic() + 15
    while (left := _processes_naming(folder)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert left == []
    # The throwaway PostgreSQL server went with the hub: nothing listens on its port.
    registry = hub.settings["registry"]
    pg_port = int(registry.rsplit(":", 1)[1].split("/", 1)[0])
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", pg_port)) != 0, registry
