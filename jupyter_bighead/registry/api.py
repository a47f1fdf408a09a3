"""JSON-ready views of the registry for the REST API and the Models panel.

Figures are built here, from the stored evaluation data, with the same builders the
notebook uses (:mod:`jupyter_bighead.evaluation.figures`): the panel and the
notebook render the same Plotly JSON.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import InvalidSpec
from ..models.base import PIPELINE_FLAVOR
from .core import Registry

TREND_METRICS = ("roc_auc", "pr_auc", "log_loss", "brier", "f1_at_best_f1", "rmse", "mae", "r2")


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def figure_json(figure: Any) -> dict[str, Any]:
    """A Plotly figure as plain JSON (what the application/vnd.plotly.v1+json MIME holds)."""
    return dict(json.loads(figure.to_json()))


def version_view(reg: Registry, name: str, version: int) -> dict[str, Any]:
    """A version with its evaluation data and the figures built from it (``name`` is
    a model name, not a reference: REST paths give the version apart)."""
    from .names import check_name

    mv = reg.get(check_name(name), version)
    report = reg.evaluation(name, version)
    figures: dict[str, Any] = {}
    if report is not None:
        figures = {key: figure_json(fig) for key, fig in report.figures().items()}
    aliases = [a for a, v in reg.aliases(name).items() if v == version]
    return {
        "version": _plain(mv.to_dict()),
        "aliases": aliases,
        "evaluation": _plain(report.to_dict()) if report is not None else None,
        "figures": figures,
        "pipeline": (pipeline_view(reg, mv.name, mv.version)
                     if mv.flavor == PIPELINE_FLAVOR else None),
    }


def pipeline_view(reg: Registry, name: str, version: int) -> dict[str, Any] | None:
    """A registered pipeline's graph, declared resources and raw request columns, read
    from its verified wrapper (plain data: no block code is loaded)."""
    graph = reg.wrapper(name, version).get("graph")
    if not isinstance(graph, dict):
        return None
    return {"graph": _plain(graph), "resources": _plain(graph.get("resources") or {}),
            "inputs": _plain(graph.get("input_spec") or [])}


def trend_view(reg: Registry, name: str, metric: str, limit: int = 200) -> dict[str, Any]:
    """The metric across the latest ``limit`` versions, as data and as a figure."""
    from ..evaluation.figures import metric_trend_figure

    page = reg.versions(name, limit=limit)
    versions = [v.to_dict() for v in reversed(list(page))]
    points = [{"version": v["version"], "value": v["metrics"].get(metric)} for v in versions]
    if not any(p["value"] is not None for p in points):
        known = sorted({k for v in versions for k in v["metrics"]})
        raise InvalidSpec(f"no version of {name!r} has metric {metric!r}; metrics: "
                          f"{', '.join(known) or 'none'}")
    return {"metric": metric, "points": points,
            "figure": figure_json(metric_trend_figure(versions, metric))}


def parse_version(raw: Any, what: str = "version") -> int:
    """A version number from a URL or a JSON body (see :func:`check_version`).

    Raises
    ------
    InvalidSpec
        For anything but a whole number from 1 to ``MAX_VERSION`` (``1.9`` included).
    """
    from .names import check_version

    return check_version(raw, what)
