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
