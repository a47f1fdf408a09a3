"""Realized performance: labels that arrive later, joined to the logged predictions.

A labels table has one row per outcome: the entity, the time the question was asked
(the timestamp the prediction was made for) and the label, and optionally when the
label became known (``arrived_at``). :func:`join_labels` gives each label the latest
prediction for the same entity made at or before its timestamp (and no earlier than
``tolerance`` before it): a point-in-time as-of join, done by the feature store's
engine (:mod:`jupyter_bighead.features.engine`, the same search
``FeatureRepo.materialize`` runs), with the logged predictions as the events and the
labels as the spine. The engine sees events strictly before a query time (no
leakage); a prediction made at the very time a label asks about is the one that
answered it, so the labels query one nanosecond later. With ``as_of`` only labels
that had arrived by then count, as a scheduled check would have seen them.

:func:`realized_metrics` then computes, per time window of the label timestamps, the
evaluation's own metrics (:mod:`jupyter_bighead.evaluation.metrics`, equal to
``sklearn.metrics``): ROC AUC, PR AUC (average precision), log loss, Brier score and
calibration for classifiers; RMSE and MAE for regressors.
"""

from __future__ import annotations

from typing import Any

import jupyter_bighead.predlog as predlog

from ..errors import InvalidSpec

__all__ = ["join_labels", "realized_metrics", "window_metrics"]


def _ns(series: Any, what: str) -> Any:
    import pandas as pd

    try:
        out = pd.to_datetime(series, utc=True)
    except (TypeError, ValueError) as exc:
        raise InvalidSpec(f"{what} must hold timestamps") from exc
    return out.dt.as_unit("ns").reset_index(drop=True)


def join_labels(predictions: Any, labels: Any, *, entity: str = "entity", timestamp: str = "ts",
                label: str = "label", arrived_at: str | None = None, as_of: Any = None,
                tolerance: Any = "7D") -> Any:
    """The labels that found a prediction, with ``score``, ``prediction_ts`` and
    ``request_id`` of the prediction each was joined to (see the module docstring).

    ``predictions`` is a frame :func:`jupyter_bighead.predlog.read_predictions`
    returned (entity, time, score and request id in its reserved columns). Naive
    timestamps are UTC. ``tolerance`` is a pandas timedelta (``None``: any age).

    Raises
    ------
    InvalidSpec
        If a named column is missing, or timestamps or entities cannot be compared.
    """
    import numpy as np
    import pandas as pd

    import jupyter_bighead.features.engine as engine
    from jupyter_bighead.features.sources import to_ticks

    for col in (entity, timestamp, label, *([arrived_at] if arrived_at else [])):
        if col not in labels.columns:
            raise InvalidSpec(f"the labels have no column {col!r}")
    lab = labels.reset_index(drop=True)
    if as_of is not None and arrived_at is not None:
        stamp = pd.Timestamp(as_of)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
        lab = lab[_ns(lab[arrived_at], "arrived_at") <= stamp].reset_index(drop=True)
    pred = predictions[predictions[predlog.ENTITY].notna()].reset_index(drop=True)
    pred[predlog.ENTITY] = pred[predlog.ENTITY].infer_objects()  # ints read with nulls
    out = pd.DataFrame({"entity": lab[entity], "ts": _ns(lab[timestamp], "label timestamps"),
                        "label": lab[label]})
    if len(pred) == 0 or len(out) == 0:
        return out.iloc[:0].assign(score=np.array([], dtype=np.float64),
                                   prediction_ts=pd.Series([], dtype="datetime64[ns, UTC]"),
                                   request_id=pd.Series([], dtype=object))
    pred_ts = _ns(pred[predlog.TS], "prediction timestamps")
    prep = engine.prepare(pred[predlog.ENTITY], to_ticks(pred_ts, "prediction log"), None,
                          "prediction log")
    rows = prep.add_column("row", pd.Series(np.arange(len(pred), dtype=np.float64)), numeric=True)
    ticks = to_ticks(out["ts"], "label timestamps")
    window = None if tolerance is None else int(pd.Timedelta(tolerance).value) + 1
    q = engine.map_queries(prep, out["entity"], ticks.values + 1, ticks.zone, "labels",
                           "labels entity column")
    found = np.empty(len(out), dtype=np.float64)
    found[q.order] = engine.aggregate(prep, rows, "last", q, window)
    hit = ~np.isnan(found)
    idx = found[hit].astype(np.int64)
    joined = out[hit].reset_index(drop=True)
    joined["score"] = pred[predlog.SCORE].to_numpy(dtype=np.float64)[idx]
    joined["prediction_ts"] = pred_ts.to_numpy()[idx]
    joined["prediction_ts"] = pd.to_datetime(joined["prediction_ts"], utc=True)
    joined["request_id"] = pred[predlog.REQUEST_ID].to_numpy()[idx]
    return joined


def window_metrics(y: Any, score: Any, task: str) -> dict[str, Any]:
    """The metrics of one window: ``n``, and for ``task="binary"`` ``roc_auc``,
    ``pr_auc``, ``log_loss``, ``brier``, ``positive_rate``, ``mean_score`` and
    ``calibration`` (the evaluation's bins; ``roc_auc``/``pr_auc`` are ``None`` when
    the window holds one class only); for ``"regression"`` ``rmse`` and ``mae``.

    Raises ``InvalidSpec`` for another task or non-binary classifier labels."""
    import numpy as np

    import jupyter_bighead.evaluation.metrics as M
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(score, dtype=np.float64)
    out: dict[str, Any] = {"n": int(y.size)}
    if y.size == 0:
        return out
    if task == "regression":
        out.update(M.regression_metrics(y, p)["metrics"])
        return out
    if task != "binary":
        raise InvalidSpec(f"realized performance covers binary and regression models, not {task!r}")
    if not np.isin(y, (0.0, 1.0)).all():
        raise InvalidSpec("the labels of a binary classifier must be 0 or 1")
    out["positive_rate"] = float(y.mean())
    out["mean_score"] = float(p.mean())
    if 0 < y.sum() < y.size:
        found = M.binary_metrics(y, p)
        for key in ("roc_auc", "pr_auc", "log_loss", "brier"):
            out[key] = found["metrics"][key]
        out["calibration"] = found["calibration"]
    else:  # one class: ranking metrics are undefined; losses are not
        eps = np.finfo(np.float64).eps
        pc = np.clip(p, eps, 1 - eps)
        out.update(roc_auc=None, pr_auc=None,
                   log_loss=float(-np.mean(y * np.log(pc) + (1 - y) * np.log(1 - pc))),
                   brier=float(np.mean((p - y) ** 2)), calibration=M.calibration_bins(y, p))
    return out


def realized_metrics(joined: Any, task: str, *, freq: str = "1D") -> list[dict[str, Any]]:
    """:func:`window_metrics` per window of ``freq`` (a pandas frequency) over the
    label timestamps of :func:`join_labels`'s rows, oldest first; each with ``start``
    and ``end`` (ISO 8601). Windows without labels are left out."""
    import pandas as pd

    if len(joined) == 0:
        return []
    keys = joined["ts"].dt.floor(freq)
    step = pd.tseries.frequencies.to_offset(freq)
    out = []
    for start, part in joined.groupby(keys, sort=True):
        stamp = pd.Timestamp(start)
        out.append({"start": stamp.isoformat(), "end": (stamp + step).isoformat(),
                    **window_metrics(part["label"], part["score"], task)})
    return out
