"""Drift: a window of logged traffic against a version's reference profile.

For every profiled feature and for the score:

- **PSI** (population stability index) over the profile's bins (numeric) or buckets
  (categorical: the reference's top categories and "other"):
  ``sum((c - r) * ln(c / r))`` where ``r`` and ``c`` are the reference's and the
  window's shares per bin, each floored at :data:`PSI_EPSILON` so an empty bin stays
  finite;
- **Jensen-Shannon distance** over the same shares (unfloored), base 2, so it lies in
  ``[0, 1]`` (``scipy.spatial.distance.jensenshannon``);
- a **Kolmogorov-Smirnov** two-sample test (``scipy.stats.ks_2samp``) of the window's
  values against the profile's reference sample (numeric), or a **chi-squared** test
  of homogeneity (``scipy.stats.chi2_contingency``) of the reference's and the
  window's bucket counts (categorical);
- the null rate then and now, and (categorical) categories the reference never had.

PSI and the Jensen-Shannon distance are biased upwards on small windows: with ``K``
bins and ``n`` rows, sampling noise alone gives a PSI of about ``(K - 1) / n`` (0.09
for 10 bins and 100 rows, 0.5 for 51 buckets), and an empty bin's floored share
inflates it further. So PSI and JS only raise a warning or an alert when the
feature's KS or chi-squared test also finds the window different from the reference
(p-value below :attr:`Thresholds.significance`, 0.01 by default; 1 turns this off);
their values are still reported. On stable data a check then alerts on a feature
about as often as the test's level, whatever the window's size, while a real shift,
which the test detects, still alerts. Nothing but ``unknown`` is said of a feature
with fewer than ``min_rows`` rows in the window (its null rate included).

Evidently was considered as the engine and not used: it would add a large dependency
tree to the core for the handful of formulas above, and it needs the reference rows,
which a profile does not keep; the tests check these numbers against scipy and an
independent computation instead.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import jupyter_bighead.evaluation.profiles as P

from ..errors import InvalidSpec

#: The floor of a bin's share in PSI.
PSI_EPSILON = 1e-4
SEVERITIES = ("alert", "warn", "ok", "unknown")


@dataclass(frozen=True)
class Thresholds:
    """When a feature's drift is a warning or an alert (per model; sane defaults).

    ``psi_alert``/``psi_warn``: PSI at or above; ``js_alert``: Jensen-Shannon distance
    at or above; ``p_value``: a KS or chi-squared p-value below it warns;
    ``null_rate_change``: an absolute change of the null rate at or above alerts;
    ``unseen_share``: the share of the window's rows in unseen categories at or above
    alerts; ``min_rows``: fewer non-null rows in the window (fewer rows, for the null
    rate) leave the feature ``unknown``; ``significance``: PSI and JS distance warn or
    alert only when the feature's test p-value is below it (see the module; 1: always).

    Raises ``InvalidSpec`` for a value that is not a finite number >= 0, a p-value or
    significance outside (0, 1], ``psi_warn`` above ``psi_alert`` or a ``min_rows``
    that is not a whole number.
    """

    psi_alert: float = 0.2
    psi_warn: float = 0.1
    js_alert: float = 0.2
    p_value: float = 0.01
    null_rate_change: float = 0.05
    unseen_share: float = 0.01
    min_rows: int = 100
    significance: float = 0.01

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not math.isfinite(value) or value < 0:
                raise InvalidSpec(f"threshold {f.name} must be a finite number >= 0, "
                                  f"not {value!r}")
        for name in ("p_value", "significance"):
            if not 0 < getattr(self, name) <= 1:
                raise InvalidSpec(f"threshold {name} must lie in (0, 1], "
                                  f"not {getattr(self, name)!r}")
        if self.psi_warn > self.psi_alert:
            raise InvalidSpec(f"psi_warn ({self.psi_warn}) must not exceed psi_alert "
                              f"({self.psi_alert})")
        if float(self.min_rows) != int(self.min_rows):
            raise InvalidSpec(f"min_rows must be a whole number, not {self.min_rows!r}")
        object.__setattr__(self, "min_rows", int(self.min_rows))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> Thresholds:
        """Thresholds from a mapping of some of the fields (the rest: defaults).

        Raises ``InvalidSpec`` for an unknown field or a bad value (see the class)."""
        data = dict(data or {})
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise InvalidSpec(f"unknown drift thresholds {unknown}; known: {sorted(names)}")
        return cls(**data)


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's (or the score's) drift in a window."""

    feature: str
    kind: str  # "numeric" or "categorical"
    severity: str  # "alert", "warn", "ok", or "unknown" (too few rows)
    psi: float | None
    js: float | None
    test: str | None  # "ks" or "chi2"
    statistic: float | None
    p_value: float | None
    null_rate_reference: float | None
    null_rate_current: float | None
    n_reference: int
    n_current: int
    unseen: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    reference_shares: tuple[float, ...] = ()
    current_shares: tuple[float, ...] = ()
    bins: tuple[str, ...] = ()  # bin labels for a histogram

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, float) and not math.isfinite(value):
                out[key] = None
            elif isinstance(value, tuple):
                out[key] = list(value)
        return out


