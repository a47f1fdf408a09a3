"""Online lookups run the offline code: online(..., at=T) equals materialize at T."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from conftest import HOUR_MS, fresh, write_parquet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_bighead.features import EventSource, Feature, FeatureRepo

REFS = ["s_3h", "m_all", "last_1d", "n_1d"]


def _repo(tmp_path, events):
    path = write_parquet(tmp_path / "data", events)
    src = EventSource("ev", path=str(path), entity="user_id", timestamp="ts")
    repo = FeatureRepo(fresh(tmp_path))
    repo.apply(
        [
            Feature("s_3h", source=src, column="amount", agg="sum", window="3h"),
            Feature("m_all", source=src, column="amount", agg="mean"),
            Feature("last_1d", source=src, column="amount", agg="last", window="1d"),
            Feature("n_1d", source=src, agg="count", window="1d"),
        ]
    )
    return repo


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.lists(
        st.tuples(st.integers(1, 4), st.integers(0, 30), st.one_of(st.none(), st.floats(-9, 9))),
        max_size=30,
    ),
    entities=st.lists(st.integers(0, 5), min_size=1, max_size=6),
    at_hour=st.integers(0, 35),
)
def test_online_at_t_equals_materialize_at_t(tmp_path, data, entities, at_hour):
    events = pd.DataFrame(data, columns=["user_id", "ts", "amount"]).astype(
        {"user_id": "int64", "ts": "int64", "amount": "float64"}
    )
    events["ts"] *= HOUR_MS
    repo = _repo(tmp_path, events)
    at = at_hour * HOUR_MS
    online = repo.online(entities, REFS, at=at)
    spine = pd.DataFrame({"user_id": entities, "ts": [at] * len(entities)})
    offline = repo.materialize(spine, REFS, entity="user_id", timestamp="ts")
    assert list(online["entity"]) == entities
    for ref in REFS:
        np.testing.assert_array_equal(online[ref].to_numpy(), offline[ref].to_numpy(), err_msg=ref)


def test_online_with_datetime_at_matches_materialize(tmp_path, events):
    ev = events.assign(ts=pd.to_datetime(events["ts"], unit="ms"))
    repo = _repo(tmp_path, ev)
    at = pd.Timestamp("1970-01-02 01:00")
    online = repo.online([1, 2], REFS, at=at)
    offline = repo.materialize(pd.DataFrame({"user_id": [1, 2], "ts": [at, at]}), REFS)
    for ref in REFS:
        np.testing.assert_array_equal(online[ref].to_numpy(), offline[ref].to_numpy())


def test_online_at_none_means_now(tmp_path, events):
    repo = _repo(tmp_path, events)
    before = pd.Timestamp(time.time_ns() // 1_000_000, unit="ms", tz="UTC")
    out = repo.online([1, 99], ["m_all", "n_1d"])
    assert out["at"].iloc[0] >= before
    assert out["m_all"].iloc[0] == np.mean([10.0, 20.0, 40.0])
    assert out["n_1d"].tolist() == [0, 0]  # all events are from 1970
    assert np.isnan(out["m_all"].iloc[1])  # unknown entity


def test_online_accepts_a_single_entity(tmp_path, events):
    repo = _repo(tmp_path, events)
    out = repo.online(2, ["s_3h"], at=3 * HOUR_MS)
    assert out[["entity", "s_3h"]].values.tolist() == [[2, 5.0]]
