"""Roles: who may do what on a team's shared stores.

Four roles, from least to most:

- ``viewer`` reads models, features, reports and jobs;
- ``data_scientist`` also registers models, defines features, runs jobs (within their
  profiles' quotas), deploys to aliases that are not protected and cancels their own jobs;
- ``reviewer`` is a viewer who also approves or rejects reviews;
- ``admin`` does everything: manages profiles, kernel images and quotas, moves any alias,
  cancels anyone's job.

An admin assigns them with ``c.BigheadApp.roles``, a mapping from a *subject* to a role
or a list of roles. A subject is ``user:NAME``, ``group:NAME`` (a JupyterHub group),
``*`` (everyone signed in) or a bare ``NAME`` (a user). A user holds every role given to
them, to any of their groups and to ``*``.

Without a mapping (the default, one user on one machine) everyone holds every role, so
single-user mode behaves as before.

**In the Python API.** A server with roles exports them to the kernels it starts as
``$BIGHEAD_ROLES`` (JSON), and the hub's spawner gives each server the user's groups as
``$BIGHEAD_GROUPS``. Writes to the shared stores from a kernel, a job or a script
(registering, moving aliases, defining features, submitting jobs, deploying) then call
:func:`require_current`, so a viewer's notebook is refused the way the lab is. Without
``$BIGHEAD_ROLES`` (single-user mode) every check passes. This guards against mistakes;
the boundary an attacker meets is the server's REST routes and the stores' credentials.

This module is in the bottom layer: it imports only :mod:`jupyter_bighead.errors` and
:mod:`jupyter_bighead.identity`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from .errors import Forbidden, InvalidSpec
from .identity import current_user

VIEWER = "viewer"
DATA_SCIENTIST = "data_scientist"
REVIEWER = "reviewer"
ADMIN = "admin"
#: Every role, least to most.
ROLES: tuple[str, ...] = (VIEWER, DATA_SCIENTIST, REVIEWER, ADMIN)

#: What a role may do. ``read``: look at anything shared; ``write``: create and change
#: one's own work (register, define features, run jobs, deploy to unprotected aliases);
#: ``review``: approve or reject reviews; ``admin``: manage the platform and act on
#: anyone's work (protected aliases, others' jobs and deployments).
PERMISSIONS: tuple[str, ...] = ("read", "write", "review", "admin")
GRANTS: Mapping[str, frozenset[str]] = {
    VIEWER: frozenset({"read"}),
    DATA_SCIENTIST: frozenset({"read", "write"}),
    REVIEWER: frozenset({"read", "review"}),
    ADMIN: frozenset(PERMISSIONS),
}

#: Bounds on the admin's mapping, so a config mistake cannot grow without limit.
MAX_SUBJECTS = 10_000
MAX_NAME_CHARS = 256

#: The server's role mapping, as JSON, for the kernels and jobs it starts.
ROLES_ENV = "BIGHEAD_ROLES"
#: The user's JupyterHub groups, comma-separated (set by the hub's spawner).
GROUPS_ENV = "BIGHEAD_GROUPS"


class MissingRole(Forbidden):
    """The user lacks the role an action needs; the message names it."""


def roles_granting(permission: str) -> tuple[str, ...]:
    """The roles that grant ``permission``, least first (``write`` -> data_scientist, admin)."""
    if permission not in PERMISSIONS:
        raise InvalidSpec(f"unknown permission {permission!r}; known: {', '.join(PERMISSIONS)}")
    return tuple(r for r in ROLES if permission in GRANTS[r])


def _as_roles(subject: str, value: object) -> frozenset[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple, set, frozenset)) or not items:
        raise InvalidSpec(f"roles[{subject!r}] must be a role or a non-empty list of roles, "
                          f"one of: {', '.join(ROLES)}")
    unknown = [str(r)[:40] for r in items if r not in ROLES]
    if unknown:
        raise InvalidSpec(f"roles[{subject!r}]: unknown role {unknown[0]!r}; "
                          f"known: {', '.join(ROLES)}")
    return frozenset(str(r) for r in items)


def _subject_key(subject: object) -> tuple[str, str]:
    if not isinstance(subject, str) or not subject.strip():
        raise InvalidSpec("a roles key must be a non-empty string: 'user:NAME', "
                          "'group:NAME', '*' or a user name")
    if len(subject) > MAX_NAME_CHARS:
        raise InvalidSpec(f"a roles key is longer than {MAX_NAME_CHARS} characters")
    subject = subject.strip()
    if subject == "*":
        return ("*", "")
    kind, sep, name = subject.partition(":")
    if sep and kind in ("user", "group"):
        if not name:
            raise InvalidSpec(f"roles key {subject!r} names no {kind}")
        return (kind, name)
    if sep:
        raise InvalidSpec(f"roles key {subject!r}: the prefix must be 'user:' or 'group:'")
    return ("user", subject)


@dataclass(frozen=True)
class RoleMap:
    """The admin's role assignment, checked once; answers which roles a user holds.

    ``RoleMap()`` (no mapping) is single-user mode: everyone holds every role.
    """

    users: Mapping[str, frozenset[str]] = field(default_factory=dict)
    groups: Mapping[str, frozenset[str]] = field(default_factory=dict)
    everyone: frozenset[str] = frozenset()
    configured: bool = False

    @classmethod
    def from_config(cls, mapping: Mapping[str, object] | None) -> RoleMap:
        """Build from ``c.BigheadApp.roles``; :class:`InvalidSpec` names a bad entry."""
        if not mapping:
            return cls()
        if not isinstance(mapping, Mapping):
            raise InvalidSpec("roles must be a mapping of 'user:NAME'/'group:NAME'/'*' to roles")
        if len(mapping) > MAX_SUBJECTS:
            raise InvalidSpec(f"roles has {len(mapping)} entries; at most {MAX_SUBJECTS}")
        users: dict[str, frozenset[str]] = {}
        groups: dict[str, frozenset[str]] = {}
        everyone: frozenset[str] = frozenset()
        for subject, value in mapping.items():
            kind, name = _subject_key(subject)
            roles = _as_roles(str(subject), value)
            if kind == "*":
                everyone |= roles
            elif kind == "group":
                groups[name] = groups.get(name, frozenset()) | roles
            else:
                users[name] = users.get(name, frozenset()) | roles
        return cls(users=users, groups=groups, everyone=everyone, configured=True)

    def roles_of(self, user: str, groups: Iterable[str] = ()) -> frozenset[str]:
        """Every role ``user`` holds, directly, through ``groups`` or through ``*``."""
        if not self.configured:
            return frozenset(ROLES)
        held = set(self.everyone) | set(self.users.get(user, ()))
        for group in groups:
            held |= self.groups.get(group, frozenset())
        return frozenset(held)

    def permissions_of(self, user: str, groups: Iterable[str] = ()) -> frozenset[str]:
        """What ``user``'s roles allow, as :data:`PERMISSIONS` names."""
        out: set[str] = set()
        for role in self.roles_of(user, groups):
            out |= GRANTS[role]
        return frozenset(out)

    def allows(self, user: str, permission: str, groups: Iterable[str] = ()) -> bool:
        return permission in self.permissions_of(user, groups)

    def require(self, user: str, permission: str, groups: Iterable[str] = (), *,
                doing: str = "") -> None:
        """Raise :class:`MissingRole` unless ``user`` may ``permission``.

        The message names the user, what they tried (``doing``, e.g. "cancel another
        user's job") and the roles that would allow it.
        """
        if self.allows(user, permission, groups):
            return
        raise MissingRole(refusal(user, permission, self.roles_of(user, groups), doing=doing))


