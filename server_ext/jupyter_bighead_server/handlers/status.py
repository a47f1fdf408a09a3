"""``GET /bighead/api/status``."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .base import BigheadHandler


class StatusHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        """Version, home folder, store locations and executor."""
        self.write_json(self.bighead.status())
