"""One pipeline, three paths: in memory, loaded from the registry, and batch scoring agree
exactly on the demo data; the feature lookup is point in time at training and "now"
online, through the same engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.demo import create_demo_workspace
from jupyter_bighead.features import FeatureRepo
from jupyter_bighead.jobs.scoring import score
from jupyter_bighead.pipeline import (
    CategoryEncode,
    FeatureLookup,
    Impute,
    Log1p,
    Pipeline,
    Standardize,
)
from jupyter_bighead.registry import Registry

NAMES = ["bookings_30d_count", "bookings_90d_sum", "bookings_last_nights", "views_7d_count"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    import lightgbm as lgb

    ws = create_demo_workspace(tmp_path_factory.mktemp("pipe") / "ws")
    home = BigheadHome(ws.home).ensure()
    labels = pd.read_parquet(ws.root / "data" / "labels.parquet")
    rng = np.random.default_rng(7)
    X = labels[["user_id", "ts"]].assign(channel=rng.choice(["web", "ios", "android"],
                                                             len(labels)))
    y = labels["label"].to_numpy()
    pipe = Pipeline(
        [
            FeatureLookup(NAMES, entity="user_id", timestamp="ts", repo=str(home.features)),
            Impute(columns=["bookings_last_nights"], strategy="median", add_indicator=True),
            Log1p(columns=["bookings_90d_sum"]),
            Standardize(columns=["views_7d_count"]),
            CategoryEncode(columns=["channel"]),
        ],
        learner=lgb.LGBMClassifier(n_estimators=30, num_leaves=15, verbose=-1),
    )
    train, valid = slice(0, 8000), slice(8000, None)
    pipe.fit(X.iloc[train], y[train])
    reg = Registry(home.registry_uri, artifacts=home.artifacts)
    reg.register("booker", pipe, X_valid=X.iloc[valid], y_valid=y[valid])
    return home, reg, pipe, X.iloc[valid].reset_index(drop=True)


def test_offline_loaded_and_batch_scoring_agree_exactly(world, tmp_path):
    _home, reg, pipe, X = world
    assert reg.get("booker").features == tuple(f"{n}@1" for n in NAMES)  # recorded
    offline = pipe.predict_proba(X)[:, 1]
    loaded = reg.load("booker")
    np.testing.assert_array_equal(loaded.predict_proba(X)[:, 1], offline)
    X.to_parquet(tmp_path / "in.parquet")
    score("booker", tmp_path / "in.parquet", tmp_path / "out.parquet", registry=reg,
          chunk_size=500)
    np.testing.assert_array_equal(pd.read_parquet(tmp_path / "out.parquet").prediction, offline)
    X.to_csv(tmp_path / "in.csv", index=False)  # timestamps and categories arrive as text
    score("booker", tmp_path / "in.csv", tmp_path / "out.csv", registry=reg)
    np.testing.assert_array_equal(pd.read_csv(tmp_path / "out.csv").prediction, offline)


def test_the_lookup_is_point_in_time_and_the_timestamp_is_optional(world):
    home, _reg, pipe, X = world
    spec = {s["name"]: s for s in pipe.input_spec()}
    assert spec["ts"]["required"] is False and spec["user_id"]["required"] is True
    assert set(spec) == {"user_id", "ts", "channel"}  # looked-up features are not inputs
    repo = FeatureRepo(home.features)
    expected = repo.materialize(X, [f"{n}@1" for n in NAMES], entity="user_id", timestamp="ts")
    got = pipe.steps[0].transform(X)
    for name in NAMES:
        np.testing.assert_array_equal(got[name].to_numpy(), expected[f"{name}@1"].to_numpy())


def test_an_online_request_without_timestamp_looks_features_up_now(world):
    home, _reg, pipe, X = world
    users = X["user_id"].iloc[:3].tolist()
    request = {"user_id": users, "channel": ["web", "ios", "web"]}
    learner_input = pipe.transform(request)
    now = FeatureRepo(home.features).online(users, [f"{n}@1" for n in NAMES])
    # bookings_30d_count reaches the learner untouched by any block.
    np.testing.assert_array_equal(learner_input["bookings_30d_count"].to_numpy(),
                                  now["bookings_30d_count@1"].to_numpy())
    assert pipe.predict_proba({"user_id": users[0], "channel": "web"}).shape == (1, 2)
    # The pinned versions go with the model: refs_ name @1 though NAMES did not.
    assert pipe.steps[0].refs_ == [f"{n}@1" for n in NAMES]


def test_the_inference_server_agrees_with_offline_and_looks_features_up_online(world):
    """The third path: the same registered pipeline behind `jupyter bighead serve`'s app.

    With the timestamp the server's answers equal offline scoring bit for bit; with only
    the entity (and the other raw columns) the pipeline's FeatureLookup fetches features
    "now" through FeatureRepo.online, the same code as materialize.
    """
    from tests.serving.conftest import start_server

    _home, reg, pipe, X = world
    rows = X.iloc[:150]
    offline = pipe.predict_proba(rows)[:, 1]
    instances = [{"user_id": int(r.user_id), "ts": r.ts.isoformat(), "channel": r.channel}
                 for r in rows.itertuples()]
    srv = start_server(reg, ref="booker")
    try:
        status, meta = srv.call("GET", "/v2/models/booker")
        assert status == 200
        inputs = {i["name"] for i in meta["inputs"]}
        assert {"user_id", "channel"} <= inputs and "bookings_30d_count" not in inputs
        status, body = srv.call("POST", "/v1/models/booker:predict", {"instances": instances})
        assert status == 200, body
        np.testing.assert_array_equal(np.asarray(body["predictions"]), offline)

        online_rows = [{"user_id": i["user_id"], "channel": i["channel"]} for i in instances[:5]]
        status, body = srv.call("POST", "/v1/models/booker:predict", {"instances": online_rows})
        assert status == 200, body
        now = pipe.predict_proba(pd.DataFrame(online_rows))[:, 1]
        np.testing.assert_array_equal(np.asarray(body["predictions"]), now)
    finally:
        srv.close()


def test_batch_scoring_as_a_job_asks_for_the_pipelines_resources_and_agrees(world, tmp_path):
    from jupyter_bighead.jobs.local import LocalExecutor
    from jupyter_bighead.jobs.scoring import score_job_spec

    home, reg, pipe, X = world
    X.iloc[:300].to_parquet(tmp_path / "in.parquet")
    spec = score_job_spec("booker", tmp_path / "in.parquet", tmp_path / "job.parquet",
                          registry=reg)
    declared = pipe.resources()
    assert spec.resources == {"cpu": declared["cpu"], "memory": declared["memory"]}
    ex = LocalExecutor(home=home)
    finished = ex.wait(ex.submit(spec).id, 180)
    assert finished.state == "succeeded", finished.error
    assert finished.resources["memory"] == declared["memory"]
    np.testing.assert_array_equal(pd.read_parquet(tmp_path / "job.parquet").prediction,
                                  pipe.predict_proba(X.iloc[:300])[:, 1])
