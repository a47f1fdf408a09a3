"""One monitoring check end to end: a registered model, logged shifted traffic, late
labels, an alert stored and posted to a webhook that fails first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead import predlog
from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.evaluation import profiles as P
from jupyter_bighead.monitoring import MonitorSettings, attach_reference, run_check, simulate
from jupyter_bighead.monitoring.alerts import AlertStore
from jupyter_bighead.monitoring.check import parse_window
from jupyter_bighead.registry import Registry

from .test_alerts import Hook

NUMERIC = list(simulate.NUMERIC)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A registered classifier on the simulator's numeric features, its reference
    attached, and two days of traffic logged (amount shifts on the second day)."""
    lightgbm = pytest.importorskip("lightgbm")
    root = tmp_path_factory.mktemp("monitor")
    reference = simulate.reference_frame(3000, seed=0)[NUMERIC]
    rng = np.random.default_rng(0)
    y = (rng.random(len(reference)) < simulate.true_probability(
        simulate.reference_frame(3000, seed=0))).astype(int)
    model = lightgbm.LGBMClassifier(n_estimators=20, verbose=-1).fit(reference, y)
    reg = Registry(root / "registry")
    mv = reg.register("shop", model, X_valid=reference, y_valid=y, alias="production")
    traffic = simulate.shifted_traffic(4000, shifted=("amount",), span="2D", seed=1)
    scores = model.predict_proba(traffic[NUMERIC])[:, 1]
    with predlog.PredictionLog(root / "predictions", "shop", mv.version,
                               max_rows_per_second=None) as log:
        for lo in range(0, len(traffic), 50):
            part = traffic.iloc[lo:lo + 50]
            log.log(part[NUMERIC], scores[lo:lo + 50], entity=part["entity"],
                    timestamps=part["ts"])
    attach_reference(reg, "shop:1", P.profile_for_model(model, reference, task="binary"),
                     monitor_root=root / "monitoring")
    return {"root": root, "reg": reg, "mv": mv, "model": model, "reference": reference,
            "traffic": traffic, "y": y}


def check(s, **kw):
    return run_check("shop@production", registry=s["reg"], log_root=s["root"] / "predictions",
                     monitor_root=s["root"] / "monitoring", **kw)


def test_a_version_without_a_reference_says_so(served):
    s = served
    mv = s["reg"].register("bare", s["model"])  # no validation data: no profile
    assert P.PROFILE_FILE not in {a.path for a in mv.artifacts}
    got = run_check("bare", registry=s["reg"], log_root=s["root"] / "predictions",
                    monitor_root=s["root"] / "monitoring", now="2024-03-03")
    assert got.status == "no_reference" and "no reference profile" in got.message
    assert got.alert_id is None


def test_the_shifted_day_alerts_naming_only_the_shifted_feature(served):
    s = served
    hook = Hook([500, 502])
    try:
        MonitorSettings(s["root"] / "monitoring" / "monitors").set(
            "shop", webhook_url=hook.url, window="24h")
        quiet = check(s, now="2024-03-02")  # the first day: no shift yet
        assert quiet.status in ("ok", "warn") and quiet.alert_id is None
        assert quiet.n_rows == 2000 and quiet.drift is not None
        assert quiet.drift.flagged("alert") == []
        loud = check(s, now="2024-03-03")
    finally:
        hook.close()
    assert loud.status == "alert" and loud.drift is not None
    assert loud.drift.flagged("alert") == ["amount"]
    assert loud.webhook is not None and loud.webhook.ok and loud.webhook.attempts == 3
    body = hook.bodies[-1]["body"]
    assert body["features"] == ["amount"] and body["model"] == "shop" and body["version"] == 1
    stored = AlertStore(s["root"] / "monitoring" / "alerts").list("shop")
    assert [a["id"] for a in stored] == [loud.alert_id]
    assert stored[0]["webhook"]["attempts"] == 3
    assert loud.to_dict()["drift"]["alerts"] == ["amount"]
    # hourly PSI (about 83 rows an hour): every shifted hour above every quiet one
    assert len(loud.history) == len(quiet.history) == 24
    assert min(h["psi"]["amount"] for h in loud.history) > 0.5 > max(
        h["psi"]["amount"] for h in quiet.history)


