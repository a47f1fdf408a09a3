"""What the lab's Monitoring tab and its notifications read, as plain JSON data.

:func:`version_monitoring` is one version's tab: a check of the window ending now, run
*without* alerting (looking at the tab must not page anyone; alerts come from the
scheduled monitors), its figures (:mod:`.figures`), the drift table, and the model's
alert history. Its cost is bounded: the window is at most :data:`MAX_WINDOW`, at most
:data:`MAX_TAB_ROWS` logged rows are read (an even, seeded sample of a larger window;
the check says it sampled), at most :data:`MAX_CONCURRENT_CHECKS` checks run at once
in a process (another waits up to :data:`BUSY_WAIT_SECONDS`, then gets
``Unavailable``, a 503), and a result is reused for :data:`CACHE_SECONDS` so that
reopening the tab or several viewers cost one check.

:func:`user_alerts` is the notification feed: the alerts raised after a time for the
models a user registered versions of, newest first, in a bounded page.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .._json import json_safe
from ..errors import InvalidSpec, Unavailable
from .alerts import AlertStore
from .check import MonitorSettings, monitoring_root, parse_window, run_check
from .figures import drift_rows, figures

#: The longest window the tab checks.
MAX_WINDOW = "30d"
#: How long a tab's check is reused, in seconds.
CACHE_SECONDS = 30.0
#: The most logged rows one tab check reads (a larger window is sampled).
MAX_TAB_ROWS = 200_000
#: How many tab checks run at once in a process; how long another waits for a turn.
MAX_CONCURRENT_CHECKS = 2
BUSY_WAIT_SECONDS = 20.0
#: How many alerts the tab and a notification page show at most.
MAX_ALERTS = 200
_CACHE_SIZE = 64

_cache: OrderedDict[tuple[Any, ...], tuple[float, dict[str, Any]]] = OrderedDict()
_cache_lock = threading.Lock()
_slots = threading.BoundedSemaphore(MAX_CONCURRENT_CHECKS)


def _cached(key: tuple[Any, ...], build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    value = build()
    with _cache_lock:
        _cache[key] = (time.monotonic(), value)
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return value


def clear_cache() -> None:
    """Forget every cached tab (tests; a fresh check is then made on the next read)."""
    with _cache_lock:
        _cache.clear()


def _root(home: str | os.PathLike[str] | None,
          monitor_root: str | os.PathLike[str] | None) -> Path:
    return Path(monitor_root) if monitor_root is not None else monitoring_root(home)


def version_monitoring(registry: Any, name: str, version: int, window: str = "1d", *,
                       home: str | os.PathLike[str] | None = None,
                       log_root: str | os.PathLike[str] | None = None,
                       monitor_root: str | os.PathLike[str] | None = None,
                       alerts: int = 50) -> dict[str, Any]:
    """The Monitoring tab of ``name`` v``version``: ``{model, version, window,
    reference, status, message, checked_at, check, figures, drift_rows, alerts}``.

    ``reference`` is False (and ``message`` says so plainly) for a version registered
    without validation data; ``check`` is :meth:`.check.CheckResult.to_dict` of a check
    of the ``window`` ending now, made without alerting, with realized performance when
    the model's monitor settings name a labels file.

    Raises
    ------
    NotFound
        For an unknown model or version.
    InvalidSpec
        For a window that is not one (``1d``, ``6h``...) or longer than :data:`MAX_WINDOW`.
    Unavailable
        When :data:`MAX_CONCURRENT_CHECKS` checks kept running for :data:`BUSY_WAIT_SECONDS`.
    """
    from ..registry.names import check_name

    check_name(name)
    span = parse_window(window)
    if span > parse_window(MAX_WINDOW):
        raise InvalidSpec(f"window {window!r} is longer than {MAX_WINDOW}, the longest "
                          "the Monitoring tab checks (run `jupyter bighead monitor` for more)")
    base = _root(home, monitor_root)
    settings = MonitorSettings(base / "monitors").get(name)
    labels_file = settings.get("labels")
    columns = settings.get("label_columns") or {}
    labels_path = Path(labels_file) if labels_file else None
    stamp = labels_path.stat().st_mtime_ns if labels_path and labels_path.is_file() else None
    key = (str(base), str(log_root), name, int(version), span.value, labels_file, stamp,
           tuple(sorted(columns.items())))

    def build() -> dict[str, Any]:
        # labels that cannot be read or joined leave the drift as it is: the check's
        # message and labels_error say why realized performance is missing
        if not _slots.acquire(timeout=BUSY_WAIT_SECONDS):
            raise Unavailable(f"{MAX_CONCURRENT_CHECKS} Monitoring checks are running; "
                              "try again in a moment")
        try:
            result = run_check(f"{name}:{int(version)}", span, registry=registry, home=home,
                               log_root=log_root, monitor_root=base, alert=False,
                               labels=None if labels_path is None else str(labels_path),
                               label_columns=columns, max_rows=MAX_TAB_ROWS)
        finally:
            _slots.release()
        data: dict[str, Any] = json_safe(result.to_dict(), style="data")
        return {"model": result.model, "version": result.version,
                "reference": result.status != "no_reference", "status": result.status,
                "message": result.message, "checked_at": datetime.now(UTC).isoformat(),
                "check": data, "figures": json_safe(figures(data), style="data"),
                "drift_rows": drift_rows(data)}

    view = dict(_cached(key, build))
    view["window"] = window  # the cached check may have been asked for as "24h"
    limit = max(1, min(int(alerts), MAX_ALERTS))
    view["alerts"] = AlertStore(base / "alerts").list(view["model"], limit=limit)
    return view


def _parse_since(since: Any) -> datetime | None:
    if since is None or since == "":
        return None
    if isinstance(since, datetime):
        stamp = since
    else:
        text = str(since)
        if len(text) > 64:
            raise InvalidSpec("since must be an ISO 8601 time of at most 64 characters")
        try:
            stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise InvalidSpec(f"since={text!r} is not an ISO 8601 time, e.g. "
                              "2024-05-01T12:00:00Z") from exc
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp


def _registered_by(registry: Any, user: str) -> Callable[[str], bool]:
    """A test of whether ``user`` registered any (of the newest 200) versions of a model;
    each model is looked up once."""
    seen: dict[str, bool] = {}

    def test(model: str) -> bool:
        if model not in seen:
            try:
                page = registry.versions(model, limit=200)
                seen[model] = any(v.created_by == user for v in page.items)
            except Exception:  # a model deleted since its alert: not the user's
                seen[model] = False
        return seen[model]

    return test


def user_alerts(registry: Any, user: str | None = None, since: Any = None, limit: int = 50,
                *, home: str | os.PathLike[str] | None = None,
                monitor_root: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """``{items, since, latest}``: at most ``limit`` (<= :data:`MAX_ALERTS`) alerts raised
    after ``since`` (ISO 8601; default: all), newest first, of the models ``user``
    registered a version of (every model when ``user`` is None). ``latest`` is the
    newest alert's ``created_at`` (or ``since``): the next poll's ``since``.

    Raises ``InvalidSpec`` for a bad ``since`` or ``limit``."""
    if not 1 <= int(limit) <= MAX_ALERTS:
        raise InvalidSpec(f"limit must be 1-{MAX_ALERTS}")
    after = _parse_since(since)
    owned = None if user is None else _registered_by(registry, user)
    items = AlertStore(_root(home, monitor_root) / "alerts").list(
        limit=int(limit), since=after, models=owned)
    latest = items[0]["created_at"] if items else (None if after is None
                                                     else after.isoformat())
    return {"items": items, "since": None if after is None else after.isoformat(),
            "latest": latest}
