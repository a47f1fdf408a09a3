"""``/bighead/api/blocks``: the catalog of pipeline blocks."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..threads import in_thread
from .base import BigheadHandler


class BlocksHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        """``?search=``: built-in blocks, those of installed packages and those of the
        configured block folders, with parameters, resources, owner, source and a
        snippet; blocks that failed to load are listed under ``errors``."""
        search = self.get_argument("search", None)
        self.write_json(await in_thread(self.bighead.blocks, search))
