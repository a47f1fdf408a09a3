"""Model flavors: how each kind of model is written to and read from artifacts.

A flavor turns a model into files plus a JSON *wrapper* (``bighead_model.json``)
that says which flavor wrote it, with a versioned ``format`` field, and turns them
back into a model. Nothing is ever pickled: LightGBM models are stored in
LightGBM's own text format and their scikit-learn shell as plain JSON.

New kinds of models (the pipelines issue) plug in with :func:`register_flavor`; a
flavor may store sub-models with :func:`dump_model` / :func:`load_model` under a
prefix, which is how a pipeline would store its final estimator.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._json import json_safe as _json_safe
from ..errors import IntegrityError, InvalidSpec

#: The wrapper format this code writes; it reads any format up to this one.
FORMAT = 1
WRAPPER = "bighead_model.json"

Reader = Callable[[str], bytes]


@dataclass(frozen=True)
class Dumped:
    """A model as files: relative path to bytes, plus the wrapper's JSON data."""

    files: dict[str, bytes]
    wrapper: dict[str, Any]


@dataclass(frozen=True)
class ModelInfo:
    """What the registry records about a model without loading its files again."""

    flavor: str
    model_class: str
    task: str  # "binary", "multiclass", "regression", "ranking" or "unknown"
    feature_names: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)


class Flavor(abc.ABC):
    """One kind of storable model."""

    #: Stable identifier written into the wrapper, e.g. ``"lightgbm.booster"``.
    name: str
    #: Human-readable list of the types it stores, for error messages.
    handles_description: str

    @abc.abstractmethod
    def handles(self, model: Any) -> bool:
        """Whether this flavor can store ``model``; must not import heavy packages
        unless ``model`` already comes from them."""

    @abc.abstractmethod
    def info(self, model: Any) -> ModelInfo:
        """Describe ``model`` for the registry's records."""

    @abc.abstractmethod
    def dump(self, model: Any, prefix: str) -> Dumped:
        """Files (paths starting with ``prefix``) and wrapper data for ``model``."""

    @abc.abstractmethod
    def load(self, wrapper: Mapping[str, Any], read: Reader) -> Any:
        """Rebuild the model from its wrapper; ``read(path)`` returns verified bytes."""


_FLAVORS: dict[str, Flavor] = {}


def register_flavor(flavor: Flavor) -> Flavor:
    """Make ``flavor`` available for storing and loading; later ones are tried first."""
    _FLAVORS[flavor.name] = flavor
    return flavor


def supported() -> str:
    return "; ".join(f"{f.handles_description} ({name})" for name, f in _FLAVORS.items())


def flavor_for(model: Any) -> Flavor:
    """The flavor that stores ``model``.

    Raises
    ------
    InvalidSpec
        If no flavor handles the model's type; the message lists what is supported.
    """
    for flavor in reversed(list(_FLAVORS.values())):
        if flavor.handles(model):
            return flavor
    kind = f"{type(model).__module__}.{type(model).__qualname__}"
    raise InvalidSpec(f"cannot store a model of type {kind}: supported are {supported()}")


def dump_model(model: Any, prefix: str = "") -> Dumped:
    """Files and wrapper for ``model``; the wrapper names its flavor and format."""
    flavor = flavor_for(model)
    dumped = flavor.dump(model, prefix)
    wrapper = {"format": FORMAT, "flavor": flavor.name, **dumped.wrapper}
    return Dumped(dumped.files, wrapper)


def load_model(wrapper: Mapping[str, Any], read: Reader) -> Any:
    """Rebuild a model from a wrapper written by :func:`dump_model`.

    Raises
    ------
    IntegrityError
        If the wrapper is from a newer format or names a flavor not installed here.
    """
    fmt = wrapper.get("format")
    if not isinstance(fmt, int) or fmt > FORMAT:
        raise IntegrityError(
            f"model wrapper format {fmt!r} is newer than this jupyter-bighead reads "
            f"(up to {FORMAT}): upgrade jupyter-bighead"
        )
    name = wrapper.get("flavor")
    flavor = _FLAVORS.get(str(name))
    if flavor is None:
        raise IntegrityError(
            f"model flavor {name!r} is not available here; installed: {sorted(_FLAVORS)}"
        )
    return flavor.load(wrapper, read)


def json_safe(value: Any) -> Any:
    """Kept for old imports: :func:`jupyter_bighead._json.json_safe` with
    ``style="params"`` (``nan`` kept as the string ``"nan"``)."""
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


#: The flavor name pipelines are stored under.
PIPELINE_FLAVOR = "bighead.pipeline"


class PipelineFlavor(Flavor):
    """``jupyter_bighead.pipeline.Pipeline``: each block's params and fitted state as
    JSON and ``.npy`` arrays, the learner through its own flavor (see
    :mod:`jupyter_bighead.pipeline.persist`). Defined here so that loading never needs
    the pipeline package imported first."""

    name = PIPELINE_FLAVOR
    handles_description = "jupyter_bighead.pipeline.Pipeline"

    def handles(self, model: Any) -> bool:
        import sys

        core = sys.modules.get("jupyter_bighead.pipeline.core")
        return core is not None and isinstance(model, core.Pipeline)

    def info(self, model: Any) -> ModelInfo:
        from ..pipeline import persist

        return persist.info(model)

    def dump(self, model: Any, prefix: str) -> Dumped:
        from ..pipeline import persist

        return persist.dump_pipeline(model, prefix)

    def load(self, wrapper: Mapping[str, Any], read: Reader) -> Any:
        from ..pipeline import persist

        return persist.load_pipeline(wrapper, read)


register_flavor(LightGBMBoosterFlavor())
register_flavor(LightGBMSklearnFlavor())
register_flavor(PipelineFlavor())


def wrapper_bytes(wrapper: Mapping[str, Any]) -> bytes:
    return json.dumps(wrapper, indent=1, sort_keys=True).encode("utf-8")
