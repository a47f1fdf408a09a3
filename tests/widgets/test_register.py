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


def test_the_register_click_reuses_the_evaluation_it_shows(fitted, monkeypatch):
    from jupyter_bighead.evaluation import report as report_module

    model, X, y = fitted
    view = bh.evaluate(model, X, y, name="churn")

    def no_second_evaluation(*args, **kwargs):
        raise AssertionError("registration evaluated the model again")

    monkeypatch.setattr(report_module, "evaluate", no_second_evaluation)
    view._on_register()
    assert "Registered <b>churn v1</b>" in view.status.value
    reg = bh.default_registry()
    assert reg.evaluation("churn", 1).to_dict() == view.report.to_dict()
    assert reg.get("churn", 1).metrics["roc_auc"] == view.metrics["roc_auc"]


def test_a_given_evaluation_must_describe_the_validation_rows(fitted):
    from jupyter_bighead.errors import InvalidSpec
    from jupyter_bighead.evaluation import evaluate

    model, X, y = fitted
    reg = bh.default_registry()
    report = evaluate(model, X[:100], y[:100])
    with pytest.raises(InvalidSpec, match="covers 100 rows but X_valid has 400"):
        reg.register("churn", model, X_valid=X, y_valid=y, evaluation=report)
    with pytest.raises(InvalidSpec, match="EvaluationReport"):
        reg.register("churn", model, X_valid=X, y_valid=y, evaluation={"metrics": {}})
    with pytest.raises(InvalidSpec, match="needs the X_valid"):
        reg.register("churn", model, evaluation=report)
    assert reg.models().total == 0  # nothing half-registered
