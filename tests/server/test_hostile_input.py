"""Hostile input to every documented route: always a 4xx with a JSON body, never a 5xx,
never a change to what is stored.

The table of malformed values is what third-party clients and attackers send: wrong
types, huge integers, floats where integers belong, bad cursors, trailing newlines,
non-ASCII digits, very long strings, absolute and climbing paths. Every route in
``openapi.json`` is driven with it: path parameters, documented query parameters and
each documented body property in turn.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sqlite3
from pathlib import Path
from urllib.parse import quote, urlencode

import numpy as np
import pandas as pd
import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.features import FeatureRepo
from jupyter_bighead.registry import Registry
from jupyter_bighead_server.handlers.base import MAX_MESSAGE_CHARS
from jupyter_bighead_server.handlers.openapi import load_openapi

from ..notebooks.helpers import code, write_nb

SPEC = load_openapi()

#: Values for a path placeholder: each must be refused (4xx), never crash.
PATH_HOSTILE = ["demo_model\n", "x" * 5000, "..", "99999999999999999999", "1.9", "-1",
                "٣", "WzFd", "a b", "%00", "demo_model/../../etc"]
#: Values for a query parameter.
QUERY_HOSTILE = ["abc", "99999999999999999999", "-5", "1.9", "WzFd", "٣", "x" * 5000,
                 "0", "null", "[]", "e30", "eyJiZWZvcmUiOiAxZTQwMH0"]
#: Values for one property of a JSON body.
BODY_HOSTILE = [None, [], {}, [[1]], 1.9, 99999999999999999999, -1, True, "x" * 5000,
                "demo_model\n", "٣ * * * *", "/etc/passwd", "../../outside.ipynb",
                {"a": {"b": {"c": []}}}, "", float("nan"), float("inf")]
#: Whole bodies that are not a usable JSON object.
RAW_BODIES = [b"null", b"[]", b"1", b'"s"', b"{", b'{"a":', b"[" * 100_000,
              b'{"x": ' + b"9" * 5000 + b"}", b"\xff\xfe", b"NaN", b'{"a": 1} trailing']

#: Valid-looking values for path placeholders (nothing destructive is ever sent with them).
PATH_DEFAULTS = {"name": "demo_model", "alias": "prod", "version": "1",
                 "job_id": "no-such-job", "dep_id": "no-such-dep",
                 "sweep_id": "sweep-20240101000000-abcdef",
                 "review_id": "20240101000000000000-abcdef"}
#: Bodies that the route refuses for an ordinary reason (a missing notebook or model),
#: so that no hostile value can make a request succeed and change anything.
BASE_BODIES: dict[str, dict[str, object]] = {
    "/bighead/api/notebooks/productionize": {"path": "missing.ipynb"},
    "/bighead/api/notebooks/productionize/plan": {"path": "missing.ipynb"},
    "/bighead/api/notebooks/report": {"path": "missing.ipynb"},
    "/bighead/api/features/preview": {"features": ["nope@1"], "entities": [{"id": 1}]},
    "/bighead/api/models/{name}/aliases/{alias}": {"version": 999},
    "/bighead/api/jobs": {"notebook": "missing.ipynb"},
    "/bighead/api/schedules": {"notebook": "missing.ipynb", "schedule": "0 3 * * *",
                               "name": "nightly"},
    "/bighead/api/sweeps": {"notebook": "missing.ipynb", "space": {"alpha": [1, 2]}},
    "/bighead/api/deployments": {"model": "no_such_model"},
    "/bighead/api/deployments/{dep_id}/predict": {"instances": [{"a": 1.0}]},
    "/bighead/api/reviews": {"model_ref": "no_such_model:1"},
    "/bighead/api/reviews/{review_id}/comment": {"text": "a comment"},
    "/bighead/api/reviews/{review_id}/reject": {"text": "a reason"},
}
#: (verb, route) pairs whose valid path values would change stored state.
DESTRUCTIVE = {("DELETE", "/bighead/api/models/{name}/aliases/{alias}"),
               ("POST", "/bighead/api/models/{name}/aliases/{alias}/rollback")}


def operations() -> list[tuple[str, str]]:
    return sorted((verb.upper(), path) for path, ops in SPEC["paths"].items()
                  for verb in ops if verb != "parameters")


def query_names(verb: str, path: str) -> list[str]:
    ops = SPEC["paths"][path]
    params = list(ops.get("parameters", [])) + list(ops[verb.lower()].get("parameters", []))
    out = []
    for p in params:
        if "$ref" in p:
            p = SPEC["components"]["parameters"][p["$ref"].rsplit("/", 1)[-1]]
        if p.get("in") == "query":
            out.append(p["name"])
    return out


def body_properties(verb: str, path: str) -> list[str]:
    op = SPEC["paths"][path][verb.lower()]
    schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get(
        "schema", {})
    if "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return list(schema.get("properties", {}))


def fill(path: str, value: str | None = None) -> str:
    def one(match: re.Match[str]) -> str:
        raw = PATH_DEFAULTS[match.group(1)] if value is None else value
        return "%2E%2E" if raw == ".." else quote(raw, safe="")

    return re.sub(r"\{(\w+)\}", one, path)


def snapshot(*roots: Path) -> dict[str, str]:
    """Every stored file and its digest (SQLite's -wal/-shm files aside: see state())."""
    out = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.name.endswith(("-wal", "-shm", "-journal")):
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def state(reg: Registry, *roots: Path) -> tuple[object, ...]:
    """What is stored: files, and the registry's rows (its writes may sit in the WAL)."""
    history = reg.alias_history("demo_model", limit=None)
    return (snapshot(*roots), [m.name for m in reg.models().items],
            [mv.version for mv in reg.versions("demo_model").items],
            [e.to_dict() for e in history.items])


@pytest.fixture
def jp_server_config(bighead_home):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True}},
        "BigheadApp": {"home": str(bighead_home), "deploy_supervise_seconds": 0.0,
                       "max_body_bytes": 256 * 1024},
    }


