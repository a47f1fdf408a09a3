"""``evaluate(model, X, y)``: a model's evaluation on held-out data, as plain data.

The report is what the registry stores with a version, what the REST API serves
and what the figures in :mod:`.figures` are drawn from; the model is needed only
to compute it.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jupyter_bighead.evaluation.metrics as M

from ..errors import InvalidSpec

#: The report's own format version, stored with it.
REPORT_FORMAT = 1
#: Most rows used for SHAP contributions by default; pred_contrib costs far more
#: than predict (about 2 ms a row for 500 trees of 31 leaves, against 18 us).
SHAP_ROWS = 2000
#: The default's row-trees budget for SHAP: a 500-tree model gets 64 rows, a 16-tree
#: one 2000. TreeSHAP of one row walks every leaf of every tree, so its cost grows
#: with rows x trees; this keeps it to a few percent of predicting 100k rows, which
#: the evaluation does anyway (#18: registering 500 trees with 100k rows at most
#: 0.3 s above that prediction). Mean |contribution| ranks the features the same
#: way as 5,000 rows do to a Spearman correlation of about 0.97 at 64 rows (0.99 at
#: 200); pass ``shap_rows`` for a closer estimate.
SHAP_ROW_TREES = 32_000
SHAP_MIN_ROWS = 64


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
    #: In memory only (never stored or compared): the model's score of each row,
    #: :func:`rows_digest` of the ``X`` they were computed on and the digest of the
    #: model (:meth:`~jupyter_bighead.models.base.Dumped.digest`), so that registering
    #: this report checks it describes that model and those rows, and builds the
    #: reference profile without predicting again (:meth:`scores_checked`).
    scores: Any = field(default=None, repr=False, compare=False)
    scores_of: str | None = field(default=None, repr=False, compare=False)
    model_of: str | None = field(default=None, repr=False, compare=False)

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

    def mismatch(self, X: Any, model_digest: str | None) -> str | None:
        """Why this report does not describe ``X`` and the model of ``model_digest``, as
        far as it knows (a report read back from storage knows only its row count);
        ``None`` when it does."""
        if self.n_rows != len(X):
            return f"the evaluation covers {self.n_rows} rows but X_valid has {len(X)}"
        if self.model_of is not None and model_digest is not None \
                and model_digest != self.model_of:
            return "the evaluation was computed for another model (or this one changed since)"
        if self.scores_of is not None and _digest_or_none(X) != self.scores_of:
            return "X_valid changed since the evaluation was computed on it"
        return None

    def scores_checked(self, model_digest: str | None) -> Any:
        """The scores this report was computed with, once :meth:`mismatch` found no
        difference for ``model_digest`` and the rows: ``None`` unless the report knows
        both digests (a report read back from storage knows neither)."""
        known = all(x is not None for x in (self.scores, self.scores_of, self.model_of,
                                            model_digest))
        return self.scores if known and len(self.scores) == self.n_rows else None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvaluationReport:
        known = set(cls.__dataclass_fields__) - {"scores", "scores_of", "model_of"}
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


def check_shap_rows(shap_rows: Any) -> int | None:
    """``shap_rows`` as an ``int`` (or ``None``).

    Raises
    ------
    InvalidSpec
        Unless it is ``None`` or a whole number >= 0 (numpy integers included).
    """
    if shap_rows is None:
        return None
    if isinstance(shap_rows, bool) or not isinstance(shap_rows, numbers.Integral) \
            or shap_rows < 0:
        raise InvalidSpec(f"shap_rows must be a whole number >= 0, not {shap_rows!r}")
    return int(shap_rows)


def shap_sample_rows(trees: int, shap_rows: int | None) -> int:
    """How many rows SHAP uses: ``shap_rows`` when given, else the default budget
    (:data:`SHAP_ROWS` at most, :data:`SHAP_ROW_TREES` row-trees, at least
    :data:`SHAP_MIN_ROWS`)."""
    if shap_rows is not None:
        return shap_rows
    return min(SHAP_ROWS, max(SHAP_MIN_ROWS, SHAP_ROW_TREES // max(1, trees)))


def _shap(booster: Any, X: Any, shap_rows: int | None) -> dict[str, Any]:
    import numpy as np

    rows = shap_sample_rows(int(booster.num_trees()), shap_rows)
    n = len(X)
    if n > rows:
        idx = np.sort(np.random.default_rng(0).choice(n, rows, replace=False))
        X = X.iloc[idx] if hasattr(X, "iloc") else np.asarray(X)[idx]
    contrib = np.asarray(booster.predict(X, pred_contrib=True))
    mean_abs = np.abs(contrib[:, :-1]).mean(axis=0)  # the last column is the bias
    return {"features": list(booster.feature_name()), "mean_abs": M._floats(mean_abs),
            "rows": int(min(n, rows))}


def rows_digest(X: Any) -> str:
    """A content hash of ``X``'s columns, types and values (a DataFrame or array); the
    values of object columns are hashed with their Python types (``1`` is not ``"1"``,
    ``None`` is not ``NaN``)."""
    import hashlib
    import json

    import numpy as np
    import pandas as pd

    h = hashlib.sha256()
    if isinstance(X, pd.DataFrame):
        h.update(json.dumps([[str(c) for c in X.columns], [str(t) for t in X.dtypes],
                             len(X)]).encode("utf-8"))
        h.update(pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes())
        objects = [str(t) == "object" for t in X.dtypes]
        for j in np.flatnonzero(objects):
            kinds = X.iloc[:, int(j)].map(lambda v: type(v).__qualname__)
            h.update(pd.util.hash_pandas_object(kinds, index=False).to_numpy().tobytes())
    else:
        arr = np.ascontiguousarray(np.asarray(X))
        h.update(json.dumps([list(arr.shape), str(arr.dtype)]).encode("utf-8"))
        h.update(arr.tobytes() if arr.dtype != object else repr(arr.tolist()).encode())
    return h.hexdigest()


def evaluate(model: Any, X: Any, y: Any, *, task: str | None = None,
             shap_rows: int | None = None) -> EvaluationReport:
    """Evaluate a fitted binary classifier or regressor on ``X`` and ``y``: the report of
    :func:`evaluate_with_scores` (see there for the parameters and errors), holding
    the scores in memory (:meth:`EvaluationReport.scores_checked`) for a registration."""
    from dataclasses import replace

    report, scores = evaluate_with_scores(model, X, y, task=task, shap_rows=shap_rows)
    return replace(report, scores=scores, scores_of=_digest_or_none(X),
                   model_of=model_digest(model))


def model_digest(model: Any) -> str | None:
    """:meth:`~jupyter_bighead.models.base.Dumped.digest` of ``model``, or ``None`` for a
    model the registry cannot store."""
    from ..models import dump_model

    try:
        return str(dump_model(model).digest())
    except Exception:  # not storable: no digest, nothing reused
        return None


def _digest_or_none(X: Any) -> str | None:
    try:
        return rows_digest(X)
    except Exception:  # anything unhashable is simply not known to be the same X
        return None


def evaluate_with_scores(model: Any, X: Any, y: Any, *, task: str | None = None,
                         shap_rows: int | None = None) -> tuple[EvaluationReport, Any]:
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
        How many rows (a fixed random sample; all when there are fewer) SHAP uses; 0
        skips it. By default a budget by the model's size (:func:`shap_sample_rows`:
        64 rows at 500 trees, 2000 at 16 or fewer). The report records how many.

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
    shap_rows = check_shap_rows(shap_rows)
    shap = (_shap(booster, X_learner, shap_rows)
            if booster is not None and shap_rows != 0 else None)

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
