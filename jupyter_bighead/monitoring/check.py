"""One monitoring check of a model version: drift, realized performance, alert.

:func:`run_check` resolves a model reference, reads the version's reference profile
(stored at registration as the artifact
:data:`jupyter_bighead.evaluation.profiles.PROFILE_FILE`), loads the window of logged
predictions, compares the two (:mod:`.drift`), joins labels when given
(:mod:`.performance`), and when the drift crosses a threshold stores an alert
(:class:`.alerts.AlertStore`) and posts it to the model's webhook. Per-model settings
(thresholds, webhook URL, window) live in :class:`MonitorSettings` records; arguments
given to :func:`run_check` win over them.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jupyter_bighead._io as _io
import jupyter_bighead.config as config
import jupyter_bighead.evaluation.profiles as P
import jupyter_bighead.predlog as predlog
import jupyter_bighead.recordstore as recordstore

from ..errors import IntegrityError, InvalidSpec
from .alerts import AlertStore, WebhookResult, check_webhook_url, send_webhook
from .drift import DriftReport, Thresholds, compare, drift_series
from .labels import label_names, read_labels
from .performance import join_labels, realized_metrics

_MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_WINDOW = re.compile(r"(-?\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)")
_NOT_LOGGED = ("not in the logged rows",)
#: The most logged rows a check reads by default (a larger window is sampled).
MAX_ROWS = 1_000_000
_UNIT_S = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def predictions_root(home: str | os.PathLike[str] | None = None) -> Path:
    """Where prediction logs go by default: ``<home>/predictions``."""
    return config.BigheadHome.resolve(home).root / "predictions"


def monitoring_root(home: str | os.PathLike[str] | None = None) -> Path:
    """Where monitor settings and alerts live: ``<home>/monitoring``."""
    return config.BigheadHome.resolve(home).root / "monitoring"


class MonitorSettings:
    """Per-model monitor settings: ``thresholds`` (see :class:`.drift.Thresholds`),
    ``webhook_url``, ``window``, ``labels`` and ``label_columns``, one record per model
    under ``root``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.records = recordstore.RecordStore(root, kind="monitor", id_pattern=_MODEL)

    def get(self, model: str) -> dict[str, Any]:
        """The model's settings (``{}`` when it has none)."""
        return self.records.read(model) if self.records.exists(model) else {}

    def set(self, model: str, *, thresholds: dict[str, Any] | None = None,
            webhook_url: str | None = None, window: str | None = None,
            labels: str | None = None,
            label_columns: dict[str, str] | None = None) -> dict[str, Any]:
        """Change the given settings of ``model``; returns them all. ``labels`` is a
        parquet or CSV file of outcomes (entity, timestamp, label, arrived_at; see
        :mod:`.labels`) that the lab's Monitoring tab joins for realized performance,
        its columns named through ``label_columns`` (e.g. ``{"entity": "user_id"}``).

        Raises ``InvalidSpec`` for bad thresholds, a window pandas cannot read, a
        webhook URL :func:`.alerts.check_webhook_url` refuses, a labels file that is
        not .parquet/.csv or an unknown label column role."""
        if labels is not None and not str(labels).endswith((".parquet", ".csv")):
            raise InvalidSpec(f"labels must be a .parquet or .csv file, not {labels!r}")
        if label_columns is not None:
            label_names(label_columns)
            label_columns = dict(label_columns)
        if thresholds is not None:
            Thresholds.from_mapping(thresholds)
        if window is not None:
            parse_window(window)
        if webhook_url is not None:
            check_webhook_url(webhook_url)
        new = {k: v for k, v in (("thresholds", thresholds), ("webhook_url", webhook_url),
                                 ("window", window), ("labels", labels),
                                 ("label_columns", label_columns)) if v is not None}
        with self.records.locked(model):
            merged = {**self.get(model), **new}
            self.records.write(model, merged)
        return merged


