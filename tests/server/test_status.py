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


def _user_schema() -> dict:
    from jupyter_bighead_server.openapi import load_openapi

    return load_openapi()["components"]["schemas"]["User"]


async def test_status_says_the_single_user_holds_every_role(jp_fetch, monkeypatch):
    from jupyter_bighead.identity import current_user

    monkeypatch.setenv("BIGHEAD_PROTECTED_ALIASES", "production,gold")
    user = json.loads((await jp_fetch("bighead", "api", "status")).body)["user"]
    assert sorted(user) == sorted(_user_schema()["required"])
    assert user["name"] == current_user()  # the server's owner, never a random token id
    assert user["roles"] == ["viewer", "data_scientist", "reviewer", "admin"]
    assert user["permissions"] == ["read", "write", "review", "admin"]
    assert user["team"] is False
    assert user["protected_aliases"] == ["production", "gold"]
    assert user["granted_by"]["write"] == ["data_scientist", "admin"]
    assert user["granted_by"]["admin"] == ["admin"]


class TestWithRoles:
    """A team: each token is its own user, with the roles c.BigheadApp.roles gives."""

    @pytest.fixture
    def jp_server_config(self, bighead_home):
        from .test_roles import ROLE_CONFIG, TokenPerUser

        return {
            "ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True},
                          "identity_provider_class": TokenPerUser},
            "BigheadApp": {"home": str(bighead_home), "roles": ROLE_CONFIG,
                           "protected_aliases": ["production"]},
        }

    @pytest.mark.parametrize("token,name,roles,permissions", [
        ("t-vera", "vera", ["viewer"], ["read"]),
        ("t-dana", "dana", ["data_scientist"], ["read", "write"]),  # through her group
        ("t-rita", "rita", ["reviewer"], ["read", "review"]),
        ("t-adam", "adam", ["admin"], ["read", "write", "review", "admin"]),
        ("t-nora", "nora", [], []),  # signed in, no role: still told so
    ])
    async def test_status_names_the_users_own_roles(self, jp_fetch, token, name, roles,
                                                    permissions):
        response = await jp_fetch("bighead", "api", "status",
                                  headers={"Authorization": f"token {token}"})
        user = json.loads(response.body)["user"]
        assert user["name"] == name
        assert user["roles"] == roles
        assert user["permissions"] == permissions
        assert user["team"] is True
        assert user["protected_aliases"] == ["production"]
