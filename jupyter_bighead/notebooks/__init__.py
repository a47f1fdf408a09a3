"""Notebook to production ("Redspot"): prototype tags, productionize, reviewer reports.

``report`` here is the function :func:`.report.report` (``report(path)`` writes the
reviewer report); the module stays importable as ``jupyter_bighead.notebooks.report``
through ``from jupyter_bighead.notebooks.report import ...``.
"""

from __future__ import annotations

from .deps import DependencyReport, check_dependencies
from .productionize import ProductionResult, productionize
from .report import ReportSection, render_report, report
from .tags import PARAMETERS, PROTOTYPE, is_prototype, set_prototype

__all__ = [
    "PARAMETERS",
    "PROTOTYPE",
    "DependencyReport",
    "ProductionResult",
    "ReportSection",
    "check_dependencies",
    "is_prototype",
    "productionize",
    "render_report",
    "report",
    "set_prototype",
]