@dataclass(frozen=True)
class CheckResult:
    """What a check found. ``status`` is ``"alert"``, ``"warn"``, ``"ok"``, ``"unknown"``
    (too few rows to judge any feature), ``"no_reference"`` (the version was
    registered without validation data) or ``"no_data"`` (nothing logged in the window,
    or none of the profiled features).
    ``labels_error`` says why realized performance is missing when labels were given
    but could not be read or joined (the drift check and its alert happen anyway);
    ``skipped_parts`` names unreadable prediction-log parts left out; ``sampled`` says
    the window held more than the check's ``max_rows`` (``rows_in_window``) and the
    check saw an even, seeded sample of them."""

    model: str
    version: int
    start: str
    end: str
    status: str
    n_rows: int
    drift: DriftReport | None = None
    performance: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)  # PSI per window of the check
    alert_id: str | None = None
    webhook: WebhookResult | None = None
    message: str = ""
    labels_error: str | None = None
    skipped_parts: tuple[str, ...] = ()  # unreadable log parts left out (why, each)
    rows_in_window: int = 0  # logged rows in the window, before any sampling
    sampled: bool = False  # more than max_rows: the check saw an even, seeded sample

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "version": self.version, "start": self.start,
                "end": self.end, "status": self.status, "n_rows": self.n_rows,
                "message": self.message,
                "drift": None if self.drift is None else self.drift.to_dict(),
                "performance": self.performance, "history": self.history,
                "alert_id": self.alert_id, "labels_error": self.labels_error,
                "skipped_parts": len(self.skipped_parts),
                "skipped": list(self.skipped_parts[:20]),
                "rows_in_window": self.rows_in_window, "sampled": self.sampled,
                "webhook": None if self.webhook is None else self.webhook.to_dict()}


def parse_window(window: Any) -> Any:
    """A window (``"1d"``, ``"6h"``, ``"30m"`` or ``"30min"``, ``"2w"``, a timedelta or
    anything else ``pd.Timedelta`` reads) as a ``pd.Timedelta``. Lower-case ``m`` is
    minutes; an upper-case ``M`` (months to some, minutes to pandas) is refused.

    Raises ``InvalidSpec`` for anything else (``nan``, ``NaT``), an ambiguous ``M`` or
    a window that is not positive."""
    import pandas as pd

    if isinstance(window, str) and re.search(r"\d\s*M\b", window.strip()):
        raise InvalidSpec(f"{window!r} is ambiguous (months or minutes?): write 30d or 30min")
    match = _WINDOW.fullmatch(window.strip().lower()) if isinstance(window, str) else None
    try:
        out = (pd.Timedelta(float(match.group(1)) * _UNIT_S[match.group(2)], unit="s")
               if match else pd.Timedelta(window))
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidSpec(f"{str(window)[:64]!r} is not a window such as 1d, 6h or "
                          "30min") from exc
    if pd.isna(out):
        raise InvalidSpec(f"{str(window)[:64]!r} is not a window such as 1d, 6h or 30min")
    if out <= pd.Timedelta(0):
        raise InvalidSpec(f"a window must be positive, not {window!r}")
    return out


def _attached(monitor_root: Path, name: str, version: int) -> Path:
    return monitor_root / "references" / name / f"{int(version)}.json"


def attach_reference(registry: Any, model_ref: str, profile: dict[str, Any], *,
                     home: str | os.PathLike[str] | None = None,
                     monitor_root: str | os.PathLike[str] | None = None) -> Path:
    """Give a version registered without a profile one (e.g. built with
    :func:`~jupyter_bighead.evaluation.profiles.profile_for_model` from its validation
    data), kept beside the monitor's records since registered artifacts never change.
    A profile stored at registration still wins. Returns the file.

    Raises ``NotFound`` for an unknown version, ``IncompatibleFormat`` for a profile
    this version cannot read."""
    from .._io import atomic_write_text

    mv = registry.get(model_ref)
    base = Path(monitor_root) if monitor_root is not None else monitoring_root(home)
    path = _attached(base, mv.name, mv.version)
    atomic_write_text(path, json.dumps(P.check_profile(profile)))
    return path


