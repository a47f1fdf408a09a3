"""``GET /bighead/api/openapi.json``: the OpenAPI 3 description of every route."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_bighead import __version__

from .base import BigheadHandler

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.json"


@cache
def load_openapi() -> dict[str, Any]:
    """The OpenAPI document, with ``info.version`` set to the installed version."""
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text("utf-8"))
    spec["info"]["version"] = __version__
    return spec


class OpenAPIHandler(BigheadHandler):
    needs_core = False

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(load_openapi())
