"""``/bighead/api/.../monitoring``, ``/models/{name}/monitor``, ``/alerts``: the lab's
Monitoring tab, its "Create monitor" button and the alert notifications.

Thin: the core's :mod:`jupyter_bighead.monitoring.view` builds the tab and the alert
feed (off the event loop); a monitor is the core's ``monitor_spec`` scheduled on the
service's executor, like ``POST /schedules``.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_bighead.errors import InvalidSpec

from ..threads import in_thread
from .base import BigheadHandler


def schedule_monitor(service: Any, name: str, body: dict[str, Any], user: str) -> dict[str, Any]:
    """Schedule the monitor job of ``name`` (``@alias`` when the body names one) on the
    service's executor. The job function is the built-in monitor, never one from the
    request; the model (and alias) must exist, the window must be one, and ``labels``
    (a .parquet/.csv file of outcomes) must lie inside the server root, exist and have
    the entity, timestamp and label columns (named through ``label_columns``, e.g.
    ``{"entity": "user_id"}``); both are also kept in the model's monitor settings, so
    the Monitoring tab shows realized performance."""
    from jupyter_bighead.monitoring.check import parse_window
    from jupyter_bighead.monitoring.job import monitor_spec
    from jupyter_bighead.monitoring.labels import check_labels_file, label_names
    from jupyter_bighead.registry.names import check_name

    check_name(name)
    alias = body.get("alias") or None
    ref = f"{name}@{alias}" if alias else name
    registry = service.registry()
    registry.get(ref)  # NotFound for an unknown model or alias
    window = body.get("window") or None
    if window is not None:
        parse_window(window)
    labels = body.get("labels") or None
    columns = body.get("label_columns") or None
    label_names(columns)
    if columns is not None and labels is None:
        raise InvalidSpec("label_columns needs labels (a .parquet or .csv file)")
    if labels is not None:
        labels = str(service.paths.resolve(labels, "labels"))
        if not labels.endswith((".parquet", ".csv")):
            raise InvalidSpec("labels must name a .parquet or .csv file")
        check_labels_file(labels, columns)
    spec = monitor_spec(ref, schedule=body["schedule"], window=window, labels=labels,
                        label_columns=columns, profile=body.get("profile") or "default")
    executor = service.jobs()
    from jupyter_bighead.plugins import has_capability

    if not has_capability(executor, "schedules"):
        raise InvalidSpec(f"the {executor.name} executor cannot schedule jobs")
    result: dict[str, Any] = executor.schedule(spec, user=user)
    if labels is not None:  # the Monitoring tab joins them too
        from jupyter_bighead.monitoring.check import MonitorSettings, monitoring_root

        MonitorSettings(monitoring_root(service.home.root) / "monitors").set(
            name, labels=labels, label_columns=dict(columns or {}))
    return result


class VersionMonitoringHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str, version: str) -> None:
        """``?window=1d``: a check of the window ending now (no alert), its figures,
        the drift table and the model's alert history; ``reference`` says whether the
        version has a reference profile."""
        from jupyter_bighead.monitoring.view import version_monitoring
        from jupyter_bighead.registry.api import parse_version

        window = self.get_argument("window", "1d") or "1d"
        if len(window) > 32:
            raise InvalidSpec("window must be a duration such as 1d, 6h or 30min")
        number = parse_version(version)
        view = await in_thread(version_monitoring, self.bighead.registry(), name, number,
                               window, home=self.bighead.home.root)
        self.write_json(view)


class ModelMonitorHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        """Body ``{schedule, window?, alias?, labels?, label_columns?, profile?}``: schedule
        the model's monitor (a job of the jobs system). 201 with the schedule; 400 for a
        labels file that is missing or lacks a column."""
        body = self.get_json_object()
        result = await in_thread(schedule_monitor, self.bighead, name, body,
                                 self.username())
        self.write_json(result, status=201)


class AlertsHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        """``?since=&limit=&all=``: alerts raised after ``since`` for the models the
        user registered versions of (``all=true``: every model), newest first."""
        from jupyter_bighead.monitoring.view import user_alerts

        limit = self.int_argument("limit", 50)
        if limit is None or not 1 <= limit <= 200:
            raise InvalidSpec("limit must be 1-200")
        every = (self.get_argument("all", "") or "").lower()
        if every not in ("", "true", "false", "1", "0"):
            raise InvalidSpec("all must be true or false")
        user = None if every in ("true", "1") else self.username()
        page = await in_thread(user_alerts, self.bighead.registry(), user,
                               self.get_argument("since", None), limit,
                               home=self.bighead.home.root)
        self.write_json(page)
