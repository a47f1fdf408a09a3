"""The drift gauge on jupyter_server's /metrics: a monitor check's PSI per feature."""

from __future__ import annotations

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from jupyter_bighead import predlog
from jupyter_bighead.config import BigheadHome
from jupyter_bighead.evaluation import profiles as P
from jupyter_bighead.monitoring import attach_reference, run_check, simulate
from jupyter_bighead.registry import Registry

NUMERIC = list(simulate.NUMERIC)


@pytest.fixture
def checked(bighead_home):
    """`shop` checked by a monitor over the day its `amount` shifted."""
    import lightgbm

    home = BigheadHome(bighead_home).ensure()
    reg = Registry(home.registry_uri, artifacts=home.artifacts)
    reference = simulate.reference_frame(2000, seed=0)[NUMERIC]
    y = (np.random.default_rng(0).random(len(reference)) < 0.3).astype(int)
    model = lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(reference, y)
    mv = reg.register("shop", model)
    traffic = simulate.shifted_traffic(2000, shifted=("amount",), span="2D", seed=1)
    with predlog.PredictionLog(home.root / "predictions", "shop", mv.version,
                               max_rows_per_second=None) as log:
        log.log(traffic[NUMERIC], model.predict_proba(traffic[NUMERIC])[:, 1],
                entity=traffic["entity"], timestamps=traffic["ts"])
    attach_reference(reg, "shop:1", P.profile_for_model(model, reference, task="binary"),
                     home=home.root)
    return run_check("shop", "1d", registry=reg, home=home.root, now="2024-03-03")


def gauge(text):
    for family in text_string_to_metric_families(text):
        if family.name == "bighead_drift_score":
            return {s.labels["feature"]: s.value for s in family.samples
                    if s.labels["model"] == "shop"}
    return None


async def test_the_latest_monitor_check_is_a_gauge_per_feature(jp_fetch, checked):
    text = (await jp_fetch("metrics")).body.decode()
    shown = gauge(text)
    assert checked.status == "alert"
    expected = {f.feature: f.psi for f in checked.drift.features if f.psi is not None}
    expected["score"] = checked.drift.score.psi
    assert shown == pytest.approx(expected, rel=1e-12)
    assert max(shown, key=shown.get) == "amount"


async def test_no_check_no_samples_and_a_broken_file_is_skipped(jp_fetch, bighead_home):
    latest = bighead_home / "monitoring" / "latest"
    latest.mkdir(parents=True)
    (latest / "broken.json").write_text("{not json")
    text = (await jp_fetch("metrics")).body.decode()
    assert gauge(text) == {}