def test_a_check_with_late_labels_reports_realized_performance(served):
    s = served
    labels = simulate.late_labels(s["traffic"], late_share=0.5, late_delay="3D")
    got = check(s, now="2024-03-03", window="2d", labels=labels, alert=False)
    seen = labels[labels["arrived_at"] <= pd.Timestamp("2024-03-03", tz="UTC")]
    assert sum(w["n"] for w in got.performance) == len(seen) < len(labels)
    assert all(0.5 < w["roc_auc"] < 1 for w in got.performance)


def test_an_empty_window_and_bad_settings(served):
    got = check(served, now="2025-01-01", alert=False)
    assert got.status == "no_data" and got.n_rows == 0
    assert parse_window("30m") == pd.Timedelta(minutes=30) == parse_window("30min")
    assert parse_window("1d") == pd.Timedelta(days=1) == parse_window("24H")
    with pytest.raises(InvalidSpec):
        check(served, window="soon")
    with pytest.raises(InvalidSpec):
        parse_window("-1d")
    with pytest.raises(InvalidSpec):
        MonitorSettings(served["root"] / "m").set("shop", thresholds={"nope": 1})


def test_the_figures_draw_the_checks_own_numbers(served):
    from jupyter_bighead.monitoring import figures

    labels = simulate.late_labels(served["traffic"], late_share=0.0)
    result = check(served, now="2024-03-03", labels=labels, alert=False).to_dict()
    figs = figures.figures(result)
    amount = next(f for f in result["drift"]["features"] if f["feature"] == "amount")
    hist = figs["features"]["amount"]["data"]
    assert list(hist[0]["y"]) == amount["reference_shares"]
    assert list(hist[1]["y"]) == amount["current_shares"]
    assert list(hist[0]["x"]) == amount["bins"]
    assert list(figs["score"]["data"][1]["y"]) == result["drift"]["score"]["current_shares"]
    over_time = {t["name"]: list(t["y"]) for t in figs["drift_over_time"]["data"]}
    assert over_time["amount"] == [h["psi"]["amount"] for h in result["history"]]
    perf = {t["name"]: list(t["y"]) for t in figs["performance"]["data"]}
    assert perf["roc_auc"] == [w["roc_auc"] for w in result["performance"]]
    rows = figures.drift_rows(result)
    assert rows[0]["feature"] == "amount" and rows[0]["severity"] == "alert"
    assert rows[0]["sparkline"] == over_time["amount"]


def test_drift_gauges_carry_each_features_psi_for_prometheus(served):
    from jupyter_bighead.monitoring.check import drift_gauges

    result = check(served, now="2024-03-03", alert=False).to_dict()
    text = drift_gauges([result])
    amount = next(f["psi"] for f in result["drift"]["features"] if f["feature"] == "amount")
    assert f'bighead_drift_score{{model="shop",version="1",feature="amount"}} {amount!r}\n' in text
    assert 'feature="score"' in text and text.startswith("# HELP bighead_drift_score")
    assert len([ln for ln in text.splitlines() if not ln.startswith("#")]) == len(NUMERIC) + 1


def test_bh_monitoring_answers_every_call_after_the_package_is_imported(served):
    """Importing jupyter_bighead.monitoring replaces the facade's function of that name
    (Python sets a subpackage on its parent): the package itself answers the call."""
    import jupyter_bighead as bh
    import jupyter_bighead.monitoring  # what the starter notebook does

    kw = dict(registry=served["reg"], log_root=served["root"] / "predictions",
              monitor_root=served["root"] / "monitoring", now="2024-03-03")
    first = bh.monitoring("shop@production", "1d", **kw)
    again = bh.monitoring("shop@production", window="1d", **kw)
    assert first["result"]["status"] == again["result"]["status"] == "alert"
    assert set(first) >= {"result", "score", "features"}
    assert first["result"]["drift"] == again["result"]["drift"]


