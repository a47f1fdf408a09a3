"""bh.evaluate: charts plus a Register button whose logic works without a browser."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import jupyter_bighead as bh
from jupyter_bighead.widgets import EvaluationView


@pytest.fixture
def fitted(tmp_path, monkeypatch):
    import lightgbm as lgb

    monkeypatch.setenv("BIGHEAD_HOME", str(tmp_path / "home"))
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(400, 3)), columns=["a", "b", "c"])
    y = (X.a + rng.normal(scale=0.3, size=400) > 0).astype(int)
    return lgb.LGBMClassifier(n_estimators=10, verbose=-1).fit(X, y), X, y


def test_evaluate_returns_a_view_with_metrics_charts_and_controls(fitted):
    model, X, y = fitted
    view = bh.evaluate(model, X, y, name="churn")
    assert isinstance(view, EvaluationView)
    assert view.metrics["roc_auc"] > 0.8
    assert "roc_auc" in view.metrics_html
    assert {"roc", "pr"} <= set(view.report.figures())
    assert view.name_input.value == "churn"


def test_register_button_registers_under_the_typed_name(fitted, tmp_path):
    model, X, y = fitted
    view = bh.evaluate(model, X, y, features=["views_7d_count@1"], params={"trees": 10})
    view.name_input.value = ""
    view._on_register()
    assert "type a model name" in view.status.value
    view.name_input.value = "churn"
    view._on_register()
    assert "Registered <b>churn v1</b>" in view.status.value
    assert view.open_button.layout.display is None  # the Open button appears
    mv = bh.default_registry().get("churn")
    assert list(mv.features) == ["views_7d_count@1"]
    assert mv.params["trees"] == 10
    view._on_register()
    assert "churn v2" in view.status.value


def test_register_errors_are_shown_not_raised(fitted):
    model, X, y = fitted
    view = bh.evaluate(model, X, y)
    view.name_input.value = "bad/name"
    view._on_register()
    assert "error-color" in view.status.value and "bad/name" in view.status.value
    assert view.registered is None
