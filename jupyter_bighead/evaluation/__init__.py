"""Model evaluation as plain data, and Plotly figures drawn from that data.

``evaluate(model, X, y)`` returns an :class:`EvaluationReport`; ``report.to_dict()``
is JSON that the registry stores and the REST API serves, and
:mod:`jupyter_bighead.evaluation.figures` draws charts from it. Importing this
package is light: numpy, LightGBM and Plotly are imported when used.
"""

from __future__ import annotations

from .report import EvaluationReport, evaluate, evaluate_with_scores

__all__ = ["EvaluationReport", "evaluate", "evaluate_with_scores"]