def _fresh_monitor_root(s, tmp_path):
    """A monitor root of its own (alerts, settings) with the served version's reference."""
    import shutil

    root = tmp_path / "monitoring"
    shutil.copytree(s["root"] / "monitoring" / "references", root / "references")
    return root


def test_bad_labels_never_stop_the_drift_alert_and_label_columns_name_the_files_columns(
        served, tmp_path):
    s = served
    base = _fresh_monitor_root(s, tmp_path)
    labels = simulate.late_labels(s["traffic"], late_share=0.0).rename(
        columns={"entity": "user_id"})
    path = tmp_path / "labels.parquet"
    labels.to_parquet(path)
    kw = dict(registry=s["reg"], log_root=s["root"] / "predictions", monitor_root=base,
              now="2024-03-03")
    for bad in (tmp_path / "missing.parquet", path):  # absent; its entity column is user_id
        got = run_check("shop@production", labels=str(bad), **kw)
        assert got.status == "alert" and got.alert_id is not None  # drift and alert first
        assert got.drift is not None and got.drift.flagged("alert") == ["amount"]
        assert got.performance == [] and got.labels_error
        assert "no realized performance" in got.message
        assert got.to_dict()["labels_error"] == got.labels_error
    assert "'entity'" in got.labels_error
    named = run_check("shop@production", labels=str(path), label_columns={"entity": "user_id"},
                      alert=False, **kw)
    assert named.labels_error is None and sum(w["n"] for w in named.performance) > 0
    assert len(AlertStore(base / "alerts").list("shop")) == 2
    with pytest.raises(InvalidSpec):
        run_check("shop@production", labels=str(path), label_columns={"user": "x"}, **kw)


def test_an_alert_is_stored_before_its_webhook_and_a_bad_stored_url_loses_nothing(
        served, tmp_path):
    s = served
    base = _fresh_monitor_root(s, tmp_path)
    settings = MonitorSettings(base / "monitors")
    settings.records.write("shop", {"webhook_url": "http://[::1"})  # stored before checks
    got = run_check("shop@production", registry=s["reg"], log_root=s["root"] / "predictions",
                    monitor_root=base, now="2024-03-03")
    assert got.status == "alert" and got.webhook is not None and not got.webhook.ok
    stored = AlertStore(base / "alerts").list("shop")
    assert [a["id"] for a in stored] == [got.alert_id]
    assert stored[0]["webhook"]["ok"] is False and stored[0]["webhook"]["error"]


@pytest.mark.parametrize("window", ["nan", "NaT", float("nan"), "1M", "2 M"])
def test_windows_that_are_not_one_or_are_ambiguous_are_refused(window):
    with pytest.raises(InvalidSpec):
        parse_window(window)


def test_a_bad_end_time_is_invalid_spec(served):
    for end in ("yesterday", "NaT"):
        with pytest.raises(InvalidSpec):
            check(served, now=end, alert=False)


def test_a_log_without_any_profiled_feature_is_no_data_and_too_few_rows_is_unknown(
        served, tmp_path):
    s = served
    ts = pd.date_range("2024-03-02 01:00", periods=300, freq="1min", tz="UTC")
    with predlog.PredictionLog(tmp_path / "other", "shop", 1, max_rows_per_second=None) as log:
        log.log(pd.DataFrame({"renamed": np.arange(300.0)}), np.full(300, 0.5), timestamps=ts)
    got = run_check("shop@production", registry=s["reg"], log_root=tmp_path / "other",
                    monitor_root=s["root"] / "monitoring", now="2024-03-03", alert=False)
    assert got.status == "no_data" and "none of the 3 profiled features" in got.message
    assert "renamed" in got.message
    few = check(s, now="2024-03-02 00:30", window="30min", alert=False,
                thresholds={"min_rows": 10_000})
    assert few.n_rows > 0 and few.status == "unknown" and "too few rows" in few.message
