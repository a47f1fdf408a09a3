"""The leakage guard and the single-feature AUC screen."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import HOUR_MS, write_parquet

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.features import EventSource, Feature, FeatureRepo, LeakageError, LeakageWarning


@pytest.fixture
def repo(tmp_path, events):
    src = EventSource(
        "e", path=str(write_parquet(tmp_path, events)), entity="user_id", timestamp="ts"
    )
    repo = FeatureRepo(tmp_path / "repo")
    repo.apply([Feature("s", source=src, column="amount", agg="sum", window="1d")])
    return repo


def test_query_after_label_time_raises_leakage_error_naming_row_and_feature(repo):
    spine = pd.DataFrame(
        {"user_id": [1, 1], "ts": [HOUR_MS, 5 * HOUR_MS], "label_ts": [HOUR_MS, 2 * HOUR_MS]}
    )
    with pytest.raises(LeakageError, match=r"1 spine row.*row 1.*'s'") as info:
        repo.materialize(spine, ["s"], label_timestamp="label_ts")
    assert isinstance(info.value, InvalidSpec)


def test_query_at_label_time_is_safe_because_events_at_t_never_count(repo):
    spine = pd.DataFrame({"user_id": [1], "ts": [HOUR_MS], "label_ts": [HOUR_MS]})
    out = repo.materialize(spine, ["s"], label_timestamp="label_ts")
    assert out["s"].tolist() == [10.0]


def test_non_strict_guard_warns_and_still_materializes(repo):
    spine = pd.DataFrame({"user_id": [1], "ts": [5 * HOUR_MS], "label_ts": [0]})
    with pytest.warns(LeakageWarning, match="could see events"):
        out = repo.materialize(spine, ["s"], label_timestamp="label_ts", strict=False)
    assert out["s"].tolist() == [30.0]


def test_missing_label_column_is_named(repo):
    with pytest.raises(InvalidSpec, match="label_timestamp column 'nope'"):
        repo.materialize(pd.DataFrame({"user_id": [1], "ts": [0]}), ["s"], label_timestamp="nope")


def test_check_leakage_flags_a_feature_that_alone_separates_the_label(repo):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    df = pd.DataFrame(
        {
            "leaky": y * 10 + rng.normal(0, 0.1, 500),
            "inverted": -y + rng.normal(0, 0.01, 500),
            "honest": rng.normal(0, 1, 500) + 0.3 * y,
            "empty": np.nan,
            "y": y,
        }
    )
    report = repo.check_leakage(df, "y")
    assert report["flagged"] == ["leaky", "inverted"] or set(report["flagged"]) == {
        "leaky",
        "inverted",
    }
    by_name = {f["feature"]: f for f in report["features"]}
    assert not by_name["honest"]["flagged"] and 0.5 <= by_name["honest"]["auc"] < 0.98
    assert by_name["empty"]["auc"] is None
    assert report["threshold"] == 0.98


def test_check_leakage_rejects_a_non_binary_label(repo):
    with pytest.raises(InvalidSpec, match="must be binary"):
        repo.check_leakage(pd.DataFrame({"x": [1, 2, 3], "y": [0, 1, 2]}), "y")
