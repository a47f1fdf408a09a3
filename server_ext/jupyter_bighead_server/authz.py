"""Roles on every route, through jupyter_server's authorizer.

Every Bighead handler is decorated with jupyter_server's ``@authorized`` (resource
``"bighead"``). :class:`RoleAuthorizer` is the authorizer those handlers consult: it asks
the server's own authorizer first (JupyterHub's scopes, an admin's custom class) and,
when that allows, checks the route's permission from :data:`ROUTE_PERMISSIONS` against
the roles ``c.BigheadApp.roles`` gives the user (see :mod:`jupyter_bighead.roles`).

The table names one permission per ``(route template, verb)``. A route missing from it
is refused for everyone when roles are configured (a test fails first: every route
needs an entry); without c.BigheadApp.roles there is one user, holding every role. Checks that
depend on the object, not the route (cancelling *another user's* job, moving a
*protected* alias), are made by the handler with :meth:`BigheadHandler.require`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jupyter_server.auth.authorizer import Authorizer

from jupyter_bighead.roles import RoleMap, refusal

#: Where every Bighead route lives (relative to the server's base_url).
API_PREFIX = "/bighead/api"
#: No permission beyond being signed in: the lab asks these before it knows your roles.
SIGNED_IN = None

_A = API_PREFIX
#: (route template, verb) -> the permission it needs (see jupyter_bighead.roles).
ROUTE_PERMISSIONS: dict[tuple[str, str], str | None] = {
    (f"{_A}/status", "GET"): SIGNED_IN,
    (f"{_A}/openapi.json", "GET"): SIGNED_IN,
    (f"{_A}/cluster", "GET"): "read",
    (f"{_A}/blocks", "GET"): "read",
    # Notebooks: a plan only reads the notebook; productionize and reports write files.
    (f"{_A}/notebooks/productionize/plan", "POST"): "read",
    (f"{_A}/notebooks/productionize", "POST"): "write",
    (f"{_A}/notebooks/report", "POST"): "write",
    # Features: the catalog and online preview read; definitions come from code.
    (f"{_A}/features", "GET"): "read",
    (f"{_A}/features/preview", "POST"): "read",
    (f"{_A}/features/{{name}}", "GET"): "read",
    (f"{_A}/features/{{name}}/diff", "GET"): "read",
    # Jobs: submitting runs under the caller's quotas; cancelling another's needs admin.
    (f"{_A}/profiles", "GET"): "read",
    # Admin settings: anyone reading sees profiles, kernel images and quotas (the lab
    # shows users theirs); changing them, the audit and every user's usage are admins'.
    (f"{_A}/admin/settings", "GET"): "read",
    (f"{_A}/admin/profiles/{{name}}", "GET"): "read",
    (f"{_A}/admin/profiles/{{name}}", "PUT"): "admin",
    (f"{_A}/admin/profiles/{{name}}", "DELETE"): "admin",
    (f"{_A}/admin/kernel-images/{{kernelspec}}", "PUT"): "admin",
    (f"{_A}/admin/quotas/{{user}}", "PUT"): "admin",
    (f"{_A}/admin/audit", "GET"): "admin",
    (f"{_A}/admin/usage", "GET"): "admin",
    (f"{_A}/jobs", "GET"): "read",
    (f"{_A}/jobs", "POST"): "write",
    (f"{_A}/jobs/{{job_id}}", "GET"): "read",
    (f"{_A}/jobs/{{job_id}}/logs", "GET"): "read",
    (f"{_A}/jobs/{{job_id}}/cancel", "POST"): "write",
    (f"{_A}/jobs/{{job_id}}/rerun", "POST"): "write",
    (f"{_A}/jobs/{{job_id}}/notebook", "POST"): "write",
    (f"{_A}/schedules", "GET"): "read",
    (f"{_A}/schedules", "POST"): "write",
    (f"{_A}/schedules/{{name}}", "DELETE"): "write",
    (f"{_A}/sweeps", "GET"): "read",
    (f"{_A}/sweeps", "POST"): "write",
    (f"{_A}/sweeps/{{sweep_id}}", "GET"): "read",
    # Models: reading is open to viewers; a protected alias needs admin (see handlers).
    (f"{_A}/models", "GET"): "read",
    (f"{_A}/models/{{name}}", "GET"): "read",
    (f"{_A}/models/{{name}}/versions", "GET"): "read",
    (f"{_A}/models/{{name}}/versions/{{version}}", "GET"): "read",
    (f"{_A}/models/{{name}}/trend", "GET"): "read",
    # Monitoring: the tab's check never alerts; a monitor is a scheduled job.
    (f"{_A}/models/{{name}}/versions/{{version}}/monitoring", "GET"): "read",
    (f"{_A}/models/{{name}}/monitor", "POST"): "write",
    (f"{_A}/alerts", "GET"): "read",
    (f"{_A}/models/{{name}}/compare", "GET"): "read",
    (f"{_A}/models/{{name}}/aliases/{{alias}}", "PUT"): "write",
    (f"{_A}/models/{{name}}/aliases/{{alias}}", "DELETE"): "write",
    (f"{_A}/models/{{name}}/aliases/{{alias}}/rollback", "POST"): "write",
    (f"{_A}/models/{{name}}/aliases/{{alias}}/history", "GET"): "read",
    # Reviews: anyone reading may read them and their reports; requesting writes. A
    # comment needs the review's author or the review permission, a withdrawal its
    # author or an admin (checked per review by the handler and the store, so the
    # routes let those through); deciding needs review, and never by the author.
    (f"{_A}/reviews", "GET"): "read",
    (f"{_A}/reviews", "POST"): "write",
    (f"{_A}/reviews/{{review_id}}", "GET"): "read",
    (f"{_A}/reviews/{{review_id}}/report", "GET"): "read",
    (f"{_A}/reviews/{{review_id}}/comment", "POST"): "read",
    (f"{_A}/reviews/{{review_id}}/approve", "POST"): "review",
    (f"{_A}/reviews/{{review_id}}/reject", "POST"): "review",
    (f"{_A}/reviews/{{review_id}}/withdraw", "POST"): "read",
    # Deployments: predicting changes nothing; a deployment's owner or an admin may
    # redeploy or delete it.
    (f"{_A}/deployments", "GET"): "read",
    (f"{_A}/deployments", "POST"): "write",
    (f"{_A}/deployments/{{dep_id}}", "GET"): "read",
    (f"{_A}/deployments/{{dep_id}}", "DELETE"): "write",
    (f"{_A}/deployments/{{dep_id}}/logs", "GET"): "read",
    (f"{_A}/deployments/{{dep_id}}/redeploy", "POST"): "write",
    (f"{_A}/deployments/{{dep_id}}/predict", "POST"): "read",
}

#: Attribute a refusal's message is left on, for the handler's JSON error.
REFUSAL_ATTR = "_bighead_refusal"


def user_groups(user: Any) -> tuple[str, ...]:
    """The user's JupyterHub groups (``hub_user["groups"]`` under JupyterHub), if any."""
    hub_user = getattr(user, "hub_user", None)
    groups: Iterable[Any] = ()
    if isinstance(hub_user, dict):
        groups = hub_user.get("groups") or ()
    return tuple(str(g) for g in groups if isinstance(g, str))[:1000]


class RoleAuthorizer(Authorizer):
    """The server's authorizer, then the route's permission against the user's roles."""

    def __init__(self, roles: RoleMap, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.roles = roles

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        inner = handler.settings.get("authorizer")
        if inner is not None and inner is not self and not inner.is_authorized(
                handler, user, action, resource):
            return False
        if resource != "bighead" or not self.roles.configured:
            return True  # one user holds every role: nothing more to check
        method = (handler.request.method or "GET").upper()
        key = (getattr(handler, "openapi_path", None) or "", method)
        if key not in ROUTE_PERMISSIONS:
            setattr(handler, REFUSAL_ATTR, f"{method} {key[0] or handler.request.path} has no "
                    "entry in the role table; refused for everyone")
            return False
        permission = ROUTE_PERMISSIONS[key]
        if permission is None:
            return True
        name = handler.username()
        groups = user_groups(user)
        if self.roles.allows(name, permission, groups):
            return True
        setattr(handler, REFUSAL_ATTR, refusal(
            name, permission, self.roles.roles_of(name, groups),
            doing=f"{method} {key[0].removeprefix(API_PREFIX) or '/'}"))
        return False
