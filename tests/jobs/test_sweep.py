"""Sweeps: 4 trials fan out, the best metric wins, its registered model gets the alias."""

from __future__ import annotations

import pytest

from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.jobs import JobSpec, sweep
from jupyter_bighead.jobs.sweep import trial_parameters
from jupyter_bighead.registry import Registry

from ..notebooks.helpers import code, write_nb
from .conftest import make_local

TRIAL = """\
import numpy as np
import pandas as pd
import lightgbm as lgb
import jupyter_bighead as bh

rng = np.random.default_rng(0)
X = pd.DataFrame(rng.normal(size=(300, 2)), columns=['a', 'b'])
y = (X.a > 0).astype(int)
model = lgb.LGBMClassifier(n_estimators=5, learning_rate=lr, verbose=-1).fit(X, y)
score = -(lr - 0.3) ** 2          # a known optimum at lr = 0.3
bh.log_metric('score', score)
bh.register('sweep_model', model, X_valid=X, y_valid=y, params={'lr': lr})
"""


def test_a_four_trial_grid_sweep_picks_and_registers_the_best_model(tmp_path, monkeypatch):
    ex = make_local(tmp_path, max_concurrent=2)
    monkeypatch.setenv("BIGHEAD_HOME", str(ex.home.root))
    nb = write_nb(tmp_path / "trial.ipynb", [code("lr = 0.1", "parameters"), code(TRIAL)])
    reg = Registry(ex.home.registry_uri, artifacts=ex.home.artifacts)
    result = sweep(JobSpec(notebook=str(nb)), {"lr": [0.1, 0.3, 0.5, 0.7]}, strategy="grid",
                   max_parallel=2, metric="score", mode="max", executor=ex,
                   model="sweep_model", registry=reg)
    assert len(result.trials) == 4 and all(t.state == "succeeded" for t in result.trials)
    assert result.best is not None and result.best.parameters == {"lr": 0.3}
    assert result.registered is not None and result.registered.params["lr"] == 0.3
    assert reg.get("sweep_model", alias="best").version == result.registered.version
    assert reg.versions("sweep_model").total == 4
    table = result.table()
    assert table.lr.iloc[0] == 0.3 and bool(table.best.iloc[0])
    assert "<table" in result._repr_html_()


def test_trial_parameters_grid_and_random():
    assert trial_parameters({"a": [1, 2], "b": ["x"]}, "grid", None) == [
        {"a": 1, "b": "x"}, {"a": 2, "b": "x"}]
    draws = trial_parameters({"lr": (0.01, 0.1), "leaves": (8, 64), "k": ["gbdt"]}, "random",
                             5, seed=3)
    assert len(draws) == 5
    assert all(0.01 <= d["lr"] <= 0.1 and isinstance(d["leaves"], int) for d in draws)
    assert draws == trial_parameters({"lr": (0.01, 0.1), "leaves": (8, 64), "k": ["gbdt"]},
                                     "random", 5, seed=3)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"space": {}}, "empty"),
        ({"space": {"lr": 0.1}}, "non-empty list"),
        ({"space": {"lr": [0.1]}, "strategy": "bayes"}, "strategy"),
        ({"space": {"lr": [0.1]}, "strategy": "random"}, "n >= 1"),
        ({"space": {"lr": [0.1]}, "mode": "up"}, "mode"),
        ({"space": {"lr": [0.1]}, "max_parallel": 0}, "max_parallel"),
    ],
)
def test_bad_sweeps_are_refused_before_any_job_runs(tmp_path, kwargs, match):
    ex = make_local(tmp_path)
    with pytest.raises(InvalidSpec, match=match):
        sweep(JobSpec(notebook=str(tmp_path / "nb.ipynb")), executor=ex, **kwargs)
    assert ex.list() == []
