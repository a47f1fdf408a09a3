"""c.BigheadApp.protected_aliases: one admin list for kernels, local jobs and job pods."""

from __future__ import annotations

import os

import pytest

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.jobs.kubernetes import KubernetesExecutor
from jupyter_bighead.jobs.spec import ComputeProfile, JobSpec
from jupyter_bighead.registry.protect import PROTECTED_ENV, protected_aliases


@pytest.fixture
def jp_server_config(bighead_home, monkeypatch):
    # The server exports the list for its kernels; give the old value back afterwards.
    monkeypatch.setenv(PROTECTED_ENV, "production")
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True}},
        "BigheadApp": {"home": str(bighead_home),
                       "protected_aliases": ["production", "canary"]},
    }


async def test_the_admin_list_reaches_kernels_jobs_and_job_pods(jp_fetch, tmp_path):
    await jp_fetch("bighead", "api", "status")  # the extension is loaded
    assert os.environ[PROTECTED_ENV] == "production,canary"
    assert protected_aliases() == ("production", "canary")
    ex = KubernetesExecutor(home=BigheadHome(tmp_path / "home"),
                            profiles={"small": ComputeProfile("small")})
    pod = ex.pod_template(JobSpec(notebook=str(tmp_path / "nb.ipynb")),
                          ComputeProfile("small"), {"cpu": "1", "memory": "1Gi"}, {}, "cm",
                          "/out")
    env = {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}
    assert env[PROTECTED_ENV] == "production,canary"
