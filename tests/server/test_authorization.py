"""Handlers are authorized through jupyter_server's Authorizer, resource "bighead"."""

from __future__ import annotations

import json

import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import HTTPClientError

from .routes import ROUTE_VERBS, concrete

SEEN: list[tuple[str, str]] = []


class DenyBighead(Authorizer):
    """Allows everything except the "bighead" resource, and records what it was asked."""

    def is_authorized(self, handler, user, action, resource):
        SEEN.append((action, resource))
        return resource != "bighead"


@pytest.fixture
def jp_server_config(bighead_home):
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_bighead_server": True},
            "authorizer_class": DenyBighead,
        },
        "BigheadApp": {"home": str(bighead_home)},
    }


@pytest.mark.parametrize("route,verb", ROUTE_VERBS)
async def test_every_route_asks_the_authorizer_and_obeys_a_refusal(jp_fetch, route, verb):
    SEEN.clear()
    parts = concrete(route).strip("/").split("/")
    body = "{}" if verb in ("POST", "PUT", "PATCH") else None
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*parts, method=verb, body=body)
    assert info.value.code == 403
    assert json.loads(info.value.response.body)["error"] == "forbidden"
    action = "read" if verb == "GET" else "write"
    assert (action, "bighead") in SEEN


async def test_other_resources_still_work_under_that_authorizer(jp_fetch):
    response = await jp_fetch("api", "status")
    assert response.code == 200
