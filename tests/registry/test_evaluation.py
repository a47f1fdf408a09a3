"""Evaluation numbers agree with scikit-learn; the report is plain JSON data."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.evaluation import EvaluationReport, evaluate
from jupyter_bighead.evaluation.figures import metric_trend_figure, report_figures
from jupyter_bighead.evaluation.metrics import binary_metrics, downsample


@pytest.fixture(scope="module")
def scores():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 5000)
    p = np.clip(0.3 * y + rng.random(5000) * 0.7, 0, 1)
    p[:500] = np.round(p[:500], 1)  # ties, as trees produce
    return y, p


def test_binary_metrics_match_sklearn(scores):
    y, p = scores
    m = binary_metrics(y, p)["metrics"]
    assert m["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)
    assert m["pr_auc"] == pytest.approx(skm.average_precision_score(y, p), abs=1e-12)
    assert m["log_loss"] == pytest.approx(skm.log_loss(y, p), abs=1e-12)
    assert m["brier"] == pytest.approx(skm.brier_score_loss(y, p), abs=1e-12)
    pred = p >= 0.5
    assert m["precision_at_05"] == pytest.approx(skm.precision_score(y, pred))
    assert m["recall_at_05"] == pytest.approx(skm.recall_score(y, pred))
    assert m["f1_at_05"] == pytest.approx(skm.f1_score(y, pred))


def test_best_f1_threshold_is_the_best_over_all_thresholds(scores):
    y, p = scores
    m = binary_metrics(y, p)["metrics"]
    prec, rec, thr = skm.precision_recall_curve(y, p)
    f1 = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-300), 0)[:-1]
    assert m["f1_at_best_f1"] == pytest.approx(f1.max())
    assert m["best_f1_threshold"] == pytest.approx(thr[np.argmax(f1)])
    assert m["f1_at_best_f1"] == pytest.approx(skm.f1_score(y, p >= m["best_f1_threshold"]))


def test_curves_are_downsampled_to_about_200_points_on_the_sklearn_curves(scores):
    y, p = scores
    curves = binary_metrics(y, p)["curves"]
    fpr, tpr, _ = skm.roc_curve(y, p, drop_intermediate=False)
    roc = curves["roc"]
    assert 100 <= len(roc["fpr"]) <= 202
    assert (roc["fpr"][0], roc["tpr"][0]) == (0.0, 0.0) and roc["fpr"][-1] == roc["tpr"][-1] == 1
    ref = set(zip(np.round(fpr, 12), np.round(tpr, 12), strict=True))
    points = zip(roc["fpr"], roc["tpr"], strict=True)
    assert all((round(x, 12), round(t, 12)) in ref for x, t in points)
    assert roc["thresholds"][0] is None  # the all-negative point has no finite threshold
    pr = curves["pr"]
    assert 100 <= len(pr["recall"]) <= 202 and np.all(np.diff(pr["recall"]) >= 0)


def test_downsample_keeps_short_curves_whole_and_the_ends_of_long_ones():
    x = np.linspace(0, 1, 50)
    assert list(downsample(x, x)) == list(range(50))
    x = np.linspace(0, 1, 10_000)
    idx = downsample(x, x**2)
    assert idx[0] == 0 and idx[-1] == 9999 and len(idx) <= 202


def test_calibration_bins_match_sklearn(scores):
    y, p = scores
    cal = binary_metrics(y, p)["calibration"]
    frac, mean = calibration_curve(y, p, n_bins=10, strategy="uniform")
    assert np.allclose(cal["fraction_positive"], frac)
    assert np.allclose(cal["mean_predicted"], mean)
    assert sum(cal["count"]) == len(y)


def test_evaluate_a_classifier_gives_importance_and_shap(classifier, data):
    X, y = data
    report = evaluate(classifier, X, y)
    p = classifier.predict_proba(X)[:, 1]
    assert report.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p))
    booster = classifier.booster_
    assert report.importance["features"] == list("abcd")
    assert report.importance["split"] == booster.feature_importance("split").tolist()
    assert np.allclose(report.importance["gain"], booster.feature_importance("gain"))
    contrib = booster.predict(X, pred_contrib=True)
    assert np.allclose(report.shap["mean_abs"], np.abs(contrib[:, :-1]).mean(axis=0))
    assert report.positive_class == 1
    data_ = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert EvaluationReport.from_dict(data_) == EvaluationReport.from_dict(report.to_dict())


def test_evaluate_a_booster_and_string_labels(booster, data):
    import lightgbm as lgb

    X, y = data
    assert evaluate(booster, X, y).metrics["roc_auc"] == pytest.approx(
        skm.roc_auc_score(y, booster.predict(X)))
    labels = np.where(y == 1, "yes", "no")
    model = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, labels)
    report = evaluate(model, X, labels)
    assert report.positive_class == "yes"
    assert report.metrics["roc_auc"] == pytest.approx(
        skm.roc_auc_score(labels == "yes", model.predict_proba(X)[:, 1]))


def test_regression_metrics_match_sklearn(regressor, data):
    X, _ = data
    y = X["a"] * 2 + X["c"]
    report = evaluate(regressor, X, y)
    pred = regressor.predict(X)
    assert report.metrics["rmse"] == pytest.approx(skm.root_mean_squared_error(y, pred))
    assert report.metrics["mae"] == pytest.approx(skm.mean_absolute_error(y, pred))
    assert report.metrics["r2"] == pytest.approx(skm.r2_score(y, pred))
    res = report.residuals
    assert len(res["residual"]) == 600 and sum(res["histogram"]["counts"]) == 600


@pytest.mark.parametrize("bad_y, match", [
    (np.arange(600) % 3, "binary"),
    (np.zeros(600, dtype=int), "one class"),
    (np.zeros(10, dtype=int), "rows"),
    (np.full(600, np.nan), "binary"),
])
def test_bad_labels_for_a_classifier_are_invalid(classifier, data, bad_y, match):
    X, _ = data
    with pytest.raises(InvalidSpec, match=match):
        evaluate(classifier, X, bad_y)


def test_multiclass_models_are_not_evaluated(data):
    import lightgbm as lgb

    X, _ = data
    y3 = np.arange(600) % 3
    model = lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(X, y3)
    with pytest.raises(InvalidSpec, match="binary"):
        evaluate(model, X, y3)


def test_figures_are_built_from_plain_data(classifier, regressor, data):
    X, y = data
    figs = report_figures(evaluate(classifier, X, y).to_dict())
    assert set(figs) == {"roc", "pr", "calibration", "importance_gain", "importance_split",
                         "shap"}
    assert len(figs["roc"].data[0].x) > 10
    assert set(evaluate(regressor, X, X["a"]).figures()) >= {"residuals", "shap"}
    trend = metric_trend_figure([{"version": 2, "metrics": {"auc": 0.8}},
                                 {"version": 1, "metrics": {"auc": 0.7}}], "auc")
    assert list(trend.data[0].x) == [1, 2]


def test_shap_rows_follow_the_row_tree_budget_unless_given(data):
    """By default SHAP's sample shrinks with the model's size (#18); ``shap_rows``
    given is honoured exactly, 0 skips SHAP, and anything else is refused."""
    import lightgbm as lgb

    from jupyter_bighead.errors import InvalidSpec
    from jupyter_bighead.evaluation.report import (
        SHAP_MIN_ROWS,
        SHAP_ROW_TREES,
        SHAP_ROWS,
        shap_sample_rows,
    )

    assert shap_sample_rows(1, None) == SHAP_ROWS
    assert shap_sample_rows(500, None) == max(SHAP_MIN_ROWS, SHAP_ROW_TREES // 500) == 64
    assert shap_sample_rows(10**6, None) == SHAP_MIN_ROWS
    assert shap_sample_rows(500, 300) == 300
    X, y = data
    big = lgb.LGBMClassifier(n_estimators=400, num_leaves=7, verbose=-1).fit(X, y)
    budgeted = evaluate(big, X, y)
    assert budgeted.shap["rows"] == shap_sample_rows(big.booster_.num_trees(), None) == 80
    exact = evaluate(big, X, y, shap_rows=600)  # every row: the exact mean |SHAP|
    contrib = big.booster_.predict(X, pred_contrib=True)
    assert exact.shap["rows"] == 600
    assert np.allclose(exact.shap["mean_abs"], np.abs(contrib[:, :-1]).mean(axis=0))
    # the budgeted sample ranks the strongest feature first, as all rows do
    assert np.argmax(budgeted.shap["mean_abs"]) == np.argmax(exact.shap["mean_abs"])
    assert evaluate(big, X, y, shap_rows=0).shap is None
    for bad in (-1, 2.5, True, "10"):
        with pytest.raises(InvalidSpec, match="shap_rows"):
            evaluate(big, X, y, shap_rows=bad)


def test_rows_digest_tells_values_types_and_order_apart():
    import pandas as pd

    from jupyter_bighead.evaluation.report import rows_digest

    base = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    assert rows_digest(base) == rows_digest(base.copy())
    others = [
        base.assign(a=[1.0, 2.5]), base.astype({"a": "float32"}), base[["b", "a"]],
        base.rename(columns={"a": "c"}), base.iloc[::-1].reset_index(drop=True),
        pd.DataFrame({"a": [1.0, 2.0], "b": pd.Series(["x", "y"], dtype=object)}).assign(
            b=pd.Series([1, "y"], dtype=object)),
    ]
    assert len({rows_digest(o) for o in others} | {rows_digest(base)}) == len(others) + 1
    objects = [pd.DataFrame({"v": pd.Series(v, dtype=object)})
               for v in ([1, "a"], ["1", "a"], [None, "a"], [float("nan"), "a"])]
    assert len({rows_digest(o) for o in objects}) == 4
    assert rows_digest(np.arange(6).reshape(3, 2)) != rows_digest(np.arange(6).reshape(2, 3))


def test_register_takes_shap_rows_only_where_it_evaluates(tmp_path, classifier, data):
    from jupyter_bighead.errors import InvalidSpec
    from jupyter_bighead.registry import Registry

    X, y = data
    reg = Registry(tmp_path / "reg")
    mv = reg.register("m", classifier, X_valid=X, y_valid=y, shap_rows=np.int64(25))
    assert reg.evaluation("m", mv.version).shap["rows"] == 25
    shown = evaluate(classifier, X, y)
    for kwargs in ({"X_valid": X, "y_valid": y, "evaluation": shown, "shap_rows": 10},
                   {"shap_rows": 10}, {"X_valid": X, "y_valid": y, "shap_rows": -5},
                   {"X_valid": X, "y_valid": y, "shap_rows": 2.0}):
        with pytest.raises(InvalidSpec, match="shap_rows"):
            reg.register("m", classifier, **kwargs)
    assert [v.version for v in reg.versions("m").items] == [mv.version]  # nothing stored
