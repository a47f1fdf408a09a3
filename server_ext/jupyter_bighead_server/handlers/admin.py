"""``/bighead/api/admin``: compute profiles, kernel images, quotas, usage and the audit.

Reads of the settings are open to every reader (the lab shows users their quota);
writes, the audit and every user's usage need the admin permission (see ..authz). The
store is :class:`jupyter_bighead.admin.AdminSettings` under the server's home: shared by
a team's servers, so an edit here is what every user's next submit sees.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_bighead.admin import QUOTA_HELP, AdminSettings, usage_view
from jupyter_bighead.errors import InvalidSpec, NotFound

from ..threads import in_thread
from .base import BigheadHandler

#: The largest admin request body: a profile or a quota is a few hundred bytes.
MAX_ADMIN_BODY = 64 * 1024
#: The most audit entries one request returns.
MAX_AUDIT_PAGE = 1000


class _AdminHandler(BigheadHandler):
    @property
    def settings_store(self) -> AdminSettings:
        return self.bighead.admin()

    def admin_body(self) -> dict[str, Any]:
        """The JSON body, at most :data:`MAX_ADMIN_BODY` bytes (413 otherwise)."""
        if len(self.request.body or b"") > MAX_ADMIN_BODY:
            raise web.HTTPError(413, f"an admin request body may be at most {MAX_ADMIN_BODY} "
                                     "bytes")
        return self.get_json_object()


class AdminSettingsHandler(_AdminHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        """Profiles, kernel images and quotas (``"*"``: the default), with the version."""
        view = await in_thread(self.settings_store.view)
        self.write_json({**view, "quota_help": QUOTA_HELP})


class AdminProfileHandler(_AdminHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        """One compute profile."""
        profiles = await in_thread(self.settings_store.profiles)
        if name not in profiles:
            raise NotFound(f"compute profile {name[:80]!r} does not exist")
        self.write_json(profiles[name].to_dict())

    @web.authenticated
    @authorized
    async def put(self, name: str) -> None:
        """Add or replace a profile: ``{cpu, memory, gpu, image, node_selector,
        tolerations, max_concurrent_per_user, description}``."""
        body = self.admin_body()
        profile = await in_thread(self.settings_store.put_profile, name, body, self.username())
        self.write_json(profile.to_dict())

    @web.authenticated
    @authorized
    async def delete(self, name: str) -> None:
        """Remove a profile (never the last one); jobs already running keep going."""
        await in_thread(self.settings_store.delete_profile, name, self.username())
        self.set_status(204)
        self.finish()


class AdminKernelImageHandler(_AdminHandler):
    @web.authenticated
    @authorized
    async def put(self, kernelspec: str) -> None:
        """``{"image": "org/image:tag"}`` maps a kernelspec to an image; ``null`` or
        ``""`` removes the mapping."""
        body = self.admin_body()
        image = body.get("image")
        if set(body) != {"image"} or not (image is None or isinstance(image, str)):
            raise InvalidSpec('the body must be {"image": "<image reference>" or null}')
        await in_thread(self.settings_store.put_kernel_image, kernelspec, image or None,
                        self.username())
        self.write_json({"kernelspec": kernelspec, "image": image or None})


class AdminQuotaHandler(_AdminHandler):
    @web.authenticated
    @authorized
    async def put(self, user: str) -> None:
        """Set a user's quota (``*``: the default): ``{max_running_jobs, max_gpus,
        max_deployments}``, each a whole number or null (the default's; for ``*``: no
        limit). All null removes a user's override."""
        body = self.admin_body()
        quota = await in_thread(self.settings_store.put_quota, user, body, self.username())
        self.write_json({"user": user, **quota.to_dict(),
                         "effective": self.settings_store.quota_for(user).to_dict()})


class AdminAuditHandler(_AdminHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        """``?limit=&offset=``: audit entries, newest first."""
        limit = self.int_argument("limit", 100)
        offset = self.int_argument("offset", 0)
        if limit is None or offset is None or not 1 <= limit <= MAX_AUDIT_PAGE or offset < 0:
            raise InvalidSpec(f"limit must be 1-{MAX_AUDIT_PAGE} and offset >= 0")
        items = await in_thread(self.settings_store.audit, limit, offset)
        self.write_json({"items": items})


class AdminUsageHandler(_AdminHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        """Every user's running jobs and deployments next to their quota, and the
        records themselves."""

        def gather() -> dict[str, Any]:
            jobs = [r for r in self.bighead.jobs().list(limit=10_000) if not r.final]
            deployments = [d for d in self.bighead.deployments().store.all()
                           if d.status not in ("stopped", "failed")]
            view = usage_view(self.settings_store, jobs, deployments)
            view["jobs"] = [self.bighead.job_view(r) for r in jobs]
            view["deployments"] = [d.view() for d in deployments]
            return view

        self.write_json(await in_thread(gather))
