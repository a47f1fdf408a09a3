"""Protected aliases: what a job may not move on its own.

A notebook that points ``production`` at the version it just registered does the right
thing when a person runs it, and the wrong thing when a schedule or *Run remotely* runs
it again: every job run would silently promote its model. So inside a job (the worker
sets ``BIGHEAD_JOB_ID``) moving a *protected* alias needs an explicit
``force_protected=True``. The protected aliases are ``production`` unless
``$BIGHEAD_PROTECTED_ALIASES`` (comma-separated; empty: none) says otherwise.

In a team (``$BIGHEAD_ROLES`` set, see :mod:`jupyter_bighead.roles`), :func:`check_team_move`
is the Python API's side of the production gate: moving an alias needs ``write``, and a
protected one needs ``admin`` or the caller's own approved review of exactly that version
(:func:`jupyter_bighead.reviews.move_alias` passes it).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import jupyter_bighead.roles as _roles

from ..errors import Forbidden
from ..identity import current_user

PROTECTED_ENV = "BIGHEAD_PROTECTED_ALIASES"
DEFAULT_PROTECTED = ("production",)
#: Set in the environment of every job run (local worker or Kubernetes pod).
JOB_ID_ENV = "BIGHEAD_JOB_ID"


class ProtectedAliasWarning(UserWarning):
    """A job registered a version but left a protected alias where it was."""


def protected_aliases() -> tuple[str, ...]:
    """The aliases a job may not move without ``force_protected=True``."""
    raw = os.environ.get(PROTECTED_ENV)
    if raw is None:
        return DEFAULT_PROTECTED
    return tuple(a.strip() for a in raw.split(",") if a.strip())


def current_job() -> str | None:
    """The id of the job this process runs in, or ``None`` outside jobs."""
    return os.environ.get(JOB_ID_ENV) or None


def check_alias_move(name: str, alias: str, *, force: bool) -> None:
    """Refuse a job's move of a protected alias unless ``force``.

    Raises
    ------
    Forbidden
        Inside a job, for a protected alias without ``force``; the message says how to
        allow it.
    """
    job = current_job()
    if force or job is None or alias not in protected_aliases():
        return
    raise Forbidden(
        f"alias {alias!r} of {name!r} is protected: job {job} may not move it. Pass "
        f"force_protected=True to move it from a job, or list the protected aliases in "
        f"${PROTECTED_ENV} (now: {', '.join(protected_aliases())})"
    )


#: Reads a review by id from the review stores (set by :mod:`jupyter_bighead.reviews`, a
#: higher layer, when it is imported): an approval is always re-read, never trusted as given.
_approval_reader: Callable[[str], Any] | None = None


def set_approval_reader(reader: Callable[[str], Any] | None) -> None:
    """Install how :func:`check_team_move` re-reads the review an approval names."""
    global _approval_reader
    _approval_reader = reader


def _reread(approval: Any) -> Any:
    review_id = approval if isinstance(approval, str) else getattr(approval, "id", None)
    if not isinstance(review_id, str) or _approval_reader is None:
        return None
    try:
        return _approval_reader(review_id)
    except Exception:  # an unreadable or unknown review allows nothing
        return None


def check_team_move(name: str, alias: str, version: int | None, *,
                    approval: Any = None) -> None:
    """Refuse a move the current user's roles do not allow (no-op in single-user mode).

    ``approval`` names an approved review (its id, or the review) of exactly this move,
    requested by the current user; it is read again from the review stores, so only a
    review that is approved there counts.

    Raises
    ------
    jupyter_bighead.roles.MissingRole
        No ``write``; or a protected alias without ``admin`` or a matching approval.
    """
    team = _roles.current_map()
    if not team.configured:
        return
    user, groups = current_user(), _roles.current_groups()
    doing = (f"move the alias {alias!r} of {name!r} to v{version}" if version is not None
             else f"remove or roll back the alias {alias!r} of {name!r}")
    team.require(user, "write", groups, doing=doing)
    if alias not in protected_aliases() or team.allows(user, "admin", groups):
        return
    approval = _reread(approval) if approval is not None else None
    if (approval is not None and version is not None
            and getattr(approval, "state", None) == "approved"
            and (getattr(approval, "name", None), getattr(approval, "version", None),
                 getattr(approval, "alias", None)) == (name, version, alias)
            and getattr(approval, "author", None) == user):
        return
    raise _roles.MissingRole(
        _roles.refusal(user, "admin", team.roles_of(user, groups),
                       doing=f"{doing}, a protected alias")
        + "; or request a review (jupyter_bighead.reviews.request_review or the lab's "
          "Request review) and, once it is approved, move it with "
          "jupyter_bighead.reviews.move_alias")
