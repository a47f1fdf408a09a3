"""A real registry with a small LightGBM model registered twice from a notebook, a
review store beside it, and a team's role mapping."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import nbformat
import numpy as np
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_bighead.registry import Registry
from jupyter_bighead.registry.lineage import SESSION_ENV
from jupyter_bighead.registry.protect import JOB_ID_ENV, PROTECTED_ENV
from jupyter_bighead.reviews import ReviewStore
from jupyter_bighead.roles import RoleMap

TEAM = {
    "*": "viewer",
    "group:data-science": "data_scientist",
    "group:reviewers": "reviewer",
    "user:adam": "admin",
}
DS = ("data-science",)
REV = ("reviewers",)


def write_notebook(path: Path, *sources: str) -> Path:
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@dataclass
class World:
    reg: Registry
    store: ReviewStore
    roles: RoleMap
    notebook: Path
    X: pd.DataFrame
    y: np.ndarray
    model: lgb.LGBMClassifier


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.delenv(JOB_ID_ENV, raising=False)
    monkeypatch.delenv(SESSION_ENV, raising=False)
    monkeypatch.delenv(PROTECTED_ENV, raising=False)
    monkeypatch.setenv("BIGHEAD_HOME", str(tmp_path / "home"))
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    y = (X["a"] > 0).astype(int).to_numpy()
    model = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y)
    nb = write_notebook(tmp_path / "work" / "train.ipynb",
                        "import lightgbm as lgb", "model = lgb.LGBMClassifier(n_estimators=5)")
    reg = Registry(tmp_path / "reg")
    reg.register("churn", model, X_valid=X, y_valid=y, notebook=nb, user="dana")
    reg.set_alias("churn", "production", 1, user="adam")
    write_notebook(nb, "import lightgbm as lgb",
                   "model = lgb.LGBMClassifier(n_estimators=50)  # more trees")
    reg.register("churn", model, X_valid=X, y_valid=y, notebook=nb, user="dana")
    yield World(reg, ReviewStore(tmp_path / "home" / "reviews"), RoleMap.from_config(TEAM),
                nb, X, y, model)
    reg.close()
