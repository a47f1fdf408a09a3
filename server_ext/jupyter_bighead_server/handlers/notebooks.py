"""``/bighead/api/notebooks/*``: productionize (and, later, reports)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..threads import in_thread
from .base import BigheadHandler


class ProductionizeHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        """Body ``{"path", "force"?, "execute"?, "parameters"?}``; paths are server-relative."""
        body = self.get_json_object()
        result = await in_thread(
            self.bighead.productionize,
            body.get("path"),
            force=bool(body.get("force", False)),
            execute=bool(body.get("execute", False)),
            parameters=body.get("parameters") or {},
        )
        self.write_json(result)


class ReportHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        """Body ``{"path", "strip_prototype"?}``; writes ``<stem>.report.html`` beside it."""
        body = self.get_json_object()
        result = await in_thread(
            self.bighead.report, body.get("path"),
            strip_prototype=bool(body.get("strip_prototype", False)),
        )
        self.write_json(result)
