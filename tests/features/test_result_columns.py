"""The column a feature reference gives in materialize's result: the feature's name for
``name`` and ``name:N`` (a name LightGBM accepts, the one FeatureLookup and batch
scoring use); the old ``name@N`` keeps its own column name. The REST/lab preview keys
each value by the reference asked for."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from conftest import HOUR_MS, fresh, write_parquet

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.features import EventSource, Feature, FeatureRepo
from jupyter_bighead.features.api import preview
from jupyter_bighead.features.frames import check_refs, result_column


@pytest.fixture
def repo(tmp_path):
    events = pd.DataFrame({"user_id": [1, 1, 2], "ts": [1, 2, 3], "amount": [1.0, 2.0, 5.0]})
    events["ts"] *= HOUR_MS
    src = EventSource("ev", path=str(write_parquet(tmp_path / "data", events)),
                      entity="user_id", timestamp="ts")
    repo = FeatureRepo(fresh(tmp_path))
    repo.apply([Feature("total", source=src, column="amount", agg="sum")])
    return repo


def test_result_column_of_each_reference_form():
    assert result_column("b_cnt") == "b_cnt"
    assert result_column("b_cnt:1") == "b_cnt"
    assert result_column("b_cnt:12") == "b_cnt"
    assert result_column("b_cnt@1") == "b_cnt@1"  # stored models were trained on it
    assert result_column("odd:name") == "odd:name"  # not a reference: left for the catalog


def test_two_references_to_one_column_or_a_spine_column_are_refused():
    spine = pd.DataFrame({"user_id": [1], "ts": [0], "total": [0.0]})
    with pytest.raises(InvalidSpec, match="both be column 'b'"):
        check_refs(["b:1", "b:2"], spine)
    with pytest.raises(InvalidSpec, match="both be column 'b'"):
        check_refs(["b", "b:2"], spine)
    with pytest.raises(InvalidSpec, match="spine column 'total'"):
        check_refs(["total:1"], spine)
    with pytest.raises(InvalidSpec, match="requested twice"):
        check_refs(["b:1", "b:1"], spine)
    check_refs(["b@1", "b:2"], spine)  # columns b@1 and b


def test_the_deprecation_warning_says_what_the_column_is_named(repo):
    spine = pd.DataFrame({"user_id": [1], "ts": [10 * HOUR_MS]})
    with pytest.warns(DeprecationWarning, match=r"column of total:1 'total'.*'total@1'"):
        out = repo.materialize(spine, ["total@1"])
    assert "total@1" in out.columns


def test_preview_keys_values_by_the_reference_asked_for(repo):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        view = preview(repo, ["total:1"], [1, 2], "1970-01-01T10:00:00")
        latest = preview(repo, ["total"], [1, 2], "1970-01-01T10:00:00")
    assert view["features"] == ["total:1"]
    assert [r["total:1"] for r in view["rows"]] == [3.0, 5.0]
    assert [r["total"] for r in latest["rows"]] == [3.0, 5.0]
