"""The production gate: who may move a protected alias, and the audit trail of moves.

A protected alias (``production`` unless the admin lists others in
``c.BigheadApp.protected_aliases``) moves only for

- an admin, always; or
- the author of an *approved* review of exactly that model, version and alias, who
  still holds the ``write`` permission.

Single-user mode (no role mapping) allows every move, as before. An unprotected alias is
not this gate's business (the ``write`` permission on the route covers it). Removing a
protected alias (``version=None``) needs an admin.

An approval stays valid after it is used: it says that version is fit for the alias, so
its author may point the alias back at it later; withdrawing the review revokes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import Forbidden, InvalidSpec
from ..registry.names import check_alias, check_name, check_version
from ..registry.protect import protected_aliases
from ..roles import ADMIN, MissingRole, RoleMap, refusal
from .domain import PENDING, Review
from .store import ReviewStore


def check_alias_move(store: ReviewStore, name: str, alias: str, version: int | None, *,
                     user: str, groups: Iterable[str] = (), roles: RoleMap | None = None,
                     protected: Iterable[str] | None = None) -> Review | None:
    """Refuse a move of ``alias`` of ``name`` to ``version`` that ``user`` may not make.

    Returns the approved review that allows the move, or ``None`` when none is needed
    (an unprotected alias, single-user mode, an admin). ``protected`` defaults to
    :func:`jupyter_bighead.registry.protect.protected_aliases`; ``roles`` ``None`` is
    single-user mode.

    Raises
    ------
    MissingRole
        No admin role and no approved review of this exact move; the message says what
        would allow it (a pending review is named).
    Forbidden
        An approved review exists, but someone else requested it.
    InvalidSpec
        A bad name, alias or version.
    """
    check_name(name)
    check_alias(alias)
    if version is not None:
        check_version(version)
    groups = tuple(groups)
    shielded = tuple(protected_aliases() if protected is None else protected)
    roles = roles or RoleMap()
    if alias not in shielded or not roles.configured or roles.allows(user, "admin", groups):
        return None
    held = roles.roles_of(user, groups)
    target = f"{name} v{version}" if version is not None else name
    doing = (f"move the protected alias {alias!r} of {name!r} to v{version}"
             if version is not None else f"remove the protected alias {alias!r} of {name!r}")
    if version is None:
        raise MissingRole(refusal(user, "admin", held, doing=doing))
    approved = store.approved_for(name, version, alias)
    own = [r for r in approved if r.author == user]
    if own and roles.allows(user, "write", groups):
        return own[0]
    if own:  # the author lost the right to write since the review was requested
        raise MissingRole(refusal(user, "write", held, doing=doing)
                          + f"; review {own[0].id} is approved, but its author must still "
                            "hold data_scientist")
    if approved:
        r = approved[0]
        raise Forbidden(f"{user} may not {doing}: review {r.id} approved it, but {r.author} "
                        f"requested it, and only {r.author} or an {ADMIN} may use it")
    pending = [r for r in store.all(name)
               if (r.state, r.version, r.alias) == (PENDING, version, alias)]
    hint = (f"review {pending[0].id} (requested by {pending[0].author}) is pending"
            if pending else "request one with request_review")
    raise MissingRole(refusal(user, "admin", held, doing=doing)
                      + f"; without it, an approved review of {target} for {alias!r} that "
                        f"{user} requested allows it ({hint})")


def record_move(store: ReviewStore, name: str, alias: str, version: int, *, user: str,
                event: Any = None, from_version: int | None = None) -> Review | None:
    """Link a move of ``alias`` to ``version`` (just made by ``user``) to the approved
    review that allowed it: ``user``'s own, else (an admin's move) the newest approved
    one. ``event`` is the registry's :class:`~jupyter_bighead.registry.AliasEvent` (or
    its dict); its id and ``from_version`` go into the review. Returns the review, or
    ``None`` when no approved review covers the move (an admin's or single-user move:
    the registry's alias history still has it).

    Raises ``InvalidSpec`` when ``event`` describes another move.
    """
    check_name(name)
    check_alias(alias)
    check_version(version)
    ev: Mapping[str, Any] = {}
    if event is not None:
        ev = event.to_dict() if hasattr(event, "to_dict") else dict(event)
        if (ev.get("name"), ev.get("alias"), ev.get("to_version")) != (name, alias, version):
            raise InvalidSpec(f"the alias event is not the move of {alias!r} of {name!r} "
                              f"to v{version}")
    approved = store.approved_for(name, version, alias)
    if not approved:
        return None
    review = next((r for r in approved if r.author == user), approved[0])
    return store.add_move(review.id, user, alias_event=ev.get("id"),
                          from_version=ev.get("from_version", from_version))


def history(store: ReviewStore, model: str, registry: Any = None, *,
            limit: int | None = None) -> list[dict[str, Any]]:
    """The audit trail of ``model``, newest first: every review step (``requested``,
    ``commented``, ``approved``, ``rejected``, ``withdrawn``, ``moved``) with ``by``,
    ``at``, ``review``, ``version`` and ``alias``. With ``registry``, the alias moves
    made outside reviews (an admin's, single-user mode) join as ``alias_set``,
    ``alias_rollback`` and ``alias_delete``."""
    check_name(model)
    out: list[dict[str, Any]] = []
    linked: set[int] = set()
    for r in store.all(model):
        for e in r.events:
            out.append({**e, "review": r.id, "version": r.version, "alias": r.alias})
            if e.get("action") == "moved" and isinstance(e.get("alias_event"), int):
                linked.add(e["alias_event"])
    if registry is not None:
        for ev in registry.alias_history(model).items:
            if ev.id in linked:
                continue
            out.append({"action": f"alias_{ev.action}", "by": ev.by, "at": ev.at, "text": "",
                        "review": None, "version": ev.to_version, "alias": ev.alias,
                        "from_version": ev.from_version, "alias_event": ev.id})
    out.sort(key=lambda e: str(e.get("at")), reverse=True)
    return out if limit is None else out[:limit]
