"""Every (template, verb) the extension serves, for tests that must cover them all."""

from __future__ import annotations

import re

from tornado.web import RequestHandler

from jupyter_bighead_server.routes import ROUTES

VERBS = ("get", "post", "put", "patch", "delete")


def implemented_verbs(handler: type[RequestHandler]) -> set[str]:
    return {v for v in VERBS if getattr(handler, v) is not getattr(RequestHandler, v)}


def concrete(template: str) -> str:
    """A request path for a template: placeholders filled with a dummy value."""
    return re.sub(r"\{\w+\}", "x", template)


ROUTE_VERBS = sorted(
    (route.template, verb.upper()) for route in ROUTES for verb in implemented_verbs(route.handler)
)
