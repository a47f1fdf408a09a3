"""Model cards show the versions the notebook's own run registered."""

from __future__ import annotations

import json

import lightgbm as lgb
import numpy as np
import pytest

from jupyter_bighead.notebooks.cards import model_sections, stamp_job, versions_from_notebook
from jupyter_bighead.notebooks.report import report
from jupyter_bighead.registry import Registry
from jupyter_bighead.registry.lineage import SESSION_ENV
from jupyter_bighead.registry.protect import JOB_ID_ENV

from .helpers import code, write_nb


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.delenv(JOB_ID_ENV, raising=False)
    monkeypatch.delenv(SESSION_ENV, raising=False)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    model = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, (X[:, 0] > 0).astype(int))
    nb = write_nb(tmp_path / "train.ipynb", [code("mv = bh.register('m', model)")])
    reg = Registry(tmp_path / "reg")
    yield reg, model, nb
    reg.close()


def test_cards_ignore_versions_a_later_job_run_of_the_notebook_registered(world, monkeypatch):
    reg, model, nb = world
    reg.register("m", model, notebook=nb)  # the interactive run whose outputs say v1
    monkeypatch.setenv(JOB_ID_ENV, "job-a1b2c3")
    reg.register("m", model, notebook=nb)  # "Run remotely" later: v2, same source notebook
    monkeypatch.delenv(JOB_ID_ENV)
    assert [(mv.name, mv.version) for mv in versions_from_notebook(reg, nb)] == [("m", 1)]
    page = report(nb, sections=model_sections(nb, reg)).read_text("utf-8")
    assert "Model card: m v1" in page and "Model card: m v2" not in page


def test_a_jobs_executed_notebook_gets_the_cards_of_that_jobs_versions(world, monkeypatch):
    reg, model, nb = world
    reg.register("m", model, notebook=nb)
    for job in ("job-a1b2c3", "job-d4e5f6"):
        monkeypatch.setenv(JOB_ID_ENV, job)
        reg.register("m", model, notebook=nb)
    monkeypatch.delenv(JOB_ID_ENV)
    folder = nb.parent / "jobs" / "job-a1b2c3"
    folder.mkdir(parents=True)
    (folder / "spec.json").write_text(json.dumps({"notebook": str(nb)}))
    executed = folder / "executed.ipynb"
    executed.write_text(nb.read_text())
    assert [mv.version for mv in versions_from_notebook(reg, executed)] == [2]


def test_cards_prefer_the_labs_run_over_a_later_headless_run(world, monkeypatch):
    reg, model, nb = world
    monkeypatch.setenv(SESSION_ENV, str(nb))  # a kernel the lab started for this notebook
    reg.register("m", model)
    monkeypatch.delenv(SESSION_ENV)
    reg.register("m", model, notebook=nb)  # productionize --execute: papermill, no session
    reg.register("other", model, notebook=nb)  # only ever registered headless
    found = {mv.name: mv.version for mv in versions_from_notebook(reg, nb)}
    assert found == {"m": 1, "other": 1}


def test_a_copy_of_a_jobs_executed_notebook_stamped_with_the_job_gets_that_jobs_cards(
    world, monkeypatch
):
    reg, model, nb = world
    reg.register("m", model, notebook=nb)
    monkeypatch.setenv(JOB_ID_ENV, "job-a1b2c3")
    reg.register("m", model, notebook=nb)
    monkeypatch.delenv(JOB_ID_ENV)
    # The lab's "Open executed notebook": runs/<job-id>.ipynb, away from the job's folder.
    copy = nb.parent / "runs" / "job-a1b2c3.ipynb"
    copy.parent.mkdir()
    copy.write_text(json.dumps(stamp_job(json.loads(nb.read_text()), "job-a1b2c3")))
    assert [mv.version for mv in versions_from_notebook(reg, copy)] == [2]
    page = report(copy, sections=model_sections(copy, reg)).read_text("utf-8")
    assert "Model card: m v2" in page
    # Unstamped, the same copy is a notebook no run registered from.
    copy.write_text(nb.read_text())
    assert versions_from_notebook(reg, copy) == []