@dataclass(frozen=True)
class DriftReport:
    """Drift of every feature and the score, most severe first."""

    features: tuple[FeatureDrift, ...]
    score: FeatureDrift | None
    n_rows: int
    thresholds: Thresholds = field(default_factory=Thresholds)

    @property
    def severity(self) -> str:
        """The worst severity of any feature or the score; ``"unknown"`` when nothing
        could be judged (every feature and the score unknown)."""
        found = {f.severity for f in self.features} | (
            {self.score.severity} if self.score else set())
        if found == {"unknown"}:
            return "unknown"
        return next((s for s in SEVERITIES if s in found and s != "unknown"), "ok")

    def flagged(self, severity: str = "alert") -> list[str]:
        """The features (not the score) at ``severity`` or worse, most severe first."""
        worst = SEVERITIES.index(severity)
        return [f.feature for f in self.features if SEVERITIES.index(f.severity) <= worst]

    def to_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "n_rows": self.n_rows,
                "alerts": self.flagged("alert"), "warnings": self.flagged("warn"),
                "features": [f.to_dict() for f in self.features],
                "score": None if self.score is None else self.score.to_dict(),
                "thresholds": asdict(self.thresholds)}


def psi(reference: Any, current: Any, epsilon: float = PSI_EPSILON) -> float:
    """The PSI of two count (or share) vectors over the same bins (see the module)."""
    import numpy as np
    r = np.asarray(reference, dtype=np.float64)
    c = np.asarray(current, dtype=np.float64)
    r = np.maximum(r / r.sum(), epsilon)
    c = np.maximum(c / c.sum(), epsilon)
    return float(np.sum((c - r) * np.log(c / r)))


def js_distance(reference: Any, current: Any) -> float:
    """The Jensen-Shannon distance (base 2) of two count vectors over the same bins."""
    import numpy as np
    from scipy.spatial.distance import jensenshannon

    r = np.asarray(reference, dtype=np.float64)
    c = np.asarray(current, dtype=np.float64)
    return float(jensenshannon(r / r.sum(), c / c.sum(), base=2))


def _bin_labels(edges: list[float]) -> tuple[str, ...]:
    bounds = ["-inf", *(f"{e:.6g}" for e in edges), "inf"]
    return tuple(f"[{a}, {b})" for a, b in itertools.pairwise(bounds))


def _null_rate(profile: Mapping[str, Any]) -> float | None:
    return profile["nulls"] / profile["count"] if profile["count"] else None


