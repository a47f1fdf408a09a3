"""Old import path of the model flavors, which live in :mod:`jupyter_bighead.models`
(flavors, the LightGBM built-ins) and :mod:`jupyter_bighead.pipeline.flavor` (the
pipeline's). Everything importable here before still is."""

from __future__ import annotations

from typing import Any

from .._json import json_safe as _json_safe
from ..models.base import FORMAT, PIPELINE_FLAVOR, WRAPPER, Dumped, Flavor, ModelInfo, Reader
from ..models.flavors import (
    _REGISTERED,
    dump_model,
    flavor_for,
    load_model,
    register_flavor,
    supported,
    wrapper_bytes,
)
from ..models.lgbm import LightGBMBoosterFlavor, LightGBMSklearnFlavor, objective_task

__all__ = [
    "FORMAT",
    "PIPELINE_FLAVOR",
    "WRAPPER",
    "Dumped",
    "Flavor",
    "LightGBMBoosterFlavor",
    "LightGBMSklearnFlavor",
    "ModelInfo",
    "Reader",
    "dump_model",
    "flavor_for",
    "json_safe",
    "load_model",
    "objective_task",
    "register_flavor",
    "supported",
    "wrapper_bytes",
]

#: The flavors added with :func:`register_flavor` (the old private table's name).
_FLAVORS = _REGISTERED


def json_safe(value: Any) -> Any:
    """:func:`jupyter_bighead._json.json_safe` with ``style="params"`` (``nan`` kept as
    the string ``"nan"``), as this module's ``json_safe`` always did."""
    return _json_safe(value, style="params")


def __getattr__(name: str) -> Any:
    # The pipeline's flavor lives in the pipeline package, which is heavier to import.
    if name == "PipelineFlavor":
        from ..pipeline.flavor import PipelineFlavor

        return PipelineFlavor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
