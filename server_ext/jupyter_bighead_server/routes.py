"""The route table: one OpenAPI-style path template per handler.

Templates use ``{name}`` placeholders; :func:`url_pattern` turns them into tornado
regexes. The OpenAPI document must describe every template here (a test checks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jupyter_server.utils import url_path_join
from tornado.web import RequestHandler

from .handlers.openapi import OpenAPIHandler
from .handlers.status import StatusHandler

API_PREFIX = "/bighead/api"


@dataclass(frozen=True)
class Route:
    template: str
    handler: type[RequestHandler]


ROUTES: tuple[Route, ...] = (
    Route(f"{API_PREFIX}/status", StatusHandler),
    Route(f"{API_PREFIX}/openapi.json", OpenAPIHandler),
)


def url_pattern(base_url: str, template: str) -> str:
    """Turn ``/bighead/api/models/{name}`` into a tornado pattern under ``base_url``."""
    escaped = re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", escaped)
    return url_path_join(base_url, regex) + "/?"
