"""`jupyter bighead hub`: a real JupyterHub (configurable-http-proxy from npm, local
process spawner, demo users) whose users' servers share one PostgreSQL registry, with
roles from JupyterHub groups and identities from the hub, for API tokens."""

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
from pathlib import Path

import pytest

from jupyter_bighead.hub.local import find_proxy

DRIVER = "bighead-hub-test-driver-token"
USERS = ("dana", "rita", "adam", "vera")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Hub:
    def __init__(self, url: str, folder: Path) -> None:
        self.url, self.folder = url, folder
        self.tokens: dict[str, str] = {}

    def call(self, method, path, body=None, token=DRIVER):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path.lstrip("/"), method=method, data=data,
            headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                return exc.code, json.loads(raw)
            except ValueError:
                return exc.code, raw[:200]

    def bighead(self, user, method, path, body=None, *, as_user=None):
        """A Bighead REST call on ``user``'s server with ``as_user``'s token."""
        token = self.tokens[as_user or user]
        return self.call(method, f"user/{user}/bighead/api/{path}", body, token=token)


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hub") / "team"
    port = _free_port()
    env = {**os.environ, "BIGHEAD_HUB_API_TOKEN": DRIVER, "BIGHEAD_CHP": find_proxy()}
    log = open(folder.parent / "hub.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter_bighead.cli", "hub", str(folder), "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    h = Hub(f"http://127.0.0.1:{port}/", folder)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail("the hub exited: " + (folder.parent / "hub.log").read_text()[-3000:])
            try:
                if h.call("GET", "hub/api/")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("the hub did not answer in 120 s")
        for user in USERS:
            code, _ = h.call("POST", f"hub/api/users/{user}/server")
            assert code in (201, 202), code
            code, token = h.call("POST", f"hub/api/users/{user}/tokens", {"note": "test"})
            assert code == 201, token
            h.tokens[user] = token["token"]
        deadline = time.monotonic() + 180
        for user in USERS:
            while h.bighead(user, "GET", "status")[0] != 200:
                assert time.monotonic() < deadline, f"{user}'s server did not start"
                time.sleep(1)
        yield h
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        finally:
            log.close()
    # Nothing of the hub is left running: no process names its folder.
    left = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(folder) in cmdline:
            left.append(cmdline)
    assert left == []
    settings = json.loads((folder / "bighead_hub.json").read_text())
    # The throwaway PostgreSQL server went with the hub: nothing listens on its port.
    pg_port = int(settings["registry"].rsplit(":", 1)[1].split("/", 1)[0])
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", pg_port)) != 0


@pytest.fixture(scope="module")
def shared_model(hub):
    """`churn` v1 and v2 in the team's shared registry (the hub's PostgreSQL)."""
    import lightgbm as lgb
    import numpy as np
    import pandas as pd

    from jupyter_bighead.registry import Registry

    settings = json.loads((hub.folder / "bighead_hub.json").read_text())
    reg = Registry(settings["registry"], artifacts=Path(settings["shared_home"]) / "artifacts")
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 2)), columns=["a", "b"])
    y = (X.a > 0).astype(int)
    for trees in (2, 4):
        reg.register("churn", lgb.LGBMClassifier(n_estimators=trees, verbose=-1).fit(X, y))
    yield reg
    reg.close()


def test_every_users_server_sees_the_shared_registry(hub, shared_model):
    for user in USERS:
        code, page = hub.bighead(user, "GET", "models")
        assert code == 200 and [m["name"] for m in page["items"]] == ["churn"], (user, page)


def test_roles_come_from_hub_groups_and_refusals_name_the_missing_role(hub, shared_model):
    code, error = hub.bighead("rita", "POST", "jobs", {})
    assert code == 403 and "rita" in error["message"] and "data_scientist" in error["message"]
    code, error = hub.bighead("vera", "PUT", "models/churn/aliases/staging", {"version": 1})
    assert code == 403 and "vera has viewer" in error["message"]
    code, error = hub.bighead("dana", "PUT", "models/churn/aliases/production", {"version": 2})
    assert code == 403 and "protected alias 'production'" in error["message"]
    assert hub.bighead("dana", "PUT", "models/churn/aliases/staging", {"version": 1})[0] == 200
    assert hub.bighead("adam", "PUT", "models/churn/aliases/production", {"version": 2})[0] == 200
    # The audit trail names each person, whichever server shows it.
    code, page = hub.bighead("rita", "GET", "models/churn/aliases/staging/history")
    assert [e["by"] for e in page["items"]] == ["dana"]
    code, page = hub.bighead("vera", "GET", "models/churn/aliases/production/history")
    assert [e["by"] for e in page["items"]] == ["adam"]


def test_one_users_token_never_acts_on_another_users_server(hub):
    for owner in USERS:
        for other in USERS:
            if other == owner or other == "adam":  # a hub admin may reach any server
                continue
            code, _ = hub.bighead(owner, "GET", "status", as_user=other)
            assert code in (403, 404), (owner, other, code)
