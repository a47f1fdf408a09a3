"""Per-user quotas: defaults, overrides, and their checks at job submit (Python API)."""

from __future__ import annotations

import pytest

from jupyter_bighead.admin import AdminSettings, Quota, QuotaExceeded
from jupyter_bighead.config import BigheadHome
from jupyter_bighead.errors import Forbidden, InvalidSpec
from jupyter_bighead.jobs import JobSpec

from ..notebooks.helpers import code, write_nb


def test_an_override_takes_the_default_where_it_sets_nothing(tmp_path):
    settings = AdminSettings.open(tmp_path)
    settings.put_quota("*", {"max_running_jobs": 2, "max_gpus": 1}, user="admin")
    settings.put_quota("ada", {"max_gpus": 4}, user="admin")
    assert settings.quota_for("ada") == Quota(max_running_jobs=2, max_gpus=4)
    assert settings.quota_for("bob") == Quota(max_running_jobs=2, max_gpus=1)
    settings.put_quota("ada", {"max_gpus": None}, user="admin")  # all null: removed
    assert "ada" not in settings.quotas()


@pytest.mark.parametrize(("who", "spec", "words"), [
    ("ada", {"max_gpus": -1}, "max_gpus"),
    ("ada", {"max_gpus": "2"}, "max_gpus"),
    ("ada", {"max_gpus": True}, "max_gpus"),
    ("ada", {"max_gpus": 10**9}, "max_gpus"),
    ("ada", {"max_cats": 1}, "unknown keys"),
    ("ada", [1], "JSON object"),
    ("../x", {"max_gpus": 1}, "user name"),
    ("", {"max_gpus": 1}, "user name"),
])
def test_a_bad_quota_is_refused(tmp_path, who, spec, words):
    settings = AdminSettings.open(tmp_path)
    with pytest.raises(InvalidSpec, match=words):
        settings.put_quota(who, spec, user="admin")
    assert settings.quotas() == {}


@pytest.fixture
def slow_nb(tmp_path):
    path = tmp_path / "nbs" / "slow.ipynb"
    write_nb(path, [code("import time\ntime.sleep(120)")])
    return path


def _executor(tmp_path):
    from jupyter_bighead.jobs.local import LocalExecutor

    return LocalExecutor(home=BigheadHome(tmp_path / "home"), max_concurrent=4,
                         gpus=["GPU-a", "GPU-b"])


def test_the_python_api_refuses_a_job_over_the_running_jobs_quota_naming_the_usage(
        tmp_path, slow_nb):
    ex = _executor(tmp_path)
    ex.admin.put_quota("ada", {"max_running_jobs": 1}, user="admin")
    first = ex.submit(JobSpec(notebook=str(slow_nb)), user="ada")
    try:
        with pytest.raises(QuotaExceeded) as refused:
            ex.submit(JobSpec(notebook=str(slow_nb)), user="ada")
        assert isinstance(refused.value, Forbidden)
        assert "max_running_jobs for ada is 1" in refused.value.message
        assert refused.value.details == {"quota": "max_running_jobs", "limit": 1, "usage": 1,
                                         "requested": 1, "user": "ada"}
        other = ex.submit(JobSpec(notebook=str(slow_nb)), user="bob")  # bob: no quota
        ex.cancel(other.id)
        ex.cancel(first.id)
        again = ex.submit(JobSpec(notebook=str(slow_nb)), user="ada")  # room again
        ex.cancel(again.id)
    finally:
        for r in ex.list(limit=100):
            if not r.final:
                ex.cancel(r.id)
        ex.close()


def test_a_profile_an_admin_adds_is_usable_by_a_running_executor_and_gpus_count(
        tmp_path, slow_nb):
    ex = _executor(tmp_path)
    admin = AdminSettings(tmp_path / "home")  # another process's view of the same home
    try:
        with pytest.raises(InvalidSpec, match="unknown compute profile 'gpu'"):
            ex.submit(JobSpec(notebook=str(slow_nb), profile="gpu"), user="ada")
        admin.put_profile("gpu", {"cpu": "1", "memory": "2Gi", "gpu": 1}, user="admin")
        admin.put_quota("*", {"max_gpus": 1}, user="admin")
        held = ex.submit(JobSpec(notebook=str(slow_nb), profile="gpu"), user="ada")
        with pytest.raises(QuotaExceeded, match="max_gpus for ada is 1") as refused:
            ex.submit(JobSpec(notebook=str(slow_nb), profile="gpu"), user="ada")
        assert refused.value.details["usage"] == 1
        cpu = ex.submit(JobSpec(notebook=str(slow_nb)), user="ada")  # no GPU: fine
        ex.cancel(cpu.id)
        ex.cancel(held.id)
    finally:
        for r in ex.list(limit=100):
            if not r.final:
                ex.cancel(r.id)
        ex.close()


def test_a_sweep_runs_within_the_users_running_jobs_quota_instead_of_failing(tmp_path):
    from jupyter_bighead.identity import current_user
    from jupyter_bighead.jobs import sweep

    nb = tmp_path / "nbs" / "trial.ipynb"
    write_nb(nb, [code("lr = 0.1", "parameters"),
                  code("from jupyter_bighead.jobs import log_metric\nlog_metric('score', lr)")])
    ex = _executor(tmp_path)
    ex.admin.put_quota(current_user(), {"max_running_jobs": 1}, user="admin")
    try:
        result = sweep(JobSpec(notebook=str(nb)), {"lr": [0.1, 0.5, 0.3]}, strategy="grid",
                       max_parallel=3, executor=ex)
        assert [t.state for t in result.trials] == ["succeeded"] * 3
        assert result.best is not None and result.best.parameters == {"lr": 0.5}
        ex.admin.put_quota(current_user(), {"max_running_jobs": 0}, user="admin")
        with pytest.raises(QuotaExceeded):  # nothing may run at all: said at once
            sweep(JobSpec(notebook=str(nb)), {"lr": [0.1]}, executor=ex)
    finally:
        ex.close()
