"""``bh.evaluate`` in a notebook: the evaluation charts plus a one-click Register button."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..errors import BigheadError
from .frontend import send_to_frontend

if TYPE_CHECKING:
    from ..evaluation import EvaluationReport
    from ..registry import ModelVersion, Registry

HEADLINE = ("roc_auc", "pr_auc", "log_loss", "brier", "f1_at_best_f1", "rmse", "mae", "r2")


class EvaluationView:
    """Metrics and Plotly charts of an evaluation, and a Register button.

    Displayed in a notebook it shows the metrics table, the charts as ordinary Plotly
    outputs (so they also survive in saved notebooks and reports) and the ``controls``
    widget. ``report`` holds the plain data (also ``metrics``); ``register(name)`` is
    what the button calls, so code can do the same.
    """

    def __init__(
        self,
        model: Any,
        X: Any,
        y: Any,
        report: EvaluationReport,
        *,
        name: str | None = None,
        features: Sequence[str] = (),
        params: Mapping[str, Any] | None = None,
        registry: Registry | None = None,
    ) -> None:
        self.model, self.X, self.y, self.report = model, X, y, report
        self.features = list(features)
        self.params = dict(params or {})
        self._registry = registry
        self.registered: ModelVersion | None = None

        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td>{report.metrics[k]:.4f}</td></tr>"
            for k in HEADLINE if k in report.metrics
        )
        self.metrics_html = f"<table class='bighead-metrics'>{rows}</table>"
        self.name_input = w.Text(value=name or "", placeholder="model name, e.g. booking_model",
                                 description="Name")
        self.register_button = w.Button(description="Register", icon="upload",
                                        button_style="primary")
        self.open_button = w.Button(description="Open in Models panel", icon="external-link",
                                    layout=w.Layout(display="none"))
        self.status = w.HTML()
        self.register_button.on_click(lambda _b: self._on_register())
        self.open_button.on_click(lambda _b: self._on_open())
        self.controls = w.VBox([
            w.HBox([self.name_input, self.register_button, self.open_button]), self.status,
        ])

    @property
    def metrics(self) -> dict[str, float]:
        return dict(self.report.metrics)

    def _ipython_display_(self) -> None:
        from IPython.display import HTML, display

        display(HTML(self.metrics_html))
        for figure in self.report.figures().values():
            display(figure)
        display(self.controls)

    def register(self, name: str) -> ModelVersion:
        """Register the evaluated model under ``name`` with its validation data."""
        reg = self._registry
        if reg is None:
            from ..registry.default import default_registry

            reg = default_registry()
        self.registered = reg.register(name, self.model, X_valid=self.X, y_valid=self.y,
                                       params=self.params or None,
                                       features=self.features or None,
                                       evaluation=self.report)  # shown above: not again
        return self.registered

    def _on_register(self) -> None:
        name = self.name_input.value.strip()
        if not name:
            self.status.value = _error("type a model name first")
            return
        self.register_button.disabled = True
        self.status.value = f"Registering {html.escape(name)}…"
        try:
            mv = self.register(name)
        except BigheadError as exc:
            self.status.value = _error(exc.message)
            return
        finally:
            self.register_button.disabled = False
        self.status.value = (f"Registered <b>{html.escape(mv.name)} v{mv.version}</b> "
                             f"(roc_auc {mv.metrics.get('roc_auc', float('nan')):.4f}).")
        self.open_button.layout.display = None

    def _on_open(self) -> None:
        if self.registered is None:
            return
        if not send_to_frontend("open_model", name=self.registered.name,
                                version=self.registered.version):
            self.status.value += " Open the Bighead panel's Models section to see it."


def _error(message: str) -> str:
    return f"<span style='color:var(--jp-error-color1)'>{html.escape(message)}</span>"
