"""Models: how each kind of model is stored (*flavors*) and the one prediction rule.

>>> from jupyter_bighead.models import dump_model, load_model, flavor_for
>>> from jupyter_bighead.models.predict import predict_frame

Flavors come from three places: the built-in LightGBM flavors, flavors installed packages
declare under the entry-point group ``jupyter_bighead.flavors`` (found through
:mod:`jupyter_bighead.plugins`; the pipeline's own flavor is one), and flavors a notebook
adds with :func:`register_flavor`. Importing this package is light: LightGBM, numpy and
pandas are imported when a model is stored, loaded or asked to predict.
"""

from __future__ import annotations

from .flavors import (
    FORMAT,
    WRAPPER,
    Dumped,
    Flavor,
    ModelInfo,
    available_flavors,
    dump_model,
    flavor_for,
    load_model,
    refresh_installed,
    register_flavor,
    supported,
    wrapper_bytes,
)

__all__ = [
    "FORMAT",
    "WRAPPER",
    "Dumped",
    "Flavor",
    "ModelInfo",
    "available_flavors",
    "dump_model",
    "flavor_for",
    "load_model",
    "refresh_installed",
    "register_flavor",
    "supported",
    "wrapper_bytes",
]
