"""Leakage checks: a point-in-time guard on the spine and a single-feature AUC screen."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidSpec

if TYPE_CHECKING:
    import pandas as pd

AUC_THRESHOLD = 0.98


class LeakageError(InvalidSpec):
    """A training set would let features see events at or after the label time."""

    code = "leakage"


class LeakageWarning(UserWarning):
    """The non-strict form of :class:`LeakageError`."""


def guard(
    query_ns: np.ndarray,
    label_ns: np.ndarray,
    label_valid: np.ndarray | None,
    *,
    timestamp: str,
    label_timestamp: str,
    refs: Sequence[str],
    strict: bool,
) -> None:
    """Raise (or warn) when a feature's visible range could reach the label time.

    A feature queried at ``t`` aggregates events with ``vis < t`` (``vis`` being
    ``max(ts, created_at)``), whatever its window. So for a row labelled at ``L`` it can
    see an event with ``vis >= L`` exactly when ``t > L``: then every window, bounded
    or not, overlaps ``[L, t)``. ``t == L`` is safe because events at ``t`` never
    count. Rows with a null label time are not checked.

    Raises
    ------
    LeakageError
        With ``strict``, naming the first offending row and the features.
    """
    bad = query_ns > label_ns
    if label_valid is not None:
        bad &= label_valid
    if not bad.any():
        return
    first = int(np.flatnonzero(bad)[0])
    message = (
        f"{int(bad.sum())} spine row(s) have {timestamp!r} after {label_timestamp!r} (first: "
        f"row {first}), so features {', '.join(map(repr, refs))} could see events visible at "
        f"or after the label time; query at or before {label_timestamp!r}"
    )
    if strict:
        raise LeakageError(message)
    warnings.warn(message, LeakageWarning, stacklevel=3)


def check_leakage(
    df: pd.DataFrame,
    label: str,
    columns: Sequence[str] | None = None,
    *,
    threshold: float = AUC_THRESHOLD,
) -> dict[str, Any]:
    """Screen each feature column on its own for a suspiciously perfect AUC.

    For every numeric column (or those in ``columns``) except ``label``, compute
    ``max(auc, 1 - auc)`` of the column alone against the binary ``label``, over the
    rows where the column is not null. A score above ``threshold`` is *flagged*: a
    single feature that nearly separates the classes usually encodes the label.

    Returns
    -------
    dict
        ``{"label", "threshold", "flagged": [names], "features": [{"feature", "auc",
        "rows", "flagged"}]}``, features sorted by descending AUC (``auc`` is ``None``
        when a column has one class or no values left).

    Raises
    ------
    InvalidSpec
        If ``label`` or a requested column is missing, or ``label`` is not binary.
    """
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    if label not in df.columns:
        raise InvalidSpec(f"check_leakage: the frame has no label column {label!r}")
    y_all = df[label]
    classes = pd.unique(y_all.dropna())
    if len(classes) > 2:
        raise InvalidSpec(
            f"check_leakage: label {label!r} must be binary, it has {len(classes)} values"
        )
    if columns is None:
        columns = [
            c for c in df.columns if c != label and pd.api.types.is_numeric_dtype(df[c].dtype)
        ]
    else:
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise InvalidSpec(f"check_leakage: the frame has no column {missing[0]!r}")
    results = []
    for name in columns:
        x = pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        y = y_all.to_numpy()
        ok = ~np.isnan(x) & pd.notna(y_all).to_numpy()
        auc: float | None = None
        if ok.any() and len(pd.unique(y[ok])) == 2:
            raw = float(roc_auc_score(y[ok], x[ok]))
            auc = max(raw, 1.0 - raw)
        results.append(
            {
                "feature": str(name),
                "auc": auc,
                "rows": int(ok.sum()),
                "flagged": auc is not None and auc > threshold,
            }
        )
    results.sort(key=lambda r: -1.0 if r["auc"] is None else -float(r["auc"]))
    return {
        "label": label,
        "threshold": threshold,
        "flagged": [r["feature"] for r in results if r["flagged"]],
        "features": results,
    }
