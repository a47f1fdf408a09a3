"""Versions and the catalog: apply is idempotent, changes need a version bump, name@N works."""

from __future__ import annotations

import pytest
from conftest import HOUR_MS, write_parquet

from jupyter_bighead.errors import Conflict, InvalidSpec, NotFound
from jupyter_bighead.features import EventSource, Feature, FeatureRepo


@pytest.fixture
def src(tmp_path, events):
    path = write_parquet(tmp_path / "data", events)
    return EventSource("bookings", path=str(path), entity="user_id", timestamp="ts")


@pytest.fixture
def repo(tmp_path):
    return FeatureRepo(tmp_path / "repo", owner="ana")


def test_reapplying_an_identical_definition_is_a_no_op(repo, src):
    feat = Feature("b_sum", source=src, column="amount", agg="sum", window="7d")
    assert repo.apply([feat])[0]["status"] == "created"
    assert repo.apply([feat])[0]["status"] == "unchanged"
    assert [v["version"] for v in repo.describe("b_sum")["versions"]] == [1]


def test_changed_definition_without_version_bump_raises_conflict_naming_the_change(repo, src):
    repo.apply([Feature("b_sum", source=src, column="amount", agg="sum", window="7d")])
    with pytest.raises(Conflict, match=r"'b_sum' version 1.*window.*7d.*30d.*version=2"):
        repo.apply([Feature("b_sum", source=src, column="amount", agg="sum", window="30d")])


def test_a_failed_apply_writes_nothing(repo, src):
    repo.apply([Feature("b_sum", source=src, column="amount", agg="sum", window="7d")])
    with pytest.raises(Conflict):
        repo.apply(
            [
                Feature("new_one", source=src, agg="count", window="1d"),
                Feature("b_sum", source=src, column="amount", agg="sum", window="30d"),
            ]
        )
    with pytest.raises(NotFound):
        repo.get("new_one")


def test_name_at_version_selects_it_and_plain_name_means_latest(repo, src, events):
    repo.apply([Feature("b", source=src, column="amount", agg="sum", window="1h")])
    repo.apply([Feature("b", source=src, column="amount", agg="sum", window=None, version=2)])
    assert repo.get("b").version == 2
    assert repo.get("b@1").window == "1h"
    import pandas as pd

    spine = pd.DataFrame({"user_id": [1], "ts": [25 * HOUR_MS]})
    out = repo.materialize(spine, ["b@1", "b", "b@2"])
    assert list(out.iloc[0]) == [1, 25 * HOUR_MS, 40.0, 70.0, 70.0]


def test_a_new_version_must_be_above_the_latest(repo, src):
    repo.apply([Feature("b", source=src, column="amount", agg="sum", version=3)])
    with pytest.raises(Conflict, match="version=4"):
        repo.apply([Feature("b", source=src, column="amount", agg="max", version=2)])


def test_duplicate_names_in_one_apply_raise_invalid_spec(repo, src):
    with pytest.raises(InvalidSpec, match="'dup' appears twice"):
        repo.apply(
            [
                Feature("dup", source=src, agg="count"),
                Feature("dup", source=src, column="amount", agg="sum"),
            ]
        )


def test_unknown_feature_raises_not_found_with_close_names(repo, src):
    repo.apply([Feature("bookings_7d_sum", source=src, column="amount", agg="sum", window="7d")])
    with pytest.raises(NotFound, match="did you mean 'bookings_7d_sum'"):
        repo.get("bookings_7d_sun")
    with pytest.raises(NotFound, match=r"has no version 4; it has \[1\]"):
        repo.get("bookings_7d_sum@4")


def test_versions_store_hash_owner_description_tags_and_time(repo, src):
    feat = Feature(
        "b", source=src, column="amount", agg="sum", description="spend", tags=("money", "core")
    )
    repo.apply([feat])
    (v1,) = repo.describe("b")["versions"]
    assert v1["def_hash"] == feat.definition_hash()
    assert v1["owner"] == "ana"
    assert v1["description"] == "spend"
    assert v1["tags"] == ["money", "core"]
    assert v1["created_at"].endswith("+00:00")


def test_catalog_persists_across_repo_instances(tmp_path, src):
    FeatureRepo(tmp_path / "r").apply([Feature("b", source=src, agg="count")])
    assert FeatureRepo(tmp_path / "r").get("b").agg == "count"
    assert (tmp_path / "r" / "catalog.db").exists()


def test_search_by_name_tag_and_owner(repo, src):
    repo.apply(
        [
            Feature("spend_7d", source=src, column="amount", agg="sum", tags=("money",)),
            Feature("visits", source=src, agg="count", owner="bo", tags=("web",)),
        ]
    )
    assert [f["name"] for f in repo.list_features()] == ["spend_7d", "visits"]
    assert [f["name"] for f in repo.list_features("SPEND")] == ["spend_7d"]
    assert [f["name"] for f in repo.list_features(tag="web")] == ["visits"]
    assert [f["name"] for f in repo.list_features(owner="ana")] == ["spend_7d"]
    assert [f["name"] for f in repo.list_features("bo")] == ["visits"]


def test_describe_and_diff_show_what_changed_between_versions(repo, src):
    repo.apply([Feature("b", source=src, column="amount", agg="sum", window="7d")])
    repo.apply([Feature("b", source=src, column="amount", agg="mean", window="30d", version=2)])
    changes = {c["field"]: (c["old"], c["new"]) for c in repo.diff("b", 1, 2)}
    assert changes == {"agg": ("sum", "mean"), "window": ("7d", "30d"), "version": (1, 2)}
    described = repo.describe("b")
    assert described["latest"]["version"] == 2
    assert described["versions"][1]["changes"] == repo.diff("b", 1, 2)
    with pytest.raises(NotFound):
        repo.diff("b", 1, 9)


def test_metadata_changes_do_not_need_a_version_bump(repo, src):
    repo.apply([Feature("b", source=src, agg="count", description="old")])
    repo.apply([Feature("b", source=src, agg="count", description="new", tags=("x",))])
    (v1,) = repo.describe("b")["versions"]
    assert (v1["description"], v1["tags"]) == ("new", ["x"])


def test_apply_computes_nothing(tmp_path, src):
    repo = FeatureRepo(tmp_path / "r")
    missing = EventSource("gone", path=str(tmp_path / "nope.parquet"), entity="u", timestamp="t")
    repo.apply([Feature("b", source=missing, agg="count"), Feature("c", source=src, agg="count")])
    assert not (tmp_path / "r" / "cache").exists()
