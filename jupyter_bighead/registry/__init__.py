"""The model registry ("Bighead Service"): numbered, verifiable model versions.

>>> from jupyter_bighead.registry import Registry
>>> reg = Registry("/path/to/folder")        # or "postgresql://…", artifacts="/dir"
>>> mv = reg.register("booking_model", model, X_valid=X, y_valid=y)
>>> reg.load("booking_model", alias="production")

Importing this package is light; LightGBM, pandas and psycopg are imported when used.
"""

from __future__ import annotations

from ..models.flavors import Flavor, register_flavor
from .core import Registry
from .default import default_registry
from .domain import AliasEvent, ArtifactFile, ModelSummary, ModelVersion, Page
from .protect import ProtectedAliasWarning
from .store import Store, open_store

__all__ = [
    "AliasEvent",
    "ArtifactFile",
    "Flavor",
    "ModelSummary",
    "ModelVersion",
    "Page",
    "ProtectedAliasWarning",
    "Registry",
    "Store",
    "default_registry",
    "open_store",
    "register_flavor",
]
