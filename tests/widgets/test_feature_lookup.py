"""FeatureLookup's logic, without a browser (the panel itself has browser tests)."""

from __future__ import annotations

import pandas as pd
import pytest

from jupyter_bighead.demo import create_demo_workspace
from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.features import FeatureRepo
from jupyter_bighead.widgets import FeatureLookup


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    ws = create_demo_workspace(tmp_path_factory.mktemp("demo") / "ws")
    repo = FeatureRepo(ws.home / "features")
    labels = pd.read_parquet(ws.root / "data" / "labels.parquet")
    return repo, labels


def lookup(demo, **kw):
    repo, labels = demo
    return FeatureLookup(repo, spine=labels, entity="user_id", timestamp="ts",
                         spine_name="labels", **kw)


def test_search_filters_by_name_tag_and_owner(demo):
    widget = lookup(demo)
    everything = [ref for _label, ref in widget.filter("")]
    assert len(everything) == 7
    assert {ref for _l, ref in widget.filter("views_")} == {
        "views_1d_count", "views_7d_count", "views_30d_mean_duration", "views_7d_distinct_pages"}
    assert {ref for _l, ref in widget.filter("REVENUE")} == {"bookings_90d_sum"}
    assert len(widget.filter("demo")) == 7  # owner
    assert widget.filter("no-such-thing") == []


def test_searching_keeps_the_selection_that_still_matches(demo):
    widget = lookup(demo)
    widget.choices.value = ("bookings_30d_count", "views_7d_count")
    widget.search.value = "bookings"
    assert widget.selected() == ["bookings_30d_count"]


def test_generated_code_is_exactly_the_materialize_call_and_runs(demo):
    repo, labels = demo
    widget = lookup(demo)
    code = widget.code(["bookings_30d_count", "views_7d_count"])
    assert code.splitlines()[0] == (
        "training = repo.materialize(labels, ['bookings_30d_count', 'views_7d_count'], "
        "entity='user_id', timestamp='ts')")
    namespace = {"repo": repo, "labels": labels}
    exec(code.splitlines()[0], namespace)
    expected = repo.materialize(labels, ["bookings_30d_count", "views_7d_count"],
                                entity="user_id", timestamp="ts")
    pd.testing.assert_frame_equal(namespace["training"], expected)


def test_preview_materializes_a_sample_and_drives_the_progress_bar(demo):
    widget = lookup(demo, sample=50)
    frame = widget.preview(["bookings_90d_sum", "views_1d_count"])
    assert len(frame) == 50
    assert widget.progress.value == widget.progress.max == 2
    _, labels = demo
    pd.testing.assert_series_equal(frame["user_id"], labels.user_id.head(50))


def test_errors_are_clear_and_shown_in_the_widget(demo):
    repo, _ = demo
    no_spine = FeatureLookup(repo)
    assert no_spine.preview_button.disabled
    with pytest.raises(InvalidSpec, match="spine"):
        no_spine.preview(["views_1d_count"])
    widget = lookup(demo)
    with pytest.raises(InvalidSpec, match="at least one feature"):
        widget.code([])
    widget._on_insert()  # nothing selected
    assert "at least one feature" in widget.status.value


def test_insert_without_a_frontend_shows_the_code_to_copy(demo):
    widget = lookup(demo)
    widget.choices.value = ("views_1d_count",)
    widget._on_insert()
    assert "Copy this into a cell" in widget.status.value
    assert "views_1d_count" in widget.status.value
