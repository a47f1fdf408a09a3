"""A served pipeline that looks features up online logs those features (as its learner
saw them) beside the request's columns, and the drift check compares them (#16)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead import predlog
from jupyter_bighead.evaluation import profiles as P
from jupyter_bighead.features import EventSource, Feature, FeatureRepo
from jupyter_bighead.monitoring import attach_reference, run_check
from jupyter_bighead.pipeline import FeatureLookup, Pipeline
from jupyter_bighead.registry import Registry
from jupyter_bighead.serving.runtime.holder import ModelHolder, ServeOptions

USERS = 300
DAY = pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def looked_up(tmp_path_factory):
    """Events of every user at a steady rate over the last 40 days, amounts ten times
    larger in the last week: looked up now, ``n_7d`` is as in the reference and
    ``s_7d`` has shifted."""
    import lightgbm as lgb

    root = tmp_path_factory.mktemp("lookup-log")
    rng = np.random.default_rng(7)
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    n = USERS * 40 * 3
    ts = now - DAY * 40 * rng.random(n)
    amount = rng.random(n) * np.where(ts >= now - 7 * DAY, 10.0, 1.0)
    pd.DataFrame({"user_id": rng.integers(0, USERS, n), "ts": ts, "amount": amount}
                 ).to_parquet(root / "events.parquet", index=False)
    src = EventSource("ev", path=str(root / "events.parquet"), entity="user_id", timestamp="ts")
    repo = FeatureRepo(root / "features")
    repo.apply([Feature("n_7d", source=src, agg="count", window="7d"),
                Feature("s_7d", source=src, column="amount", agg="sum", window="7d")])
    # the reference: rows asked about 10 to 30 days ago, all windows before the last week
    X = pd.DataFrame({"user_id": rng.integers(0, USERS, 2000),
                      "ts": now - DAY * (10 + 20 * rng.random(2000))})
    y = (X.user_id % 2).to_numpy()
    pipe = Pipeline([FeatureLookup(["n_7d", "s_7d"], entity="user_id", timestamp="ts",
                                   repo=str(root / "features"))],
                    learner=lgb.LGBMClassifier(n_estimators=5, min_child_samples=5,
                                               verbose=-1)).fit(X, y)
    reg = Registry(root / "registry")
    mv = reg.register("looky", pipe, alias="production")
    seen = pipe.transform(X)
    reference = X.assign(n_7d=seen["n_7d"].to_numpy(), s_7d=seen["s_7d"].to_numpy())
    attach_reference(reg, "looky:1", P.build_profile(reference, pipe.predict_proba(X)[:, 1],
                                                     task="binary"),
                     monitor_root=root / "monitoring")
    return {"root": root, "reg": reg, "mv": mv, "pipe": pipe, "repo": repo}


def _holder(s, log: bool) -> ModelHolder:
    holder = ModelHolder(ServeOptions(
        model_ref="looky@production", registry=str(s["root"] / "registry"),
        prediction_log=str(s["root"] / "predictions") if log else None,
        log_max_rows_per_second=1e9))
    assert holder.reload()["reloaded"]
    return holder


def test_the_log_holds_the_features_looked_up_for_each_request(looked_up):
    s = looked_up
    served = _holder(s, log=True).current
    assert served is not None and served.looked_up == ("n_7d", "s_7d")
    assert served.log_columns == ["user_id", "ts", "n_7d", "s_7d"]
    users = np.random.default_rng(1).integers(0, USERS, 1000).tolist()
    rows = [[u, None] for u in users]
    got = []
    for lo in range(0, len(rows), 50):
        got += served.predict_rows(rows[lo:lo + 50])
    served.log.close()
    assert served.log.stats()["written"] == 1000
    # the same predictions as without the log, bit for bit
    plain = _holder(s, log=False).current
    assert plain is not None and plain.log is None
    assert plain.predict_rows(rows[:50]) == got[:50]
    assert got == s["pipe"].predict_proba(pd.DataFrame({"user_id": users}))[:, 1].tolist()

    logged = predlog.read_predictions(s["root"] / "predictions", "looky", 1)
    assert predlog.feature_columns(logged) == ["user_id", "ts", "n_7d", "s_7d"]
    assert logged["user_id"].tolist() == users and logged["ts"].isna().all()
    assert logged[predlog.SCORE].tolist() == got
    # the values the feature store gives for those users now (none of the events is
    # newer than the requests, so now and the request times agree)
    now = s["repo"].online(sorted(set(users)), ["n_7d:1", "s_7d:1"])
    by_user = {name: dict(zip(now["entity"], now[name], strict=True))
               for name in ("n_7d", "s_7d")}
    for name in ("n_7d", "s_7d"):
        expected = [by_user[name][u] for u in users]
        assert np.allclose(logged[name].to_numpy(dtype=float), expected, rtol=0, atol=1e-9)

    result = run_check("looky@production", "1d", registry=s["reg"],
                       log_root=s["root"] / "predictions", monitor_root=s["root"] / "monitoring",
                       now=pd.Timestamp.now(tz="UTC") + pd.Timedelta(minutes=1), alert=False)
    assert result.drift is not None and result.n_rows == 1000
    features = {f.feature: f for f in result.drift.features}
    assert features["n_7d"].n_current == features["s_7d"].n_current == 1000
    flagged = result.drift.flagged("alert")
    assert "s_7d" in flagged  # amounts ten times larger in the last week
    assert "n_7d" not in flagged and "user_id" not in flagged


def test_without_the_log_or_a_lookup_nothing_is_added(looked_up):
    plain = _holder(looked_up, log=False).current
    assert plain is not None and plain.log is None and plain.looked_up == ("n_7d", "s_7d")
    pipe = looked_up["pipe"]
    assert predlog.looked_up_features(pipe) == ("n_7d", "s_7d")
    assert predlog.looked_up_features(pipe, ["s_7d"]) == ("n_7d",)
    assert predlog.looked_up_features(Pipeline([], learner=None)) == ()
    assert predlog.looked_up_features(pipe.learner) == ()


def test_a_failing_feature_log_never_fails_the_request(looked_up, tmp_path, caplog):
    s = looked_up
    holder = ModelHolder(ServeOptions(
        model_ref="looky@production", registry=str(s["root"] / "registry"),
        prediction_log=str(tmp_path / "predictions")))
    assert holder.reload()["reloaded"]
    served = holder.current
    assert served is not None
    served.looked_up = ("n_7d", "gone")  # a feature the pipeline no longer gives
    got = served.predict_rows([[3, None], [4, None]])
    assert got == s["pipe"].predict_proba(pd.DataFrame({"user_id": [3, 4]}))[:, 1].tolist()
    assert "looked-up features not logged" in caplog.text
    served.log.close()
    logged = predlog.read_predictions(tmp_path / "predictions", "looky", 1)
    assert logged["user_id"].tolist() == [3, 4] and logged["n_7d"].isna().all()
    assert logged[predlog.SCORE].tolist() == got


def test_a_reference_profiled_at_registration_holds_the_looked_up_features(looked_up, tmp_path):
    """Registered with validation rows, the pipeline's stored reference profiles the
    features its log will hold (n_7d, s_7d) as the learner saw them, beside the request's."""
    s = looked_up
    rng = np.random.default_rng(3)
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    X = pd.DataFrame({"user_id": rng.integers(0, USERS, 500),
                      "ts": now - DAY * (10 + 20 * rng.random(500))})
    y = (X.user_id % 2).to_numpy()
    mv = s["reg"].register("looky_ref", s["pipe"], X_valid=X, y_valid=y)
    from jupyter_bighead.monitoring import reference_profile

    assert P.PROFILE_FILE in {a.path for a in mv.artifacts}  # stored, not attached
    profile = reference_profile(s["reg"], "looky_ref", mv.version,
                                monitor_root=tmp_path / "nothing-attached")
    features = profile["features"]
    assert {"n_7d", "s_7d", "user_id"} <= set(features)
    seen = s["pipe"].transform(X)
    want = P.build_profile(X.assign(n_7d=seen["n_7d"].to_numpy(), s_7d=seen["s_7d"].to_numpy()),
                           s["pipe"].predict_proba(X)[:, 1], task="binary")
    assert features["s_7d"] == want["features"]["s_7d"]
