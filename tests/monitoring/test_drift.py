"""Drift against a reference profile: shifted features are flagged, stable ones are not,
and every number equals an independent computation or scipy's."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.evaluation import profiles as P
from jupyter_bighead.monitoring import drift, simulate

SHIFTED = ("amount", "channel")


def independent_psi_numeric(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """PSI written out from its definition, sharing no code with the package."""
    ref = reference[~np.isnan(reference)]
    cur = current[~np.isnan(current)]
    cuts = sorted(set(np.quantile(ref, [k / bins for k in range(1, bins)]).tolist()))
    if len(set(ref.tolist())) <= bins:
        cuts = sorted(set(ref.tolist()))
    bounds = [-math.inf, *cuts, math.inf]
    total = 0.0
    for lo, hi in itertools.pairwise(bounds):
        r = max(sum(1 for v in ref if lo <= v < hi) / len(ref), 1e-4)
        c = max(sum(1 for v in cur if lo <= v < hi) / len(cur), 1e-4)
        total += (c - r) * math.log(c / r)
    return total


def independent_psi_categorical(reference: pd.Series, current: pd.Series) -> float:
    ref = reference.dropna().value_counts(normalize=True).to_dict()
    cur = current.dropna().value_counts(normalize=True).to_dict()
    other_cur = sum(v for k, v in cur.items() if k not in ref)
    total = 0.0
    for key, r_share in ref.items():
        r, c = max(r_share, 1e-4), max(cur.get(key, 0.0), 1e-4)
        total += (c - r) * math.log(c / r)
    r, c = 1e-4, max(other_cur, 1e-4)  # the reference had no "other"
    return total + (c - r) * math.log(c / r)


@pytest.fixture(scope="module")
def data():
    reference = simulate.reference_frame(800, seed=0)
    traffic = simulate.shifted_traffic(4000, shifted=SHIFTED, seed=1)
    profile = P.build_profile(reference, sample_size=1000)
    return reference, traffic, profile


def test_shifted_features_are_flagged_and_stable_ones_are_not(data):
    _reference, traffic, profile = data
    after = drift.compare(profile, traffic.iloc[2000:])
    assert set(after.flagged("alert")) == set(SHIFTED)
    assert after.severity == "alert"
    # alerts come first, then by PSI
    assert [f.feature for f in after.features[:2]] == sorted(
        SHIFTED, key=lambda n: -next(f.psi for f in after.features if f.feature == n))
    before = drift.compare(profile, traffic.iloc[:2000])
    assert before.flagged("alert") == []
    for f in before.features:
        assert f.psi is not None and f.psi < 0.1, f


def test_psi_matches_an_independent_computation_within_1e_9(data):
    reference, traffic, profile = data
    current = traffic.iloc[2000:]
    report = {f.feature: f for f in drift.compare(profile, current).features}
    for name in simulate.NUMERIC:
        expected = independent_psi_numeric(reference[name].to_numpy(dtype=float),
                                           current[name].to_numpy(dtype=float))
        assert abs(report[name].psi - expected) <= 1e-9, name
    for name in simulate.CATEGORICAL:
        expected = independent_psi_categorical(reference[name], current[name])
        assert abs(report[name].psi - expected) <= 1e-9, name
    assert report["amount"].psi > 0.2 and report["sessions"].psi < 0.1


def test_ks_statistics_equal_scipy_on_the_reference_rows(data):
    reference, traffic, profile = data
    current = traffic.iloc[2000:]
    report = {f.feature: f for f in drift.compare(profile, current).features}
    for name in simulate.NUMERIC:
        cur = current[name].to_numpy(dtype=float)
        expected = stats.ks_2samp(reference[name].to_numpy(dtype=float), cur[~np.isnan(cur)])
        assert report[name].test == "ks"
        assert report[name].statistic == expected.statistic
        assert report[name].p_value == expected.pvalue


def test_chi_squared_and_jensen_shannon_equal_scipy(data):
    reference, traffic, profile = data
    current = traffic.iloc[2000:]
    report = {f.feature: f for f in drift.compare(profile, current).features}
    for name in simulate.CATEGORICAL:
        ref = reference[name].value_counts()
        cats = list(ref.index)
        cur = current[name].value_counts()
        table = np.array([[ref[c] for c in cats] + [0],
                          [cur.get(c, 0) for c in cats] + [cur[~cur.index.isin(cats)].sum()]])
        table = table[:, table.sum(axis=0) > 0]
        expected = stats.chi2_contingency(table)
        assert report[name].test == "chi2"
        assert report[name].statistic == pytest.approx(expected.statistic, rel=1e-12)
        assert report[name].p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)
    amount = report["amount"]
    r = np.array(amount.reference_shares)
    c = np.array(amount.current_shares)
    assert amount.js == pytest.approx(jensenshannon(r, c, base=2), abs=1e-12)


def test_a_window_from_a_large_reference_tests_against_the_bounded_sample():
    reference = simulate.reference_frame(20_000, seed=5)
    profile = P.build_profile(reference, sample_size=500)
    current = simulate.shifted_traffic(1000, shifted=(), seed=6)
    got = {f.feature: f for f in drift.compare(profile, current).features}["tenure_days"]
    sample = np.array(profile["features"]["tenure_days"]["sample"])
    assert len(sample) == 500
    assert got.statistic == stats.ks_2samp(sample, current["tenure_days"]).statistic


def test_null_rate_changes_and_unseen_categories_alert():
    reference = pd.DataFrame({"x": np.arange(1000, dtype=float), "c": ["a", "b"] * 500})
    profile = P.build_profile(reference)
    current = pd.DataFrame({"x": np.where(np.arange(500) % 5 == 0, np.nan, np.arange(500.0)),
                            "c": ["a", "b", "new", "b", "a"] * 100})
    report = {f.feature: f for f in drift.compare(profile, current).features}
    assert report["x"].severity == "alert"
    assert report["x"].null_rate_reference == 0.0 and report["x"].null_rate_current == 0.2
    assert any("null rate" in r for r in report["x"].reasons)
    assert report["c"].unseen == ("new",) and report["c"].severity == "alert"


def test_score_drift_missing_features_and_small_windows():
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"x": rng.normal(size=2000), "y": rng.normal(size=2000)})
    profile = P.build_profile(reference, scores=rng.beta(2, 5, size=2000))
    current = pd.DataFrame({"x": rng.normal(size=50)})
    report = drift.compare(profile, current, scores=rng.beta(5, 2, size=50),
                           thresholds={"min_rows": 10})
    assert report.score is not None and report.score.severity == "alert"
    by = {f.feature: f for f in report.features}
    assert by["y"].severity == "unknown" and by["y"].reasons == ("not in the logged rows",)
    small = drift.compare(profile, current)  # default min_rows 100
    assert {f.severity for f in small.features} == {"unknown"}
    as_json = report.to_dict()
    assert as_json["severity"] == "alert" and as_json["score"]["test"] == "ks"


def test_thresholds_refuse_unknown_fields_and_negative_values():
    assert drift.Thresholds.from_mapping({"psi_alert": 0.3}).psi_alert == 0.3
    with pytest.raises(InvalidSpec):
        drift.Thresholds.from_mapping({"psi": 0.3})
    with pytest.raises(InvalidSpec):
        drift.Thresholds.from_mapping({"psi_alert": -1})


@pytest.mark.parametrize("bad", [{"psi_alert": float("nan")}, {"js_alert": float("inf")},
                                 {"p_value": 0}, {"p_value": 1.5}, {"significance": 0},
                                 {"psi_warn": 0.3, "psi_alert": 0.2}, {"min_rows": 10.5},
                                 {"min_rows": True}, {"unseen_share": "0.1"}])
def test_thresholds_refuse_nan_inf_bad_p_values_warn_above_alert_and_fractional_rows(bad):
    with pytest.raises(InvalidSpec):
        drift.Thresholds.from_mapping(bad)
    assert drift.Thresholds.from_mapping({"min_rows": 50.0}).min_rows == 50


def test_a_few_rows_with_a_null_are_unknown_not_an_alert():
    profile = P.build_profile(pd.DataFrame({"x": np.arange(1000, dtype=float)}))
    got = drift.compare(profile, pd.DataFrame({"x": [1.0, np.nan, 3.0]})).features[0]
    assert got.severity == "unknown", got.reasons
    enough = drift.compare(profile, pd.DataFrame({"x": [1.0, np.nan, 3.0]}),
                           thresholds={"min_rows": 2}).features[0]
    assert enough.severity == "alert" and "null rate" in enough.reasons[0]


_CATS = np.array([f"c{i}" for i in range(60)], dtype=object)
_COMMON = np.array([0.08] * 10 + [0.2 / 50] * 50)  # 10 common categories, 50 rare


def _stable(n: int, rng: np.random.Generator, shift: bool = False) -> pd.DataFrame:
    p = _COMMON
    if shift:  # a clear change of the mix: three common categories take 70% of the rows
        p = np.r_[[0.7 / 3] * 3, [0.1 / 7] * 7, [0.2 / 50] * 50]
    return pd.DataFrame({"c": _CATS[rng.choice(60, n, p=p)],
                         "x": rng.normal(0.8 if shift else 0.0, 1.0, size=n)})


@pytest.mark.parametrize("n", [100, 300])
def test_small_windows_of_stable_data_rarely_alert_but_a_real_shift_does(n):
    profile = P.build_profile(_stable(5000, np.random.default_rng(0)))
    alerts = {"c": 0, "x": 0}
    warns = {"c": 0, "x": 0}
    found = {"c": 0, "x": 0}
    for seed in range(100):
        stable = drift.compare(profile, _stable(n, np.random.default_rng(1000 + seed)))
        shifted = drift.compare(profile, _stable(n, np.random.default_rng(5000 + seed), True))
        for f in stable.features:
            alerts[f.feature] += f.severity == "alert"
            warns[f.feature] += f.severity == "warn"
        for f in shifted.features:
            found[f.feature] += f.severity == "alert"
    assert all(v < 5 for v in alerts.values()), alerts  # false alerts < 5%
    assert all(v < 10 for v in warns.values()), warns
    assert all(v >= 95 for v in found.values()), found  # a real shift still alerts
    ungated = drift.compare(profile, _stable(n, np.random.default_rng(1000)),
                            thresholds={"significance": 1})
    c = next(f for f in ungated.features if f.feature == "c")
    assert c.severity == "alert"  # PSI alone, on these rows: what the test's gate prevents


def test_numbers_logged_as_text_are_compared_as_numbers():
    reference = pd.DataFrame({"x": np.arange(500, dtype=float)})
    profile = P.build_profile(reference)
    as_text = pd.DataFrame({"x": [str(v) for v in range(500)]})
    got = drift.compare(profile, as_text).features[0]
    assert got.psi == pytest.approx(0.0, abs=1e-12) and got.null_rate_current == 0.0


def test_psi_over_time_rises_when_the_shift_starts(data):
    _reference, traffic, profile = data
    series = drift.drift_series(profile, traffic, timestamps=traffic["ts"], freq="12h")
    assert [w["n"] for w in series] == [1000] * 4
    by_window = [w["psi"] for w in series]
    assert all(w["amount"] < 0.1 for w in by_window[:2])
    assert all(w["amount"] > 0.2 and w["channel"] > 0.2 for w in by_window[2:])
    assert all(w["sessions"] < 0.1 for w in by_window)
    report = {f.feature: f.psi for f in drift.compare(profile, traffic.iloc[3000:]).features}
    assert by_window[3]["amount"] == report["amount"]  # the same PSI on the same rows
