"""The OpenAPI document describes every route and method the extension serves."""

from __future__ import annotations

import json
import re

from jupyter_bighead_server.routes import ROUTES, url_pattern

from .routes import implemented_verbs


async def test_openapi_document_is_served_and_versioned(jp_fetch):
    import jupyter_bighead

    spec = json.loads((await jp_fetch("bighead", "api", "openapi.json")).body)
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["version"] == jupyter_bighead.__version__


async def test_every_registered_route_and_verb_is_documented(jp_fetch, jp_serverapp):
    spec = json.loads((await jp_fetch("bighead", "api", "openapi.json")).body)
    app = jp_serverapp.extension_manager.extension_apps["jupyter_bighead_server"]
    (bighead_app,) = app
    registered = {pattern: handler for pattern, handler, *_ in bighead_app.handlers}
    assert registered, "the extension registered no handlers"

    missing = []
    for route in ROUTES:
        assert url_pattern(route.template) in registered
        documented = spec["paths"].get(route.template, {})
        for verb in implemented_verbs(route.handler):
            if verb not in documented:
                missing.append(f"{verb.upper()} {route.template}")
    # Every registered pattern must come from a documented route template.
    templates = {url_pattern(r.template) for r in ROUTES}
    undocumented = [p for p in registered if p not in templates]
    assert missing == [] and undocumented == [], (missing, undocumented)


def test_openapi_documents_no_route_that_does_not_exist():
    from jupyter_bighead_server.handlers.openapi import load_openapi

    spec = load_openapi()
    templates = {r.template for r in ROUTES}
    assert set(spec["paths"]) == templates
    for path, ops in spec["paths"].items():
        handler = next(r.handler for r in ROUTES if r.template == path)
        assert set(ops) <= implemented_verbs(handler) | {"parameters"}, path
        params = set(re.findall(r"\{(\w+)\}", path))
        for op in ops.values():
            if isinstance(op, dict) and params:
                named = {p["name"] for p in op.get("parameters", []) if p.get("in") == "path"}
                assert params <= named, (path, params - named)


def test_url_pattern_turns_placeholders_into_named_groups():
    pattern = url_pattern("/bighead/api/models/{name}/versions/{version}")
    match = re.fullmatch(pattern, "/bighead/api/models/churn/versions/3")
    assert match and match.groupdict() == {"name": "churn", "version": "3"}
    assert not re.fullmatch(pattern, "/bighead/api/models/a/b/versions/3")
    assert re.fullmatch(url_pattern("/bighead/api/openapi.json"), "/bighead/api/openapi.json")
    assert not re.fullmatch(url_pattern("/bighead/api/openapi.json"), "/bighead/api/openapiXjson")
