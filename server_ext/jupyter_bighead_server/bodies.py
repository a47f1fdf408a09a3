"""Request bodies, checked once against the OpenAPI document the server publishes.

Every JSON body goes through :func:`check_body` in the base handler, against the
``requestBody`` schema ``openapi.json`` gives its route and verb: what the document
promises is what the server enforces, and handlers and services work with bodies of the
documented shape. The core still checks meaning (does the model exist, is the cron
expression valid).

Two OpenAPI extensions make the messages read like the rest of the API: a property's
``x-error`` replaces the validator's message when that property is missing or wrong
(``{value}`` is replaced by the value given), and an object's ``title`` names it in the
message for unknown keys (``additionalProperties: false``).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from jupyter_bighead.errors import InvalidSpec

from .openapi import load_openapi

#: The longest value quoted back in a message.
MAX_QUOTED = 60


def _json_schema(node: Any, components: Mapping[str, Any]) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema: ``$ref`` inlined, ``nullable`` as a type."""
    if isinstance(node, list):
        return [_json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _json_schema(components[node["$ref"].rsplit("/", 1)[-1]], components)
    out = {key: _json_schema(value, components) for key, value in node.items()}
    if out.pop("nullable", False) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


@cache
def _validator(template: str, verb: str) -> Any:
    """The compiled schema of a route's body, or None when it documents none."""
    from jsonschema import Draft7Validator

    spec = load_openapi()
    operation = spec["paths"].get(template, {}).get(verb, {})
    schema = (operation.get("requestBody", {}).get("content", {})
              .get("application/json", {}).get("schema"))
    if schema is None:
        return None
    components = spec.get("components", {}).get("schemas", {})
    return Draft7Validator(_json_schema(copy.deepcopy(schema), components))


def _quoted(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_QUOTED else text[:MAX_QUOTED] + "..."


def _message(error: Any, body: Any, root: Mapping[str, Any]) -> str:
    """What a 400 says about ``error``, the first problem found in ``body``."""
    schema, instance = error.schema, error.instance
    if error.validator == "required" and isinstance(instance, dict):
        name = next(n for n in error.validator_value if n not in instance)
        prop = schema.get("properties", {}).get(name, {})
        return str(prop.get("x-error") or f"'{name}' is required").replace("{value}", "None")
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = sorted(schema.get("properties", {}))
        unknown = sorted(set(instance) - set(known))
        return f"unknown {schema.get('title', 'body')} keys {unknown}; use {known}"
    path = list(error.absolute_path)
    # The innermost property on the way to the problem that explains itself.
    hint, value, node, here = None, None, root, body
    for part in path:
        props = node.get("properties", {}) if isinstance(node, dict) else {}
        if not isinstance(part, str) or part not in props:
            break
        node, here = props[part], here[part]
        if node.get("x-error"):
            hint, value = node["x-error"], here
    if hint:
        return str(hint).replace("{value}", _quoted(value))
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    text = re.sub(r"\s+", " ", error.message)
    if len(text) > 300:
        text = text[:300] + "..."
    return f"'{where}': {text}" if where else f"request body: {text}"


def check_body(template: str, verb: str, body: Any) -> Any:
    """``body`` when it matches the route's documented request schema.

    Raises
    ------
    InvalidSpec
        Naming the first property that does not match (a 400).
    """
    validator = _validator(template, verb.lower())
    if validator is None:
        return body
    from jsonschema.exceptions import best_match

    error = best_match(validator.iter_errors(body))
    if error is None:
        return body
    raise InvalidSpec(_message(error, body, validator.schema))
