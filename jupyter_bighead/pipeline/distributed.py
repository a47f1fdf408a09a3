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

from collections.abc import Mapping
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
               "tie rule): exact; 'mean': exact up to summation order; 'median' is "
               "refused (Dask's quantiles are approximate)"),
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
               if type(s).__name__ not in BLOCK_STATISTICS
               or (type(s).__name__ == "Impute" and getattr(s, "strategy", "") == "median")]
    if unknown:
        raise InvalidSpec(f"fit_pipeline cannot fit {sorted(set(unknown))} on Dask yet "
                          f"(Impute(strategy='median') and Clip need exact quantiles); "
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