def reference_profile(registry: Any, name: str, version: int, *,
                      monitor_root: str | os.PathLike[str] | None = None
                      ) -> dict[str, Any] | None:
    """The reference profile of a version: the one stored at registration, else one
    attached later (:func:`attach_reference`), else ``None``.

    Raises ``IntegrityError`` if a stored file was modified or is unreadable."""
    found = [a for a in registry.get(name, version).artifacts if a.path == P.PROFILE_FILE]
    if not found:
        path = _attached(Path(monitor_root) if monitor_root is not None else monitoring_root(),
                         name, version)
        if not path.is_file():
            return None
        try:
            return P.check_profile(json.loads(path.read_text("utf-8")))
        except ValueError as exc:
            raise IntegrityError(f"{name} v{version}: unreadable reference profile") from exc
    folder = registry.store.get_artifact_dir(name, version)
    try:
        return P.check_profile(json.loads(registry.artifacts.read(folder, found[0])))
    except ValueError as exc:
        raise IntegrityError(f"{name} v{version}: unreadable reference profile") from exc


def _utc(value: Any) -> Any:
    """A time (default: now) as an aware UTC ``pd.Timestamp``; ``InvalidSpec`` for one
    that is not a time (``"yesterday"``, ``NaT``)."""
    import pandas as pd

    try:
        stamp = pd.Timestamp(value if value is not None else datetime.now(UTC))
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidSpec(f"{str(value)[:64]!r} is not a time such as 2024-03-03 or "
                          "2024-03-03T12:00Z") from exc
    if pd.isna(stamp):
        raise InvalidSpec(f"{str(value)[:64]!r} is not a time")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def run_check(model_ref: str, window: Any = None, *, registry: Any = None,
              home: str | os.PathLike[str] | None = None,
              log_root: str | os.PathLike[str] | None = None,
              monitor_root: str | os.PathLike[str] | None = None, now: Any = None,
              thresholds: Thresholds | dict[str, Any] | None = None,
              webhook_url: str | None = None, labels: Any = None,
              label_columns: dict[str, str] | None = None, label_tolerance: Any = "7D",
              freq: str = "1D", history_freq: str = "1h", alert: bool = True,
              max_rows: int | None = None) -> CheckResult:
    """Check ``model_ref`` (``NAME``, ``NAME:N``, ``NAME@ALIAS``) over the ``window``
    (default: the model's setting, else one day) that ends at ``now`` (default: now).

    ``labels`` (a DataFrame, or a .parquet/.csv file, with entity, timestamp, label and
    optionally arrived_at columns, named through ``label_columns``, e.g. ``{"entity":
    "user_id"}``; see :mod:`.labels`) adds realized performance per ``freq`` window;
    only labels that had arrived by ``now`` count. Labels that cannot be read or joined
    never stop the drift check: ``labels_error`` says why. ``history`` holds the PSI
    of every feature and the score per ``history_freq``. With ``alert`` a drift
    ``alert`` is stored, then sent to the webhook (the argument, else the model's
    setting). At most ``max_rows`` (default :data:`MAX_ROWS`) logged rows are read: a
    larger window is sampled evenly with a fixed seed
    (:func:`jupyter_bighead.predlog.read_window`), and unreadable log parts are
    skipped; the result says both.

    Raises
    ------
    NotFound
        For an unknown model, version or alias.
    InvalidSpec
        For a bad window, thresholds, webhook URL or label column role.
    """
    from ..registry.default import default_registry

    reg = registry if registry is not None else default_registry()
    mv = reg.get(model_ref)
    base = Path(monitor_root) if monitor_root is not None else monitoring_root(home)
    settings = MonitorSettings(base / "monitors").get(mv.name)
    span = parse_window(window if window is not None else settings.get("window", "1d"))
    end = _utc(now)
    start = end - span
    t = thresholds if thresholds is not None else settings.get("thresholds")
    limits = t if isinstance(t, Thresholds) else Thresholds.from_mapping(t)
    names = label_names(label_columns)
    if webhook_url is not None:
        check_webhook_url(webhook_url)
    # a stored URL is checked when set; one stored before that is reported by the delivery
    url = webhook_url if webhook_url is not None else settings.get("webhook_url")
    where: dict[str, Any] = dict(model=mv.name, version=mv.version, start=start.isoformat(),
                                 end=end.isoformat())
    profile = reference_profile(reg, mv.name, mv.version, monitor_root=base)
    if profile is None:
        return CheckResult(**where, status="no_reference", n_rows=0, message=(
            f"{mv.name} v{mv.version} has no reference profile: it was registered without "
            "validation data (or before profiles existed)"))
    root = log_root if log_root is not None else predictions_root(home)
    cap = MAX_ROWS if max_rows is None else int(max_rows)
    window_read = predlog.read_window(root, mv.name, mv.version, start=start, end=end,
                                      max_rows=cap)
    logged = window_read.frame
    read: dict[str, Any] = dict(skipped_parts=window_read.skipped,
                                rows_in_window=window_read.rows_seen,
                                sampled=window_read.sampled)
    notes = _read_notes(window_read)

    def performance() -> tuple[list[dict[str, Any]], str | None]:
        if labels is None:
            return [], None
        try:
            return _performance(root, mv, labels, names, start, end, label_tolerance,
                                freq, cap), None
        except (InvalidSpec, OSError, ValueError, TypeError, KeyError) as exc:
            text = str(exc) if isinstance(exc, InvalidSpec) else \
                f"{type(exc).__name__}: {exc}"
            return [], text[:500]

    if len(logged) == 0:
        perf, error = performance()
        return CheckResult(**where, status="no_data", n_rows=0, performance=perf,
                           labels_error=error, **read,
                           message=f"no predictions of {mv.name} v{mv.version} were logged "
                                   "in the window" + notes + _labels_note(error))
    report = compare(profile, logged, logged[predlog.SCORE], limits)
    history = drift_series(profile, logged, timestamps=logged[predlog.TS],
                           scores=logged[predlog.SCORE], freq=history_freq)
    status = report.severity
    alert_id = None
    delivery = None
    flagged = report.flagged("alert")
    message = (f"drift in {', '.join(flagged)}" if flagged else
               "the score drifted" if status == "alert" else f"no drift alert ({status})")
    if report.features and all(f.reasons == _NOT_LOGGED for f in report.features):
        status = "no_data"  # the log holds other columns: nothing to compare
        message = (f"none of the {len(report.features)} profiled features are in the logged "
                   f"rows (logged: {', '.join(predlog.feature_columns(logged)[:10]) or '-'})")
    elif status == "unknown":
        message = (f"too few rows to judge drift ({report.n_rows} logged; each feature "
                   f"needs {limits.min_rows})")
    if alert and status == "alert":  # stored first: a failed delivery never loses it
        payload = {"kind": "drift", **where, "severity": status, "features": flagged,
                   "message": f"{mv.name} v{mv.version}: {message}",
                   "psi": {f.feature: f.psi for f in report.features if f.feature in flagged},
                   "score_psi": None if report.score is None else report.score.psi,
                   "n_rows": report.n_rows}
        store = AlertStore(base / "alerts")
        alert_id = store.add(mv.name, {**payload, "webhook": None})
        if url:
            delivery = send_webhook(url, payload)
            store.set_webhook(alert_id, delivery.to_dict())
    perf, error = performance()
    result = CheckResult(**where, status=status, n_rows=report.n_rows, drift=report,
                         performance=perf, history=history, alert_id=alert_id,
                         webhook=delivery, message=message + notes + _labels_note(error),
                         labels_error=error, **read)
    if alert:  # a monitor's (or the CLI's) check: the server's drift gauge shows it
        _save_latest(base, result)
    return result


