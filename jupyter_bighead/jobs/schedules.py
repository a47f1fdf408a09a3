"""Local schedules: cron expressions evaluated by the server, one job per due minute.

Schedules are JSON files under ``BIGHEAD_HOME/schedules/``; the local executor's
scheduler thread submits a run of each schedule at every minute its cron expression
matches (each minute at most once, across restarts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..errors import Conflict, InvalidSpec
from ..recordstore import RecordStore
from .spec import CRON_DAYS, CRON_MONTHS, JobSpec, validate_cron

_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}\Z")


def _field_values(text: str, lo: int, hi: int, names: dict[str, int]) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step = part.partition("/")
        stride = int(step) if step else 1
        if base == "*":
            start, end = lo, hi
        else:
            nums = [names[b.lower()] if b.lower() in names else int(b) for b in base.split("-")]
            start = nums[0]
            end = nums[1] if len(nums) == 2 else (hi if step else start)
        values.update(range(start, end + 1, stride))
    return values


def cron_matches(expr: str, when: datetime) -> bool:
    """Whether the 5-field cron ``expr`` fires at minute ``when`` (UTC)."""
    minute, hour, dom, month, dow = validate_cron(expr).split(" ")
    dows = _field_values(dow, 0, 7, CRON_DAYS)
    if 7 in dows:
        dows.add(0)
    weekday = (when.weekday() + 1) % 7  # cron: Sunday is 0
    day_ok_dom = when.day in _field_values(dom, 1, 31, {})
    day_ok_dow = weekday in dows
    # Like cron: when both day fields are restricted, either one may match.
    if dom != "*" and dow != "*":
        day_ok = day_ok_dom or day_ok_dow
    else:
        day_ok = day_ok_dom and day_ok_dow
    return (when.minute in _field_values(minute, 0, 59, {})
            and when.hour in _field_values(hour, 0, 23, {})
            and when.month in _field_values(month, 1, 12, CRON_MONTHS) and day_ok)


@dataclass(frozen=True)
class Schedule:
    name: str
    spec: JobSpec
    user: str
    created: str
    last_fired: str | None = None  # ISO minute of the last submitted run

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "schedule": self.spec.schedule, "spec": self.spec.to_dict(),
                "user": self.user, "created": self.created, "last_fired": self.last_fired}


class ScheduleStore:
    """Schedules as ``<root>/<name>.json`` (a :class:`RecordStore` of files)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.records = RecordStore(
            root, kind="schedule", id_pattern=_NAME, layout="file",
            bad_id="schedule name {id!r} may use lowercase letters, digits and '-'")

    def path(self, name: str) -> Path:
        return self.records.path(name)

    def create(self, name: str, spec: JobSpec, user: str) -> Schedule:
        if not spec.schedule:
            raise InvalidSpec("a schedule needs a cron expression in 'schedule'")
        with self.records.locked(name):
            if self.records.exists(name):
                raise Conflict(f"a schedule named {name!r} exists; unschedule it first")
            now = datetime.now(UTC).replace(second=0, microsecond=0)
            item = Schedule(name, spec, user, now.isoformat(), last_fired=now.isoformat())
            self.save(item)
        return item

    def save(self, item: Schedule) -> None:
        self.records.write(item.name, item.to_dict())

    def all(self) -> list[Schedule]:
        out = []
        for _, data in self.records.records():
            try:
                out.append(Schedule(data["name"], JobSpec.from_dict(data["spec"]), data["user"],
                                    data["created"], data.get("last_fired")))
            except (ValueError, KeyError, TypeError, InvalidSpec):
                continue
        return out

    def delete(self, name: str) -> None:
        self.records.delete(name)


def due_minutes(item: Schedule, now: datetime, limit: int = 60) -> list[datetime]:
    """Minutes after ``last_fired`` up to ``now`` at which the schedule fires (a missed
    hour at most, so a long outage does not unleash a burst of runs)."""
    assert item.spec.schedule
    start = datetime.fromisoformat(item.last_fired or item.created) + timedelta(minutes=1)
    now = now.replace(second=0, microsecond=0)
    start = max(start, now - timedelta(minutes=limit))
    out = []
    t = start
    while t <= now:
        if cron_matches(item.spec.schedule, t):
            out.append(t)
        t += timedelta(minutes=1)
    return out
