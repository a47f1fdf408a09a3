"""Jobs ("Big Q", "ML Automator"): run notebooks and functions locally or on Kubernetes."""

from __future__ import annotations

from .executor import Executor, executor_class, get_executor
from .metrics import log_metric
from .records import JobRecord, JobStore
from .spec import ComputeProfile, JobSpec, validate_cron
from .sweep import SweepResult, Trial, sweep

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
