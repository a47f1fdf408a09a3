"""The built-in LightGBM flavors: ``lightgbm.Booster`` and its scikit-learn estimators.

The booster is stored in LightGBM's own text format and the estimator's shell as plain
JSON; nothing is pickled. LightGBM, numpy and scikit-learn are imported only when a
LightGBM model is stored or loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._json import json_safe as _json_safe
from ..errors import IntegrityError, InvalidSpec
from .base import Dumped, Flavor, ModelInfo, Reader

__all__ = ["LightGBMBoosterFlavor", "LightGBMSklearnFlavor", "objective_task"]


def json_safe(value: Any) -> Any:
    # Model params are settings: ``nan`` stays a value (see jupyter_bighead._json).
    return _json_safe(value, style="params")


def _is_lightgbm(model: Any) -> bool:
    return any(c.__module__.split(".")[0] == "lightgbm" for c in type(model).__mro__)


def objective_task(objective: str) -> str:
    """Map a LightGBM objective (or alias) to a task name."""
    obj = objective.split()[0].lower() if objective else ""
    if obj in {"binary", "cross_entropy", "xentropy", "cross_entropy_lambda", "xentlambda"}:
        return "binary"
    if obj.startswith(("multiclass", "softmax", "multiclassova", "ova", "ovr", "multi")):
        return "multiclass"
    if obj in {"lambdarank", "rank_xendcg", "xendcg", "xe_ndcg", "xe_ndcg_mart", "xendcg_mart"}:
        return "ranking"
    if obj:
        return "regression"
    return "unknown"


def _booster_objective(booster: Any) -> str:
    objective = booster.params.get("objective") if isinstance(booster.params, dict) else None
    if isinstance(objective, str):
        return objective
    # Boosters loaded from text carry the objective in the model's header.
    for line in booster.model_to_string(num_iteration=1).splitlines()[:40]:
        if line.startswith("objective="):
            return line.split("=", 1)[1]
    return ""


class LightGBMBoosterFlavor(Flavor):
    """``lightgbm.Booster``: the model text plus its best iteration."""

    name = "lightgbm.booster"
    handles_description = "lightgbm.Booster"

    def handles(self, model: Any) -> bool:
        if not _is_lightgbm(model):
            return False
        import lightgbm

        return isinstance(model, lightgbm.Booster)

    def info(self, model: Any) -> ModelInfo:
        return ModelInfo(
            flavor=self.name,
            model_class="lightgbm.Booster",
            task=objective_task(_booster_objective(model)),
            feature_names=tuple(model.feature_name()),
            params=json_safe(dict(model.params or {})),
        )

    def dump(self, model: Any, prefix: str) -> Dumped:
        path = f"{prefix}model.txt"
        # num_iteration=-1 keeps every tree; best_iteration is restored on load so
        # that predict() uses the same trees as the original booster.
        text = model.model_to_string(num_iteration=-1)
        return Dumped(
            {path: text.encode("utf-8")},
            {
                "class": "lightgbm.Booster",
                "model_file": path,
                "best_iteration": int(model.best_iteration),
                "objective": _booster_objective(model),
                "feature_names": list(model.feature_name()),
                "num_trees": int(model.num_trees()),
            },
        )

    def load(self, wrapper: Mapping[str, Any], read: Reader) -> Any:
        import lightgbm

        booster = lightgbm.Booster(model_str=read(wrapper["model_file"]).decode("utf-8"))
        booster.best_iteration = int(wrapper.get("best_iteration", 0))
        return booster


_SKLEARN_CLASSES = ("LGBMClassifier", "LGBMRegressor", "LGBMRanker")


class LightGBMSklearnFlavor(Flavor):
    """LightGBM's scikit-learn estimators: the booster's text plus the estimator's
    constructor params and fitted state (classes, objective, feature count) as JSON."""

    name = "lightgbm.sklearn"
    handles_description = "lightgbm.LGBMClassifier, LGBMRegressor, LGBMRanker"

    def handles(self, model: Any) -> bool:
        return _is_lightgbm(model) and type(model).__name__ in _SKLEARN_CLASSES

    def _check_fitted(self, model: Any) -> None:
        if not getattr(model, "fitted_", False):
            raise InvalidSpec(f"{type(model).__name__} is not fitted: call fit() first")
        if callable(getattr(model, "_objective", None)):
            raise InvalidSpec("models trained with a custom objective function cannot be stored")

    def info(self, model: Any) -> ModelInfo:
        self._check_fitted(model)
        cls = type(model).__name__
        if cls == "LGBMClassifier":
            task = "binary" if model.n_classes_ == 2 else "multiclass"
        else:
            task = "regression" if cls == "LGBMRegressor" else "ranking"
        return ModelInfo(
            flavor=self.name,
            model_class=f"lightgbm.{cls}",
            task=task,
            feature_names=tuple(model.booster_.feature_name()),
            params=json_safe(model.get_params()),
        )

    def dump(self, model: Any, prefix: str) -> Dumped:
        self._check_fitted(model)
        booster = LightGBMBoosterFlavor().dump(model.booster_, prefix)
        params = model.get_params()
        safe = {k: v for k, v in params.items() if json_safe(v) == v or v is None}
        wrapper: dict[str, Any] = {
            "class": f"lightgbm.{type(model).__name__}",
            "model_file": booster.wrapper["model_file"],
            "booster": booster.wrapper,
            "params": json_safe(safe),
            # Params that JSON cannot hold (a RandomState, a callable) are not stored;
            # they only matter for refitting, never for predicting.
            "params_not_stored": sorted(set(params) - set(safe)),
            "objective": model.objective_,
            "n_features_in": int(model.n_features_in_),
            "fitted_with_feature_names": bool(model._fitted_with_feature_names),
            "best_iteration": int(model.best_iteration_),
        }
        if type(model).__name__ == "LGBMClassifier":
            classes = model.classes_
            wrapper["classes"] = json_safe(list(classes))
            wrapper["classes_dtype"] = str(classes.dtype)
        return Dumped(booster.files, wrapper)

    def load(self, wrapper: Mapping[str, Any], read: Reader) -> Any:
        import lightgbm
        import numpy as np

        cls_name = str(wrapper["class"]).rsplit(".", 1)[-1]
        if cls_name not in _SKLEARN_CLASSES:
            raise IntegrityError(f"unknown LightGBM estimator class {wrapper['class']!r}")
        est = getattr(lightgbm, cls_name)(**wrapper["params"])
        booster = LightGBMBoosterFlavor().load(wrapper["booster"], read)
        # The fitted state LightGBM's fit() leaves behind (lightgbm 4.x), rebuilt from
        # JSON instead of unpickled.
        est._Booster = booster
        est._n_features = booster.num_feature()
        est._n_features_in = int(wrapper["n_features_in"])
        est._fitted_with_feature_names = bool(wrapper["fitted_with_feature_names"])
        est._objective = wrapper["objective"]
        est._best_iteration = int(wrapper["best_iteration"])
        est._best_score = {}
        est._evals_result = {}
        est.fitted_ = True
        if cls_name == "LGBMClassifier":
            from sklearn.preprocessing import LabelEncoder

            dtype = wrapper.get("classes_dtype", "object")
            try:
                classes = np.asarray(wrapper["classes"], dtype=dtype)
            except TypeError:
                classes = np.asarray(wrapper["classes"], dtype=object)
            le = LabelEncoder()
            le.classes_ = classes
            est._le = le
            est._classes = classes
            est._n_classes = len(classes)
            est._class_map = {c: i for i, c in enumerate(classes)}
            est._class_weight = None
        return est