def _read_notes(window: Any) -> str:
    out = ""
    if window.sampled:
        out += (f"; from an even sample of {len(window.frame)} of the window's "
                f"{window.rows_seen} rows")
    if window.skipped:
        out += f"; {len(window.skipped)} unreadable log part(s) skipped"
    return out


def _labels_note(error: str | None) -> str:
    return f"; no realized performance: {error}" if error else ""


def _performance(root: Any, mv: Any, labels: Any, names: dict[str, str], start: Any,
                 end: Any, tolerance: Any, freq: str, cap: int) -> list[dict[str, Any]]:
    """Realized performance of the labels joined to the logged predictions (of the
    ``cap`` sampled ones, in a window larger than that)."""
    frame = labels if hasattr(labels, "columns") else read_labels(labels)
    history = predlog.read_predictions(root, mv.name, mv.version, max_rows=cap,
                                       start=start - parse_window(tolerance), end=end)
    arrived = names["arrived_at"] if names["arrived_at"] in frame.columns else None
    joined = join_labels(history, frame, entity=names["entity"], timestamp=names["timestamp"],
                         label=names["label"], tolerance=tolerance, as_of=end,
                         arrived_at=arrived)
    joined = joined[(joined["ts"] >= start) & (joined["ts"] < end)]
    return realized_metrics(joined, mv.task, freq=freq)