@pytest.fixture
def stored(bighead_home, jp_root_dir):
    """A registered model with an alias, and a notebook in the server root."""
    import lightgbm as lgb

    home = BigheadHome(bighead_home).ensure()
    reg = Registry(home.registry_uri, artifacts=home.artifacts)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 2)), columns=["a", "b"])
    y = (X.a > 0).astype(int)
    mv = reg.register("demo_model", lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(X, y))
    reg.set_alias("demo_model", "prod", mv.version)
    write_nb(jp_root_dir / "train.ipynb", [code("x = 1", "parameters"), code("print(x)")])
    FeatureRepo(home.features)  # its catalog exists before the snapshots, as in real use
    return reg


class Client:
    """Raw requests to the server (any bytes, any path), answers as (status, body)."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base = base_url.rstrip("/")
        self.headers = {"Authorization": f"token {token}"}

    async def send(self, verb: str, path: str, body: bytes | None = None,
                   query: dict[str, str] | None = None) -> tuple[int, bytes]:
        url = self.base + path + (f"?{urlencode(query)}" if query else "")
        if body is None and verb in ("POST", "PUT", "PATCH"):
            body = b""
        try:
            # Generous timeouts: under load, requests also wait in the client's queue.
            response = await AsyncHTTPClient().fetch(
                url, method=verb, body=body, headers=self.headers, request_timeout=120,
                connect_timeout=120, allow_nonstandard_methods=True)
        except HTTPClientError as exc:
            assert exc.response is not None, (verb, path, exc)
            return exc.code, exc.response.body
        return response.code, response.body


@pytest.fixture
def client(jp_serverapp, jp_base_url, jp_http_port, jp_fetch):
    # (jp_fetch: its fixtures are what start the server listening on jp_http_port.)
    # The first Bighead request imports pandas, LightGBM...; do that here rather than
    # in the first request (a loaded machine takes a while).
    jp_serverapp.web_app.settings["bighead"].imports.wait()
    return Client(f"http://127.0.0.1:{jp_http_port}{jp_base_url.rstrip('/')}",
                  jp_serverapp.identity_provider.token)


def requests_for(verb: str, path: str) -> list[tuple[str, bytes | None, dict[str, str] | None]]:
    """(url path, body, query) for every hostile variant of one operation."""
    out: list[tuple[str, bytes | None, dict[str, str] | None]] = []
    base_body = BASE_BODIES.get(path, {})
    raw_base = json.dumps(base_body).encode() if verb in ("POST", "PUT", "PATCH") else None
    if "{" in path:
        out += [(fill(path, value), raw_base, None) for value in PATH_HOSTILE]
    if (verb, path) in DESTRUCTIVE:
        return out
    out += [(fill(path), raw_base, {name: value}) for name in query_names(verb, path)
            for value in QUERY_HOSTILE]
    if (verb, path) == ("POST", "/bighead/api/jobs"):
        # Past the notebook check, into the profile check: a real notebook, bad resources
        # (every value here is refused: none is a quantity within the default profile).
        out += [(fill(path), json.dumps({"notebook": "train.ipynb",
                                         "resources": {key: value}}).encode(), None)
                for key in ("cpu", "gpu") for value in BODY_HOSTILE]
    props = body_properties(verb, path)
    if props:
        out += [(fill(path), raw, None) for raw in RAW_BODIES]
        for prop in props:
            for value in BODY_HOSTILE:
                body = {**base_body, prop: value}
                out.append((fill(path), json.dumps(body).encode(), None))
    return out


def check_refusal(verb: str, path: str, status: int, body: bytes, what: str) -> None:
    assert status < 500, f"{verb} {what}: {status} {body[:300]!r}"
    if verb != "GET":
        assert 400 <= status < 500, f"{verb} {what} was accepted: {status} {body[:300]!r}"
    if status >= 400:
        payload = json.loads(body)
        assert isinstance(payload.get("error"), str) and payload["error"] != "internal_error"
        assert isinstance(payload.get("message"), str) and payload["message"]
        assert len(payload["message"]) <= MAX_MESSAGE_CHARS + 40, what


@pytest.mark.parametrize("verb,path", operations())
async def test_malformed_input_is_a_4xx_never_a_500_and_changes_nothing(
        client, stored, bighead_home, jp_root_dir, verb, path):
    before = state(stored, bighead_home, jp_root_dir)
    for url, body, query in requests_for(verb, path):
        status, answer = await client.send(verb, url, body, query)
        what = f"{url[:80]} query={str(query)[:80]} body={(body or b'')[:80]!r}"
        check_refusal(verb, path, status, answer, what)
    assert state(stored, bighead_home, jp_root_dir) == before
    assert stored.get("demo_model", alias="prod").version == 1


@pytest.mark.parametrize("path", sorted(p for p, ops in SPEC["paths"].items()
                                        if any(body_properties(v, p) for v in ops
                                               if v != "parameters")))
async def test_bodies_over_the_cap_are_413_and_never_echoed(client, stored, path):
    verb = next(v.upper() for v in SPEC["paths"][path] if v != "parameters"
                and body_properties(v, path))
    big = json.dumps({"notebook": "x" * (300 * 1024)}).encode()
    status, answer = await client.send(verb, fill(path), big)
    assert status == 413, (path, status, answer[:200])
    payload = json.loads(answer)
    assert payload["error"] == "payload_too_large" and str(256 * 1024) in payload["message"]
    assert len(answer) < 2000


async def test_a_long_invalid_value_is_not_echoed_back(client, stored):
    status, answer = await client.send("POST", "/bighead/api/deployments",
                                       json.dumps({"model": "m" * 200_000}).encode())
    assert status == 400
    assert len(answer) < MAX_MESSAGE_CHARS + 200


async def test_the_server_stays_responsive_and_consistent_under_mixed_hostile_traffic(
        client, stored, bighead_home, jp_root_dir):
    """Happy requests (reads, alias moves) interleaved with hostile ones, all at once."""
    hostile = [(v, u, b, q) for v, p in operations() for (u, b, q) in requests_for(v, p)
               if "/aliases/" not in p][::7]
    moves = 0

    async def happy(i: int) -> None:
        nonlocal moves
        status, body = await client.send("GET", "/bighead/api/models/demo_model/versions")
        assert status == 200 and json.loads(body)["total"] == 1
        status, body = await client.send("PUT", "/bighead/api/models/demo_model/aliases/stage",
                                         json.dumps({"version": 1}).encode())
        assert status == 200, body
        moves += 1
        status, _ = await client.send("GET", "/bighead/api/status")
        assert status == 200

    async def attack(verb: str, url: str, body: bytes | None, query: dict | None) -> None:
        status, answer = await client.send(verb, url, body, query)
        check_refusal(verb, url, status, answer, url[:80])

    before = {k: v for k, v in snapshot(jp_root_dir).items()}
    await asyncio.gather(*(happy(i) for i in range(20)),
                         *(attack(*h) for h in hostile))
    assert moves == 20
    history = stored.alias_history("demo_model", "stage", limit=None)
    assert history.total == 20 and all(e.to_version == 1 for e in history.items)
    assert stored.get("demo_model", alias="prod").version == 1
    assert [mv.version for mv in stored.versions("demo_model").items] == [1]
    assert snapshot(jp_root_dir) == before
    with sqlite3.connect(bighead_home / "registry.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # Still answering promptly after the storm.
    status, _ = await asyncio.wait_for(client.send("GET", "/bighead/api/status"), 10)
    assert status == 200
