"""Batch scoring writes through a fresh, exclusively created temporary file: a symlink
planted beside the output never redirects the data (REST confines only the output)."""

from __future__ import annotations

import os
import stat

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.jobs.scoring import score
from jupyter_bighead.registry import Registry


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    import lightgbm as lgb

    root = tmp_path_factory.mktemp("reg")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = (X.a + X.b > 0).astype(int)
    model = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y)
    reg = Registry(f"sqlite:///{root / 'registry.db'}", artifacts=root / "artifacts")
    reg.register("tiny", model, X_valid=X, y_valid=y)
    return reg, model, X


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_symlink_at_the_old_temporary_name_is_never_followed(small_model, tmp_path, suffix):
    reg, model, X = small_model
    X.to_csv(tmp_path / "in.csv", index=False)
    outside = tmp_path / "outside"
    outside.mkdir()
    scores = tmp_path / "root" / "scores"
    scores.mkdir(parents=True)
    # Every name the temporary file ever had: the fixed one and a guessable pattern.
    os.symlink(outside / "escaped", scores / f".pred.{suffix}.partial")
    result = score("tiny", tmp_path / "in.csv", scores / f"pred.{suffix}", registry=reg,
                   chunk_size=100)
    target = scores / f"pred.{suffix}"
    assert not target.is_symlink() and stat.S_ISREG(target.lstat().st_mode)
    assert list(outside.iterdir()) == []
    out = pd.read_csv(target) if suffix == "csv" else pd.read_parquet(target)
    np.testing.assert_allclose(out.prediction.to_numpy(), model.predict_proba(X)[:, 1])
    assert result.rows == len(X)
    leftovers = {p.name for p in scores.iterdir()}
    assert leftovers == {f"pred.{suffix}", f".pred.{suffix}.partial"}  # the planted link only


def test_a_failed_run_leaves_no_temporary_file(small_model, tmp_path):
    reg, _model, X = small_model
    X[["a"]].to_csv(tmp_path / "in.csv", index=False)  # lacks column b
    (tmp_path / "out").mkdir()
    with pytest.raises(InvalidSpec, match="lacks the model's columns"):
        score("tiny", tmp_path / "in.csv", tmp_path / "out" / "pred.csv", registry=reg)
    assert list((tmp_path / "out").iterdir()) == []


def test_an_empty_input_still_gives_a_well_formed_output(small_model, tmp_path):
    reg, _model, _X = small_model
    _X.iloc[:0].to_parquet(tmp_path / "in.parquet")
    for suffix in ("csv", "parquet"):
        result = score("tiny", tmp_path / "in.parquet", tmp_path / f"out.{suffix}", registry=reg)
        assert result.rows == 0
        out = (pd.read_csv if suffix == "csv" else pd.read_parquet)(tmp_path / f"out.{suffix}")
        assert list(out.columns) == ["prediction"] and len(out) == 0
