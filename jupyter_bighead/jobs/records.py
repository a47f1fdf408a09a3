"""Job records on disk: one folder per job, ``record.json`` written atomically.

The folder also holds what the run produced: ``spec.json`` (input of the worker),
``output.log``, the executed notebook, ``metrics.jsonl`` and ``result.json`` (written
by the worker when it finishes; its presence is what makes a run final).
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .._io import atomic_write_text
from ..errors import InvalidSpec, NotFound
from .spec import JobSpec

STATES = ("queued", "running", "succeeded", "failed", "cancelled")
FINAL = frozenset({"succeeded", "failed", "cancelled"})
_JOB_ID = re.compile(r"[a-z0-9][a-z0-9-]{5,62}\Z")


def _nonfinite_as_none(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else None


def load_json(text: str) -> Any:
    """Parse a stored record, reading NaN, Infinity and out-of-range numbers as null.

    Such values are refused on the way in; a record written by an older version (or by
    hand) must still never make a listing fail for everyone.
    """
    return json.loads(text, parse_constant=lambda _name: None, parse_float=_nonfinite_as_none)


def now() -> str:
    return datetime.now(UTC).isoformat()


def new_job_id(spec: JobSpec) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", spec.display_name.lower().removesuffix(".ipynb"))
    stem = stem.strip("-")[:30] or "job"
    return f"{stem}-{datetime.now(UTC).strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class JobRecord:
    """Everything known about one job run."""

    id: str
    spec: JobSpec
    executor: str
    state: str = "queued"
    created: str = field(default_factory=now)
    started: str | None = None
    finished: str | None = None
    user: str | None = None
    error: str | None = None
    pid: int | None = None
    pid_started: float | None = None  # process start time, to spot a recycled pid
    resources: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    backend: dict[str, Any] = field(default_factory=dict)  # executor-specific ids

    @property
    def final(self) -> bool:
        return self.state in FINAL

    def evolve(self, **changes: Any) -> JobRecord:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["spec"] = self.spec.to_dict()
        out["name"] = self.spec.display_name
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobRecord:
        values = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        values["spec"] = JobSpec.from_dict(data["spec"])
        return cls(**values)


class JobStore:
    """Job folders under ``root`` (``BigheadHome.jobs``)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def folder(self, job_id: str) -> Path:
        if not isinstance(job_id, str) or not _JOB_ID.match(job_id):
            raise InvalidSpec(f"{job_id!r} is not a job id")
        return self.root / job_id

    def save(self, record: JobRecord) -> JobRecord:
        folder = self.folder(record.id)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / "record.json", json.dumps(record.to_dict(), indent=2))
        return record

    def load(self, job_id: str) -> JobRecord:
        path = self.folder(job_id) / "record.json"
        try:
            return JobRecord.from_dict(load_json(path.read_text("utf-8")))
        except FileNotFoundError:
            raise NotFound(f"job {job_id!r} does not exist") from None

    def all(self) -> Iterator[JobRecord]:
        """Every readable record, newest first."""
        records = []
        for path in self.root.glob("*/record.json"):
            try:
                records.append(JobRecord.from_dict(load_json(path.read_text("utf-8"))))
            except (OSError, ValueError, KeyError, TypeError, InvalidSpec):
                continue  # a half-created folder is not a job
        yield from sorted(records, key=lambda r: (r.created, r.id), reverse=True)

    def result(self, job_id: str) -> dict[str, Any] | None:
        """The worker's ``result.json``, or None while the run is not finished."""
        try:
            data = load_json((self.folder(job_id) / "result.json").read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return data if isinstance(data, dict) else None
