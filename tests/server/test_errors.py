"""Typed core errors become 4xx JSON bodies through the one base handler."""

from __future__ import annotations

import json

import pytest
from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.httpclient import HTTPClientError

from jupyter_bighead.errors import Conflict, Forbidden, InvalidSpec, NotFound
from jupyter_bighead_server.handlers.base import BigheadHandler

RAISES = {
    "not-found": NotFound("model 'churn' does not exist"),
    "invalid": InvalidSpec("column 'ts' is missing from the spine"),
    "conflict": Conflict("feature 'x' changed without a version bump"),
    "forbidden": Forbidden("path '../etc' resolves outside the workspace"),
    "crash": RuntimeError("boom"),
}


class _RaisingHandler(BigheadHandler):
    """A test-only route: raises the error named in the URL, or echoes a JSON body."""

    @web.authenticated
    @authorized
    async def get(self, kind: str) -> None:
        raise RAISES[kind]

    @web.authenticated
    @authorized
    async def post(self, kind: str) -> None:
        self.write_json({"echo": self.get_json_object()})


@pytest.fixture
def raising_route(jp_serverapp, jp_base_url):
    jp_serverapp.web_app.add_handlers(
        ".*$", [(jp_base_url + "bighead/api/_test/(?P<kind>[^/]+)", _RaisingHandler)]
    )


@pytest.mark.parametrize(
    "kind,status,code",
    [
        ("not-found", 404, "not_found"),
        ("invalid", 400, "invalid_spec"),
        ("conflict", 409, "conflict"),
        ("forbidden", 403, "forbidden"),
        ("crash", 500, "internal_error"),
    ],
)
async def test_typed_errors_map_to_status_and_json_body(
    jp_fetch, raising_route, kind, status, code
):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("bighead", "api", "_test", kind)
    assert info.value.code == status
    body = json.loads(info.value.response.body)
    assert body["error"] == code
    if kind != "crash":
        assert body["message"] == RAISES[kind].message


async def test_malformed_json_body_is_a_400_that_says_so(jp_fetch, raising_route):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("bighead", "api", "_test", "x", method="POST", body="{not json")
    assert info.value.code == 400
    body = json.loads(info.value.response.body)
    assert body["error"] == "bad_request"
    assert "not valid JSON" in body["message"]


async def test_non_object_json_body_is_a_400(jp_fetch, raising_route):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("bighead", "api", "_test", "x", method="POST", body="[1, 2]")
    assert info.value.code == 400
    assert "JSON object" in json.loads(info.value.response.body)["message"]


async def test_valid_json_body_reaches_the_handler(jp_fetch, raising_route):
    response = await jp_fetch("bighead", "api", "_test", "x", method="POST", body='{"a": 1}')
    assert json.loads(response.body) == {"echo": {"a": 1}}
