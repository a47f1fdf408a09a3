"""Bad input raises typed errors whose messages name the column, feature or line."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import HOUR_MS, write_parquet

from jupyter_bighead.errors import InvalidSpec, NotFound
from jupyter_bighead.features import EventSource, Feature, FeatureRepo, parse_window


@pytest.fixture
def src(tmp_path, events):
    path = write_parquet(tmp_path / "data", events)
    return EventSource("bookings", path=str(path), entity="user_id", timestamp="ts")


@pytest.fixture
def repo(tmp_path, src):
    repo = FeatureRepo(tmp_path / "repo")
    repo.apply([Feature("s", source=src, column="amount", agg="sum", window="1d")])
    return repo


def test_spine_missing_the_entity_column_names_it(repo):
    spine = pd.DataFrame({"uid": [1], "ts": [0]})
    with pytest.raises(InvalidSpec, match=r"no entity column 'user_id'"):
        repo.materialize(spine, ["s"], entity="user_id", timestamp="ts")


def test_spine_missing_the_timestamp_column_names_it(repo):
    with pytest.raises(InvalidSpec, match=r"no timestamp column 'when'"):
        repo.materialize(pd.DataFrame({"user_id": [1]}), ["s"], timestamp="when")


def test_tz_aware_spine_against_naive_source_raises_naming_both_columns(tmp_path, events):
    naive = events.assign(ts=pd.to_datetime(events["ts"], unit="ms"))
    src = EventSource(
        "bk", path=str(write_parquet(tmp_path / "d", naive)), entity="user_id", timestamp="ts"
    )
    repo = FeatureRepo(tmp_path / "r")
    repo.apply([Feature("s", source=src, column="amount", agg="sum")])
    spine = pd.DataFrame({"user_id": [1], "ts": [pd.Timestamp("1970-01-02", tz="UTC")]})
    with pytest.raises(
        InvalidSpec, match=r"spine column 'ts' is tz-aware.*tz-naive|tz-naive.*spine"
    ):
        repo.materialize(spine, ["s"])


def test_tz_aware_on_both_sides_is_normalised_to_utc(tmp_path, events):
    aware = events.assign(ts=pd.to_datetime(events["ts"], unit="ms", utc=True))
    src = EventSource(
        "bk", path=str(write_parquet(tmp_path / "d", aware)), entity="user_id", timestamp="ts"
    )
    repo = FeatureRepo(tmp_path / "r")
    repo.apply([Feature("s", source=src, column="amount", agg="sum")])
    at = pd.Timestamp("1970-01-01 03:00", tz="Europe/Paris")  # 02:00 UTC
    out = repo.materialize(pd.DataFrame({"user_id": [1], "ts": [at]}), ["s"])
    assert out["s"].tolist() == [30.0]


def test_unknown_feature_suggests_close_names(repo):
    with pytest.raises(NotFound, match=r"unknown feature 'ss'.*did you mean 's'"):
        repo.materialize(pd.DataFrame({"user_id": [1], "ts": [0]}), ["ss"])


def test_unknown_agg_names_the_feature_and_suggests(src):
    with pytest.raises(InvalidSpec, match=r"feature 'x': unknown agg 'summ'.*did you mean 'sum'"):
        Feature("x", source=src, column="amount", agg="summ")


@pytest.mark.parametrize("window", ["7 days", "7D", "0d", "-1h", "d", "1.5h", "7x", ""])
def test_malformed_window_names_the_feature(src, window):
    with pytest.raises(InvalidSpec, match=r"window .* of feature 'x'|window of feature 'x'"):
        Feature("x", source=src, column="amount", agg="sum", window=window)


def test_window_units_parse_to_nanoseconds():
    assert parse_window("30m") == 30 * 60 * 10**9
    assert parse_window("1h") == 3600 * 10**9
    assert parse_window("7d") == 7 * 86400 * 10**9
    assert parse_window("2w") == 14 * 86400 * 10**9
    assert parse_window(None) is None


def test_missing_source_file_raises_not_found_naming_it(tmp_path):
    src = EventSource("gone", path=str(tmp_path / "nope.parquet"), entity="u", timestamp="t")
    repo = FeatureRepo(tmp_path / "r")
    repo.apply([Feature("c", source=src, agg="count")])
    with pytest.raises(NotFound, match=r"nope.parquet"):
        repo.materialize(pd.DataFrame({"u": [1], "t": [0]}), ["c"])


def test_source_lacking_a_column_names_it_and_suggests(tmp_path, src):
    repo = FeatureRepo(tmp_path / "r")
    repo.apply([Feature("s", source=src, column="amout", agg="sum")])
    with pytest.raises(InvalidSpec, match=r"lacks column 'amout' \(did you mean 'amount'\?\)"):
        repo.materialize(pd.DataFrame({"user_id": [1], "ts": [0]}), ["s"])


def test_source_lacking_the_entity_column_names_it(tmp_path, events):
    path = write_parquet(tmp_path / "d", events)
    src = EventSource("bk", path=str(path), entity="customer", timestamp="ts")
    repo = FeatureRepo(tmp_path / "r")
    repo.apply([Feature("c", source=src, agg="count")])
    with pytest.raises(InvalidSpec, match=r"source 'bk'.*lacks column 'customer'"):
        repo.materialize(pd.DataFrame({"customer": [1], "ts": [0]}), ["c"])


def test_duplicate_reference_and_clash_with_spine_column_raise(repo):
    spine = pd.DataFrame({"user_id": [1], "ts": [0], "s": [1.0]})
    with pytest.raises(InvalidSpec, match=r"'s' clashes"):
        repo.materialize(spine, ["s"])
    with pytest.raises(InvalidSpec, match=r"requested twice"):
        repo.materialize(spine.drop(columns="s"), ["s", "s"])


def test_null_spine_timestamp_names_the_row(repo):
    spine = pd.DataFrame({"user_id": [1, 1], "ts": pd.to_datetime([0, None], unit="ms")})
    with pytest.raises(InvalidSpec, match=r"null timestamp at row 1"):
        repo.materialize(spine, ["s"])


def test_string_spine_timestamp_is_rejected_naming_the_column(repo):
    with pytest.raises(InvalidSpec, match=r"spine column 'ts' has type"):
        repo.materialize(pd.DataFrame({"user_id": [1], "ts": ["yesterday"]}), ["s"])


def test_sum_of_a_text_column_names_feature_and_column(tmp_path, events):
    path = write_parquet(tmp_path / "d", events.assign(amount=events["amount"].astype(str)))
    src = EventSource("bk", path=str(path), entity="user_id", timestamp="ts")
    repo = FeatureRepo(tmp_path / "r")
    repo.apply([Feature("s", source=src, column="amount", agg="sum")])
    with pytest.raises(
        InvalidSpec, match=r"feature 's': agg 'sum' needs a numeric column.*'amount'"
    ):
        repo.materialize(pd.DataFrame({"user_id": [1], "ts": [HOUR_MS]}), ["s"])


def test_spine_entity_type_that_can_never_match_names_the_column(repo):
    with pytest.raises(
        InvalidSpec, match=r"spine column 'user_id' holds str.*entity ids are int64"
    ):
        repo.materialize(pd.DataFrame({"user_id": ["1"], "ts": [0]}), ["s"])


def test_invalid_names_and_sources_are_rejected_at_construction(tmp_path):
    with pytest.raises(InvalidSpec, match=r"feature name 'a@1'"):
        Feature("a@1", source=EventSource("s", path="x.parquet"), agg="count")
    with pytest.raises(InvalidSpec, match=r"exactly one of path= or query="):
        EventSource("s")
    with pytest.raises(InvalidSpec, match=r"column must be a non-empty column name"):
        Feature("a", source=EventSource("s", path="x.parquet"), agg="sum")
    with pytest.raises(InvalidSpec, match=r"version must be an integer"):
        Feature("a", source=EventSource("s", path="x.parquet"), agg="count", version=0)
