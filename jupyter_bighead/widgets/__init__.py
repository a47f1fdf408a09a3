"""ipywidgets for the notebook: feature lookup (and, later, one-click registration)."""

from __future__ import annotations

from .feature_lookup import FeatureLookup
from .frontend import insert_cell
from .register import EvaluationView

__all__ = ["EvaluationView", "FeatureLookup", "insert_cell"]
