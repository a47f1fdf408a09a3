"""A monitor is a job: :func:`monitor_spec` builds the scheduled ``JobSpec`` that runs
:func:`monitor` (any executor: local processes or Kubernetes pods), and :func:`monitor`
is what the job's worker calls.

In the job the home (and so the registry, the prediction logs and the alert history)
is the one the executor passes in ``$BIGHEAD_HOME``, as for every job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .._json import json_safe
from ..errors import InvalidSpec
from ..refs import parse_model_ref
from .check import run_check
from .labels import label_names, read_labels

__all__ = ["MONITOR_FUNCTION", "monitor", "monitor_spec", "read_labels"]

#: The job function a monitor runs.
MONITOR_FUNCTION = "jupyter_bighead.monitoring.job:monitor"


def monitor(model_ref: str, window: str | None = None, labels: str | None = None,
            label_columns: Mapping[str, str] | None = None, alert: bool = True,
            home: str | None = None) -> dict[str, Any]:
    """Run one check of ``model_ref`` (see :func:`.check.run_check`) and return its
    result as JSON data (the job's return value); one summary line goes to stdout.
    ``labels`` is a parquet or CSV file of outcomes, read each run, so labels that
    arrived since the last run count. A labels file that is missing or lacks a column
    does not stop the drift check or its alert: the result's ``labels_error`` says
    what went wrong (and the summary line).

    Raises
    ------
    NotFound
        For an unknown model, version or alias (the job then fails, naming it).
    InvalidSpec
        For a bad window, thresholds, webhook URL or ``label_columns`` role.
    """
    if labels and not str(labels).endswith((".parquet", ".csv")):
        raise InvalidSpec(f"labels must be a .parquet or .csv file, not {labels!r}")
    label_names(label_columns)
    result = run_check(model_ref, window, home=home, labels=labels or None,
                       label_columns=dict(label_columns or {}), alert=alert)
    flagged = result.drift.flagged("alert") if result.drift else []
    print(f"[bighead monitor] {result.model} v{result.version} {result.start} .. {result.end}: "
          f"{result.status}, {result.n_rows} rows"
          + (f", drift in {', '.join(flagged)}" if flagged else "")
          + (f", alert {result.alert_id}" if result.alert_id else "")
          + (f"; {len(result.skipped_parts)} unreadable log part(s) skipped"
             if result.skipped_parts else "")
          + (f"; sampled {result.n_rows} of {result.rows_in_window} rows"
             if result.sampled else "")
          + (f"; labels: {result.labels_error}" if result.labels_error else ""), flush=True)
    data: dict[str, Any] = json_safe(result.to_dict(), style="data")
    return data


def monitor_spec(model_ref: str, *, schedule: str = "0 * * * *", window: str | None = None,
                 labels: str | None = None, label_columns: Mapping[str, str] | None = None,
                 profile: str = "default", name: str | None = None) -> Any:
    """The :class:`~jupyter_bighead.jobs.spec.JobSpec` of a scheduled monitor of
    ``model_ref`` (hourly by default), named ``monitor-<model>`` unless ``name`` is given.

    Raises
    ------
    InvalidSpec
        For a bad reference, cron expression, name or ``label_columns`` role.
    """
    from ..jobs.spec import JobSpec

    model, _version, _alias = parse_model_ref(model_ref)
    label_names(label_columns)
    params: dict[str, Any] = {"model_ref": model_ref}
    if window is not None:
        params["window"] = window
    if labels is not None:
        params["labels"] = labels
    if label_columns:
        params["label_columns"] = dict(label_columns)
    default = "monitor-" + re.sub(r"[^A-Za-z0-9_.-]", "-", model)[:54]
    return JobSpec(function=MONITOR_FUNCTION, parameters=params, profile=profile,
                   schedule=schedule, name=name or default, labels={"monitor": model[:63]})
