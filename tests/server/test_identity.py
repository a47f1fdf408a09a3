"""Who a request is: stable across requests, for token and cookie requests alike.

jupyter_server names every token request without a cookie with a fresh random id, so
per-user limits and audit trails need the server's own user instead (or the hub user
under JupyterHub)."""

from __future__ import annotations

import asyncio
import getpass
import json

import numpy as np
import pandas as pd
import pytest
from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.registry import Registry
from jupyter_bighead_server.handlers.base import BigheadHandler

from ..notebooks.helpers import code, write_nb


class _WhoAmI(BigheadHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json({"user": self.username()})


@pytest.fixture
def whoami(jp_serverapp, jp_base_url):
    jp_serverapp.web_app.add_handlers(".*$", [(jp_base_url + "bighead/api/_test/whoami",
                                               _WhoAmI)])


@pytest.fixture
def urls(jp_serverapp, jp_base_url, jp_http_port, jp_fetch):
    # (jp_fetch: its fixtures are what start the server listening on jp_http_port.)
    base = f"http://127.0.0.1:{jp_http_port}{jp_base_url}"
    return base, jp_serverapp.identity_provider.token


async def fetch(url, headers):
    response = await AsyncHTTPClient().fetch(url, headers=headers)
    return response


async def test_token_requests_are_the_servers_user_every_time(whoami, urls, monkeypatch):
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    base, token = urls
    seen = set()
    for _ in range(3):  # no cookie: jupyter_server makes up a new user each time
        response = await fetch(base + "bighead/api/_test/whoami",
                               {"Authorization": f"token {token}"})
        seen.add(json.loads(response.body)["user"])
    assert seen == {getpass.getuser()}


async def test_cookie_requests_are_the_same_user_as_token_requests(whoami, urls, monkeypatch):
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    base, token = urls
    first = await fetch(base + "bighead/api/_test/whoami", {"Authorization": f"token {token}"})
    cookies = [c.split(";", 1)[0] for c in first.headers.get_list("Set-Cookie")]
    login = [c for c in cookies if c.startswith("username-")]
    assert login, cookies  # jupyter_server logged the token request in with a cookie
    response = await fetch(base + "bighead/api/_test/whoami", {"Cookie": "; ".join(login)})
    assert json.loads(response.body)["user"] == getpass.getuser()


async def test_under_jupyterhub_requests_are_the_hub_user(whoami, urls, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    base, token = urls
    response = await fetch(base + "bighead/api/_test/whoami", {"Authorization": f"token {token}"})
    assert json.loads(response.body)["user"] == "alice"


async def test_audit_trail_names_the_same_user_for_every_token_request(
        jp_fetch, bighead_home, monkeypatch):
    import lightgbm as lgb

    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    home = BigheadHome(bighead_home).ensure()
    reg = Registry(home.registry_uri, artifacts=home.artifacts)
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(100, 2)), columns=["a", "b"])
    reg.register("m", lgb.LGBMClassifier(n_estimators=2, verbose=-1).fit(X, X.a > 0))
    for _ in range(2):
        await jp_fetch("bighead", "api", "models", "m", "aliases", "prod", method="PUT",
                       body=json.dumps({"version": 1}))
    history = reg.alias_history("m", "prod", limit=None)
    assert [e.by for e in history.items] == ["alice", "alice"]


@pytest.fixture
def one_job_each(jp_server_config):
    """The default profile allows one active job per user."""
    jp_server_config["BigheadApp"]["profiles"] = {"default": {"max_concurrent_per_user": 1}}
    return jp_server_config


async def test_per_user_job_limits_apply_to_concurrent_token_requests(
        one_job_each, jp_fetch, jp_serverapp, jp_root_dir, monkeypatch):
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    write_nb(jp_root_dir / "slow.ipynb", [code("import time\ntime.sleep(120)")])

    async def submit():
        try:
            response = await jp_fetch("bighead", "api", "jobs", method="POST",
                                      body=json.dumps({"notebook": "slow.ipynb"}))
        except HTTPClientError as exc:
            return exc.code, json.loads(exc.response.body)
        return response.code, json.loads(response.body)

    answers = await asyncio.gather(*(submit() for _ in range(4)))
    accepted = [body for code, body in answers if code == 201]
    refused = [body for code, body in answers if code == 409]
    try:
        assert len(accepted) == 1 and len(refused) == 3, answers
        assert accepted[0]["user"] == getpass.getuser()
        assert "limit 1" in refused[0]["message"]
    finally:
        executor = jp_serverapp.web_app.settings["bighead"].jobs()
        for body in accepted:
            await asyncio.to_thread(executor.cancel, body["id"])


def test_kernels_and_the_server_name_the_same_user(monkeypatch):
    from jupyter_bighead.jobs.executor import current_user
    from jupyter_bighead.registry import lineage

    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    assert current_user() == lineage.current_user() == "alice"
    monkeypatch.delenv("JUPYTERHUB_USER")
    assert current_user() == lineage.current_user() == getpass.getuser()