def compare_feature(name: str, profile: Mapping[str, Any], values: Any,
                    thresholds: Thresholds = Thresholds()) -> FeatureDrift:
    """The drift of one feature's window ``values`` against its ``profile``."""
    import numpy as np
    import pandas as pd
    from scipy import stats

    series = values if isinstance(values, pd.Series) else pd.Series(values)
    n_all = len(series)
    kind = profile["kind"]
    unseen: list[str] = []
    if kind == "numeric":
        # numbers logged as text (a raw request) are read; anything else counts as null
        numbers = pd.to_numeric(series, errors="coerce")
        floats = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
        present = floats[np.isfinite(floats)]
        ref_counts = np.asarray(profile["counts"], dtype=np.int64)
        cur_counts = P.bin_numeric(profile, present)
        labels = _bin_labels(profile["edges"])
        n_cur = len(present)
        sample = np.asarray(profile["sample"], dtype=np.float64)
        test = "ks"
        result = stats.ks_2samp(sample, present) if len(sample) and n_cur else None
    else:
        buckets, ref_counts, cur_counts, unseen = P.categorical_counts(profile, series)
        labels = tuple(buckets)
        n_cur = int(series.notna().sum())
        test = "chi2"
        table = np.stack([ref_counts, cur_counts])
        table = table[:, table.sum(axis=0) > 0]
        result = None
        if table.shape[1] >= 2 and table[0].sum() and table[1].sum():
            chi = stats.chi2_contingency(table)
            result = (float(chi.statistic), float(chi.pvalue))
    null_ref = _null_rate(profile)
    null_cur = (n_all - n_cur) / n_all if n_all else None
    n_ref = int(ref_counts.sum())
    statistic = p_value = psi_value = js_value = None
    if result is not None:
        statistic, p_value = (float(result[0]), float(result[1]))
    if n_cur and n_ref:
        psi_value = psi(ref_counts, cur_counts)
        js_value = js_distance(ref_counts, cur_counts)
    severity, reasons = _severity(thresholds, n_all, n_cur, psi_value, js_value, p_value, test,
                                  null_ref, null_cur, len(unseen) and _unseen_share(
                                      series, unseen, n_cur))
    def share(c):
        return (tuple(float(x) for x in (c / c.sum() if c.sum() else c)))
    return FeatureDrift(
        feature=name, kind=kind, severity=severity, psi=psi_value, js=js_value, test=test,
        statistic=statistic, p_value=p_value, null_rate_reference=null_ref,
        null_rate_current=null_cur, n_reference=n_ref, n_current=int(n_cur),
        unseen=tuple(unseen[:20]), reasons=tuple(reasons),
        reference_shares=share(ref_counts), current_shares=share(cur_counts), bins=labels)


def _unseen_share(series: Any, unseen: list[str], n_cur: int) -> float:
    return float(series.dropna().astype(str).isin(unseen).sum()) / n_cur if n_cur else 0.0


def _severity(t: Thresholds, n_all: int, n_cur: int, psi_value: float | None,
              js_value: float | None, p_value: float | None, test: str,
              null_ref: float | None, null_cur: float | None,
              unseen_share: float) -> tuple[str, list[str]]:
    alerts: list[str] = []
    warns: list[str] = []
    quiet: list[str] = []  # reported, but not significant: no severity
    if n_all >= t.min_rows and null_ref is not None and null_cur is not None and \
            abs(null_cur - null_ref) >= t.null_rate_change:
        alerts.append(f"null rate {null_ref:.3f} -> {null_cur:.3f}")
    if n_cur < t.min_rows:
        return ("alert" if alerts else "unknown"), [*alerts, f"{n_cur} rows < {t.min_rows}"]
    # PSI and JS are biased upwards on small windows: they count when the test agrees
    different = p_value is None or t.significance >= 1 or p_value < t.significance
    if not different:
        alerts_or, warns_or = quiet, quiet
        note = f" (not significant: {test} p-value {p_value:.2g} >= {t.significance})"
    else:
        alerts_or, warns_or, note = alerts, warns, ""
    if psi_value is not None and psi_value >= t.psi_alert:
        alerts_or.append(f"PSI {psi_value:.3f} >= {t.psi_alert}{note}")
    elif psi_value is not None and psi_value >= t.psi_warn:
        warns_or.append(f"PSI {psi_value:.3f} >= {t.psi_warn}{note}")
    if js_value is not None and js_value >= t.js_alert:
        alerts_or.append(f"JS distance {js_value:.3f} >= {t.js_alert}{note}")
    if unseen_share and unseen_share >= t.unseen_share:
        alerts.append(f"{unseen_share:.1%} of rows in unseen categories")
    if p_value is not None and p_value < t.p_value:
        warns.append(f"{test} p-value {p_value:.2g} < {t.p_value}")
    if alerts:
        return "alert", alerts + warns + quiet
    return ("warn" if warns else "ok"), warns + quiet


