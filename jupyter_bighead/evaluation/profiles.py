"""Reference profiles: what a version's validation data and scores looked like.

A profile is plain JSON data (``format`` ``"bighead-profile"``, ``version`` 1) built
from the same rows the evaluation used; drift checks
(:mod:`jupyter_bighead.monitoring.drift`) compare logged traffic with it.

Per numeric feature (and for the score) it keeps:

- ``edges``: the bin *inner* edges, ``unique(quantile(values, k / bins))`` for
  ``k = 1 .. bins - 1`` over the non-null values (numpy's default linear quantiles), or
  the distinct values themselves when there are at most ``bins`` of them. A value ``x``
  falls in bin ``searchsorted(edges, x, side="right")``, so there are
  ``len(edges) + 1`` bins and the outer two are open-ended: traffic beyond the
  reference's range still lands in a bin (:func:`bin_numeric`);
- ``counts``: the reference's count per bin; ``count``, ``nulls``, ``min``, ``max``,
  ``mean``, ``std``;
- ``sample``: a uniform sample without replacement (seeded, at most ``sample_size``
  values; all of them when there are fewer) of the non-null values, in row order, for
  two-sample tests such as Kolmogorov-Smirnov, which need samples, not bins.

Per categorical feature (strings, categories, booleans): ``top`` (the ``top_k`` most
frequent categories with their counts, ties by name), ``other`` (the count of all
other categories), ``n_categories``, ``count`` and ``nulls``. The profile's size is
bounded by ``bins``, ``top_k`` and ``sample_size`` per feature, whatever the row count.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import jupyter_bighead.predlog as predlog

from ..errors import IncompatibleFormat, InvalidSpec

if TYPE_CHECKING:
    import numpy as np

FORMAT = "bighead-profile"
FORMAT_VERSION = 1
#: The artifact file a registered version's profile is stored in.
PROFILE_FILE = "reference_profile.json"
DEFAULT_BINS = 10
DEFAULT_TOP_K = 50
DEFAULT_SAMPLE = 1000
#: The most sample values a whole profile keeps; wide frames get fewer per feature.
MAX_SAMPLE_VALUES = 200_000
#: The most rows scored to build a profile's score distribution at registration.
MAX_PROFILE_ROWS = 200_000

__all__ = [
    "FORMAT", "FORMAT_VERSION", "PROFILE_FILE", "ProfileWarning", "bin_numeric",
    "build_profile", "categorical_counts", "check_profile", "is_categorical", "profile_file",
    "profile_for_model", "profile_values",
]


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def is_categorical(series: Any) -> bool:
    """Whether a column is profiled by category (strings, categories, booleans,
    objects) rather than by numeric bins."""
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return True
    return not (pd.api.types.is_numeric_dtype(dtype)
                and not pd.api.types.is_datetime64_any_dtype(dtype))


def _numeric(values: np.ndarray, bins: int, sample_size: int, seed: int) -> dict[str, Any]:
    """The numeric profile of ``values`` (float64, NaN for null).

    One sort serves the distinct values, the quantiles (``np.quantile`` of a sorted
    array takes the same order statistics, so the same edges) and the bin counts (the
    positions of the edges in the sorted values): the same numbers as
    ``unique``, ``quantile`` and ``bincount(searchsorted(edges, values))`` at about
    half their cost (``tests/monitoring/test_profiles.py`` checks them equal)."""
    import numpy as np
    ok = ~np.isnan(values)
    data = values[ok]
    out: dict[str, Any] = {"kind": "numeric", "count": len(values),
                           "nulls": int(len(values) - len(data))}
    if len(data) == 0:
        out.update(edges=[], counts=[0], min=None, max=None, mean=None, std=None, sample=[])
        return out
    ordered = np.sort(data)
    first = np.empty(len(ordered), dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    if np.count_nonzero(first) <= bins:
        edges = ordered[first]
    else:
        edges = np.unique(np.quantile(ordered, np.arange(1, bins) / bins))
    # Bin k holds edges[k-1] <= x < edges[k]: differences of the edges' positions.
    cuts = np.searchsorted(ordered, edges, side="left")
    counts = np.diff(cuts, prepend=0, append=len(ordered))
    if len(data) > sample_size:
        rng = np.random.default_rng(seed)
        sample = data[np.sort(rng.choice(len(data), size=sample_size, replace=False))]
    else:
        sample = data
    out.update(edges=edges.tolist(), counts=counts.tolist(),
               min=_finite(data.min()), max=_finite(data.max()),  # a signed zero as before
               mean=_finite(float(np.mean(data))), std=_finite(float(np.std(data))),
               sample=sample.tolist())
    return out


def _categorical(series: Any, top_k: int) -> dict[str, Any]:
    keys = series.dropna().astype(str)
    freq = keys.value_counts()
    items = sorted(((str(k), int(v)) for k, v in freq.items()), key=lambda kv: (-kv[1], kv[0]))
    top = items[:top_k]
    return {"kind": "categorical", "count": len(series),
            "nulls": int(len(series) - len(keys)), "top": dict(top),
            "other": int(sum(v for _k, v in items[top_k:])), "n_categories": len(items)}


def profile_values(values: Any, *, categorical: bool | None = None, bins: int = DEFAULT_BINS,
                   top_k: int = DEFAULT_TOP_K, sample_size: int = DEFAULT_SAMPLE,
                   seed: int = 0) -> dict[str, Any]:
    """The profile of one column (a Series, array or list); see the module docstring.

    ``categorical`` forces the kind (default: :func:`is_categorical`).

    Raises
    ------
    InvalidSpec
        For ``bins`` < 2, ``top_k`` < 1 or a negative ``sample_size``; or a column
        declared numeric whose values are not numbers.
    """
    import numpy as np
    import pandas as pd

    if bins < 2 or top_k < 1 or sample_size < 0:
        raise InvalidSpec("a profile needs bins >= 2, top_k >= 1 and sample_size >= 0")
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if categorical is None:
        categorical = is_categorical(series)
    if categorical:
        return _categorical(series, top_k)
    try:
        floats = series.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InvalidSpec(f"column {series.name!r} is not numeric") from exc
    floats = np.where(np.isfinite(floats), floats, np.nan)  # infinities count as null
    return _numeric(floats, bins, sample_size, seed)


#: Rows from which a profile's columns are profiled on two threads (numpy's sorts
#: release the GIL); below it a thread costs more than it saves.
PARALLEL_ROWS = 20_000


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


def _each(fn: Any, n: int, rows: int) -> list[Any]:
    """``[fn(j) for j in range(n)]``, on two threads for a long frame."""
    workers = min(2, _cpus(), n)
    if workers < 2 or rows < PARALLEL_ROWS:
        return [fn(j) for j in range(n)]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers, thread_name_prefix="bighead-profile") as pool:
        return list(pool.map(fn, range(n)))


def build_profile(frame: Any, scores: Any = None, *, task: str | None = None,
                  bins: int = DEFAULT_BINS, top_k: int = DEFAULT_TOP_K,
                  sample_size: int = DEFAULT_SAMPLE, seed: int = 0) -> dict[str, Any]:
    """The reference profile of a validation ``frame`` (a DataFrame) and the model's
    ``scores`` on it (optional). Each feature keeps at most ``sample_size`` sample
    values, fewer when the frame is so wide that the profile would hold more than
    :data:`MAX_SAMPLE_VALUES`.

    Raises
    ------
    InvalidSpec
        If ``frame`` is not a DataFrame, ``scores`` has another length, or the
        settings are out of range (see :func:`profile_values`).
    """
    import numpy as np
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise InvalidSpec(f"a profile is built from a DataFrame, not {type(frame).__name__}")
    columns = [str(c) for c in frame.columns]
    if len(set(columns)) != len(columns):
        raise InvalidSpec("the frame's column names repeat")
    per_feature = min(sample_size, MAX_SAMPLE_VALUES // max(len(columns) + 1, 1))

    def one(j: int) -> dict[str, Any]:
        return profile_values(frame.iloc[:, j], bins=bins, top_k=top_k,
                              sample_size=per_feature, seed=seed + j)

    features = dict(zip(columns, _each(one, len(columns), len(frame)), strict=True))
    score = None
    if scores is not None:
        s = np.asarray(scores, dtype=np.float64).reshape(-1)
        if len(s) != len(frame):
            raise InvalidSpec(f"{len(s)} scores for {len(frame)} rows")
        score = profile_values(s, categorical=False, bins=bins, sample_size=sample_size,
                               seed=seed + len(columns))
    return {"format": FORMAT, "version": FORMAT_VERSION, "n_rows": len(frame),
            "task": task, "settings": {"bins": bins, "top_k": top_k,
                                       "sample_size": sample_size, "seed": seed},
            "features": features, "score": score}


def profile_for_model(model: Any, X: Any, *, task: str | None = None, scores: Any = None,
                      max_rows: int = MAX_PROFILE_ROWS, **options: Any) -> dict[str, Any]:
    """The reference profile of validation data ``X`` and ``model``'s scores on it
    (the positive-class probability of a classifier, ``predict`` otherwise: what the
    server and batch scoring return). ``scores`` (one per row of ``X``) are those
    scores when the caller has them already (the evaluation computed them), and
    ``model`` then is not called. Above ``max_rows`` rows a fixed random subset of that
    many rows is profiled, so registering a large validation set stays quick.

    Raises
    ------
    InvalidSpec
        As :func:`build_profile`; ``scores`` of another length than ``X``; ``max_rows``
        below 1.
    """
    import numpy as np
    import pandas as pd

    if max_rows < 1:
        raise InvalidSpec("max_rows must be at least 1")
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    given = None
    if scores is not None:
        given = np.asarray(scores, dtype=np.float64).reshape(-1)
        if len(given) != len(frame):
            raise InvalidSpec(f"{len(given)} scores for {len(frame)} rows")
    if len(frame) > max_rows:
        rows = np.sort(np.random.default_rng(0).choice(len(frame), max_rows, replace=False))
        frame = frame.iloc[rows]
        given = None if given is None else given[rows]
    if given is not None:
        found = given
    elif hasattr(model, "predict_proba") and task in ("binary", None):
        found = np.asarray(model.predict_proba(frame))
        found = found[:, 1] if found.ndim == 2 else found
    else:
        found = np.asarray(model.predict(frame))
    # A pipeline that looks features up: its prediction log holds them beside a request's
    # columns (jupyter_bighead.predlog.looked_up_features), so its reference holds them too.
    extra = predlog.looked_up_features(model, [str(c) for c in frame.columns])
    if extra:
        seen = model.transform(frame)
        frame = frame.assign(**{n: np.asarray(seen[n]) for n in extra})
    return build_profile(frame, found, task=task, **options)


def profile_file(model: Any, X: Any, *, task: str | None = None, scores: Any = None,
                 max_rows: int = MAX_PROFILE_ROWS) -> dict[str, bytes]:
    """``{PROFILE_FILE: JSON bytes}`` of :func:`profile_for_model` (with ``scores`` and
    ``max_rows`` as there) for a registration's artifact files; ``{}`` (with a
    :class:`ProfileWarning`) when ``X`` is no DataFrame or the profile cannot be
    built: a version registers with or without a profile, never fails for lack of one."""
    import json
    import warnings

    import pandas as pd

    if not isinstance(X, pd.DataFrame):
        return {}
    try:
        data = profile_for_model(model, X, task=task, scores=scores, max_rows=max_rows)
        return {PROFILE_FILE: json.dumps(data, allow_nan=False).encode("utf-8")}
    except Exception as exc:  # the profile is optional; the registration is not
        warnings.warn(f"no reference profile stored: {type(exc).__name__}: {exc}",
                      ProfileWarning, stacklevel=2)
        return {}


class ProfileWarning(UserWarning):
    """A registration stored no reference profile (monitoring will say so)."""


def check_profile(data: Any) -> dict[str, Any]:
    """``data`` if it is a profile this version can read.

    Raises
    ------
    IncompatibleFormat
        For another format or a newer format version.
    """
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise IncompatibleFormat("not a bighead reference profile")
    if not isinstance(data.get("version"), int) or data["version"] > FORMAT_VERSION:
        raise IncompatibleFormat(f"reference profile format {data.get('version')!r} is newer "
                                 f"than this jupyter-bighead reads ({FORMAT_VERSION})")
    return dict(data)


def bin_numeric(profile: Mapping[str, Any], values: Any) -> np.ndarray:
    """Counts of the non-null ``values`` in ``profile``'s bins (``len(edges) + 1``)."""
    import numpy as np
    data = np.asarray(values, dtype=np.float64)
    data = data[np.isfinite(data)]
    edges = np.asarray(profile["edges"], dtype=np.float64)
    return np.bincount(np.searchsorted(edges, data, side="right"), minlength=len(edges) + 1)


