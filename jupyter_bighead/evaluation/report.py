"""``evaluate(model, X, y)``: a model's evaluation on held-out data, as plain data.

The report is what the registry stores with a version, what the REST API serves
and what the figures in :mod:`.figures` are drawn from; the model is needed only
to compute it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jupyter_bighead.evaluation.metrics as M

from ..errors import InvalidSpec

#: The report's own format version, stored with it.
REPORT_FORMAT = 1
#: Most rows used for SHAP contributions; pred_contrib costs far more than predict.
SHAP_ROWS = 2000
#: Row-trees budget for SHAP: a 500-tree model gets 200 rows, a 50-tree one 2000.
#: Mean |contribution| per feature is stable at a few hundred rows, and this keeps
#: registration of large models within its time budget.
SHAP_ROW_TREES = 100_000
SHAP_MIN_ROWS = 200


@dataclass(frozen=True)
class EvaluationReport:
    """Metrics, curves, calibration, importance and SHAP of one model on one data set.

    ``task`` is ``"binary"`` or ``"regression"``. Binary reports fill ``curves``
    (``roc``: fpr/tpr/thresholds; ``pr``: recall/precision/thresholds) and
    ``calibration``; regression reports fill ``residuals``. ``importance`` holds
    ``features``, ``gain`` and ``split``; ``shap`` holds ``features``, ``mean_abs``
    and ``rows`` (both ``None`` when the model is not a LightGBM model).
    """

    task: str
    n_rows: int
    metrics: Mapping[str, float]
    curves: Mapping[str, Any] | None = None
    calibration: Mapping[str, Any] | None = None
    residuals: Mapping[str, Any] | None = None
    importance: Mapping[str, Any] | None = None
    shap: Mapping[str, Any] | None = None
    positive_class: Any = None
    format: int = REPORT_FORMAT
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data; :meth:`from_dict` inverts it."""
        return {
            "format": self.format,
            "task": self.task,
            "n_rows": self.n_rows,
            "metrics": dict(self.metrics),
            "curves": None if self.curves is None else dict(self.curves),
            "calibration": None if self.calibration is None else dict(self.calibration),
            "residuals": None if self.residuals is None else dict(self.residuals),
            "importance": None if self.importance is None else dict(self.importance),
            "shap": None if self.shap is None else dict(self.shap),
            "positive_class": self.positive_class,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvaluationReport:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def figures(self) -> dict[str, Any]:
        """The Plotly figures for this report, by name (see :func:`.figures.report_figures`)."""
        from .figures import report_figures

        return report_figures(self.to_dict())


def _booster(model: Any) -> Any:
    """The LightGBM booster inside ``model``, or ``None``."""
    booster = getattr(model, "booster_", None) if hasattr(model, "fitted_") else None
    if booster is None and type(model).__name__ == "Booster" and hasattr(model, "feature_name"):
        booster = model
    return booster


def _labels(y: Any, n_rows: int) -> Any:
    import numpy as np

    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise InvalidSpec(f"y must be one-dimensional, got shape {arr.shape}")
    if arr.shape[0] != n_rows:
        raise InvalidSpec(f"X has {n_rows} rows but y has {arr.shape[0]}")
    if n_rows == 0:
        raise InvalidSpec("cannot evaluate on zero rows")
    return arr


def _binary_target(model: Any, y: Any) -> tuple[Any, Any]:
    """``y`` as 0/1 for class 1, and the label of the positive class."""
    import numpy as np
    import pandas as pd

    classes = getattr(model, "classes_", None)
    observed = pd.unique(pd.Series(y))
    if classes is None:
        classes = np.array([0, 1])
    if len(classes) != 2:
        raise InvalidSpec(
            f"the classifier has {len(classes)} classes; evaluation supports binary "
            "classifiers and regressors (register without X_valid to skip it)"
        )
    allowed = set(classes.tolist())
    unknown = [v for v in observed.tolist() if v not in allowed]
    if unknown:
        raise InvalidSpec(
            f"y_valid must be binary with labels {sorted(allowed, key=str)}; it also holds "
            f"{sorted(unknown, key=str)[:5]}"
        )
    if len(observed) < 2:
        raise InvalidSpec("y_valid holds only one class; ROC and PR need both")
    positive = classes[1]
    return (pd.Series(y).to_numpy() == positive).astype(np.float64), positive.item() if hasattr(
        positive, "item") else positive


def _importance(booster: Any) -> dict[str, Any]:
    return {
        "features": list(booster.feature_name()),
        "gain": M._floats(booster.feature_importance(importance_type="gain")),
        "split": [int(v) for v in booster.feature_importance(importance_type="split")],
    }


def _shap(booster: Any, X: Any, rows: int) -> dict[str, Any]:
    import numpy as np

    trees = max(1, int(booster.num_trees()))
    rows = min(rows, max(SHAP_MIN_ROWS, SHAP_ROW_TREES // trees))
    n = len(X)
    if n > rows:
        idx = np.sort(np.random.default_rng(0).choice(n, rows, replace=False))
        X = X.iloc[idx] if hasattr(X, "iloc") else np.asarray(X)[idx]
    contrib = np.asarray(booster.predict(X, pred_contrib=True))
    mean_abs = np.abs(contrib[:, :-1]).mean(axis=0)  # the last column is the bias
    return {"features": list(booster.feature_name()), "mean_abs": M._floats(mean_abs),
            "rows": int(min(n, rows))}


def evaluate(model: Any, X: Any, y: Any, *, task: str | None = None,
             shap_rows: int = SHAP_ROWS) -> EvaluationReport:
    """Evaluate a fitted binary classifier or regressor on ``X`` and ``y``: the report of
    :func:`evaluate_with_scores` (see there for the parameters and errors)."""
    return evaluate_with_scores(model, X, y, task=task, shap_rows=shap_rows)[0]


def evaluate_with_scores(model: Any, X: Any, y: Any, *, task: str | None = None,
                         shap_rows: int = SHAP_ROWS) -> tuple[EvaluationReport, Any]:
    """Evaluate a fitted binary classifier or regressor on ``X`` and ``y``, and return
    the report with the model's score of every row (the positive-class probability of a
    classifier, ``predict`` of a regressor: what the server returns), so a caller that
    needs them too (the registry's reference profile) does not predict twice.

    Parameters
    ----------
    model
        A LightGBM ``Booster`` or scikit-learn LightGBM estimator (anything the
        registry can store).
    X, y
        Held-out features (DataFrame or 2-D array) and labels.
    task
        ``"binary"`` or ``"regression"``; inferred from the model when ``None``.
    shap_rows
        At most this many rows (a fixed random sample) are used for SHAP; fewer for
        models with many trees (see :data:`SHAP_ROW_TREES`). The report records how many.

    Raises
    ------
    InvalidSpec
        For a model the registry cannot store, a multiclass or ranking model, labels
        that are not binary for a classifier, a length mismatch, or a single class.
    """
    import numpy as np

    from ..models.flavors import flavor_for

    info = flavor_for(model).info(model)
    task = task or info.task
    n_rows = len(X) if hasattr(X, "columns") else int(np.asarray(X).shape[0])
    labels = _labels(y, n_rows)
    # A pipeline predicts from raw X, but importance and SHAP are about the columns its
    # learner sees: it hands over (learner, transformed X).
    view = getattr(model, "_bighead_evaluation_view", None)
    learner, X_learner = view(X) if callable(view) else (model, X)
    booster = _booster(learner)
    importance = _importance(booster) if booster is not None else None
    shap = (_shap(booster, X_learner, shap_rows)
            if booster is not None and shap_rows > 0 else None)

    if task == "binary":
        y01, positive = _binary_target(model, labels)
        if hasattr(model, "predict_proba"):
            p = np.asarray(model.predict_proba(X))[:, 1]
        else:
            p = np.asarray(model.predict(X))
        out = M.binary_metrics(y01, p)
        return EvaluationReport(
            task="binary", n_rows=n_rows, metrics=out["metrics"], curves=out["curves"],
            calibration=out["calibration"], importance=importance, shap=shap,
            positive_class=positive,
        ), p
    if task == "regression":
        try:
            target = labels.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidSpec("y_valid of a regressor must be numeric") from exc
        if not np.all(np.isfinite(target)):
            raise InvalidSpec("y_valid holds NaN or infinite values")
        pred = np.asarray(model.predict(X))
        out = M.regression_metrics(target, pred)
        return EvaluationReport(
            task="regression", n_rows=n_rows, metrics=out["metrics"],
            residuals=out["residuals"], importance=importance, shap=shap,
        ), pred
    raise InvalidSpec(
        f"evaluation supports binary classifiers and regressors, not a {task} model "
        "(register without X_valid to skip it)"
    )
