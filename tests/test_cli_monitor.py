"""`jupyter bighead monitor`: a real run of the command on a home with logged traffic."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from jupyter_bighead import predlog
from jupyter_bighead.config import BigheadHome
from jupyter_bighead.evaluation import profiles as P
from jupyter_bighead.monitoring import attach_reference, simulate
from jupyter_bighead.registry import Registry

NUMERIC = list(simulate.NUMERIC)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A home whose registry has `shop` (reference attached) and two days of logged
    traffic in which `amount` shifts on the second day."""
    import lightgbm

    root = tmp_path_factory.mktemp("cli-monitor") / ".bighead"
    home = BigheadHome(root).ensure()
    reg = Registry(home.registry_uri, artifacts=home.artifacts)
    reference = simulate.reference_frame(3000, seed=0)[NUMERIC]
    y = (np.random.default_rng(0).random(len(reference)) < simulate.true_probability(
        simulate.reference_frame(3000, seed=0))).astype(int)
    model = lightgbm.LGBMClassifier(n_estimators=10, verbose=-1).fit(reference, y)
    mv = reg.register("shop", model, alias="production")
    traffic = simulate.shifted_traffic(2000, shifted=("amount",), span="2D", seed=1)
    scores = model.predict_proba(traffic[NUMERIC])[:, 1]
    with predlog.PredictionLog(root / "predictions", "shop", mv.version,
                               max_rows_per_second=None) as log:
        log.log(traffic[NUMERIC], scores, entity=traffic["entity"], timestamps=traffic["ts"])
    attach_reference(reg, "shop:1", P.profile_for_model(model, reference, task="binary"),
                     monitor_root=root / "monitoring")
    reg.close()
    return root


def monitor(home, *args):
    return subprocess.run(
        [sys.executable, "-m", "jupyter_bighead.cli", "monitor", *args, "--home", str(home)],
        capture_output=True, text=True, timeout=120)


def test_the_shifted_day_is_an_alert_naming_the_shifted_feature(home):
    quiet = monitor(home, "shop@production", "--end", "2024-03-02", "--no-alert")
    assert quiet.returncode == 0, quiet.stderr
    loud = monitor(home, "shop@production", "--end", "2024-03-03", "--json", "--no-alert")
    assert loud.returncode == 3, loud.stderr
    result = json.loads(loud.stdout)
    assert result["status"] == "alert" and result["drift"]["alerts"] == ["amount"]


def test_an_unknown_model_is_one_line_and_status_1(home):
    out = monitor(home, "nope")
    assert out.returncode == 1
    assert out.stderr.strip().splitlines()[-1].startswith("jupyter bighead")


def test_serve_logs_predictions_that_monitor_reads(home, tmp_path):
    """`serve --prediction-log DIR`: served predictions land under DIR, flushed at exit."""
    import signal
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    logs = tmp_path / "predictions"
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_bighead.cli", "serve", "shop@production", "--port",
         str(port), "--home", str(home), "--prediction-log", str(logs)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        rows = simulate.reference_frame(7, seed=3)[NUMERIC]
        body = json.dumps({"instances": rows.to_dict(orient="records")}).encode()
        deadline = time.monotonic() + 60
        while True:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/v1/models/shop:predict", data=body,
                    headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(request, timeout=10) as response:
                    answer = json.loads(response.read())
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.3)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    logged = predlog.read_predictions(logs, "shop", 1)
    assert len(logged) == 7
    assert np.allclose(logged[predlog.SCORE].to_numpy(),
                       [p[1] if isinstance(p, list) else p for p in answer["predictions"]])
    bad = monitor_serve_refusal(home)
    assert bad.returncode == 2 and "--log-sample-rate" in bad.stderr


def monitor_serve_refusal(home):
    return subprocess.run(
        [sys.executable, "-m", "jupyter_bighead.cli", "serve", "shop", "--home", str(home),
         "--prediction-log", "x", "--log-sample-rate", "2"],
        capture_output=True, text=True, timeout=60)


def test_batch_scoring_logs_what_it_scored_and_monitor_reads_it(home, tmp_path):
    """`score --prediction-log DIR`: every scored row is logged (inputs, score, entity),
    the same rows the output holds, on one process and on a Dask cluster."""
    import pandas as pd

    from jupyter_bighead.jobs.scoring import score
    from jupyter_bighead.registry import Registry

    frame = simulate.shifted_traffic(900, shifted=("amount",), span="2D", seed=5)
    data = tmp_path / "in.parquet"
    frame[[*NUMERIC, "entity", "ts"]].to_parquet(data, row_group_size=300)
    reg = Registry(f"sqlite:///{home / 'registry.db'}", artifacts=home / "artifacts")
    logs = tmp_path / "logs"
    result = score("shop@production", data, tmp_path / "out.parquet", chunk_size=250,
                   entity="entity", registry=reg, prediction_log=logs)
    logged = predlog.read_predictions(logs, "shop", 1).sort_values(predlog.REQUEST_ID)
    scored = pd.read_parquet(tmp_path / "out.parquet")
    assert len(logged) == result.rows == 900
    assert sorted(logged[predlog.SCORE]) == sorted(scored["prediction"])
    assert set(logged[predlog.ENTITY]) == set(frame["entity"])
    assert logged[predlog.REQUEST_ID].str.startswith("batch-").all()
    # On a 2-worker cluster each part logs on its worker: the same rows.
    dlogs = tmp_path / "dask-logs"
    from tests.dask_cluster import shared_client

    score("shop@production", data, tmp_path / "out-parts", chunk_size=250, entity="entity",
          registry=reg, prediction_log=dlogs, cluster=shared_client())
    dlogged = predlog.read_predictions(dlogs, "shop", 1)
    assert sorted(dlogged[predlog.SCORE]) == sorted(scored["prediction"])


def test_a_bad_end_is_a_message_not_a_traceback(home):
    got = monitor(home, "shop@production", "--end", "yesterday", "--no-alert")
    assert got.returncode != 0 and "Traceback" not in got.stderr
    assert "yesterday" in got.stderr and "is not a time" in got.stderr


def test_labels_with_their_own_column_names_add_realized_performance(home, tmp_path):
    traffic = simulate.shifted_traffic(2000, shifted=("amount",), span="2D", seed=1)
    labels = simulate.late_labels(traffic, late_share=0.0).rename(columns={"entity": "user_id"})
    labels.to_parquet(tmp_path / "labels.parquet")
    args = ("shop@production", "--end", "2024-03-03", "--json", "--no-alert", "--labels",
            str(tmp_path / "labels.parquet"))
    plain = monitor(home, *args)
    assert plain.returncode == 3, plain.stderr  # the drift alert is not lost
    result = json.loads(plain.stdout)
    assert "'entity'" in result["labels_error"] and result["performance"] == []
    named = monitor(home, *args, "--label-columns", "entity=user_id")
    result = json.loads(named.stdout)
    assert result["labels_error"] is None and sum(w["n"] for w in result["performance"]) > 0
