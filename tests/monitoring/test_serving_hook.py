"""The model server's prediction log (ServeOptions.prediction_log) feeds the monitor."""

from __future__ import annotations

import pytest

from jupyter_bighead import predlog
from jupyter_bighead.evaluation import profiles as P
from jupyter_bighead.monitoring import reference_profile, run_check, simulate
from jupyter_bighead.registry import Registry
from jupyter_bighead.serving.runtime.holder import ModelHolder, ServeOptions

NUMERIC = list(simulate.NUMERIC)

def test_served_traffic_that_shifts_halfway_raises_an_alert_naming_the_shifted_feature(tmp_path):
    lightgbm = pytest.importorskip("lightgbm")
    reference = simulate.reference_frame(2000, seed=0)[NUMERIC]
    y = (reference["amount"] > reference["amount"].median()).astype(int)
    model = lightgbm.LGBMClassifier(n_estimators=10, verbose=-1).fit(reference, y)
    reg = Registry(tmp_path / "registry")
    mv = reg.register("shop", model, X_valid=reference, y_valid=y, alias="production")
    monitor_root = tmp_path / "monitoring"
    # registered with validation data: the reference profile was stored then
    assert P.PROFILE_FILE in {a.path for a in mv.artifacts}
    assert reference_profile(reg, "shop", mv.version, monitor_root=monitor_root) is not None
    holder = ModelHolder(ServeOptions(
        model_ref="shop@production", registry=str(tmp_path / "registry"),
        prediction_log=str(tmp_path / "predictions"), log_max_rows_per_second=1e9))
    assert holder.reload()["reloaded"]
    served = holder.current
    assert served is not None
    traffic = simulate.shifted_traffic(2000, shifted=("amount",), span="2h", seed=1)
    rows = traffic[NUMERIC].to_numpy().tolist()
    for lo in range(0, len(rows), 10):
        served.predict_rows(rows[lo:lo + 10])
    served.log.close()
    assert served.log.stats()["written"] == 2000
    logged = predlog.read_predictions(tmp_path / "predictions", "shop", 1)
    assert len(logged) == 2000
    end = logged[predlog.TS].max() + (logged[predlog.TS].max() - logged[predlog.TS].min())
    result = run_check("shop@production", "1d", registry=reg, log_root=tmp_path / "predictions",
                       monitor_root=monitor_root, now=end)
    assert result.status == "alert" and result.drift is not None
    assert result.drift.flagged("alert") == ["amount"]
    # The numbers behind it, from what was served and logged: PSI as written out from
    # its definition (tests/monitoring/test_drift.py), KS as scipy computes it against
    # the reference's stored sample.
    import numpy as np
    from scipy import stats

    from .test_drift import independent_psi_numeric

    profile = reference_profile(reg, "shop", mv.version, monitor_root=monitor_root)
    found = {f.feature: f for f in result.drift.features}
    for name in NUMERIC:
        current = logged[name].to_numpy(dtype=float)
        expected = independent_psi_numeric(reference[name].to_numpy(dtype=float), current)
        assert abs(found[name].psi - expected) <= 1e-9, name
        sample = np.asarray(profile["features"][name]["sample"], dtype=float)
        ks = stats.ks_2samp(sample, current[~np.isnan(current)])
        assert (found[name].statistic, found[name].p_value) == (ks.statistic, ks.pvalue), name
