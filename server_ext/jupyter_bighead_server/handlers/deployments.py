"""``/bighead/api/deployments``: deploy a model version, list, inspect, logs, try it, delete."""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_bighead.admin import check_deploy_quota
from jupyter_bighead.errors import InvalidSpec

from ..threads import in_thread
from .base import BigheadHandler


class DeploymentsHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        """Every deployment, newest first, with its health checked now."""
        items = await in_thread(self.bighead.deployments().list)
        self.write_json({"items": [d.view() for d in items]})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        """``{model, version | alias, target, replicas, resources}``; 201 with the record.

        Serving a protected alias (``c.BigheadApp.protected_aliases``, e.g. ``production``)
        is an admin's: a data scientist deploys non-production aliases or versions (403
        naming the role). Single-user mode allows it (the one user holds every role)."""
        from jupyter_bighead.registry.protect import protected_aliases

        body = self.get_json_object()
        user = self.username()
        alias = body.get("alias")
        if isinstance(alias, str) and alias in protected_aliases():
            self.require("admin", doing=f"deploy the protected alias {alias!r} (data "
                                        "scientists deploy other aliases or a version)")

        def create() -> Any:
            # The admin's quota first (403 naming it and the user's deployments now).
            quota = self.bighead.admin().quota_for(user)
            check_deploy_quota(quota, user, self.bighead.deployments().store.all())
            return self.bighead.create_deployment(body, user)

        record = await in_thread(create)
        self.write_json(record.view(), status=201)


class _OwnedDeployment(BigheadHandler):
    async def _require_owner(self, dep_id: str, doing: str) -> None:
        """Its owner or an admin: 404 for an unknown id, 403 naming the role otherwise."""
        if not self.bighead.roles.configured:
            return  # one user, every role: no need to read the record first
        record = await in_thread(self.bighead.deployments().get, dep_id)
        self.require_owner(record.user, doing=f"{doing} {dep_id}")


class DeploymentHandler(_OwnedDeployment):
    @web.authenticated
    @authorized
    async def get(self, dep_id: str) -> None:
        """One deployment: status, url, version being served, restarts."""
        record = await in_thread(self.bighead.deployments().get, dep_id)
        self.write_json(record.view())

    @web.authenticated
    @authorized
    async def delete(self, dep_id: str) -> None:
        """Stop the deployment and remove everything it created."""
        await self._require_owner(dep_id, "delete the deployment")
        record = await in_thread(self.bighead.deployments().delete, dep_id)
        self.write_json(record.view())


class DeploymentLogsHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def get(self, dep_id: str) -> None:
        """``?offset=N``: the server's log from byte N on (local target)."""
        offset = self.int_argument("offset", 0) or 0
        if offset < 0:
            raise InvalidSpec("offset must be >= 0")
        text, new_offset = await in_thread(self.bighead.deployments().logs, dep_id,
                                           offset)
        self.write_json({"text": text, "offset": new_offset})


class DeploymentRedeployHandler(_OwnedDeployment):
    @web.authenticated
    @authorized
    async def post(self, dep_id: str) -> None:
        """Serve the version the alias points at now (``?force=1``: reload regardless)."""
        force = self.get_argument("force", "") in ("1", "true")
        await self._require_owner(dep_id, "redeploy the deployment")
        record = await in_thread(self.bighead.deployments().redeploy, dep_id, force)
        self.write_json(record.view())


class DeploymentPredictHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def post(self, dep_id: str) -> None:
        """Forward a KServe v1 body to the deployment (the panel's "try it" box).

        The browser cannot reach the server's own port with the lab's credentials; this
        passes the request through and returns the server's status and JSON verbatim.
        """
        self.get_json_object()  # a 400 here for a body that is not a JSON object
        status, payload = await in_thread(
            self.bighead.predict_deployment, dep_id, self.request.body)
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(payload)
