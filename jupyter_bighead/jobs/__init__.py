"""Jobs ("Big Q", "ML Automator"): run notebooks and functions locally or on Kubernetes.

* The control plane: :mod:`.executor` (the ``Executor`` ABC), :mod:`.local` and
  :mod:`.kubernetes` (executors), :mod:`.records`, :mod:`.schedules`,
  :mod:`.sweeps_service`; they start, watch and stop runs.
* The runtime: :mod:`.worker` (``python -m jupyter_bighead.jobs.worker``), what runs
  in the job's process or pod, with :mod:`.metrics` (``log_metric`` in a notebook).
  It never imports an executor.

Importing this package is light: the executors and records are imported on first
use, so a notebook's ``from jupyter_bighead.jobs import log_metric`` loads no executor.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Imported now: the function ``sweep`` must shadow the submodule of the same name
# (importing ``.sweep`` later would otherwise leave the module in its place).
from .spec import ComputeProfile, JobSpec, validate_cron
from .sweep import SweepResult, Trial, sweep

if TYPE_CHECKING:
    from .executor import Executor, executor_class, get_executor
    from .metrics import log_metric
    from .records import JobRecord, JobStore

_HOMES = {
    "Executor": "executor",
    "JobRecord": "records",
    "JobStore": "records",
    "executor_class": "executor",
    "get_executor": "executor",
    "log_metric": "metrics",
}
__all__ = [
    "ComputeProfile",
    "Executor",
    "JobRecord",
    "JobSpec",
    "JobStore",
    "SweepResult",
    "Trial",
    "executor_class",
    "get_executor",
    "log_metric",
    "sweep",
    "validate_cron",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
