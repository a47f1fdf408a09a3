"""A job never moves a protected alias (``production``) unless it asks explicitly."""

from __future__ import annotations

import pytest

from jupyter_bighead.errors import Forbidden
from jupyter_bighead.registry import Registry
from jupyter_bighead.registry.protect import JOB_ID_ENV, PROTECTED_ENV, ProtectedAliasWarning


@pytest.fixture
def registry(tmp_path, monkeypatch):
    monkeypatch.delenv(JOB_ID_ENV, raising=False)
    monkeypatch.delenv(PROTECTED_ENV, raising=False)
    reg = Registry(tmp_path / "reg")
    yield reg
    reg.close()


def test_a_person_registering_with_an_alias_moves_it(registry, classifier):
    first = registry.register("m", classifier, alias="production")
    second = registry.register("m", classifier, alias="production")
    assert registry.aliases("m") == {"production": second.version}
    assert first.version == 1 and second.version == 2


def test_a_job_registers_the_version_but_leaves_production_and_warns(
        registry, classifier, monkeypatch):
    registry.register("m", classifier, alias="production")
    monkeypatch.setenv(JOB_ID_ENV, "job-123456")
    with pytest.warns(ProtectedAliasWarning, match="'production' of 'm' is protected"):
        mv = registry.register("m", classifier, alias="production")
    assert mv.version == 2 and registry.get("m", 2).lineage["job_id"] == "job-123456"
    assert registry.aliases("m") == {"production": 1}
    registry.register("m", classifier, alias="candidate")  # not protected: moves
    assert registry.aliases("m") == {"production": 1, "candidate": 3}


def test_a_job_moves_production_when_it_asks_explicitly(registry, classifier, monkeypatch):
    registry.register("m", classifier, alias="production")
    monkeypatch.setenv(JOB_ID_ENV, "job-123456")
    registry.register("m", classifier, alias="production", force_protected=True)
    assert registry.aliases("m") == {"production": 2}
    registry.set_alias("m", "production", 1, force_protected=True)
    assert registry.aliases("m") == {"production": 1}


def test_set_delete_and_rollback_of_production_are_refused_in_a_job(
        registry, classifier, monkeypatch):
    registry.register("m", classifier, alias="production")
    registry.register("m", classifier, alias="production")
    monkeypatch.setenv(JOB_ID_ENV, "job-123456")
    with pytest.raises(Forbidden, match="force_protected=True"):
        registry.set_alias("m", "production", 1)
    with pytest.raises(Forbidden):
        registry.delete_alias("m", "production")
    with pytest.raises(Forbidden):
        registry.rollback("m", "production")
    assert registry.aliases("m") == {"production": 2}
    assert registry.alias_history("m", "production").total == 2  # nothing was recorded


def test_the_protected_aliases_are_configurable(registry, classifier, monkeypatch):
    registry.register("m", classifier)
    monkeypatch.setenv(JOB_ID_ENV, "job-123456")
    monkeypatch.setenv(PROTECTED_ENV, "champion, production")
    with pytest.raises(Forbidden, match="champion"):
        registry.set_alias("m", "champion", 1)
    monkeypatch.setenv(PROTECTED_ENV, "")
    registry.set_alias("m", "production", 1)
    assert registry.aliases("m") == {"production": 1}


def test_running_a_notebook_as_a_job_does_not_move_production(tmp_path, monkeypatch,
                                                               classifier):
    """The real path: the local executor's worker runs the notebook in a kernel."""
    from jupyter_bighead.config import BigheadHome
    from jupyter_bighead.jobs import JobSpec
    from jupyter_bighead.jobs.local import LocalExecutor

    from ..notebooks.helpers import code, write_nb

    monkeypatch.delenv(JOB_ID_ENV, raising=False)
    monkeypatch.delenv(PROTECTED_ENV, raising=False)
    home = BigheadHome(tmp_path / "home").ensure()
    register = code(
        "import warnings\n"
        "import lightgbm as lgb, numpy as np\n"
        "from jupyter_bighead.registry import Registry\n"
        f"reg = Registry({str(home.registry_uri)!r}, artifacts={str(home.artifacts)!r})\n"
        "X = np.random.default_rng(0).normal(size=(200, 3)); y = (X[:, 0] > 0).astype(int)\n"
        "model = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y)\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    mv = reg.register('m', model, alias='production')\n"
        "print('WARNED', [str(w.message) for w in caught])\n"
        "print('REGISTERED', mv.version)")
    nb = write_nb(tmp_path / "train.ipynb", [register])
    reg = Registry(home.registry_uri, artifacts=home.artifacts)
    try:
        reg.register("m", classifier, alias="production")  # a person promoted v1
        ex = LocalExecutor(home=home)
        done = ex.wait(ex.submit(JobSpec(notebook=str(nb))).id, 240)
        assert done.state == "succeeded", done.error
        assert reg.aliases("m") == {"production": 1}  # the job registered v2, moved nothing
        assert reg.get("m", 2).lineage["job_id"] == done.id
        log = "".join(ex.logs(done.id))
        assert "REGISTERED 2" in log and "'production' of 'm' is protected" in log
    finally:
        reg.close()
