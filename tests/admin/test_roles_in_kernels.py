"""Roles in the Python API for admin settings and jobs: under a team's ``$BIGHEAD_ROLES``
a kernel of a user without the role is refused, and nothing is stored."""

from __future__ import annotations

import json

import pytest

import jupyter_bighead.roles as roles
from jupyter_bighead.admin import AdminSettings
from jupyter_bighead.config import BigheadHome
from jupyter_bighead.jobs import JobSpec
from jupyter_bighead.roles import MissingRole

from ..notebooks.helpers import code, write_nb

TEAM = {"*": "viewer", "group:data-science": "data_scientist", "user:adam": "admin"}


@pytest.fixture
def team(monkeypatch):
    monkeypatch.setenv(roles.ROLES_ENV, json.dumps(TEAM))
    monkeypatch.setattr(roles, "_server_checks", False)

    def act_as(user: str, groups: str = "") -> None:
        monkeypatch.setenv("JUPYTERHUB_USER", user)
        monkeypatch.setenv(roles.GROUPS_ENV, groups)

    return act_as


def test_only_an_admins_kernel_changes_the_admin_settings(tmp_path, team):
    settings = AdminSettings.open(tmp_path)
    team("dana", "data-science")
    with pytest.raises(MissingRole, match="admin"):
        settings.put_profile("gpu", {"cpu": "1", "memory": "2Gi", "gpu": 1}, user="dana")
    with pytest.raises(MissingRole):
        settings.put_quota("dana", {"max_gpus": 99}, user="dana")
    assert settings.version == 1 and "gpu" not in settings.profiles()
    team("adam")
    from jupyter_bighead.errors import Forbidden

    with pytest.raises(Forbidden, match="adam may not act as 'ana'"):  # the audit's name
        settings.put_profile("gpu", {"cpu": "1", "memory": "2Gi", "gpu": 1}, user="ana")
    settings.put_profile("gpu", {"cpu": "1", "memory": "2Gi", "gpu": 1}, user="adam")
    assert "gpu" in settings.profiles()


def test_a_viewers_kernel_cannot_submit_a_job_and_nothing_is_stored(tmp_path, team):
    from jupyter_bighead.jobs.local import LocalExecutor

    write_nb(tmp_path / "nb.ipynb", [code("x = 1")])
    ex = LocalExecutor(home=BigheadHome(tmp_path / "home"))
    try:
        team("vera")
        with pytest.raises(MissingRole, match="submit a job"):
            ex.submit(JobSpec(notebook=str(tmp_path / "nb.ipynb")))
        with pytest.raises(MissingRole, match="schedule a job"):
            ex.schedule(JobSpec(notebook=str(tmp_path / "nb.ipynb"), schedule="0 3 * * *"))
        assert ex.list() == [] and ex.schedules() == []
    finally:
        ex.close()


def test_only_a_jobs_owner_or_an_admin_cancels_it_from_python(tmp_path, team):
    """The REST rule holds in a kernel too: another data scientist (or a viewer) may not
    cancel dana's job or delete her schedule, nor submit under her name."""
    from jupyter_bighead.errors import Forbidden
    from jupyter_bighead.jobs.local import LocalExecutor

    write_nb(tmp_path / "slow.ipynb", [code("import time\ntime.sleep(60)")])
    ex = LocalExecutor(home=BigheadHome(tmp_path / "home"))
    try:
        team("dana", "data-science")
        job = ex.submit(JobSpec(notebook=str(tmp_path / "slow.ipynb")))
        ex.schedule(JobSpec(notebook=str(tmp_path / "slow.ipynb"), schedule="0 3 * * *"),
                    name="nightly")
        for who, groups in (("dino", "data-science"), ("vera", "")):
            team(who, groups)
            with pytest.raises(MissingRole, match=f"{who} may not cancel the job .* of dana"):
                ex.cancel(job.id)
            with pytest.raises(MissingRole, match="delete the schedule 'nightly' of dana"):
                ex.unschedule("nightly")
        assert not ex.status(job.id).final and [s["name"] for s in ex.schedules()] == ["nightly"]
        team("dino", "data-science")
        with pytest.raises(Forbidden, match="dino may not act as 'dana'"):
            ex.submit(JobSpec(notebook=str(tmp_path / "slow.ipynb")), user="dana")
        team("adam")
        assert ex.cancel(job.id).state == "cancelled"
        ex.unschedule("nightly")
        assert ex.schedules() == []
    finally:
        ex.close()
