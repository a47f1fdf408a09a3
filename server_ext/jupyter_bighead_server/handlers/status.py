"""``GET /bighead/api/status``."""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_bighead.roles import PERMISSIONS, ROLES, roles_granting

from .base import BigheadHandler


class StatusHandler(BigheadHandler):
    needs_core = False  # the lab asks on every start: no core import for it

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """Version, home folder, store locations, executor, and who the user is."""
        self.write_json({**self.bighead.status(), "user": self.user_view()})

    def user_view(self) -> dict[str, Any]:
        """The signed-in user as the lab needs it to hide or disable what they may not
        do: their roles and permissions, whether roles are configured at all (``team``;
        without, everyone holds every role), the protected aliases, and which roles
        grant each permission (for the "needs the role ..." hints)."""
        # Light: the server imported it when it started (it exports the list).
        from jupyter_bighead.registry.protect import protected_aliases

        roles, name, groups = self.bighead.roles, self.username(), self.groups()
        held = roles.roles_of(name, groups)
        granted = roles.permissions_of(name, groups)
        return {
            "name": name,
            "roles": [r for r in ROLES if r in held],
            "permissions": [p for p in PERMISSIONS if p in granted],
            "team": roles.configured,
            "protected_aliases": list(protected_aliases()),
            "granted_by": {p: list(roles_granting(p)) for p in PERMISSIONS},
        }
