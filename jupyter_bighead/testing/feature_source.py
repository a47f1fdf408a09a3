"""The feature source contract: a source of each kind gives the same values and the same
point-in-time features.

Subclass :class:`FeatureSourceContract` and override ``write_source``: a function that
stores a pandas DataFrame of events in your kind of source and returns the
:class:`~jupyter_bighead.features.EventSource` reading it (entity ``user_id``, timestamp
``ts`` in epoch milliseconds). The source's kind (its ``format``) selects your
:class:`~jupyter_bighead.features.sources.FeatureSource` through
:mod:`jupyter_bighead.plugins`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import jupyter_bighead.plugins as plugins

from ..errors import InvalidSpec
from ..features import EventSource, Feature, FeatureRepo
from ..features.sources import FeatureSource, fingerprint, read_columns, source_reader
from ._common import check_capabilities

HOUR_MS = 3_600_000
#: User 1 and 2 booking, hourly, in epoch ms; one amount missing.
EVENTS = pd.DataFrame({
    "user_id": [1, 1, 1, 2, 1, 2],
    "ts": [0, HOUR_MS, 2 * HOUR_MS, 2 * HOUR_MS, 24 * HOUR_MS, 30 * HOUR_MS],
    "amount": [10.0, 20.0, np.nan, 5.0, 40.0, 7.0],
})
SPINE = pd.DataFrame({"user_id": [1, 1, 2, 1, 3],
                      "ts": [HOUR_MS, 2 * HOUR_MS, 3 * HOUR_MS, 25 * HOUR_MS, 0]})
#: The sum of every earlier amount (an event at the query time is not yet seen).
EXPECTED_SUM_ALL = [10.0, 30.0, 5.0, 70.0, 0.0]

WriteSource = Callable[[pd.DataFrame, str], EventSource]


class FeatureSourceContract:
    """Read, refuse, fingerprint and materialize, as every feature source must."""

    @pytest.fixture
    def write_source(self, tmp_path: Path) -> WriteSource:
        """``write(frame, name) -> EventSource``: override in the subclass."""
        raise NotImplementedError("override the `write_source` fixture in your "
                                  "FeatureSourceContract")

    @pytest.fixture
    def plugin_name(self, write_source: WriteSource) -> str:
        """The name the source is registered under: the kind (format) of the sources
        ``write_source`` writes."""
        kind = write_source(EVENTS, "events").kind
        return "parquet" if kind == "parquet_dir" else kind

    # -- the contract ----------------------------------------------------------------
    def test_its_kind_selects_it_and_it_declares_known_capabilities(self, write_source,
                                                                    plugin_name):
        source = write_source(EVENTS, "events")
        reader = source_reader(source)
        assert isinstance(reader, FeatureSource)
        assert isinstance(reader, plugins.load("feature_source", plugin_name))
        assert plugin_name in plugins.names("feature_source")
        check_capabilities("feature_source", reader)

    def test_columns_come_back_as_written_in_row_order(self, write_source):
        source = write_source(EVENTS, "events")
        data = read_columns(source, ["amount", "user_id", "ts", "amount"])
        assert list(data) == ["amount", "user_id", "ts"]
        assert all(len(series) == len(EVENTS) for series in data.values())
        np.testing.assert_array_equal(np.asarray(data["user_id"], dtype=np.int64),
                                      EVENTS["user_id"].to_numpy())
        np.testing.assert_allclose(np.asarray(data["amount"], dtype=float),
                                   EVENTS["amount"].to_numpy(), equal_nan=True)

    def test_a_missing_column_is_refused_by_name(self, write_source):
        source = write_source(EVENTS, "events")
        with pytest.raises(InvalidSpec, match="no_such_column"):
            read_columns(source, ["user_id", "no_such_column"])

    def test_a_fingerprint_is_stable_and_tells_different_data_apart(self, write_source):
        first = write_source(EVENTS, "events")
        print_a = fingerprint(first)
        if print_a is None:  # fingerprinted from the data after reading: nothing to check
            return
        assert isinstance(print_a, str) and fingerprint(first) == print_a
        other = write_source(EVENTS.assign(amount=EVENTS["amount"] * 2), "events")
        assert fingerprint(other) != print_a

    def test_point_in_time_features_see_only_earlier_events(self, write_source, tmp_path):
        source = write_source(EVENTS, "events")
        repo = FeatureRepo(tmp_path / "feature-repo")
        repo.apply([Feature("spent", source=source, column="amount", agg="sum"),
                    Feature("bookings", source=source, agg="count")])
        out = repo.materialize(SPINE, ["spent", "bookings"], entity="user_id", timestamp="ts")
        assert out["spent"].tolist() == EXPECTED_SUM_ALL
        assert out["bookings"].tolist() == [1, 2, 1, 4, 0]
