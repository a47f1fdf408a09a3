"""Exact quantiles on Dask: Clip and median Impute fitted on a Dask DataFrame learn the
single-machine statistics bit for bit (numpy's order statistics and interpolation), on
data with NaN, ties, infinities, empty and all-NaN partitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.pipeline import Clip, Impute, Pipeline, Standardize
from jupyter_bighead.pipeline import distributed as dist
from jupyter_bighead.pipeline.distributed import (
    BLOCK_STATISTICS,
    _np_indexes,
    _np_quantile,
    _refit_statistics,
    exact_median,
    exact_quantiles,
)

from ..dask_cluster import shared_client

QS = (0.0, 0.01, 0.1, 0.25, 0.3, 0.5, 0.7, 0.75, 0.9, 0.99, 1.0, 1 / 3, 2 / 3)


def bits(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).view(np.int64)


def as_dask(frame: pd.DataFrame, partitions: int):
    import dask.dataframe as dd

    return dd.from_pandas(frame, npartitions=partitions, sort=False)


def messy(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Columns with NaN, heavy ties, infinities, huge and tiny magnitudes."""
    wide = rng.lognormal(0, 4, n) * rng.choice([-1.0, 1.0], n)
    ties = rng.integers(-3, 4, n).astype(np.float64)
    ties[rng.random(n) < 0.2] = np.nan
    spiky = rng.normal(size=n)
    spiky[rng.random(n) < 0.05] = np.inf
    spiky[rng.random(n) < 0.05] = -np.inf
    spiky[rng.random(n) < 0.3] = np.nan
    ints = rng.integers(0, 1_000, n)  # an int column, read as float
    one = np.full(n, np.nan)
    one[rng.integers(0, n)] = 7.25  # a single value in all the rows
    return pd.DataFrame({"wide": wide, "ties": ties, "spiky": spiky, "ints": ints,
                         "one": one, "none": np.full(n, np.nan)})


def test_numpy_interpolation_is_reproduced_for_every_size_and_quantile():
    rng = np.random.default_rng(0)
    for n in [1, 2, 3, 4, 5, 7, 10, 99, 100, 101, 1000, 12345]:
        x = np.sort(rng.normal(size=n) * 10.0 ** rng.integers(-5, 5, n))
        qs = np.concatenate([QS, rng.random(20)])
        previous, following, gamma = _np_indexes(n, qs)
        ours = _np_quantile(x[previous], x[following], gamma)
        assert bits(ours).tolist() == bits(np.quantile(x, qs)).tolist(), n


@pytest.mark.parametrize("seed", range(6))
def test_exact_quantiles_and_median_equal_numpy_bit_for_bit(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 5_000))
    frame = messy(rng, n)
    monkeypatch.setattr(dist, "SAMPLES", int(rng.choice([2, 3, 16, 1024])))  # tiny brackets too
    ddf = as_dask(frame, int(rng.integers(1, 17)))
    cols = list(frame.columns)
    qs = tuple(float(q) for q in rng.choice(QS, size=4))
    got = exact_quantiles(ddf, cols, qs)
    med = exact_median(ddf, cols)
    for c in cols:
        x = frame[c].to_numpy(dtype=np.float64)
        x = x[~np.isnan(x)]
        if x.size:
            assert bits(got[c]).tolist() == bits(np.quantile(x, qs)).tolist(), (c, qs)
            assert bits([med[c]]).tolist() == bits([float(np.median(x))]).tolist(), c
        else:
            assert got[c] == [-np.inf if i == 0 else np.inf for i in range(len(qs))]
            assert med[c] == 0.0


def test_empty_partitions_and_a_single_row_are_handled():
    frame = pd.DataFrame({"a": [np.nan, 2.0, np.nan, np.nan, -1.0, 2.0, np.nan]})
    ddf = as_dask(frame, 7).repartition(npartitions=7)
    ddf = ddf[ddf.a != 99.0]  # keeps partitions, some now without non-NaN values
    x = np.array([2.0, -1.0, 2.0])
    assert bits(exact_quantiles(ddf, ["a"], (0.01, 0.99))["a"]).tolist() == bits(
        np.quantile(x, [0.01, 0.99])).tolist()
    assert exact_median(ddf, ["a"]) == {"a": 2.0}
    single = as_dask(pd.DataFrame({"a": [5.5]}), 1)
    assert exact_median(single, ["a"]) == {"a": 5.5}
    assert exact_quantiles(single, ["a"], (0.0, 0.5, 1.0)) == {"a": [5.5, 5.5, 5.5]}


def test_block_statistics_say_exact_for_clip_and_median():
    assert BLOCK_STATISTICS["Clip"].startswith("exact")
    assert "'median': exact" in BLOCK_STATISTICS["Impute"]


@pytest.mark.parametrize("seed", range(3))
def test_clip_and_median_impute_fitted_on_dask_equal_the_single_machine_fit(seed):
    rng = np.random.default_rng(100 + seed)
    frame = messy(rng, 20_000).drop(columns=["spiky"])  # Standardize needs finite values
    cols = list(frame.columns)
    blocks = [Impute(columns=cols, strategy="median"), Clip(columns=cols, lower=0.02,
                                                            upper=0.97), Standardize()]
    single = Pipeline([type(b)(**b.get_params()) for b in blocks]).fit(frame)
    # the Dask path: each block fitted on the first partition, then refitted over all
    # rows on its own input (the previous blocks' output), as fit_pipeline does
    ddf = as_dask(frame, 7)
    spread = Pipeline(blocks).fit(ddf.get_partition(0).compute())
    data = ddf
    for step in spread.steps:
        _refit_statistics(step, data, np)
        data = data.map_partitions(dist._transform_with(step), meta=dist._meta(step, data))
    assert bits(spread.steps[0].statistics_).tolist() == bits(
        single.steps[0].statistics_).tolist()
    assert bits(spread.steps[1].lower_).tolist() == bits(single.steps[1].lower_).tolist()
    assert bits(spread.steps[1].upper_).tolist() == bits(single.steps[1].upper_).tolist()
    # the first partition alone would not have given the same statistics
    assert not np.array_equal(Pipeline([Clip(columns=["wide"])]).fit(
        frame.iloc[: len(frame) // 7]).steps[0].lower_, single.steps[1].lower_[:1])
    pd.testing.assert_frame_equal(spread.transform(frame), single.transform(frame),
                                  rtol=1e-12)


def test_fit_pipeline_with_clip_and_median_impute_trains_on_a_local_cluster():
    import lightgbm as lgb

    rng = np.random.default_rng(5)
    frame = messy(rng, 4_000)[["wide", "ties", "ints"]]
    label = pd.Series((rng.random(len(frame)) < 0.4).astype(np.int64), name="label")
    ddf = as_dask(frame.assign(label=label), 4)
    pipe = Pipeline([Impute(strategy="median"), Clip()],
                    learner=lgb.LGBMClassifier(n_estimators=5, verbose=-1))
    fitted = dist.fit_pipeline(pipe, ddf[list(frame.columns)], ddf.label,
                               cluster=shared_client())
    single = Pipeline([Impute(strategy="median"), Clip()]).fit(frame)
    assert bits(fitted.steps[0].statistics_).tolist() == bits(
        single.steps[0].statistics_).tolist()
    assert bits(fitted.steps[1].upper_).tolist() == bits(single.steps[1].upper_).tolist()
    assert fitted.predict_proba(frame.head(3)).shape == (3, 2)
