"""``GET /bighead/api/status``."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .base import BigheadHandler


class StatusHandler(BigheadHandler):
    needs_core = False  # the lab asks on every start: no core import for it

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """Version, home folder, store locations and executor."""
        self.write_json(self.bighead.status())
