"""Fitted pipelines round-trip through the registry bit for bit, with no pickle."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from jupyter_bighead.pipeline import Pipeline
from jupyter_bighead.registry import Registry


def _registry(tmp_path):
    return Registry(str(tmp_path / "reg"))


def test_round_trip_through_the_registry_is_bit_for_bit(fitted, frame, tmp_path):
    X, y = frame
    reg = _registry(tmp_path)
    reg.register("churn", fitted, X_valid=X, y_valid=y)
    loaded = reg.load("churn")
    assert isinstance(loaded, Pipeline)
    pd.testing.assert_frame_equal(loaded.transform(X), fitted.transform(X), check_exact=True)
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))
    assert loaded.describe() == fitted.describe()
    assert loaded.input_spec() == fitted.input_spec()
    assert loaded.resources() == fitted.resources()
    for a, b in zip(loaded.steps, fitted.steps, strict=True):
        assert a.get_params() == b.get_params()
    # And again: a loaded pipeline stores and loads the same.
    reg.register("churn", loaded)
    np.testing.assert_array_equal(reg.load("churn").predict_proba(X), fitted.predict_proba(X))


def test_stored_files_are_json_npy_and_lightgbm_text_only(fitted, tmp_path):
    reg = _registry(tmp_path)
    mv = reg.register("churn", fitted)
    paths = [a.path for a in mv.artifacts]
    assert {p.rsplit(".", 1)[-1] for p in paths} <= {"json", "npy", "txt"}
    assert "learner/model.txt" in paths and any(p.startswith("steps/2/") for p in paths)
    folder = reg.store.get_artifact_dir(mv.name, mv.version)
    for a in mv.artifacts:
        data = reg.artifacts.read(folder, a)
        if a.path.endswith(".npy"):
            import io

            np.load(io.BytesIO(data), allow_pickle=False)  # no object arrays inside
    wrapper = json.loads(reg.artifacts.read(folder, next(
        a for a in mv.artifacts if a.path == "bighead_model.json")))
    assert wrapper["flavor"] == "bighead.pipeline" and wrapper["pipeline_format"] == 1
    assert [s["block"] for s in wrapper["steps"]][:2] == ["Impute", "Clip"]
    assert wrapper["steps"][4]["state"]["categories_"]  # categories as JSON data


def test_registration_records_raw_inputs_and_evaluates_on_the_learner_view(fitted, frame,
                                                                           tmp_path):
    X, y = frame
    reg = _registry(tmp_path)
    mv = reg.register("churn", fitted, X_valid=X, y_valid=y)
    assert [n for n, _ in mv.input_schema] == ["age", "spend", "country", "signup"]
    assert mv.flavor == "bighead.pipeline" and mv.task == "binary"
    assert mv.params["pipeline_steps"][0] == "Impute"
    report = reg.evaluation("churn")
    assert report.importance["features"] == list(fitted.get_feature_names_out())
    assert report.shap["features"] == list(fitted.get_feature_names_out())
    p = fitted.predict_proba(X)[:, 1]
    from jupyter_bighead.evaluation import metrics

    assert report.metrics["roc_auc"] == metrics.binary_metrics(
        (y == 1).astype(float), p)["metrics"]["roc_auc"]


def test_the_version_view_carries_the_graph_without_loading_code(fitted, frame, tmp_path,
                                                                  monkeypatch):
    from jupyter_bighead.registry.api import version_view

    X, y = frame
    reg = _registry(tmp_path)
    reg.register("churn", fitted, X_valid=X, y_valid=y)
    monkeypatch.setattr(reg, "load", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("the view must not load the model")))
    view = version_view(reg, "churn", 1)["pipeline"]
    assert view["graph"]["nodes"] == json.loads(json.dumps(fitted.describe()))["nodes"]
    assert view["resources"] == fitted.resources()
    assert view["inputs"] == fitted.input_spec()
