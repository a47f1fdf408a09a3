"""`jupyter bighead hub`: a real JupyterHub (configurable-http-proxy from npm, local
process spawner, demo users) whose users' servers share one PostgreSQL registry, with
roles from JupyterHub groups and identities from the hub, for API tokens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .hubtools import USERS, running_hub


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    with running_hub(tmp_path_factory.mktemp("hub") / "team") as h:
        yield h


@pytest.fixture(scope="module")
def shared_model(hub):
    """`churn` v1 and v2 in the team's shared registry (the hub's PostgreSQL)."""
    import lightgbm as lgb
    import numpy as np
    import pandas as pd

    from jupyter_bighead.registry import Registry

    settings = json.loads((hub.folder / "bighead_hub.json").read_text())
    reg = Registry(settings["registry"], artifacts=Path(settings["shared_home"]) / "artifacts")
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 2)), columns=["a", "b"])
    y = (X.a > 0).astype(int)
    for trees in (2, 4):
        reg.register("churn", lgb.LGBMClassifier(n_estimators=trees, verbose=-1).fit(X, y))
    yield reg
    reg.close()


def test_every_users_server_sees_the_shared_registry(hub, shared_model):
    for user in USERS:
        code, page = hub.bighead(user, "GET", "models")
        assert code == 200 and [m["name"] for m in page["items"]] == ["churn"], (user, page)


def test_roles_come_from_hub_groups_and_refusals_name_the_missing_role(hub, shared_model):
    code, error = hub.bighead("rita", "POST", "jobs", {})
    assert code == 403 and "rita" in error["message"] and "data_scientist" in error["message"]
    code, error = hub.bighead("vera", "PUT", "models/churn/aliases/staging", {"version": 1})
    assert code == 403 and "vera has viewer" in error["message"]
    code, error = hub.bighead("dana", "PUT", "models/churn/aliases/production", {"version": 2})
    assert code == 403 and "protected alias 'production'" in error["message"]
    assert hub.bighead("dana", "PUT", "models/churn/aliases/staging", {"version": 1})[0] == 200
    assert hub.bighead("adam", "PUT", "models/churn/aliases/production", {"version": 2})[0] == 200
    # The audit trail names each person, whichever server shows it.
    code, page = hub.bighead("rita", "GET", "models/churn/aliases/staging/history")
    assert [e["by"] for e in page["items"]] == ["dana"]
    code, page = hub.bighead("vera", "GET", "models/churn/aliases/production/history")
    assert [e["by"] for e in page["items"]] == ["adam"]


def test_one_users_token_never_acts_on_another_users_server(hub):
    for owner in USERS:
        for other in USERS:
            if other == owner or other == "adam":  # a hub admin may reach any server
                continue
            code, _ = hub.bighead(owner, "GET", "status", as_user=other)
            assert code in (403, 404), (owner, other, code)


def test_api_tokens_name_their_own_user_whichever_server_they_reach(hub, shared_model):
    roles = {"dana": ["data_scientist"], "rita": ["reviewer"], "adam": ["admin"],
             "vera": ["viewer"]}
    for user in USERS:
        code, status = hub.bighead(user, "GET", "status")
        assert code == 200 and status["user"]["name"] == user, status
        assert set(roles[user]) <= set(status["user"]["roles"]), status["user"]
    # A hub admin's token on dana's server is adam there, never dana.
    code, status = hub.bighead("dana", "GET", "status", as_user="adam")
    assert code == 200 and status["user"]["name"] == "adam", status
    assert hub.bighead("dana", "PUT", "models/churn/aliases/canary", {"version": 1},
                       as_user="adam")[0] == 200
    assert hub.bighead("dana", "PUT", "models/churn/aliases/canary", {"version": 2})[0] == 200
    code, page = hub.bighead("vera", "GET", "models/churn/aliases/canary/history")
    assert [(e["by"], e["to_version"]) for e in page["items"]] == [("dana", 2), ("adam", 1)]