#: Most models whose latest check the drift gauge reads.
MAX_LATEST = 10_000


def _save_latest(base: Path, result: CheckResult) -> None:
    """Keep the PSI of each feature and the score of the model's latest check (what
    :func:`drift_gauges` shows), in ``<monitoring>/latest/<model>.json``."""
    drift = result.drift
    if drift is None:
        return
    entries = [{"feature": f.feature, "psi": f.psi} for f in drift.features]
    score = None if drift.score is None else {"feature": "score", "psi": drift.score.psi}
    payload = {"model": result.model, "version": result.version, "end": result.end,
               "status": result.status,
               "drift": {"features": entries, "score": score}}
    folder = base / "latest"
    folder.mkdir(parents=True, exist_ok=True)
    _io.atomic_write_text(folder / f"{result.model}.json", json.dumps(payload))


def latest_results(home: str | os.PathLike[str] | None = None, *,
                   monitor_root: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """Each model's latest monitor check (what :func:`drift_gauges` renders); a file
    that cannot be read is skipped."""
    base = Path(monitor_root) if monitor_root is not None else monitoring_root(home)
    out = []
    for path in sorted((base / "latest").glob("*.json"))[:MAX_LATEST]:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and _MODEL.fullmatch(str(data.get("model", ""))):
            out.append(data)
    return out


def _label(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def drift_gauges(results: list[dict[str, Any]]) -> str:
    """Prometheus text with the gauge ``bighead_drift_score{model,version,feature}``
    (the PSI; ``feature="score"`` for the score) from the latest checks' results
    (:meth:`CheckResult.to_dict`), for a server's ``/metrics``. A feature without a
    PSI in its window is left out."""
    lines = ["# HELP bighead_drift_score PSI of a feature (or the score) in the latest "
             "monitoring check against the version's reference.",
             "# TYPE bighead_drift_score gauge"]
    for result in results:
        drift = result.get("drift") or {}
        entries = list(drift.get("features", []))
        if drift.get("score"):
            entries.append(drift["score"])
        for f in entries:
            if f.get("psi") is None:
                continue
            lines.append(f'bighead_drift_score{{model="{_label(result["model"])}",'
                         f'version="{result["version"]}",feature="{_label(f["feature"])}"}} '
                         f'{float(f["psi"])!r}')
    return "\n".join(lines) + "\n"