def _rank(f: FeatureDrift) -> tuple[int, float, str]:
    return (SEVERITIES.index(f.severity), -(f.psi or 0.0), f.feature)


def compare(profile: Mapping[str, Any], frame: Any, scores: Any = None,
            thresholds: Thresholds | Mapping[str, Any] | None = None) -> DriftReport:
    """Compare a window of traffic (``frame``: one column per profiled feature;
    ``scores``: the model's scores) with a reference ``profile``.

    Features the frame lacks are reported ``unknown`` with the reason; extra columns
    are ignored.

    Raises
    ------
    IncompatibleFormat
        If ``profile`` is not a readable reference profile.
    InvalidSpec
        For bad ``thresholds``.
    """
    import numpy as np
    import pandas as pd

    profile = P.check_profile(profile)
    t = thresholds if isinstance(thresholds, Thresholds) else Thresholds.from_mapping(thresholds)
    out = []
    for name, fp in profile["features"].items():
        if name in frame.columns:
            out.append(compare_feature(name, fp, frame[name], t))
        else:
            out.append(compare_feature(name, fp, pd.Series([], dtype="float64"), t))
            out[-1] = _missing(out[-1])
    score = None
    if profile.get("score") and scores is not None:
        score = compare_feature("score", profile["score"], pd.Series(np.asarray(
            scores, dtype=np.float64)), t)
    return DriftReport(features=tuple(sorted(out, key=_rank)), score=score,
                       n_rows=len(frame), thresholds=t)


def _missing(f: FeatureDrift) -> FeatureDrift:
    from dataclasses import replace

    return replace(f, severity="unknown", reasons=("not in the logged rows",))


def drift_series(profile: Mapping[str, Any], frame: Any, *, timestamps: Any, scores: Any = None,
                 freq: str = "1h", min_rows: int = 1) -> list[dict[str, Any]]:
    """PSI per feature (and of the score) in each ``freq`` window of ``timestamps``,
    oldest first, for sparklines and the score over time: ``{"start", "n", "psi":
    {feature: value}, "score_psi"}``. Windows with fewer than ``min_rows`` rows are
    left out; a feature without values in a window has ``None``.

    Raises ``IncompatibleFormat`` for an unreadable profile."""
    import numpy as np
    import pandas as pd

    profile = P.check_profile(profile)
    stamps = pd.to_datetime(pd.Series(timestamps).reset_index(drop=True), utc=True)
    data = frame.reset_index(drop=True)
    s = None if scores is None else np.asarray(scores, dtype=np.float64).reshape(-1)
    out = []
    for start, idx in stamps.groupby(stamps.dt.floor(freq), sort=True).groups.items():
        rows = np.asarray(idx)
        if len(rows) < min_rows:
            continue
        values: dict[str, float | None] = {}
        for name, fp in profile["features"].items():
            values[name] = _psi_of(fp, data[name].iloc[rows]) if name in data.columns else None
        score = None
        if s is not None and profile.get("score"):
            score = _psi_of(profile["score"], pd.Series(s[rows]))
        out.append({"start": pd.Timestamp(start).isoformat(), "n": len(rows), "psi": values,
                    "score_psi": score})
    return out


def _psi_of(fp: Mapping[str, Any], values: Any) -> float | None:
    import numpy as np
    import pandas as pd

    if fp["kind"] == "numeric":
        present = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64,
                                                                   na_value=np.nan)
        cur = P.bin_numeric(fp, present)
        ref = np.asarray(fp["counts"])
    else:
        _buckets, ref, cur, _unseen = P.categorical_counts(fp, values)
    return psi(ref, cur) if cur.sum() and ref.sum() else None
