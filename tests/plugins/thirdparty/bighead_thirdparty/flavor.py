"""A tiny model class and the flavor that stores it as JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from jupyter_bighead.models import Dumped, Flavor, ModelInfo


class LinearScorer:
    """``bias + sum(weights[c] * X[c])`` over named columns."""

    def __init__(self, weights: Mapping[str, float], bias: float = 0.0) -> None:
        self.weights = {str(k): float(v) for k, v in weights.items()}
        self.bias = float(bias)

    @property
    def feature_names_in_(self) -> Sequence[str]:
        return list(self.weights)

    def predict(self, X: Any) -> Any:
        import numpy as np

        total = np.full(len(X), self.bias, dtype=np.float64)
        for column, weight in self.weights.items():
            total += weight * np.asarray(X[column], dtype=np.float64)
        return total


class LinearFlavor(Flavor):
    """Stores a :class:`LinearScorer` as one JSON file."""

    name = "thirdparty.linear"
    handles_description = "bighead_thirdparty.LinearScorer"

    def handles(self, model: Any) -> bool:
        return isinstance(model, LinearScorer)

    def info(self, model: Any) -> ModelInfo:
        return ModelInfo(flavor=self.name, model_class="bighead_thirdparty.LinearScorer",
                         task="regression", feature_names=tuple(model.weights),
                         params={"bias": model.bias, "n_weights": len(model.weights)})

    def dump(self, model: Any, prefix: str) -> Dumped:
        body = json.dumps({"weights": model.weights, "bias": model.bias}, sort_keys=True)
        return Dumped(files={f"{prefix}linear.json": body.encode()},
                      wrapper={"file": f"{prefix}linear.json"})

    def load(self, wrapper: Mapping[str, Any], read: Any) -> Any:
        data = json.loads(read(str(wrapper["file"])))
        return LinearScorer(data["weights"], data["bias"])
