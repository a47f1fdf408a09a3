"""``GET /bighead/api/openapi.json``: the OpenAPI 3 description of every route."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..openapi import SPEC_PATH as SPEC_PATH
from ..openapi import load_openapi
from .base import BigheadHandler

__all__ = ["SPEC_PATH", "OpenAPIHandler", "load_openapi"]


class OpenAPIHandler(BigheadHandler):
    needs_core = False

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(load_openapi())
