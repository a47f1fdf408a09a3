"""A monitor runs as a job: a real local executor runs the check in its own process."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from jupyter_bighead import predlog
from jupyter_bighead.config import BigheadHome
from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.evaluation import profiles as P
from jupyter_bighead.jobs.local import LocalExecutor
from jupyter_bighead.monitoring import attach_reference, simulate
from jupyter_bighead.monitoring.alerts import AlertStore
from jupyter_bighead.monitoring.job import MONITOR_FUNCTION, monitor, monitor_spec
from jupyter_bighead.registry import Registry

NUMERIC = list(simulate.NUMERIC)


@pytest.fixture
def home(tmp_path):
    """A home with a registered model, its reference and a shifted last day of traffic."""
    lightgbm = pytest.importorskip("lightgbm")
    home = BigheadHome(tmp_path / "home").ensure()
    reg = Registry(home.registry_uri, artifacts=home.artifacts)
    reference = simulate.reference_frame(1500, seed=0)[NUMERIC]
    y = (reference["sessions"] > 5).astype(int)
    model = lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(reference, y)
    reg.register("shop", model, X_valid=reference, y_valid=y, alias="production")
    attach_reference(reg, "shop@production",
                     P.profile_for_model(model, reference, task="binary"), home=home.root)
    start = pd.Timestamp.now(tz="UTC") - pd.Timedelta("20h")
    traffic = simulate.shifted_traffic(1000, shifted=("sessions",), shift_at=0.0,
                                       start=start, span="10h", seed=3)
    with predlog.PredictionLog(home.root / "predictions", "shop", 1,
                               max_rows_per_second=None) as log:
        log.log(traffic[NUMERIC], model.predict_proba(traffic[NUMERIC])[:, 1],
                timestamps=traffic["ts"])
    reg.close()
    return home


def test_a_monitor_job_checks_the_model_in_its_own_process_and_stores_the_alert(home):
    executor = LocalExecutor(home=home, gpus=[])
    try:
        spec = dataclasses.replace(monitor_spec("shop@production", window="1d"), schedule=None)
        record = executor.wait(executor.submit(spec).id, timeout=240)
    finally:
        executor.close()
    assert record.state == "succeeded", record.error
    alerts = AlertStore(home.root / "monitoring" / "alerts").list("shop")
    assert len(alerts) == 1 and alerts[0]["features"] == ["sessions"]


def test_the_job_function_returns_json_and_the_spec_is_a_scheduled_job(home, monkeypatch):
    monkeypatch.setenv("BIGHEAD_HOME", str(home.root))
    got = monitor("shop@production", "1d", alert=False)
    assert got["status"] == "alert" and got["drift"]["alerts"] == ["sessions"]
    assert got["alert_id"] is None  # alert=False: report only
    spec = monitor_spec("shop@production", window="6h", labels="/data/labels.parquet",
                        label_columns={"entity": "user_id"})
    assert spec.function == MONITOR_FUNCTION and spec.schedule == "0 * * * *"
    assert spec.name == "monitor-shop"
    assert spec.parameters == {"model_ref": "shop@production", "window": "6h",
                               "labels": "/data/labels.parquet",
                               "label_columns": {"entity": "user_id"}}
    with pytest.raises(InvalidSpec):
        monitor_spec("shop", schedule="every hour")
    with pytest.raises(InvalidSpec):
        monitor("shop", labels="labels.txt")
