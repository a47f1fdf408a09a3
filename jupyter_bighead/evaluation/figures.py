"""Plotly figures drawn from evaluation data (never from a model).

Each builder takes the plain data of :meth:`EvaluationReport.to_dict` (or the
matching part of it), so the notebook and the Models panel draw the same JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

LAYOUT = {"template": "plotly_white", "margin": {"l": 50, "r": 20, "t": 40, "b": 45},
          "height": 340}


def _figure(traces: list[Any], title: str, x: str, y: str, **layout: Any) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure(traces)
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, **{**LAYOUT, **layout})
    return fig


def roc_figure(report: Mapping[str, Any]) -> Any:
    """ROC curve with the chance diagonal; the title carries the AUC."""
    import plotly.graph_objects as go

    roc = report["curves"]["roc"]
    auc = report["metrics"].get("roc_auc")
    return _figure(
        [go.Scatter(x=roc["fpr"], y=roc["tpr"], mode="lines", name="ROC",
                    customdata=roc["thresholds"],
                    hovertemplate="FPR %{x:.3f}<br>TPR %{y:.3f}<br>threshold %{customdata:.3f}"),
         go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance",
                    line={"dash": "dash", "color": "grey"})],
        f"ROC (AUC {auc:.3f})" if auc is not None else "ROC", "false positive rate",
        "true positive rate",
    )


def pr_figure(report: Mapping[str, Any]) -> Any:
    """Precision-recall curve with the positive rate as the no-skill baseline."""
    import plotly.graph_objects as go

    pr = report["curves"]["pr"]
    m = report["metrics"]
    traces = [go.Scatter(x=pr["recall"], y=pr["precision"], mode="lines", name="PR",
                         customdata=pr["thresholds"],
                         hovertemplate="recall %{x:.3f}<br>precision %{y:.3f}"
                                       "<br>threshold %{customdata:.3f}")]
    if "positive_rate" in m:
        traces.append(go.Scatter(x=[0, 1], y=[m["positive_rate"]] * 2, mode="lines",
                                 name="no skill", line={"dash": "dash", "color": "grey"}))
    title = f"Precision-recall (AP {m['pr_auc']:.3f})" if "pr_auc" in m else "Precision-recall"
    return _figure(traces, title, "recall", "precision")


def calibration_figure(report: Mapping[str, Any]) -> Any:
    """Observed positive rate against mean prediction per bin; marker size is the count."""
    import plotly.graph_objects as go

    cal = report["calibration"]
    return _figure(
        [go.Scatter(x=cal["mean_predicted"], y=cal["fraction_positive"], mode="lines+markers",
                    name="model", text=[f"{c} rows" for c in cal["count"]]),
         go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect",
                    line={"dash": "dash", "color": "grey"})],
        "Calibration", "mean predicted probability", "fraction positive",
    )


def _bars(features: Sequence[str], values: Sequence[float], title: str, x: str,
          top: int) -> Any:
    import plotly.graph_objects as go

    pairs = sorted(zip(features, values, strict=True), key=lambda fv: fv[1] or 0.0)[-top:]
    return _figure([go.Bar(x=[v for _, v in pairs], y=[f for f, _ in pairs], orientation="h")],
                   title, x, "", height=max(240, 22 * len(pairs) + 90))


def importance_figure(report: Mapping[str, Any], kind: str = "gain", top: int = 20) -> Any:
    """Top features by ``gain`` or ``split`` importance, as horizontal bars."""
    imp = report["importance"]
    return _bars(imp["features"], imp[kind], f"Feature importance ({kind})", kind, top)


def shap_figure(report: Mapping[str, Any], top: int = 20) -> Any:
    """Top features by mean |SHAP contribution|."""
    shap = report["shap"]
    return _bars(shap["features"], shap["mean_abs"], "Mean |SHAP value|",
                 "mean |contribution|", top)


def residual_figure(report: Mapping[str, Any]) -> Any:
    """Residual against prediction for the sampled points, with a zero line."""
    import plotly.graph_objects as go

    res = report["residuals"]
    return _figure(
        [go.Scattergl(x=res["predicted"], y=res["residual"], mode="markers",
                      marker={"size": 4, "opacity": 0.5}, name="residual")],
        "Residuals", "predicted", "actual - predicted",
        shapes=[{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 0, "y1": 0,
                 "line": {"dash": "dash", "color": "grey"}}],
    )


def metric_trend_figure(versions: Sequence[Mapping[str, Any]], metric: str) -> Any:
    """One metric across versions; ``versions`` are ModelVersion dicts (any order)."""
    import plotly.graph_objects as go

    points = sorted((v["version"], v["metrics"].get(metric)) for v in versions
                    if v.get("metrics", {}).get(metric) is not None)
    return _figure([go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points],
                               mode="lines+markers", name=metric)],
                   f"{metric} by version", "version", metric, xaxis={"dtick": 1})


def report_figures(report: Mapping[str, Any]) -> dict[str, Any]:
    """Every figure that ``report`` has data for, by name."""
    figs: dict[str, Any] = {}
    if report.get("curves"):
        figs["roc"] = roc_figure(report)
        figs["pr"] = pr_figure(report)
    if report.get("calibration"):
        figs["calibration"] = calibration_figure(report)
    if report.get("residuals"):
        figs["residuals"] = residual_figure(report)
    if report.get("importance"):
        figs["importance_gain"] = importance_figure(report, "gain")
        figs["importance_split"] = importance_figure(report, "split")
    if report.get("shap"):
        figs["shap"] = shap_figure(report)
    return figs
