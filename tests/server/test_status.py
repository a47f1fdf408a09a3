"""The REST API, through a real Jupyter server (pytest_jupyter's jp_fetch)."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError

import jupyter_bighead

from .routes import ROUTE_VERBS, concrete


async def test_status_returns_version_home_stores_and_executor(jp_fetch, bighead_home):
    response = await jp_fetch("bighead", "api", "status")
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    payload = json.loads(response.body)
    assert payload["version"] == jupyter_bighead.__version__
    assert payload["home"] == str(bighead_home.resolve())
    assert payload["executor"] == "local"
    assert payload["stores"]["registry"].startswith("sqlite:///")
    # The server creates the embedded stores' folders on start.
    assert (bighead_home / "artifacts").is_dir()


async def test_server_exports_its_home_for_kernels(jp_fetch, bighead_home, monkeypatch):
    import os

    await jp_fetch("bighead", "api", "status")
    assert os.environ["BIGHEAD_HOME"] == str(bighead_home.resolve())


@pytest.mark.parametrize("route,verb", ROUTE_VERBS)
async def test_every_route_refuses_requests_without_a_token(
    jp_serverapp, jp_base_url, http_server_client, route, verb
):
    url = f"{jp_base_url.rstrip('/')}{concrete(route)}"
    body = "{}" if verb in ("POST", "PUT", "PATCH") else None
    with pytest.raises(HTTPClientError) as info:
        await http_server_client.fetch(url, method=verb, body=body)
    assert info.value.code == 403
    body = json.loads(info.value.response.body)
    assert body["error"] == "forbidden"
    assert body["message"]


async def test_a_wrong_token_is_refused(jp_serverapp, jp_base_url, http_server_client):
    url = f"{jp_base_url.rstrip('/')}/bighead/api/status"
    with pytest.raises(HTTPClientError) as info:
        await http_server_client.fetch(url, headers={"Authorization": "token not-the-token"})
    assert info.value.code == 403


@pytest.fixture
def jp_server_config(bighead_home):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True}},
        "BigheadApp": {"home": str(bighead_home), "executor": "local"},
    }
