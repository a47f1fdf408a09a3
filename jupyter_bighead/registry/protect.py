"""Protected aliases: what a job may not move on its own.

A notebook that points ``production`` at the version it just registered does the right
thing when a person runs it, and the wrong thing when a schedule or *Run remotely* runs
it again: every job run would silently promote its model. So inside a job (the worker
sets ``BIGHEAD_JOB_ID``) moving a *protected* alias needs an explicit
``force_protected=True``. The protected aliases are ``production`` unless
``$BIGHEAD_PROTECTED_ALIASES`` (comma-separated; empty: none) says otherwise.
"""

from __future__ import annotations

import os

from ..errors import Forbidden

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
