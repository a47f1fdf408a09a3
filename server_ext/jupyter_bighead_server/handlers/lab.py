"""Routes the lab's panels need beyond the core resources.

``POST /bighead/api/jobs/{job_id}/notebook``
    The executed notebook of a job lives in the hidden ``.bighead/`` folder, which the
    contents API refuses to serve. This copies it once to a visible folder beside the
    job's notebook and returns that contents path, so the lab opens it like any notebook.
``POST /bighead/api/notebooks/productionize/plan``
    What Productionize would overwrite: the outputs that exist, and among them the ones
    a person edited since Productionize (or Run remotely) wrote them and whose content
    would change. The lab asks before overwriting only those.
"""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..lab_files import executed_copy, productionize_plan
from ..threads import in_thread
from .base import BigheadHandler

__all__ = ["JobNotebookHandler", "ProductionizePlanHandler", "executed_copy",
           "productionize_plan"]


class JobNotebookHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def post(self, job_id: str) -> None:
        """Copy the executed notebook out of ``.bighead/``; ``{"path", "copied", "final"}``.

        A job's notebook is its owner's (it may hold their data and secrets): in a team
        only the owner or an admin copies it."""
        if self.bighead.roles.configured:
            owner = (await in_thread(self.bighead.jobs().status, job_id)).user
            self.require_owner(owner, doing=f"open the executed notebook of the job {job_id}")
        self.write_json(await in_thread(executed_copy, self.bighead, job_id))


class ProductionizePlanHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        """Body ``{"path"}``; ``{"outputs", "overwrites"}`` as contents paths."""
        body = self.get_json_object()
        self.write_json(await in_thread(productionize_plan, self.bighead, body.get("path")))
