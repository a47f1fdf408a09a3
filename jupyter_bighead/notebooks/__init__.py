"""Notebook to production ("Redspot"): prototype tags, productionize, reviewer reports."""

from __future__ import annotations

from .deps import DependencyReport, check_dependencies
from .productionize import ProductionResult, productionize
from .tags import PARAMETERS, PROTOTYPE, is_prototype, set_prototype

__all__ = [
    "PARAMETERS",
    "PROTOTYPE",
    "DependencyReport",
    "ProductionResult",
    "check_dependencies",
    "is_prototype",
    "productionize",
    "set_prototype",
]
