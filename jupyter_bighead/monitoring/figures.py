"""Plotly figures drawn from a check's plain data (:meth:`.check.CheckResult.to_dict`).

The notebook (``bh.monitoring(model_ref)``) and the lab's Monitoring tab draw the same
JSON: each builder takes the matching part of the result, never a model or a log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

LAYOUT = {"template": "plotly_white", "margin": {"l": 50, "r": 20, "t": 40, "b": 45},
          "height": 320}


def _figure(traces: list[Any], title: str, x: str, y: str, **layout: Any) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure(traces)
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, **{**LAYOUT, **layout})
    return fig


def histogram_figure(drift: Mapping[str, Any]) -> Any:
    """A feature's (or the score's) share per bin: the reference against the window,
    from one entry of the result's ``drift.features`` (or ``drift.score``)."""
    import plotly.graph_objects as go

    psi = drift.get("psi")
    title = drift["feature"] + (f" (PSI {psi:.3f})" if psi is not None else "")
    return _figure(
        [go.Bar(x=drift["bins"], y=drift["reference_shares"], name="reference"),
         go.Bar(x=drift["bins"], y=drift["current_shares"], name="current")],
        title, "bin" if drift["kind"] == "numeric" else "category", "share of rows",
        barmode="group")


def psi_over_time_figure(history: Sequence[Mapping[str, Any]],
                         features: Sequence[str] | None = None) -> Any:
    """PSI per window of each feature (``features``, default all) and of the score,
    from the result's ``history``."""
    import plotly.graph_objects as go

    x = [h["start"] for h in history]
    names = list(features) if features is not None else (
        list(history[0]["psi"]) if history else [])
    traces = [go.Scatter(x=x, y=[h["psi"].get(n) for h in history], mode="lines+markers",
                         name=n) for n in names]
    if history and any(h.get("score_psi") is not None for h in history):
        traces.append(go.Scatter(x=x, y=[h.get("score_psi") for h in history],
                                 mode="lines+markers", name="score",
                                 line={"dash": "dash", "color": "black"}))
    return _figure(traces, "Drift over time (PSI)", "window start", "PSI")


def performance_figure(performance: Sequence[Mapping[str, Any]]) -> Any:
    """Realized performance per window (from the result's ``performance``): ROC AUC,
    PR AUC and log loss for a classifier, RMSE and MAE for a regressor."""
    import plotly.graph_objects as go

    x = [w["start"] for w in performance]
    keys = [k for k in ("roc_auc", "pr_auc", "log_loss", "rmse", "mae")
            if any(w.get(k) is not None for w in performance)]
    traces = [go.Scatter(x=x, y=[w.get(k) for w in performance], mode="lines+markers",
                         name=k, customdata=[w["n"] for w in performance],
                         hovertemplate=f"{k} %{{y:.4f}}<br>%{{customdata}} labels")
              for k in keys]
    return _figure(traces, "Realized performance", "window start", "metric")


def drift_rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The per-feature drift table (most severe first), each row with its PSI over
    time for a sparkline."""
    history = result.get("history") or []
    drift = result.get("drift") or {}
    return [{"feature": f["feature"], "kind": f["kind"], "severity": f["severity"],
             "psi": f["psi"], "js": f["js"], "test": f["test"], "p_value": f["p_value"],
             "null_rate_reference": f["null_rate_reference"],
             "null_rate_current": f["null_rate_current"], "unseen": f["unseen"],
             "reasons": f["reasons"],
             "sparkline": [h["psi"].get(f["feature"]) for h in history]}
            for f in drift.get("features", [])]


def figures(result: Mapping[str, Any]) -> dict[str, Any]:
    """Every figure of a check as Plotly JSON: ``score`` (the score's histogram),
    ``drift_over_time``, ``performance`` (when labels were joined) and
    ``features`` (one histogram per feature, by name)."""
    drift = result.get("drift") or {}
    out: dict[str, Any] = {}
    if drift.get("score"):
        out["score"] = histogram_figure(drift["score"]).to_plotly_json()
    if result.get("history"):
        out["drift_over_time"] = psi_over_time_figure(result["history"]).to_plotly_json()
    if result.get("performance"):
        out["performance"] = performance_figure(result["performance"]).to_plotly_json()
    out["features"] = {f["feature"]: histogram_figure(f).to_plotly_json()
                       for f in drift.get("features", [])}
    return out
