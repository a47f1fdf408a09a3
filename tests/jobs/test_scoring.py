"""Batch scoring: chunked, exact, with point-in-time feature lookups, as a job too."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.demo import create_demo_workspace
from jupyter_bighead.errors import Conflict, InvalidSpec, NotFound
from jupyter_bighead.features import FeatureRepo
from jupyter_bighead.jobs import JobSpec
from jupyter_bighead.jobs.scoring import parse_model_ref, score
from jupyter_bighead.registry import Registry

NAMES = ["bookings_30d_count", "bookings_90d_sum", "views_7d_count"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    import lightgbm as lgb

    ws = create_demo_workspace(tmp_path_factory.mktemp("score") / "ws")
    home = BigheadHome(ws.home).ensure()
    saved = os.environ.get("BIGHEAD_HOME")
    os.environ["BIGHEAD_HOME"] = str(home.root)  # score() reads features from this home
    repo = FeatureRepo(home.features)
    labels = pd.read_parquet(ws.root / "data" / "labels.parquet")
    training = repo.materialize(labels, NAMES, entity="user_id", timestamp="ts")
    model = lgb.LGBMClassifier(n_estimators=30, verbose=-1).fit(training[NAMES], training.label)
    reg = Registry(home.registry_uri, artifacts=home.artifacts)
    mv = reg.register("scorer", model, X_valid=training[NAMES], y_valid=training.label,
                      features=[f"{n}@1" for n in NAMES])
    reg.set_alias("scorer", "production", mv.version)
    yield ws, reg, model, labels, training
    if saved is None:
        os.environ.pop("BIGHEAD_HOME", None)
    else:
        os.environ["BIGHEAD_HOME"] = saved


def test_scoring_in_chunks_equals_predicting_at_once(world, tmp_path):
    _ws, reg, model, _labels, training = world
    training.to_parquet(tmp_path / "in.parquet")
    seen = []
    result = score("scorer@production", tmp_path / "in.parquet", tmp_path / "out.parquet",
                   chunk_size=777, registry=reg, progress=lambda d, t: seen.append((d, t)))
    out = pd.read_parquet(tmp_path / "out.parquet")
    expected = model.predict_proba(training[NAMES])[:, 1]
    np.testing.assert_array_equal(out.prediction.to_numpy(), expected)
    assert result.rows == len(training) and seen[-1] == (len(training), len(training))
    assert len(seen) == -(-len(training) // 777)
    assert list(out.columns) == [*training.columns, "prediction"]


def test_features_are_fetched_point_in_time_when_the_input_has_only_keys(world, tmp_path):
    _ws, reg, model, labels, training = world
    labels[["user_id", "ts"]].to_csv(tmp_path / "keys.csv", index=False)
    result = score("scorer:1", tmp_path / "keys.csv", tmp_path / "scored.csv", registry=reg,
                   entity="user_id", timestamp="ts")
    assert result.features_fetched == tuple(f"{n}@1" for n in NAMES)
    out = pd.read_csv(tmp_path / "scored.csv")
    np.testing.assert_allclose(out.prediction.to_numpy(),
                               model.predict_proba(training[NAMES])[:, 1], rtol=1e-12)


def test_bad_scoring_requests(world, tmp_path):
    _ws, reg, _model, labels, training = world
    training.to_parquet(tmp_path / "in.parquet")
    (tmp_path / "taken.parquet").write_bytes(b"mine")
    with pytest.raises(NotFound):
        score("nope@production", tmp_path / "in.parquet", tmp_path / "o.parquet", registry=reg)
    with pytest.raises(NotFound):
        score("scorer", tmp_path / "missing.parquet", tmp_path / "o.parquet", registry=reg)
    with pytest.raises(Conflict):
        score("scorer", tmp_path / "in.parquet", tmp_path / "taken.parquet", registry=reg)
    assert (tmp_path / "taken.parquet").read_bytes() == b"mine"
    with pytest.raises(InvalidSpec, match=r"parquet or \.csv"):
        score("scorer", tmp_path / "in.parquet", tmp_path / "o.xlsx", registry=reg)
    labels[["user_id"]].to_parquet(tmp_path / "partial.parquet")
    with pytest.raises(InvalidSpec, match="lacks the model's columns"):
        score("scorer", tmp_path / "partial.parquet", tmp_path / "o.parquet", registry=reg,
              fetch_features=False)
    assert not (tmp_path / "o.parquet").exists()
    for bad in ("", "a b", "x@1", "x:y"):
        with pytest.raises(InvalidSpec):
            parse_model_ref(bad)
    assert parse_model_ref("m@prod") == ("m", None, "prod")
    assert parse_model_ref("m:3") == ("m", 3, None)


def test_score_cli_and_score_as_a_job(world, tmp_path):
    ws, _reg, _model, _labels, training = world
    training.head(500).to_parquet(tmp_path / "in.parquet")
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or "jupyter"
    done = subprocess.run([jupyter, "bighead", "score", "scorer@production", "--input",
                           str(tmp_path / "in.parquet"), "--output", str(tmp_path / "cli.csv")],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "BIGHEAD_HOME": str(ws.home)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows"] == 500
    assert "rows" in done.stderr  # the progress bar

    from jupyter_bighead.jobs.local import LocalExecutor

    ex = LocalExecutor(home=BigheadHome(ws.home))  # the world's registry and features
    job = ex.submit(JobSpec(function="jupyter_bighead.jobs.scoring:score_job", parameters={
        "model_ref": "scorer@production", "input": str(tmp_path / "in.parquet"),
        "output": str(tmp_path / "job.parquet")}))
    finished = ex.wait(job.id, 180)
    assert finished.state == "succeeded", finished.error
    assert finished.metrics == {"rows_scored": 500.0}
    assert len(pd.read_parquet(tmp_path / "job.parquet")) == 500
