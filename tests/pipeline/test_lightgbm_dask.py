"""Training on a Dask cluster: lightgbm.dask's model is as good as single-machine
training on the same rows, and it (or a pipeline fitted on a Dask DataFrame) is an
ordinary model that registers and scores like any other."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.jobs.scoring import score
from jupyter_bighead.pipeline import (
    CategoryEncode,
    DateParts,
    Impute,
    Log1p,
    MinMaxScale,
    Pipeline,
    Standardize,
)
from jupyter_bighead.pipeline.distributed import fit_lightgbm, fit_pipeline
from jupyter_bighead.registry import Registry

from ..dask_cluster import shared_client

FEATURES = [f"f{i}" for i in range(6)]
PARAMS = {"n_estimators": 30, "num_leaves": 15, "learning_rate": 0.1, "verbose": -1}


def synthetic(n: int, seed: int) -> pd.DataFrame:
    """Six features, four with signal (one non-linear), two of noise."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({name: rng.normal(size=n) for name in FEATURES})
    X["f4"] = np.abs(X.f4) * 50  # a skewed, scaled column for the blocks
    logit = 1.2 * X.f0 - 0.8 * X.f1 + np.sin(2 * X.f2) + 0.02 * X.f4 - 1.0
    X["label"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return X


@pytest.fixture(scope="module")
def data():
    return synthetic(40_000, seed=11), synthetic(10_000, seed=12)


@pytest.fixture(scope="module")
def client():
    return shared_client()


def as_dask(frame: pd.DataFrame, partitions: int = 4):
    import dask.dataframe as dd

    return dd.from_pandas(frame, npartitions=partitions)


def test_lightgbm_dask_auc_is_within_0_01_of_single_machine(client, data, tmp_path):
    import lightgbm as lgb

    train, test = data
    started = time.perf_counter()
    single = lgb.LGBMClassifier(**PARAMS).fit(train[FEATURES], train.label)
    single_s = time.perf_counter() - started
    ddf = as_dask(train)
    started = time.perf_counter()
    model = fit_lightgbm(ddf[FEATURES], ddf.label, cluster=client, **PARAMS)
    dask_s = time.perf_counter() - started
    assert type(model) is lgb.LGBMClassifier  # to_local(): an ordinary model
    auc_single = roc_auc_score(test.label, single.predict_proba(test[FEATURES])[:, 1])
    auc_dask = roc_auc_score(test.label, model.predict_proba(test[FEATURES])[:, 1])
    print(f"AUC single {auc_single:.4f} ({single_s:.1f} s), "
          f"lightgbm.dask {auc_dask:.4f} ({dask_s:.1f} s)")
    assert auc_single > 0.75  # the data has signal
    assert abs(auc_dask - auc_single) < 0.01

    # It registers and scores like any other model.
    reg = Registry(f"sqlite:///{tmp_path / 'registry.db'}", artifacts=tmp_path / "artifacts")
    reg.register("distributed", model, X_valid=test[FEATURES], y_valid=test.label)
    test.to_parquet(tmp_path / "test.parquet", row_group_size=2500)
    score("distributed", tmp_path / "test.parquet", tmp_path / "scored", registry=reg,
          cluster=client)
    scored = pd.read_parquet(tmp_path / "scored")
    np.testing.assert_array_equal(scored.prediction.to_numpy(),
                                  model.predict_proba(test[FEATURES])[:, 1])


def test_a_pipeline_fitted_on_a_dask_dataframe_matches_single_machine(client, data, tmp_path):
    import lightgbm as lgb

    train, test = data

    def pipeline() -> Pipeline:
        return Pipeline([Log1p(columns=["f4"]), Standardize(columns=["f0", "f1", "f4"]),
                         MinMaxScale(columns=["f2", "f3"])],
                        learner=lgb.LGBMClassifier(**PARAMS))

    single = pipeline().fit(train[FEATURES], train.label)
    ddf = as_dask(train, partitions=5)
    spread = fit_pipeline(pipeline(), ddf[FEATURES], ddf.label, cluster=client)
    # Statistics over all rows, not the first partition's: exact or to summation order.
    std_d, std_s = spread.steps[1], single.steps[1]
    np.testing.assert_allclose(std_d.mean_, std_s.mean_, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(std_d.scale_, std_s.scale_, rtol=1e-12)
    np.testing.assert_array_equal(spread.steps[2].min_, single.steps[2].min_)
    np.testing.assert_array_equal(spread.steps[2].scale_, single.steps[2].scale_)
    first = train.iloc[:len(ddf.get_partition(0))]  # what the blocks were first fitted on
    head = first[["f0", "f1"]].assign(f4=np.log1p(first.f4))
    assert not np.allclose(std_d.mean_, head.mean().to_numpy(), rtol=1e-6)
    auc = {name: roc_auc_score(test.label, p.predict_proba(test[FEATURES])[:, 1])
           for name, p in (("single", single), ("dask", spread))}
    print(f"pipeline AUC {auc}")
    assert abs(auc["dask"] - auc["single"]) < 0.01

    reg = Registry(f"sqlite:///{tmp_path / 'registry.db'}", artifacts=tmp_path / "artifacts")
    reg.register("piped", spread, X_valid=test[FEATURES], y_valid=test.label)
    test[FEATURES].to_parquet(tmp_path / "test.parquet")
    score("piped", tmp_path / "test.parquet", tmp_path / "scored.parquet", registry=reg,
          cluster="none")
    np.testing.assert_array_equal(pd.read_parquet(tmp_path / "scored.parquet").prediction,
                                  spread.predict_proba(test[FEATURES])[:, 1])


def with_text_and_dates(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = frame.copy()
    out.loc[rng.random(len(out)) < 0.1, "f0"] = np.nan
    # A rare category that the first partition may not see; nulls; ties are unlikely.
    city = rng.choice(["ams", "ber", "cph", "dub", "zrh"], p=[.4, .3, .2, .09, .01],
                      size=len(out)).astype(object)
    city[rng.random(len(out)) < 0.05] = None
    city[city == "zrh"] = "ams"
    city[-3:] = "zrh"  # rare, and only at the end (not in the first partition)
    out["city"] = city
    out["when"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(
        rng.integers(0, 365 * 24, size=len(out)), unit="h")
    return out


def test_impute_categories_and_dates_fit_on_dask_as_on_one_machine(client, data):
    import lightgbm as lgb

    train = with_text_and_dates(data[0].head(12_000), seed=3)
    test = with_text_and_dates(data[1].head(2000), seed=4)
    cols = [*FEATURES, "city", "when"]

    def pipeline() -> Pipeline:
        return Pipeline([Impute(columns=["f0"]),
                         Impute(columns=["city"], strategy="most_frequent"),
                         Impute(columns=["f1"], strategy="constant", fill_value=-1.0),
                         CategoryEncode(columns=["city"]),
                         DateParts(columns=["when"], parts=("month", "dayofweek", "hour"))],
                        learner=lgb.LGBMClassifier(n_estimators=5, verbose=-1))

    single = pipeline().fit(train[cols], train.label)
    ddf = as_dask(train, partitions=6)
    spread = fit_pipeline(pipeline(), ddf[cols], ddf.label, cluster=client)
    np.testing.assert_allclose(spread.steps[0].statistics_, single.steps[0].statistics_,
                               rtol=1e-12)
    assert list(spread.steps[1].statistics_) == list(single.steps[1].statistics_) == ["ams"]
    assert spread.steps[3].categories_ == single.steps[3].categories_
    assert "zrh" in spread.steps[3].categories_["city"]  # seen in a later partition only
    assert "zrh" not in set(ddf.get_partition(0).compute().city.dropna())
    pd.testing.assert_frame_equal(spread.transform(test[cols]), single.transform(test[cols]),
                                  rtol=1e-12)


def test_a_block_without_dask_statistics_is_refused(data):
    import lightgbm as lgb

    class Custom(Log1p):  # a user's block: no Dask recipe for its statistics
        pass

    train, _test = data
    ddf = as_dask(train.head(100), partitions=2)
    with pytest.raises(InvalidSpec, match="Custom"):
        fit_pipeline(Pipeline([Custom(columns=["f0"])], learner=lgb.LGBMClassifier()),
                     ddf[FEATURES], ddf.label, cluster="none")
