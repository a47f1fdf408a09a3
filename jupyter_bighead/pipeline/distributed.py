"""Training on a Dask cluster (issue #15): a LightGBM learner with ``lightgbm.dask``,
and a :class:`~.core.Pipeline` whose training data is a Dask DataFrame.

:func:`fit_lightgbm` trains ``DaskLGBMClassifier``/``DaskLGBMRegressor`` on the
workers (LightGBM's own data-parallel training over the workers' partitions) and
returns the ordinary scikit-learn model (``to_local()``): it registers, serves and
scores like any other LightGBM model.

:func:`fit_pipeline` fits a pipeline on a Dask DataFrame. Each block is fitted once on
the first partition (column routing, dtype checks, the input spec), then its
statistics are recomputed over the whole data with Dask aggregations; the partitions
are transformed on the workers with the fitted blocks and the learner is trained with
:func:`fit_lightgbm`. How close each block's statistics come to a single-machine fit
is in :data:`BLOCK_STATISTICS`; blocks not listed there raise :class:`.InvalidSpec`.

``lightgbm.dask`` opens one port per worker for LightGBM's own network: the workers
must reach each other on those ports (``local_listen_port`` / ``machines`` in
``params`` pin them; ``time_out`` bounds the wait, in minutes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import InvalidSpec

if TYPE_CHECKING:
    from .core import Pipeline

__all__ = ["BLOCK_STATISTICS", "fit_lightgbm", "fit_pipeline"]

#: Per block type: how its fitted statistics on a Dask DataFrame compare with a
#: single-machine fit on the same rows.
BLOCK_STATISTICS: Mapping[str, str] = {
    "Log1p": "exact (no statistics)",
    "Select": "exact (no statistics)",
    "Drop": "exact (no statistics)",
    "MinMaxScale": "exact (min and max of the non-null values)",
    "DateParts": "exact (no statistics)",
    "Standardize": ("exact up to floating-point summation order (two passes: mean, "
                    "then the mean squared deviation; relative difference about 1e-15)"),
    "Impute": ("strategy 'constant' and 'most_frequent' (value counts over all rows, same "
               "tie rule): exact; 'median': exact (the middle order statistics selected "
               "over all rows, averaged as numpy's median does); 'mean': exact up to "
               "summation order"),
    "Clip": ("exact (the order statistics around each quantile selected over all rows, "
             "interpolated as numpy's default 'linear' quantile does)"),
    "CategoryEncode": "exact (value counts over all rows, then min_count and sorting)",
}

_TASKS = ("binary", "regression")


def fit_lightgbm(X: Any, y: Any, *, cluster: Any = None, task: str = "binary",
                 **params: Any) -> Any:
    """Train a LightGBM model on the Dask collections ``X`` (features) and ``y``
    (labels) on the cluster; return the fitted ``LGBMClassifier`` (``task="binary"``)
    or ``LGBMRegressor`` (``"regression"``).

    ``cluster`` is the Dask setting (see :mod:`jupyter_bighead.cluster`; ``None`` reads
    ``$BIGHEAD_DASK``); ``params`` go to the LightGBM estimator.

    Raises
    ------
    InvalidSpec
        An unknown ``task``, or no cluster (the setting is ``"none"``).
    Unavailable
        No scheduler answers at the configured address.
    """
    if task not in _TASKS:
        raise InvalidSpec(f"task must be one of {_TASKS}, not {task!r}")
    from lightgbm.dask import DaskLGBMClassifier, DaskLGBMRegressor

    from ..cluster import open_client

    with open_client(cluster) as client:
        if client is None:
            raise InvalidSpec("fit_lightgbm needs a Dask cluster (cluster='local', a "
                              "scheduler address or a Client; $BIGHEAD_DASK is 'none')")
        kind = DaskLGBMClassifier if task == "binary" else DaskLGBMRegressor
        params.setdefault("verbose", -1)
        # lightgbm.dask waits on futures through Dask's current client.
        with client.as_current():
            model = kind(client=client, **params).fit(X, y)
        return model.to_local()


def fit_pipeline(pipeline: Pipeline, X: Any, y: Any, *, cluster: Any = None,
                 task: str = "binary", **params: Any) -> Pipeline:
    """Fit ``pipeline`` (its blocks, then its learner) on the Dask DataFrame ``X`` with
    labels ``y`` (a Dask Series with ``X``'s partitions); returns ``pipeline``, now an
    ordinary fitted pipeline whose learner is a local LightGBM model.

    The learner's own parameters (``pipeline.learner.get_params()``) are used, updated
    by ``params``.

    Raises
    ------
    InvalidSpec
        A block whose statistics cannot be fitted on Dask yet (not in
        :data:`BLOCK_STATISTICS`), no learner, an empty first partition, or no cluster.
    BlockInputError
        As :meth:`Pipeline.fit`, for the first partition's columns.
    """
    import numpy as np

    from .core import Pipeline

    if not isinstance(pipeline, Pipeline):
        raise InvalidSpec(f"fit_pipeline takes a Pipeline, not {type(pipeline).__name__}")
    if pipeline.learner is None:
        raise InvalidSpec("fit_pipeline: the pipeline has no learner")
    unknown = [type(s).__name__ for s in pipeline.steps
               if type(s).__name__ not in BLOCK_STATISTICS]
    if unknown:
        raise InvalidSpec(f"fit_pipeline cannot fit {sorted(set(unknown))} on Dask yet; "
                          f"supported: {sorted(BLOCK_STATISTICS)}")
    first = X.get_partition(0).compute()
    if len(first) == 0:
        raise InvalidSpec("fit_pipeline: the first partition has no rows")
    learner = pipeline.learner
    pipeline.learner = None  # fit the blocks (and the input spec) on the first partition
    try:
        pipeline.fit(first, y.get_partition(0).compute())
    finally:
        pipeline.learner = learner
    # Then each block's statistics over all rows, on its own (already fitted) input.
    data = X
    for step in pipeline.steps:
        _refit_statistics(step, data, np)
        data = data.map_partitions(_transform_with(step), meta=_meta(step, data))
    features = data
    options = {k: v for k, v in learner.get_params().items() if v is not None}
    options.update(params)
    options.pop("n_jobs", None)  # the workers' threads, not the client's
    pipeline.learner = fit_lightgbm(features, y, cluster=cluster, task=task, **options)
    return pipeline


def _transform_with(step: Any) -> Any:
    def transform(part: Any) -> Any:
        from .base import columns_to_frame, frame_to_columns

        return columns_to_frame(step._transform_columns(frame_to_columns(part, None)),
                                part.index)
    return transform


def _meta(step: Any, data: Any) -> Any:
    return _transform_with(step)(data._meta_nonempty).iloc[:0]


def _refit_statistics(step: Any, data: Any, np: Any) -> None:
    """Recompute ``step``'s statistics over every row of ``data`` (its input)."""
    import dask

    name = type(step).__name__
    cols = list(step.columns_)
    if name in ("Log1p", "Select", "Drop", "DateParts") or not cols:
        return
    if name == "CategoryEncode":
        counts = dask.compute(*[data[c].value_counts(dropna=True) for c in cols])
        step.categories_ = {c: _categories(step, data[c].dtype, n, np)
                            for c, n in zip(cols, counts, strict=True)}
        step._after_load()
        return
    if name == "Clip" or (name == "Impute" and step.strategy == "median"):
        if name == "Clip":
            qs = (float(step.lower), float(step.upper))
            bounds = exact_quantiles(data, cols, qs)
            step.lower_ = np.asarray([bounds[c][0] for c in cols], dtype=np.float64)
            step.upper_ = np.asarray([bounds[c][1] for c in cols], dtype=np.float64)
        else:
            medians = exact_median(data, cols)
            step.statistics_ = np.asarray([medians[c] for c in cols], dtype=np.float64)
        return
    if name == "Impute" and step.strategy != "mean":
        if step.strategy == "most_frequent":
            counts = dask.compute(*[data[c].value_counts(dropna=True) for c in cols])
            stats = [_most_frequent(n, data[c].dtype)
                     for c, n in zip(cols, counts, strict=True)]
            numeric_all = all(data[c].dtype.kind in "biuf" for c in cols)
            step.statistics_ = (np.asarray([float(v) for v in stats], dtype=np.float64)
                                if numeric_all else np.asarray(
                                    [float(v) if data[c].dtype.kind in "biuf" else v
                                     for c, v in zip(cols, stats, strict=True)],
                                    dtype=object))
        return  # "constant": nothing learned from the data
    numeric = data[cols].astype("float64")
    if name == "Impute":  # the mean of the non-null values
        sums, counts = dask.compute(numeric.sum(skipna=True), numeric.count())
        step.statistics_ = np.asarray(
            [float(sums[c]) / int(counts[c]) if int(counts[c]) else 0.0 for c in cols],
            dtype=np.float64)
        return
    if name == "MinMaxScale":
        lo, hi = (float(v) for v in step.feature_range)
        vmin, vmax = dask.compute(numeric.min(skipna=True), numeric.max(skipna=True))
        mins, scales = [], []
        for c in cols:
            a, b = float(vmin[c]), float(vmax[c])
            if np.isnan(a):  # no values at all, as the single-machine fit
                a, b = 0.0, 1.0
            scale = (hi - lo) / (b - a) if b - a > 0 else 1.0
            mins.append(lo - a * scale)
            scales.append(scale)
        step.min_ = np.asarray(mins, dtype=np.float64)
        step.scale_ = np.asarray(scales, dtype=np.float64)
    elif name == "Standardize":
        sums, counts = dask.compute(numeric.sum(skipna=True), numeric.count())
        means = {c: (float(sums[c]) / int(counts[c]) if int(counts[c]) else 0.0) for c in cols}
        squares = dask.compute(((numeric - means) ** 2).sum(skipna=True))[0]
        out_mean, out_scale = [], []
        for c in cols:
            n = int(counts[c])
            mean = means[c] if n and step.with_mean else 0.0
            std = float(np.sqrt(float(squares[c]) / n)) if n and step.with_std else 1.0
            out_mean.append(mean)
            out_scale.append(std if std > 0 else 1.0)
        step.mean_ = np.asarray(out_mean, dtype=np.float64)
        step.scale_ = np.asarray(out_scale, dtype=np.float64)


# The two helpers below apply the single-machine blocks' rules (blocks.py) to value
# counts gathered over all rows; tests/pipeline/test_lightgbm_dask.py checks they agree.

def _categories(step: Any, dtype: Any, counts: Any, np: Any) -> Any:
    """``CategoryEncode``'s categories from a column's value counts."""
    kept = counts.index[counts.to_numpy() >= int(step.min_count)].tolist()
    try:
        kept = sorted(kept)
    except TypeError:  # mixed types: order by text, deterministic still
        kept = sorted(kept, key=lambda v: (type(v).__name__, str(v)))
    if dtype.kind in "biuf":
        return np.asarray(kept, dtype=np.float64)
    return [v.item() if hasattr(v, "item") else v for v in kept]


def _most_frequent(counts: Any, dtype: Any) -> Any:
    """``Impute(strategy="most_frequent")``'s fill value from a column's value counts."""
    from .blocks import UNSEEN

    if counts.empty:
        return 0.0 if dtype.kind in "biuf" else UNSEEN
    top = counts.max()
    # Ties go to the smallest value, as in scikit-learn's SimpleImputer.
    best = sorted(counts.index[counts.to_numpy() == top], key=lambda v: (str(type(v)), v))[0]
    return best.item() if hasattr(best, "item") else best


# Exact quantiles on a Dask DataFrame. numpy's quantile and median depend only on the
# count of non-NaN values and on a few order statistics (the k-th smallest values); those
# are selected exactly in three passes over the partitions, none of which gathers more
# than a small bracket of values on the client:
#   1. per partition, the count and regular samples of the sorted values (every
#      SAMPLES-th value, the minimum and the maximum included);
#   2. per partition, how many values lie below each sample of all partitions: summed,
#      these are global ranks, which bracket each wanted order statistic between two
#      consecutive distinct samples;
#   3. per partition, the values inside each bracket (those equal to its lower end only
#      counted): at most count / SAMPLES + partitions values per bracket.
# The values are then combined with numpy's own arithmetic (see _np_quantile), so the
# result is numpy's, bit for bit. Equal values are interchangeable, except that 0.0 and
# -0.0 compare equal: a tie between them may come back with either sign, as numpy's
# partition may give either.

SAMPLES = 1024
"""Regular samples per partition in the first pass."""


def _finite(part: Any, col: str) -> Any:
    """A partition's column as the single-machine block reads it, without NaN."""
    import numpy as np

    from .base import as_float, frame_to_columns

    x = as_float(frame_to_columns(part, [col])[col])
    return x[~np.isnan(x)]


def _sample_pass(part: Any, cols: list[str]) -> list[tuple[int, Any]]:
    import numpy as np

    out = []
    for col in cols:
        x = np.sort(_finite(part, col))
        if not x.size:
            out.append((0, x))
            continue
        take = np.unique(np.linspace(0, x.size - 1, min(SAMPLES, x.size)).astype(np.int64))
        out.append((int(x.size), x[take]))
    return out


def _rank_pass(part: Any, cols: list[str], splitters: list[Any]) -> list[Any]:
    """Per column, how many of the partition's values are below each splitter."""
    import numpy as np

    out = []
    for col, s in zip(cols, splitters, strict=True):
        x = _finite(part, col)
        # a value v is below splitter i when fewer than i + 1 splitters are <= v
        hist = np.bincount(np.searchsorted(s, x, side="right"), minlength=len(s) + 1)
        out.append(np.cumsum(hist)[: len(s)])
    return out


def _bracket_pass(part: Any, cols: list[str], brackets: list[list[tuple[float, Any]]]
                  ) -> list[list[tuple[int, Any]]]:
    """Per column and bracket ``[lo, hi)``: the count of values equal to ``lo`` and the
    values strictly inside (``hi`` None: no upper end)."""
    out = []
    for col, wanted in zip(cols, brackets, strict=True):
        x = _finite(part, col)
        found = []
        for lo, hi in wanted:
            inside = x > lo if hi is None else (x > lo) & (x < hi)
            found.append((int((x == lo).sum()), x[inside]))
        out.append(found)
    return out


def _order_statistics(data: Any, cols: list[str], ranks: Callable[[int], list[int]]
                      ) -> dict[str, tuple[int, dict[int, float]]]:
    """Per column: the count ``n`` of non-NaN values and the values of rank
    ``ranks(n)`` (0-based, in sorted order) over every row of the Dask DataFrame."""
    import dask
    import numpy as np

    parts = data[cols].to_delayed()
    first = dask.compute(*[dask.delayed(_sample_pass)(p, cols) for p in parts])
    counts = {c: sum(f[j][0] for f in first) for j, c in enumerate(cols)}
    splitters = [np.unique(np.concatenate([f[j][1] for f in first])) for j in range(len(cols))]
    wanted = {c: sorted(set(ranks(counts[c]))) if counts[c] else [] for c in cols}
    if not any(wanted.values()):
        return {c: (counts[c], {}) for c in cols}
    shared = dask.delayed(splitters, pure=True)
    below = dask.compute(*[dask.delayed(_rank_pass)(p, cols, shared) for p in parts])
    plans: list[list[tuple[int, int]]] = []  # per column: (splitter index, rank)
    brackets: list[list[tuple[float, Any]]] = []
    for j, c in enumerate(cols):
        ranks_below = np.sum([b[j] for b in below], axis=0) if wanted[c] else np.zeros(0)
        s = splitters[j]
        plan, spans = [], {}
        for k in wanted[c]:
            i = int(np.searchsorted(ranks_below, k, side="right")) - 1  # ranks_below[0] == 0
            spans[i] = (s[i], s[i + 1] if i + 1 < len(s) else None)
            plan.append((i, k))
        plans.append(plan)
        brackets.append([spans[i] for i in sorted(spans)])
        wanted[c] = [ranks_below[i] for i in sorted(spans)]  # rank of each bracket's lo
    found = dask.compute(*[dask.delayed(_bracket_pass)(p, cols, brackets) for p in parts])
    result: dict[str, tuple[int, dict[int, float]]] = {}
    for j, c in enumerate(cols):
        order = sorted({i for i, _k in plans[j]})
        values: dict[int, float] = {}
        for b, i in enumerate(order):
            lo = brackets[j][b][0]
            equal = sum(f[j][b][0] for f in found)
            inside = np.sort(np.concatenate([f[j][b][1] for f in found]))
            for i2, k in plans[j]:
                if i2 != i:
                    continue
                offset = k - int(wanted[c][b])
                values[k] = lo if offset < equal else inside[offset - equal]
        result[c] = (counts[c], values)
    return result


def _np_indexes(n: int, qs: Any) -> tuple[Any, Any, Any]:
    """numpy's linear-quantile indexes and weights for ``n`` values (its _get_indexes and
    _get_gamma, the same operations in the same order)."""
    import numpy as np

    virtual = (n - 1) * np.asarray(qs, dtype=np.float64)
    previous = np.floor(virtual)
    following = previous + 1
    above = virtual >= n - 1
    previous[above] = -1
    following[above] = -1
    previous_i, following_i = previous.astype(np.intp), following.astype(np.intp)
    gamma = np.asanyarray(np.asanyarray(virtual - previous_i), dtype=virtual.dtype)
    return previous_i % n, following_i % n, gamma


def _np_quantile(a: Any, b: Any, gamma: Any) -> Any:
    """numpy's _lerp: the interpolation ``np.quantile`` does between ``a`` and ``b``."""
    import numpy as np

    with np.errstate(invalid="ignore"):  # inf - inf is NaN, as in numpy's quantile
        diff_b_a = b - a
        out = np.add(a, diff_b_a * gamma)
        np.subtract(b, diff_b_a * (1 - gamma), out=out, where=gamma >= 0.5,
                    casting="unsafe", dtype=type(out.dtype))
    return out


def exact_quantiles(data: Any, cols: list[str], qs: tuple[float, ...]
                    ) -> dict[str, list[float]]:
    """Per column of the Dask DataFrame ``data``: ``np.quantile`` of its non-NaN values at
    ``qs`` (default linear method), bit for bit; ``-inf``/``inf`` for the lower/upper
    half of ``qs`` on a column with no values, as :class:`.Clip` does."""
    import numpy as np

    def ranks(n: int) -> list[int]:
        previous, following, _ = _np_indexes(n, qs)
        return [int(i) for i in previous] + [int(i) for i in following]

    out: dict[str, list[float]] = {}
    for c, (n, values) in _order_statistics(data, cols, ranks).items():
        if not n:
            out[c] = [-np.inf if i == 0 else np.inf for i in range(len(qs))]
            continue
        previous, following, gamma = _np_indexes(n, qs)
        a = np.asarray([values[int(i)] for i in previous], dtype=np.float64)
        b = np.asarray([values[int(i)] for i in following], dtype=np.float64)
        out[c] = list(_np_quantile(a, b, gamma))
    return out


def exact_median(data: Any, cols: list[str]) -> dict[str, float]:
    """Per column: ``float(np.median(...))`` of its non-NaN values, bit for bit (0.0 for
    a column with no values, as :class:`.Impute` does)."""
    import numpy as np

    def ranks(n: int) -> list[int]:
        return [n // 2 - 1, n // 2] if n % 2 == 0 else [n // 2]

    out: dict[str, float] = {}
    for c, (n, values) in _order_statistics(data, cols, ranks).items():
        # np.median is the mean of the middle one or two values: the same mean here
        out[c] = float(np.mean(np.asarray([values[k] for k in ranks(n)], dtype=np.float64))
                       ) if n else 0.0
    return out
