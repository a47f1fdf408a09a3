"""Pipelines: reusable transformer blocks plus a LightGBM learner, one object for
training, batch scoring and online serving.

>>> from jupyter_bighead.pipeline import CategoryEncode, Impute, Pipeline, Standardize
>>> from lightgbm import LGBMClassifier                          # doctest: +SKIP
>>> pipe = Pipeline([Impute(columns=["age"], strategy="median"),
...                  Standardize(columns=["age"]),
...                  CategoryEncode(columns=["country"])],
...                 learner=LGBMClassifier())                    # doctest: +SKIP

Importing this package imports numpy and scikit-learn, never lightgbm (the learner
brings it) nor pandas beyond what scikit-learn needs.
"""

from __future__ import annotations

import jupyter_bighead.pipeline.catalog as catalog

from .base import Block
from .blocks import (
    UNSEEN,
    CategoryEncode,
    Clip,
    DateParts,
    Drop,
    Impute,
    Log1p,
    MinMaxScale,
    Select,
    Standardize,
)
from .core import Pipeline
from .image import ImageResize
from .lookup import FeatureLookup

__all__ = [
    "UNSEEN",
    "Block",
    "CategoryEncode",
    "Clip",
    "DateParts",
    "Drop",
    "FeatureLookup",
    "ImageResize",
    "Impute",
    "Log1p",
    "MinMaxScale",
    "Pipeline",
    "Select",
    "Standardize",
    "catalog",
]
