"""Metrics and curves as plain data, computed with numpy alone.

These match ``sklearn.metrics`` (the tests compare them) without importing
scikit-learn, which keeps registration fast. Every function returns JSON-able
Python values: lists and floats, never numpy objects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

#: Points kept on each curve after down-sampling.
CURVE_POINTS = 200


def _floats(a: Any) -> list[float | None]:
    import numpy as np

    return [None if not np.isfinite(v) else float(v) for v in np.asarray(a, dtype=float)]


def downsample(x: np.ndarray, y: np.ndarray, n: int = CURVE_POINTS) -> np.ndarray:
    """Indices of about ``n`` points spread evenly along the curve's length.

    Spacing by arc length (not by index) keeps the steep parts of ROC and PR curves,
    where thousands of thresholds may sit in a short stretch or a few in a long one.
    The first and last points are always kept.
    """
    import numpy as np

    if x.size <= n:
        return np.arange(x.size)
    step = np.hypot(np.diff(x), np.diff(y))
    length = np.concatenate([[0.0], np.cumsum(step)])
    if length[-1] == 0:
        return np.array([0, x.size - 1])
    targets = np.linspace(0.0, length[-1], n)
    idx = np.searchsorted(length, targets, side="left")
    return np.unique(np.concatenate([[0], np.minimum(idx, x.size - 1), [x.size - 1]]))


def _binary_counts(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True and false positives when predicting ``p >= t`` for each distinct ``t``,
    thresholds in decreasing order (as sklearn's ``_binary_clf_curve``)."""
    import numpy as np

    order = np.argsort(-p, kind="mergesort")
    p_sorted, y_sorted = p[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(p_sorted)), y.size - 1]
    tps = np.cumsum(y_sorted, dtype=np.float64)[last]
    fps = 1.0 + last - tps
    return tps, fps, p_sorted[last]


def binary_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    """Metrics, ROC and PR curves, best-F1 threshold and calibration for a binary task.

    ``y`` holds 0/1 (or bools) and ``p`` the predicted probability of class 1.
    Predictions are positive when ``p >= threshold``.
    """
    import numpy as np

    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    tps, fps, thresholds = _binary_counts(y, p)
    pos, neg = tps[-1], fps[-1]

    tpr = np.r_[0.0, tps / pos]
    fpr = np.r_[0.0, fps / neg]
    roc_auc = float(np.trapezoid(tpr, fpr))

    precision = tps / (tps + fps)
    recall = tps / pos
    pr_auc = float(np.sum(np.diff(np.r_[0.0, recall]) * precision))  # average precision

    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    best = int(np.argmax(f1))

    eps = np.finfo(p.dtype).eps
    pc = np.clip(p, eps, 1 - eps)
    log_loss = float(-np.mean(y * np.log(pc) + (1 - y) * np.log(1 - pc)))
    brier = float(np.mean((p - y) ** 2))

    metrics = {
        "roc_auc": roc_auc,
        "pr_auc": pr_auc,
        "log_loss": log_loss,
        "brier": brier,
        **{f"{k}_at_05": v for k, v in threshold_metrics(y, p, 0.5).items()},
        "best_f1_threshold": float(thresholds[best]),
        "precision_at_best_f1": float(precision[best]),
        "recall_at_best_f1": float(recall[best]),
        "f1_at_best_f1": float(f1[best]),
        "positive_rate": float(pos / y.size),
    }
    roc_keep = downsample(fpr, tpr)
    # Curves start at the all-negative point, which has no finite threshold (null).
    roc_thr = np.r_[np.inf, thresholds]
    pr_x, pr_y, pr_thr = np.r_[0.0, recall], np.r_[1.0, precision], np.r_[np.inf, thresholds]
    pr_keep = downsample(pr_x, pr_y)
    return {
        "metrics": metrics,
        "curves": {
            "roc": {"fpr": _floats(fpr[roc_keep]), "tpr": _floats(tpr[roc_keep]),
                    "thresholds": _floats(roc_thr[roc_keep])},
            "pr": {"recall": _floats(pr_x[pr_keep]), "precision": _floats(pr_y[pr_keep]),
                   "thresholds": _floats(pr_thr[pr_keep])},
        },
        "calibration": calibration_bins(y, p),
    }


def threshold_metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    """Precision, recall and F1 when predicting positive for ``p >= threshold``
    (0 where undefined, like sklearn's ``zero_division=0``)."""
    import numpy as np

    pred = p >= threshold
    truth = np.asarray(y) > 0.5
    tp = float(np.sum(pred & truth))
    fp = float(np.sum(pred & ~truth))
    fn = float(np.sum(~pred & truth))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def calibration_bins(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> dict[str, list[Any]]:
    """Uniform-width probability bins with their mean prediction and observed rate.

    The non-empty bins match ``sklearn.calibration.calibration_curve(strategy="uniform")``.
    """
    import numpy as np

    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ids = np.searchsorted(edges[1:-1], p)
    count = np.bincount(ids, minlength=n_bins)
    sum_p = np.bincount(ids, weights=p, minlength=n_bins)
    sum_y = np.bincount(ids, weights=y, minlength=n_bins)
    keep = count > 0
    return {
        "lower": _floats(edges[:-1][keep]),
        "upper": _floats(edges[1:][keep]),
        "mean_predicted": _floats(sum_p[keep] / count[keep]),
        "fraction_positive": _floats(sum_y[keep] / count[keep]),
        "count": [int(c) for c in count[keep]],
    }


def regression_metrics(y: np.ndarray, pred: np.ndarray, max_points: int = 1000,
                       bins: int = 30) -> dict[str, Any]:
    """RMSE, MAE, R² and residual data (a sample of points plus a histogram)."""
    import numpy as np

    y = np.asarray(y, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    resid = y - pred
    ss_res = float(np.sum(resid**2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    # sklearn's r2_score (force_finite=True): a constant target scores 1 if perfect, else 0.
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else (1.0 if ss_res == 0 else 0.0)
    if y.size > max_points:
        idx = np.sort(np.random.default_rng(0).choice(y.size, max_points, replace=False))
    else:
        idx = np.arange(y.size)
    counts, edges = np.histogram(resid, bins=bins)
    return {
        "metrics": {
            "rmse": float(np.sqrt(ss_res / y.size)),
            "mae": float(np.mean(np.abs(resid))),
            "r2": float(r2),
            "mean_residual": float(resid.mean()),
        },
        "residuals": {
            "predicted": _floats(pred[idx]),
            "actual": _floats(y[idx]),
            "residual": _floats(resid[idx]),
            "histogram": {"edges": _floats(edges), "counts": [int(c) for c in counts]},
            "sampled_from": int(y.size),
        },
    }
