"""Per-user quotas: how much of the team's compute one user may hold at once (pure values).

An admin sets a default (user ``"*"``) and per-user overrides; a key an override leaves
out (or sets to null) is the default's, and a key the default leaves out is unlimited.

=====================  ==========================================================
``max_running_jobs``   jobs of the user not yet final (queued or running), on
                       every profile, counted at submit
``max_gpus``           GPUs those jobs hold or wait for, plus the new job's
``max_deployments``    the user's deployments not stopped or failed, counted at deploy
=====================  ==========================================================

Refusals are :class:`QuotaExceeded` (a ``Forbidden``: HTTP 403) naming the quota, the
limit and the current usage, with the same in ``details`` for a UI.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from ..errors import Forbidden, InvalidSpec

#: The quotas there are, and what each bounds (for messages and the lab).
QUOTA_HELP: dict[str, str] = {
    "max_running_jobs": "jobs queued or running at once",
    "max_gpus": "GPUs held or waited for by running and queued jobs",
    "max_deployments": "deployments not stopped or failed",
}
#: The key of the default quota, which applies to every user without an override.
DEFAULT_USER = "*"
#: A user name a quota may be set for (JupyterHub names, e-mail-like names).
USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}\Z")
#: The highest number a quota may be (a typo guard, not a policy).
MAX_QUOTA = 1_000_000


class QuotaExceeded(Forbidden):
    """The request would take the user over a quota; ``details`` holds ``quota``,
    ``limit``, ``usage`` (before the request), ``requested`` and ``user``."""

    code = "quota_exceeded"


@dataclass(frozen=True)
class Quota:
    """Limits for one user; ``None``: no limit (or, in an override, the default's)."""

    max_running_jobs: int | None = None
    max_gpus: int | None = None
    max_deployments: int | None = None

    @classmethod
    def from_dict(cls, data: Any, who: str = DEFAULT_USER) -> Quota:
        """A quota from a JSON object.

        Raises
        ------
        InvalidSpec
            Unknown keys, or a value that is not null or a whole number 0..1,000,000.
        """
        if not isinstance(data, Mapping):
            raise InvalidSpec(f"the quota for {who!r} must be a JSON object")
        if not data:
            raise InvalidSpec(f"the quota for {who!r} names no limit; give at least one of "
                              f"{sorted(QUOTA_HELP)} (null: no limit of its own)")
        unknown = sorted(set(data) - set(QUOTA_HELP))
        if unknown:
            raise InvalidSpec(f"the quota for {who!r} has unknown keys {unknown}; "
                              f"known keys: {sorted(QUOTA_HELP)}")
        for key, value in data.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or not 0 <= value <= MAX_QUOTA):
                raise InvalidSpec(f"quota {key} for {who!r} must be null (no limit) or a "
                                  f"whole number from 0 to {MAX_QUOTA}, not {str(value)[:40]}")
        return cls(**dict(data))

    def to_dict(self) -> dict[str, int | None]:
        return asdict(self)

    def over(self, default: Quota) -> Quota:
        """This override with the default's value wherever it sets none."""
        return Quota(**{f.name: getattr(self, f.name) if getattr(self, f.name) is not None
                        else getattr(default, f.name) for f in fields(self)})

    @property
    def empty(self) -> bool:
        return all(v is None for v in asdict(self).values())


def check_user_name(user: Any) -> str:
    """``user`` if a quota may be set for it (``"*"`` or a user name), else InvalidSpec."""
    if user == DEFAULT_USER or (isinstance(user, str) and USER_NAME.match(user)):
        return str(user)
    raise InvalidSpec(f"{str(user)[:80]!r} is not a user name (or '*' for the default quota)")


def effective_quota(quotas: Mapping[str, Quota], user: str) -> Quota:
    """The quota that holds for ``user``: their override over the default."""
    default = quotas.get(DEFAULT_USER, Quota())
    own = quotas.get(user)
    return own.over(default) if own is not None else default


def check(quota: Quota, user: str, name: str, usage: int, requested: int = 1) -> None:
    """Refuse when ``usage + requested`` goes over ``quota.<name>`` (nothing when unlimited
    or when nothing is requested).

    Raises
    ------
    QuotaExceeded
        Naming the quota, its limit and the user's current usage.
    """
    limit = getattr(quota, name)
    if limit is None or requested <= 0 or usage + requested <= limit:
        return
    asked = f" and asks for {requested} more" if name == "max_gpus" else ""
    raise QuotaExceeded(
        f"quota {name} for {user} is {limit} ({QUOTA_HELP[name]}); {user} has {usage} now"
        f"{asked}: wait for some to finish, or ask an admin to raise the quota",
        details={"quota": name, "limit": limit, "usage": usage, "requested": requested,
                 "user": user})
