"""The Pipeline: routing, graph, resources, input spec, and the shapes of input it takes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.pipeline import (
    CategoryEncode,
    Drop,
    ImageResize,
    Impute,
    Pipeline,
    Standardize,
)


def test_transform_equals_the_blocks_applied_one_after_another(fitted, frame):
    X, _ = frame
    expected = X
    for step in fitted.steps:
        expected = step.transform(expected)
    pd.testing.assert_frame_equal(fitted.transform(X), expected)
    assert list(fitted.transform(X).columns) == list(fitted.get_feature_names_out())


def test_a_one_row_dict_a_list_of_rows_and_a_frame_predict_the_same(fitted, frame):
    X, _ = frame
    rows = X.iloc[:3]
    expected = fitted.predict_proba(rows)
    records = rows.to_dict("records")
    np.testing.assert_array_equal(fitted.predict_proba(records), expected)
    for i, record in enumerate(records):
        np.testing.assert_array_equal(fitted.predict_proba(record), expected[i:i + 1])
        np.testing.assert_array_equal(fitted.predict_proba(rows.iloc[[i]]), expected[i:i + 1])
    # Extra request fields and another column order are fine.
    shuffled = rows[list(reversed(rows.columns))].assign(request_id=[1, 2, 3])
    np.testing.assert_array_equal(fitted.predict_proba(shuffled), expected)


def test_input_spec_lists_the_raw_columns(fitted):
    assert fitted.input_spec() == [
        {"name": "age", "dtype": "float64", "required": True},
        {"name": "spend", "dtype": "float64", "required": True},
        {"name": "country", "dtype": "str", "required": True},
        {"name": "signup", "dtype": "datetime64[us]", "required": True},
    ]


def test_resources_are_the_largest_block_need_and_can_be_overridden():
    pipe = Pipeline([Standardize(columns=["a"]), ImageResize(columns=["img"])])
    assert pipe.resources() == {"cpu": "2", "memory": "4Gi", "gpu": 0}
    assert Pipeline([Drop(columns=["a"])]).resources() == {"cpu": "1", "memory": "1Gi", "gpu": 0}
    assert pipe.resources(memory="8Gi", gpu=1) == {"cpu": "2", "memory": "8Gi", "gpu": 1}
    assert pipe.resources() == {"cpu": "2", "memory": "8Gi", "gpu": 1}  # kept
    with pytest.raises(ValueError, match="not a quantity"):
        Pipeline(resource_overrides={"cpu": "lots"}).resources()


def test_describe_is_a_json_graph_whose_edges_follow_the_columns(fitted):
    graph = fitted.describe()
    assert json.loads(json.dumps(graph)) == graph
    names = [n["name"] for n in graph["nodes"]]
    assert names == ["input", "Impute", "Clip", "Standardize", "Log1p", "CategoryEncode",
                     "DateParts", "LGBMClassifier"]
    edges = {(e["source"], e["target"]): e["columns"] for e in graph["edges"]}
    # Two branches from the input (age/spend numeric; country; signup) meet at the learner.
    assert edges[("input", "step0")] == ["age"]
    assert edges[("input", "step1")] == ["spend"]
    assert edges[("step0", "step1")] == ["age"]
    assert edges[("input", "step4")] == ["country"]
    assert edges[("step0", "learner")] == ["age__missing"]
    assert edges[("step5", "learner")][0] == "signup__year"
    assert graph["nodes"][1]["params"]["strategy"] == "median"


def test_describe_before_fit_chains_the_declared_steps():
    graph = Pipeline([Impute(columns=["a"]), CategoryEncode(columns=["b"])]).describe()
    assert not graph["fitted"]
    assert [(e["source"], e["target"]) for e in graph["edges"]] == [
        ("input", "step0"), ("step0", "step1")]


def test_steps_writing_a_column_twice_are_refused():
    df = pd.DataFrame({"a": [1.0, np.nan], "a__missing": [0.0, 0.0]})
    with pytest.raises(ValueError, match="clash"):
        Pipeline([Impute(columns=["a"], add_indicator=True)]).fit(df)


def test_a_step_that_is_not_a_block_is_refused():
    from sklearn.preprocessing import StandardScaler

    with pytest.raises(ValueError, match="not a pipeline Block"):
        Pipeline([StandardScaler()]).fit(pd.DataFrame({"a": [1.0]}))


def test_a_regressor_pipeline_predicts_numbers():
    import lightgbm as lgb

    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.choice(["x", "y"], 300)})
    y = X["a"] * 2 + (X["b"] == "x")
    pipe = Pipeline([CategoryEncode(columns=["b"])],
                    learner=lgb.LGBMRegressor(n_estimators=20, verbose=-1)).fit(X, y)
    assert pipe.predict(X).shape == (300,)
    with pytest.raises(ValueError, match="no predict_proba"):
        pipe.predict_proba(X)
