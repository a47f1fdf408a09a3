"""``GET /bighead/api/cluster``."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .base import BigheadHandler


class ClusterHandler(BigheadHandler):
    # No core import for a server without a standing cluster: only a scheduler address
    # is probed, after the core imports (see ..cluster_info).
    needs_core = False

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """The Dask cluster setting and, for a scheduler address, its workers and
        dashboard link, or why it did not answer."""
        probe = self.bighead.cluster
        if probe.needs_probe():
            await self.bighead.imports.ready()
        self.write_json(await probe.report())
