"""What each user holds now (running jobs, GPUs, deployments), counted from records.

The records come from the layers above (job records, deployment records); only the
attributes named here are read, so this module imports neither.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .quotas import Quota, check
from .settings import AdminSettings

#: Deployment statuses that hold nothing (their servers are gone).
IDLE_DEPLOYMENT = frozenset({"stopped", "failed"})


def job_active(record: Any) -> bool:
    """Whether a job record is queued or running (not final)."""
    return not bool(getattr(record, "final", True))


def job_gpus(record: Any) -> int:
    """The GPUs a job holds or waits for: its granted ``resources["gpu"]``."""
    try:
        return int((getattr(record, "resources", None) or {}).get("gpu") or 0)
    except (TypeError, ValueError):
        return 0


def deployment_active(record: Any) -> bool:
    return str(getattr(record, "status", "")) not in IDLE_DEPLOYMENT


def usage_by_user(jobs: Iterable[Any], deployments: Iterable[Any]) -> dict[str, dict[str, int]]:
    """``user -> {"running_jobs", "gpus", "deployments"}`` over active records."""
    out: dict[str, dict[str, int]] = {}

    def of(user: Any) -> dict[str, int]:
        return out.setdefault(str(user or "unknown"),
                              {"running_jobs": 0, "gpus": 0, "deployments": 0})

    for job in jobs:
        if job_active(job):
            entry = of(getattr(job, "user", None))
            entry["running_jobs"] += 1
            entry["gpus"] += job_gpus(job)
    for dep in deployments:
        if deployment_active(dep):
            of(getattr(dep, "user", None))["deployments"] += 1
    return dict(sorted(out.items()))


def check_deploy_quota(quota: Quota, user: str, deployments: Iterable[Any]) -> None:
    """Refuse a new deployment of ``user`` when their active deployments reach
    ``quota.max_deployments``.

    Raises
    ------
    QuotaExceeded
        Naming the quota, its limit and the user's deployments now.
    """
    mine = sum(1 for d in deployments if getattr(d, "user", None) == user
               and deployment_active(d))
    check(quota, user, "max_deployments", mine)


def usage_view(settings: AdminSettings, jobs: Iterable[Any],
               deployments: Iterable[Any]) -> dict[str, Any]:
    """Every user's usage next to the quota that holds for them (the default for users
    with none of their own), as the lab's Admin section shows it."""
    usage = usage_by_user(jobs, deployments)
    quotas = settings.quotas()
    for user in quotas:
        if user != "*":
            usage.setdefault(user, {"running_jobs": 0, "gpus": 0, "deployments": 0})
    return {"users": [{"user": user, **counts, "quota": settings.quota_for(user).to_dict()}
                      for user, counts in sorted(usage.items())]}
