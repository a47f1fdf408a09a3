"""Roles in the Python API for deployments: under a team's ``$BIGHEAD_ROLES`` a kernel
whose user may not ``write`` is refused deploy, redeploy and delete, and nothing changes."""

from __future__ import annotations

import json

import pytest

import jupyter_bighead.roles as roles
from jupyter_bighead.config import BigheadHome
from jupyter_bighead.roles import MissingRole
from jupyter_bighead.serving.deploy import Deployment, DeploymentService


@pytest.fixture
def viewer(monkeypatch):
    monkeypatch.setenv(roles.ROLES_ENV, json.dumps({"*": "viewer", "user:dana": "data_scientist"}))
    monkeypatch.setenv("JUPYTERHUB_USER", "vera")
    monkeypatch.setenv(roles.GROUPS_ENV, "")
    monkeypatch.setattr(roles, "_server_checks", False)


@pytest.fixture
def deployments(tmp_path):
    deps = DeploymentService(BigheadHome(tmp_path / "home").ensure())
    deps.store.save(Deployment(id="churn-1", model="churn", target="local", version=1,
                               status="stopped", user="dana"))
    return deps


def _records(deps: DeploymentService) -> list[dict]:
    return [d.to_dict() for d in deps.store.all()]


def test_a_viewer_may_not_deploy_redeploy_or_delete_and_nothing_changes(viewer, deployments):
    before = _records(deployments)
    with pytest.raises(MissingRole, match="vera may not deploy a model"):
        deployments.create("churn", 1)
    with pytest.raises(MissingRole, match="vera may not redeploy a model"):
        deployments.redeploy("churn-1", force=True)
    with pytest.raises(MissingRole, match="vera may not delete a deployment"):
        deployments.delete("churn-1")
    assert _records(deployments) == before


def test_a_data_scientist_and_a_single_user_pass_the_check(viewer, monkeypatch, deployments):
    monkeypatch.setenv("JUPYTERHUB_USER", "dana")
    assert deployments.delete("churn-1").status == "stopped"
    assert _records(deployments) == []
    monkeypatch.delenv(roles.ROLES_ENV)
    monkeypatch.setenv("JUPYTERHUB_USER", "vera")
    deployments.store.save(Deployment(id="churn-2", model="churn", target="local", version=1,
                                      status="stopped"))
    deployments.delete("churn-2")
    assert _records(deployments) == []


def test_the_admins_deploy_quota_holds_in_the_python_api(tmp_path):
    import lightgbm as lgb
    import numpy as np

    from jupyter_bighead.admin import AdminSettings, QuotaExceeded
    from jupyter_bighead.registry import Registry

    home = BigheadHome(tmp_path / "home").ensure()
    X = np.random.default_rng(0).normal(size=(60, 2))
    Registry(home.registry_uri, artifacts=home.artifacts).register(
        "churn", lgb.LGBMClassifier(n_estimators=2, verbose=-1).fit(X, X[:, 0] > 0))
    AdminSettings(home).put_quota("ana", {"max_deployments": 0}, user="adam")
    deps = DeploymentService(home)
    with pytest.raises(QuotaExceeded, match="ana"):
        deps.create("churn", 1, user="ana")
    assert _records(deps) == []


def test_only_a_deployments_owner_or_an_admin_redeploys_or_deletes_it(viewer, monkeypatch,
                                                                      deployments):
    monkeypatch.setenv(roles.ROLES_ENV, json.dumps(
        {"*": "viewer", "group:ds": "data_scientist", "user:adam": "admin"}))
    monkeypatch.setenv("JUPYTERHUB_USER", "dino")
    monkeypatch.setenv(roles.GROUPS_ENV, "ds")
    before = _records(deployments)
    with pytest.raises(MissingRole, match="dino may not delete the deployment churn-1 of dana"):
        deployments.delete("churn-1")
    with pytest.raises(MissingRole, match="redeploy the deployment churn-1 of dana"):
        deployments.redeploy("churn-1", force=True)
    assert _records(deployments) == before
    monkeypatch.setenv("JUPYTERHUB_USER", "adam")
    monkeypatch.setenv(roles.GROUPS_ENV, "")
    assert deployments.delete("churn-1").status == "stopped"