def categorical_counts(profile: Mapping[str, Any], values: Any
                       ) -> tuple[list[str], np.ndarray, np.ndarray, list[str]]:
    """``(buckets, reference counts, current counts, unseen)`` for a categorical
    feature: the buckets are the reference's top categories then ``"__other__"``;
    current values outside the top categories count as other. ``unseen`` lists
    current categories the reference never had (only knowable when the reference's
    ``other`` is empty, i.e. it listed every category), most frequent first."""
    import numpy as np
    import pandas as pd

    series = values if isinstance(values, pd.Series) else pd.Series(values)
    freq = series.dropna().astype(str).value_counts()
    top: Mapping[str, int] = profile["top"]
    buckets = [*top, "__other__"]
    ref = np.array([*top.values(), profile["other"]], dtype=np.int64)
    rest = int(freq[~freq.index.isin(list(top))].sum())
    cur = np.array([int(freq.get(k, 0)) for k in top] + [rest], dtype=np.int64)
    unseen: list[str] = []
    if profile["other"] == 0:
        unseen = [str(k) for k in freq.index if k not in top]
    return buckets, ref, cur, unseen


def feature_names(profile: Mapping[str, Any]) -> Sequence[str]:
    """The profiled features, in the frame's column order."""
    return list(profile["features"])
