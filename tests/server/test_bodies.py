"""Request bodies are checked once, in the base handler, against the schema the
published OpenAPI document gives their route: what it documents is what is enforced."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead_server import bodies
from jupyter_bighead_server.openapi import load_openapi
from jupyter_bighead_server.routes import ROUTES, route_template

from .routes import implemented_verbs


def test_every_documented_body_compiles_and_every_body_verb_has_its_route():
    spec = load_openapi()
    for route in ROUTES:
        assert route_template(route.handler) == route.template
        for verb in implemented_verbs(route.handler) & {"post", "put", "patch"}:
            operation = spec["paths"][route.template][verb]
            if "requestBody" in operation:
                assert bodies._validator(route.template, verb) is not None, route.template


@pytest.mark.parametrize("body,message", [
    ({}, "'model' must be a registered model's name"),
    ({"model": ""}, "'model' must be a registered model's name"),
    ({"model": "m", "colour": "red"}, "unknown deployment keys ['colour']"),
    ({"model": "m", "version": 0}, "version 0 is not a version number"),
    ({"model": "m", "resources": {"gpu": "two"}}, "'resources.gpu': 'two' is not of type"),
])
def test_a_body_off_the_schema_is_refused_naming_what_is_wrong(body, message):
    with pytest.raises(InvalidSpec) as info:
        bodies.check_body("/bighead/api/deployments", "POST", body)
    assert message in info.value.message


def test_a_documented_body_passes_unchanged_and_nullable_means_null_too():
    body = {"model": "m", "version": None, "alias": "prod", "replicas": {"min": 1, "max": 3},
            "resources": {"cpu": "500m", "memory": 2e9}}
    assert bodies.check_body("/bighead/api/deployments", "POST", body) is body
    assert bodies.check_body("/bighead/api/features/preview", "POST",
                             {"features": ["f@1"], "entities": [1], "at": None})


async def test_the_server_answers_400_from_the_schema_before_any_core_call(jp_fetch,
                                                                          jp_serverapp):
    for route, body, message in (
            ("jobs", {"notebook": ["a.ipynb"]}, "'notebook': ['a.ipynb'] is not of type"),
            ("features/preview", {"features": "f", "entities": []},
             "'features' and 'entities' must be JSON lists"),
            ("schedules", {"notebook": "a.ipynb"}, "a schedule needs a cron expression")):
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch("bighead", "api", *route.split("/"), method="POST",
                           body=json.dumps(body))
        assert info.value.code == 400
        answer = json.loads(info.value.response.body)
        assert answer["error"] == "invalid_spec" and message in answer["message"], answer
    assert jp_serverapp.web_app.settings["bighead"].jobs().list(limit=5) == []