def refusal(user: str, permission: str, held: Iterable[str], *, doing: str = "") -> str:
    """The one wording of a refusal: who, what, which role is missing, what they hold."""
    needed = " or ".join(roles_granting(permission))
    what = doing or f"{permission} here"
    have = ", ".join(sorted(held)) or "no role"
    return (f"{user} may not {what}: that needs the role {needed} "
            f"({user} has {have}; an admin assigns roles with c.BigheadApp.roles)")


_server_checks = False


def checked_by_server() -> None:
    """Say that this process is the Jupyter server: its REST authorizer checks each
    request's own identity, so :func:`require_current` (which knows only the process's
    user) stands aside here. Kernels and jobs the server starts still check."""
    global _server_checks
    _server_checks = True


@lru_cache(maxsize=8)
def _parse(raw: str) -> RoleMap:
    try:
        mapping = json.loads(raw)
    except ValueError as e:
        raise InvalidSpec(f"${ROLES_ENV} is not JSON ({e}); it holds c.BigheadApp.roles") from e
    return RoleMap.from_config(mapping)


def current_map() -> RoleMap:
    """The role mapping this process runs under: ``$BIGHEAD_ROLES``, else single-user
    (and single-user inside the server, see :func:`checked_by_server`)."""
    raw = os.environ.get(ROLES_ENV, "").strip()
    return _parse(raw) if raw and not _server_checks else RoleMap()


def current_groups() -> tuple[str, ...]:
    """This user's groups from ``$BIGHEAD_GROUPS`` (empty outside a hub)."""
    raw = os.environ.get(GROUPS_ENV, "")
    return tuple(g.strip() for g in raw.split(",") if g.strip())[:1000]


def current_allows(permission: str, user: str | None = None) -> bool:
    """Whether ``user`` (default: :func:`~jupyter_bighead.identity.current_user`) may
    ``permission`` under :func:`current_map`."""
    roles = current_map()
    if not roles.configured:
        return True
    return roles.allows(user or current_user(), permission, current_groups())


def require_current(permission: str, *, doing: str = "", user: str | None = None) -> None:
    """Raise :class:`MissingRole` unless the current user may ``permission``.

    The Python API's check before a write to a shared store; passes in single-user mode.
    """
    roles = current_map()
    if not roles.configured:
        return
    who = user or current_user()
    roles.require(who, permission, current_groups(), doing=doing)


def require_owner_current(owner: str | None, *, doing: str) -> None:
    """In a team, the owner of a thing (with ``write``) may act on it; anyone else needs
    ``admin`` (the REST rule for jobs, schedules and deployments). No-op in single-user mode.
    """
    team = current_map()
    if not team.configured:
        return
    me, groups = current_user(), current_groups()
    if owner is not None and owner == me:
        team.require(me, "write", groups, doing=doing)
        return
    team.require(me, "admin", groups, doing=f"{doing} of {owner or 'another user'}")


def check_acting_as(user: str | None) -> None:
    """In a team, refuse to record a write under someone else's name (``user=`` of the
    Python API, which the server uses for the request's identity). No-op in single-user
    mode and in the server."""
    if user is None or not current_map().configured:
        return
    me = current_user()
    if user != me:
        raise Forbidden(f"{me} may not act as {user!r}: in a team, writes are recorded "
                        "under one's own name")
