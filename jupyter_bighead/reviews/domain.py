"""A review of one model version for one alias: the value, its states and its bounds."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..errors import InvalidSpec

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
#: Every state a review can be in. ``pending`` is the only one a decision leaves.
STATES: tuple[str, ...] = (PENDING, APPROVED, REJECTED, WITHDRAWN)

#: Bounds on what people type, so one request cannot grow a record without limit.
MAX_TEXT_CHARS = 20_000
MAX_USER_CHARS = 256
MAX_COMMENTS = 1_000

#: Audit actions, in the order a review usually sees them.
ACTIONS = ("requested", "commented", "approved", "rejected", "withdrawn", "moved")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def check_user(user: object, what: str = "user") -> str:
    """``user`` if it is a non-empty name of at most :data:`MAX_USER_CHARS`, else
    :class:`InvalidSpec`."""
    if not isinstance(user, str) or not user.strip():
        raise InvalidSpec(f"{what} must be a non-empty user name")
    if len(user) > MAX_USER_CHARS:
        raise InvalidSpec(f"{what} is longer than {MAX_USER_CHARS} characters")
    return user.strip()


def check_text(text: object, what: str, *, required: bool = False) -> str:
    """``text`` if it is a string of at most :data:`MAX_TEXT_CHARS` (non-blank when
    ``required``), else :class:`InvalidSpec`."""
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise InvalidSpec(f"{what} must be a string, not {type(text).__name__}")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidSpec(f"{what} has {len(text)} characters; at most {MAX_TEXT_CHARS}")
    if required and not text.strip():
        raise InvalidSpec(f"{what} must not be empty")
    return text


@dataclass(frozen=True)
class Review:
    """One request to point ``alias`` of model ``name`` at ``version``.

    ``state`` is one of :data:`STATES`. ``comments`` and ``events`` are lists of
    ``{"by", "at", "text"}`` (events also carry ``"action"``, one of :data:`ACTIONS`);
    ``decision`` is ``{"by", "at", "text", "state"}`` once approved or rejected.
    ``material`` is what the reviewer reads, gathered when the review was requested
    (see :mod:`.material`): ``report``, ``card``, ``evaluation`` and ``diff``.
    ``moves`` lists the alias moves made under this review's approval
    (``{"by", "at", "from_version", "alias_event"}``).
    """

    id: str
    name: str
    version: int
    alias: str
    author: str
    created: str
    state: str = PENDING
    note: str = ""
    comments: tuple[Mapping[str, Any], ...] = ()
    decision: Mapping[str, Any] | None = None
    material: Mapping[str, Any] = field(default_factory=dict)
    events: tuple[Mapping[str, Any], ...] = ()
    moves: tuple[Mapping[str, Any], ...] = ()

    @property
    def applied(self) -> bool:
        """Whether the alias was moved under this review's approval."""
        return bool(self.moves)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        for key in ("comments", "events", "moves"):
            out[key] = [dict(x) for x in getattr(self, key)]
        out["decision"] = None if self.decision is None else dict(self.decision)
        out["material"] = dict(self.material)
        out["applied"] = self.applied
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Review:
        values = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("comments", "events", "moves"):
            values[key] = tuple(values.get(key) or ())
        if values.get("state") not in STATES:
            raise InvalidSpec(f"review {data.get('id')!r} has an unknown state")
        return cls(**values)
