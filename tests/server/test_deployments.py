"""/bighead/api/deployments through a real server, on the local deploy target."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pandas as pd
import pytest
from tornado.httpclient import HTTPClientError

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.registry import Registry

from .test_roles import ROLE_CONFIG, TokenPerUser


@pytest.fixture
def team_roles():
    """None: single-user mode; a test parametrizes it with a roles config for a team."""
    return None


@pytest.fixture
def jp_server_config(bighead_home, team_roles):
    config = {"ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True}},
              "BigheadApp": {"home": str(bighead_home)}}
    if team_roles:
        config["ServerApp"]["identity_provider_class"] = TokenPerUser
        config["BigheadApp"]["roles"] = team_roles
    return config


@pytest.fixture
def model(bighead_home):
    import lightgbm as lgb

    home = BigheadHome(bighead_home).ensure()
    reg = Registry(home.registry_uri, artifacts=home.artifacts)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(400, 3)), columns=["a", "b", "c"])
    y = (X.a > 0).astype(int)
    mv = reg.register("churn", lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y),
                      X_valid=X, y_valid=y)
    reg.set_alias("churn", "production", mv.version, user="adam")  # an admin in a team
    return reg, X


async def call(jp_fetch, *parts, method="GET", body=None, **params):
    kwargs = {"method": method, "params": params}
    if body is not None or method == "POST":
        kwargs["body"] = json.dumps(body or {})
    return json.loads((await jp_fetch("bighead", "api", *parts, **kwargs)).body)


async def test_deploy_try_it_logs_and_delete(jp_fetch, model):
    reg, X = model
    made = await call(jp_fetch, "deployments", method="POST",
                      body={"model": "churn", "alias": "production"})
    assert made["target"] == "local" and made["ref"] == "churn@production"
    assert "admin_token" not in made and made["url"].startswith("http://127.0.0.1:")
    for _ in range(120):
        got = await call(jp_fetch, "deployments", made["id"])
        if got["status"] == "running":
            break
        await asyncio.sleep(0.25)
    assert got["status"] == "running", got
    row = {k: float(v) for k, v in X.iloc[0].items()}
    answer = await call(jp_fetch, "deployments", made["id"], "predict", method="POST",
                        body={"instances": [row]})
    assert answer == {"predictions": reg.load("churn").predict_proba(X[:1])[:, 1].tolist()}
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, "deployments", made["id"], "predict", method="POST",
                   body={"instances": [{"a": 1.0}]})
    assert info.value.code == 400
    assert json.loads(info.value.response.body)["features"] == ["b", "c"]
    listed = await call(jp_fetch, "deployments")
    assert [d["id"] for d in listed["items"]] == [made["id"]]
    logs = await call(jp_fetch, "deployments", made["id"], "logs")
    assert "[bighead serve] churn@production" in logs["text"] and logs["offset"] > 0
    gone = await call(jp_fetch, "deployments", made["id"], method="DELETE")
    assert gone["status"] == "stopped"
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, "deployments", made["id"])
    assert info.value.code == 404


@pytest.mark.parametrize(
    "body,status,message",
    [
        ({}, 400, "'model' must be"),
        ({"model": "churn", "bogus": 1}, 400, "unknown deployment keys"),
        ({"model": "churn", "version": "x"}, 400, "not a version number"),
        ({"model": "churn", "version": 1, "alias": "production"}, 400, "not both"),
        ({"model": "churn", "replicas": 0}, 400, "replicas"),
        ({"model": "churn", "resources": {"cpu": "lots"}}, 400, "not a Kubernetes quantity"),
        ({"model": "churn", "target": "mars"}, 400, "unknown deploy target"),
        ({"model": "nope"}, 404, "nope"),
        ({"model": "churn", "alias": "staging"}, 404, "staging"),
    ],
)
async def test_bad_deployments_are_clear_4xx(jp_fetch, model, body, status, message):
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, "deployments", method="POST", body=body)
    assert info.value.code == status
    assert message in json.loads(info.value.response.body)["message"]


@pytest.mark.parametrize("team_roles", [ROLE_CONFIG])
async def test_only_an_admin_deploys_a_protected_alias_in_a_team(jp_fetch, model, team_roles):
    async def deploy(token, body):
        try:
            response = await jp_fetch("bighead", "api", "deployments", method="POST",
                                      body=json.dumps(body),
                                      headers={"Authorization": f"token {token}"})
        except HTTPClientError as exc:
            return exc.code, json.loads(exc.response.body)
        return response.code, json.loads(response.body)

    code, error = await deploy("t-dana", {"model": "churn", "alias": "production"})
    assert code == 403, error
    assert "deploy the protected alias 'production'" in error["message"]
    assert "admin" in error["message"]
    # Past the role check for other aliases (staging does not exist: 404, not 403).
    assert (await deploy("t-dana", {"model": "churn", "alias": "staging"}))[0] == 404
    assert (await deploy("t-rita", {"model": "churn", "alias": "production"}))[0] == 403
    code, made = await deploy("t-adam", {"model": "churn", "alias": "production"})
    assert code == 201, made
    assert made["user"] == "adam" and made["ref"] == "churn@production"
    await jp_fetch("bighead", "api", "deployments", made["id"], method="DELETE",
                   headers={"Authorization": "token t-adam"})


async def test_unknown_and_malformed_deployment_ids(jp_fetch, model):
    for dep_id, status in (("churn-000000", 404), ("BAD_ID", 400)):
        with pytest.raises(HTTPClientError) as info:
            await call(jp_fetch, "deployments", dep_id)
        assert info.value.code == status


def test_an_unknown_deploy_target_is_refused_at_configuration():
    from jupyter_bighead_server.app import BigheadApp

    with pytest.raises(ValueError, match="'nowhere' is not one of kubernetes, local"):
        BigheadApp(deploy_target="nowhere")
    assert BigheadApp(deploy_target="kubernetes").deploy_target == "kubernetes"
