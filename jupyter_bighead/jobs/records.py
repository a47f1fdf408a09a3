"""Job records on disk: one folder per job, ``record.json`` written atomically.

The folder also holds what the run produced: ``spec.json`` (input of the worker),
``output.log``, the executed notebook, ``metrics.jsonl`` and ``result.json`` (written
by the worker when it finishes; its presence is what makes a run final).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import InvalidSpec
from ..recordstore import RecordStore, load_json
from .spec import JobSpec

__all__ = ["FINAL", "STATES", "JobRecord", "JobStore", "load_json", "new_job_id", "now"]

STATES = ("queued", "running", "succeeded", "failed", "cancelled")
FINAL = frozenset({"succeeded", "failed", "cancelled"})
_JOB_ID = re.compile(r"[a-z0-9][a-z0-9-]{5,62}\Z")


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
    #: The job's Dask cluster (``JobSpec.cluster``): what it is made of (``workers``,
    #: ``profile``, ``threads``, ``cpu``, ``memory``, ``image``), and once started its
    #: ``state`` ("starting", "running", "stopped", "failed"), ``address`` and
    #: ``dashboard``; ``{}`` for a job without one.
    cluster: dict[str, Any] = field(default_factory=dict)

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
    """Job folders under ``root`` (``BigheadHome.jobs``), one :class:`RecordStore`
    record (``<id>/record.json``) each."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.records = RecordStore(self.root, kind="job", id_pattern=_JOB_ID, layout="folder")

    def folder(self, job_id: str) -> Path:
        return self.records.folder(job_id)

    def save(self, record: JobRecord) -> JobRecord:
        self.folder(record.id).mkdir(parents=True, exist_ok=True)
        self.records.write(record.id, record.to_dict())
        return record

    def load(self, job_id: str) -> JobRecord:
        return JobRecord.from_dict(self.records.read(job_id))

    def all(self) -> Iterator[JobRecord]:
        """Every readable record, newest first."""
        records = []
        for _, data in self.records.records():
            try:
                records.append(JobRecord.from_dict(data))
            except (ValueError, KeyError, TypeError, InvalidSpec):
                continue  # a half-created folder is not a job
        yield from sorted(records, key=lambda r: (r.created, r.id), reverse=True)

    def result(self, job_id: str) -> dict[str, Any] | None:
        """The worker's ``result.json``, or None while the run is not finished."""
        try:
            data = load_json((self.folder(job_id) / "result.json").read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return data if isinstance(data, dict) else None
