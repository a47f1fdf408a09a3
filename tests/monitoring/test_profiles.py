"""Reference profiles: exact quantile bins, null rates, categories, bounded size."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.errors import IncompatibleFormat, InvalidSpec
from jupyter_bighead.evaluation import profiles as P


def test_numeric_bins_are_the_exact_quantiles_and_count_every_non_null_value():
    rng = np.random.default_rng(3)
    values = rng.normal(size=2001)
    values[::50] = np.nan
    prof = P.profile_values(pd.Series(values), bins=10)
    present = values[~np.isnan(values)]
    assert prof["kind"] == "numeric"
    assert prof["nulls"] == int(np.isnan(values).sum()) and prof["count"] == 2001
    assert prof["edges"] == list(np.quantile(present, np.arange(1, 10) / 10))
    assert sum(prof["counts"]) == len(present) and len(prof["counts"]) == 10
    # each bin holds about a tenth of the values (exact quantiles, continuous data)
    assert max(prof["counts"]) - min(prof["counts"]) <= 2
    assert prof["min"] == present.min() and prof["max"] == present.max()


def test_few_distinct_values_get_one_bin_each():
    prof = P.profile_values(pd.Series([0, 1, 1, 0, 1, 1, 1]), bins=10)
    assert prof["edges"] == [0.0, 1.0]
    assert prof["counts"] == [0, 2, 5]  # (-inf, 0), [0, 1), [1, inf)
    assert list(P.bin_numeric(prof, [0, 0, 1, -3, 7, np.nan])) == [1, 2, 2]


def test_categorical_keeps_the_top_k_and_counts_the_rest_as_other():
    data = pd.Series(["a"] * 5 + ["b"] * 4 + ["c"] * 3 + ["d"] * 2 + [None, None])
    prof = P.profile_values(data, top_k=2)
    assert prof == {"kind": "categorical", "count": 16, "nulls": 2, "top": {"a": 5, "b": 4},
                    "other": 5, "n_categories": 4}
    buckets, ref, cur, unseen = P.categorical_counts(prof, ["a", "c", "z", None])
    assert buckets == ["a", "b", "__other__"]
    assert list(ref) == [5, 4, 5] and list(cur) == [1, 0, 2]
    assert unseen == []  # the reference was cut at top_k: "z" may have been among the rest
    full = P.profile_values(data, top_k=10)
    assert P.categorical_counts(full, ["a", "z", "z", "y"])[3] == ["z", "y"]


def test_a_profile_is_json_bounded_and_versioned():
    rng = np.random.default_rng(0)
    n = 50_000
    frame = pd.DataFrame({"x": rng.normal(size=n), "flag": rng.random(n) < 0.3,
                          "city": rng.choice([f"c{i}" for i in range(500)], size=n)})
    prof = P.build_profile(frame, rng.random(n), task="binary", sample_size=300)
    text = json.dumps(prof, allow_nan=False)
    assert len(text) < 60_000  # whatever the row count
    back = P.check_profile(json.loads(text))
    assert back["features"]["flag"]["kind"] == "categorical"
    assert len(back["features"]["city"]["top"]) == P.DEFAULT_TOP_K
    assert back["features"]["city"]["other"] == n - sum(back["features"]["city"]["top"].values())
    assert len(back["features"]["x"]["sample"]) == 300
    assert set(back["features"]["x"]["sample"]) <= set(frame["x"])
    assert back["score"]["count"] == n and back["n_rows"] == n
    with pytest.raises(IncompatibleFormat):
        P.check_profile({**back, "version": P.FORMAT_VERSION + 1})
    with pytest.raises(IncompatibleFormat):
        P.check_profile({"format": "other"})


def test_a_small_column_keeps_all_its_values_as_the_sample():
    values = np.arange(100, dtype=float)[::-1]
    prof = P.profile_values(values, sample_size=1000)
    assert prof["sample"] == list(values)


def test_bad_settings_and_inputs_are_refused():
    with pytest.raises(InvalidSpec):
        P.profile_values([1.0, 2.0], bins=1)
    with pytest.raises(InvalidSpec):
        P.build_profile([[1, 2]])
    with pytest.raises(InvalidSpec):
        P.build_profile(pd.DataFrame({"a": [1.0, 2.0]}), scores=[0.1])


def test_profile_for_model_scores_the_validation_rows_like_predict_proba():
    lightgbm = pytest.importorskip("lightgbm")
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    y = (X["a"] + rng.normal(scale=0.5, size=400) > 0).astype(int)
    model = lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y)
    prof = P.profile_for_model(model, X, task="binary")
    expected = P.profile_values(model.predict_proba(X)[:, 1], categorical=False)
    assert prof["score"] == expected


def test_profile_file_is_json_for_a_frame_and_empty_otherwise():
    lightgbm = pytest.importorskip("lightgbm")
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"a": rng.normal(size=200)})
    y = (X["a"] > 0).astype(int)
    model = lightgbm.LGBMClassifier(n_estimators=3, verbose=-1).fit(X, y)
    files = P.profile_file(model, X, task="binary")
    assert list(files) == [P.PROFILE_FILE]
    assert P.check_profile(json.loads(files[P.PROFILE_FILE]))["n_rows"] == 200
    assert P.profile_file(model, X.to_numpy(), task="binary") == {}
    with pytest.warns(P.ProfileWarning):
        assert P.profile_file(model, pd.DataFrame({"other": ["x"] * 5}), task="binary") == {}


def test_given_scores_are_used_instead_of_predicting_and_subset_with_the_rows():
    class NoPredict:
        def predict_proba(self, X):
            raise AssertionError("the scores were given")

    rng = np.random.default_rng(4)
    X = pd.DataFrame({"a": rng.normal(size=5000)})
    scores = rng.random(5000)
    prof = P.profile_for_model(NoPredict(), X, task="binary", scores=scores)
    assert prof["score"] == P.profile_values(scores, categorical=False, seed=1)
    small = P.profile_for_model(NoPredict(), X, task="binary", scores=scores, max_rows=300)
    rows = np.sort(np.random.default_rng(0).choice(5000, 300, replace=False))
    assert small["n_rows"] == 300
    assert small["features"]["a"]["sample"] == list(X["a"].to_numpy()[rows])
    assert small["score"]["sample"] == list(scores[rows])  # each row keeps its own score
    files = P.profile_file(NoPredict(), X, task="binary", scores=scores, max_rows=300)
    assert json.loads(files[P.PROFILE_FILE]) == json.loads(json.dumps(small))
    with pytest.raises(InvalidSpec):
        P.profile_for_model(NoPredict(), X, scores=scores[:10])


def _numeric_by_definition(values: np.ndarray, bins: int) -> dict:
    """The numeric profile's bins as the module docstring defines them, computed the
    plain way (unique, quantile, bincount of searchsorted): the one-sort version must
    give the same numbers, bit for bit."""
    data = values[~np.isnan(values)]
    distinct = np.unique(data)
    edges = distinct if len(distinct) <= bins else np.unique(
        np.quantile(data, np.arange(1, bins) / bins))
    counts = np.bincount(np.searchsorted(edges, data, side="right"), minlength=len(edges) + 1)
    return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts],
            "min": float(data.min()), "max": float(data.max()),
            "mean": float(np.mean(data)), "std": float(np.std(data))}


@pytest.mark.parametrize("case", range(40))
def test_one_sort_bins_equal_unique_quantile_and_searchsorted(case):
    rng = np.random.default_rng(100 + case)
    n = int(rng.integers(1, 3000))
    kind = case % 4
    if kind == 0:  # continuous
        values = rng.normal(size=n) * 10.0 ** int(rng.integers(-3, 4))
    elif kind == 1:  # few distinct values, many ties (around the bins threshold)
        values = rng.integers(0, int(rng.integers(1, 14)), size=n).astype(float)
    elif kind == 2:  # heavy ties mixed with a continuous tail, signed zeros
        values = np.where(rng.random(n) < 0.6, 0.0, rng.lognormal(size=n))
        values[rng.random(n) < 0.1] = -0.0
    else:  # nulls and infinities (infinities count as null)
        values = rng.normal(size=n)
        values[rng.random(n) < 0.2] = np.nan
        values[rng.random(n) < 0.05] = np.inf
    bins = int(rng.integers(2, 16))
    prof = P.profile_values(pd.Series(values), bins=bins)
    finite = np.where(np.isfinite(values), values, np.nan)
    if np.isnan(finite).all():
        assert prof["counts"] == [0] and prof["edges"] == []
        return
    want = _numeric_by_definition(finite, bins)
    assert {k: prof[k] for k in want} == want
    # signed zeros: the range keeps the sign numpy's min/max give
    assert str(prof["min"]) == str(want["min"]) and str(prof["max"]) == str(want["max"])


def test_a_long_frame_is_profiled_on_threads_with_the_same_result(monkeypatch):
    rng = np.random.default_rng(7)
    rows = P.PARALLEL_ROWS + 10
    frame = pd.DataFrame(rng.normal(size=(rows, 5)), columns=list("abcde"))
    frame["cat"] = np.where(rng.random(rows) < 0.3, "x", "y")
    scores = rng.random(rows)
    monkeypatch.setattr(P, "_cpus", lambda: 2)  # two threads even on a one-CPU runner
    threaded = P.build_profile(frame, scores)
    monkeypatch.setattr(P, "PARALLEL_ROWS", 10**9)  # one thread
    assert P.build_profile(frame, scores) == threaded
