"""Roles on every route: each route x each role, allowed or refused as one table says.

The table below is this test's own statement of who may do what (written from the
issue, not read from the server's table): a route the server serves without an entry
here fails the test, and so does a route the server's table answers differently.

Identity: a small IdentityProvider names users by their token, the way JupyterHub's does
(with ``hub_user["groups"]``), so requests of five users reach one real server.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

import pytest
from jupyter_server.auth.identity import IdentityProvider, User
from tornado.httpclient import HTTPClientError

from jupyter_bighead.roles import ADMIN, DATA_SCIENTIST, REVIEWER, VIEWER, RoleMap

from .routes import ROUTE_VERBS, concrete

ALL = frozenset({VIEWER, DATA_SCIENTIST, REVIEWER, ADMIN})
WRITERS = frozenset({DATA_SCIENTIST, ADMIN})
REVIEWERS = frozenset({REVIEWER, ADMIN})
ADMINS = frozenset({ADMIN})
SIGNED_IN = "signed in"  # no role needed: the lab asks before it knows the user's roles

P = "/bighead/api"
#: (template, verb) -> the roles that may call it (SIGNED_IN: any signed-in user).
EXPECTED: dict[tuple[str, str], Any] = {
    (f"{P}/status", "GET"): SIGNED_IN,
    (f"{P}/openapi.json", "GET"): SIGNED_IN,
    (f"{P}/cluster", "GET"): ALL,
    (f"{P}/blocks", "GET"): ALL,
    (f"{P}/notebooks/productionize/plan", "POST"): ALL,
    (f"{P}/notebooks/productionize", "POST"): WRITERS,
    (f"{P}/notebooks/report", "POST"): WRITERS,
    (f"{P}/features", "GET"): ALL,
    (f"{P}/features/preview", "POST"): ALL,
    (f"{P}/features/{{name}}", "GET"): ALL,
    (f"{P}/features/{{name}}/diff", "GET"): ALL,
    (f"{P}/profiles", "GET"): ALL,
    (f"{P}/jobs", "GET"): ALL,
    (f"{P}/jobs", "POST"): WRITERS,
    (f"{P}/jobs/{{job_id}}", "GET"): ALL,
    (f"{P}/jobs/{{job_id}}/logs", "GET"): ALL,
    (f"{P}/jobs/{{job_id}}/cancel", "POST"): WRITERS,
    (f"{P}/jobs/{{job_id}}/rerun", "POST"): WRITERS,
    (f"{P}/jobs/{{job_id}}/notebook", "POST"): WRITERS,
    (f"{P}/schedules", "GET"): ALL,
    (f"{P}/schedules", "POST"): WRITERS,
    (f"{P}/schedules/{{name}}", "DELETE"): WRITERS,
    (f"{P}/sweeps", "GET"): ALL,
    (f"{P}/sweeps", "POST"): WRITERS,
    (f"{P}/sweeps/{{sweep_id}}", "GET"): ALL,
    (f"{P}/models", "GET"): ALL,
    (f"{P}/models/{{name}}", "GET"): ALL,
    (f"{P}/models/{{name}}/versions", "GET"): ALL,
    (f"{P}/models/{{name}}/versions/{{version}}", "GET"): ALL,
    (f"{P}/models/{{name}}/versions/{{version}}/monitoring", "GET"): ALL,
    (f"{P}/models/{{name}}/monitor", "POST"): WRITERS,
    (f"{P}/alerts", "GET"): ALL,
    (f"{P}/models/{{name}}/trend", "GET"): ALL,
    (f"{P}/models/{{name}}/compare", "GET"): ALL,
    (f"{P}/models/{{name}}/aliases/{{alias}}", "PUT"): WRITERS,
    (f"{P}/models/{{name}}/aliases/{{alias}}", "DELETE"): WRITERS,
    (f"{P}/models/{{name}}/aliases/{{alias}}/rollback", "POST"): WRITERS,
    (f"{P}/models/{{name}}/aliases/{{alias}}/history", "GET"): ALL,
    (f"{P}/reviews", "GET"): ALL,
    (f"{P}/reviews", "POST"): WRITERS,
    (f"{P}/reviews/{{review_id}}", "GET"): ALL,
    (f"{P}/reviews/{{review_id}}/report", "GET"): ALL,
    (f"{P}/reviews/{{review_id}}/comment", "POST"): ALL,  # then: its author or a reviewer
    (f"{P}/reviews/{{review_id}}/approve", "POST"): REVIEWERS,
    (f"{P}/reviews/{{review_id}}/reject", "POST"): REVIEWERS,
    (f"{P}/reviews/{{review_id}}/withdraw", "POST"): ALL,  # then: its author or an admin
    (f"{P}/admin/settings", "GET"): ALL,
    (f"{P}/admin/profiles/{{name}}", "GET"): ALL,
    (f"{P}/admin/profiles/{{name}}", "PUT"): ADMINS,
    (f"{P}/admin/profiles/{{name}}", "DELETE"): ADMINS,
    (f"{P}/admin/kernel-images/{{kernelspec}}", "PUT"): ADMINS,
    (f"{P}/admin/quotas/{{user}}", "PUT"): ADMINS,
    (f"{P}/admin/audit", "GET"): ADMINS,
    (f"{P}/admin/usage", "GET"): ADMINS,
    (f"{P}/deployments", "GET"): ALL,
    (f"{P}/deployments", "POST"): WRITERS,
    (f"{P}/deployments/{{dep_id}}", "GET"): ALL,
    (f"{P}/deployments/{{dep_id}}", "DELETE"): WRITERS,
    (f"{P}/deployments/{{dep_id}}/logs", "GET"): ALL,
    (f"{P}/deployments/{{dep_id}}/redeploy", "POST"): WRITERS,
    (f"{P}/deployments/{{dep_id}}/predict", "POST"): ALL,
}

#: token -> (user name, JupyterHub groups, the one role the config gives them)
USERS = {
    "t-vera": ("vera", (), VIEWER),
    "t-dana": ("dana", ("scientists",), DATA_SCIENTIST),  # through her group
    "t-rita": ("rita", (), REVIEWER),
    "t-adam": ("adam", ("ops",), ADMIN),
    "t-nora": ("nora", ("visitors",), None),  # signed in, no role
    "t-dino": ("dino", ("scientists",), DATA_SCIENTIST),  # a second data scientist
}
ROLE_CONFIG = {"vera": "viewer", "group:scientists": ["data_scientist"],
               "user:rita": "reviewer", "adam": "admin"}


@dataclasses.dataclass
class HubLikeUser(User):
    hub_user: dict[str, Any] = dataclasses.field(default_factory=dict)


class TokenPerUser(IdentityProvider):
    """Each of USERS' tokens is that user; groups as JupyterHub reports them."""

    def get_user(self, handler):
        header = handler.request.headers.get("Authorization", "")
        name, groups, _ = USERS.get(header.removeprefix("token "), (None, (), None))
        if name is None:
            return None
        handler._token_authenticated = True  # as for the server's token: no XSRF check
        return HubLikeUser(username=name, hub_user={"name": name, "groups": list(groups)})


@pytest.fixture
def jp_server_config(bighead_home):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True},
                      "identity_provider_class": TokenPerUser},
        "BigheadApp": {"home": str(bighead_home), "roles": ROLE_CONFIG},
    }


def test_every_served_route_has_an_expectation_and_the_server_table_agrees():
    from jupyter_bighead_server.authz import ROUTE_PERMISSIONS

    assert set(ROUTE_VERBS) - set(EXPECTED) == set(), "routes without a role expectation"
    assert set(EXPECTED) - set(ROUTE_VERBS) == set(), "expectations for routes not served"
    roles = RoleMap.from_config({r: r for r in ALL})
    for key, permission in ROUTE_PERMISSIONS.items():
        allowed = (SIGNED_IN if permission is None else
                   frozenset(r for r in ALL if roles.allows(r, permission)))
        assert allowed == EXPECTED[key], key


async def _call(jp_fetch, template, verb, token):
    parts = concrete(template).strip("/").split("/")
    body = "{}" if verb in ("POST", "PUT", "PATCH") else None
    try:
        response = await jp_fetch(*parts, method=verb, body=body,
                                  headers={"Authorization": f"token {token}"},
                                  allow_nonstandard_methods=True)
        return response.code, response.body
    except HTTPClientError as exc:
        return exc.code, exc.response.body if exc.response else b""


@pytest.mark.parametrize("route,verb", sorted(EXPECTED))
async def test_each_role_is_allowed_or_refused_as_the_table_says(jp_fetch, route, verb):
    allowed = EXPECTED[(route, verb)]
    for token, (name, _, role) in USERS.items():
        code, body = await _call(jp_fetch, route, verb, token)
        may = allowed == SIGNED_IN or role in allowed
        if may:
            assert code != 403, (name, role, code, body[:300])
            continue
        assert code == 403, (name, role, code, body[:300])
        error = json.loads(body)
        assert error["error"] == "forbidden"
        needed = sorted(allowed)
        # The message names the user and every role that would do.
        assert name in error["message"]
        assert all(r in error["message"] for r in needed), error["message"]


async def test_unknown_tokens_are_refused_before_any_role_check(jp_fetch):
    code, _ = await _call(jp_fetch, f"{P}/models", "GET", "t-nobody")
    assert code == 403 or code == 401


def test_a_bad_roles_setting_is_refused_naming_the_entry():
    from jupyter_bighead.errors import InvalidSpec

    with pytest.raises(InvalidSpec, match="unknown role 'superuser'"):
        RoleMap.from_config({"alice": "superuser"})
    with pytest.raises(InvalidSpec, match="prefix must be 'user:' or 'group:'"):
        RoleMap.from_config({"team:x": "admin"})
    with pytest.raises(InvalidSpec, match="non-empty list"):
        RoleMap.from_config({"alice": []})


def test_without_a_mapping_everyone_holds_every_role():
    roles = RoleMap.from_config({})
    assert roles.roles_of("anyone") == ALL
    assert roles.allows("anyone", "admin")


def test_roles_add_up_over_user_groups_and_everyone():
    roles = RoleMap.from_config({"*": "viewer", "group:rev": "reviewer", "user:al": "admin"})
    assert roles.roles_of("bo") == {VIEWER}
    assert roles.roles_of("bo", ["rev"]) == {VIEWER, REVIEWER}
    assert roles.roles_of("al", ["rev"]) == {VIEWER, REVIEWER, ADMIN}
    assert roles.allows("al", "write")  # an admin may do what a data scientist may
    assert not roles.allows("bo", "write", ["rev"])


def test_the_readme_roles_example_is_a_valid_setting():
    import re
    from pathlib import Path

    from traitlets.config import Config

    from jupyter_bighead_server.app import BigheadApp

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = next(b for b in re.findall(r"^```python\n(.*?)^```", readme, re.M | re.S)
                 if b.startswith("c.BigheadApp.roles = {"))
    c = Config()
    exec(block, {"c": c})
    app = BigheadApp(config=c)
    assert app.setting_errors == ()
    roles = RoleMap.from_config(app.roles)
    assert roles.roles_of("ana") == {VIEWER, ADMIN}
    assert roles.allows("someone", "write", ["data-science"])
    assert not roles.allows("someone", "write")


@pytest.fixture
def churn(bighead_home):
    """A model with two versions in the server's registry."""
    import lightgbm as lgb
    import numpy as np
    import pandas as pd

    from jupyter_bighead.config import BigheadHome
    from jupyter_bighead.registry import Registry

    home = BigheadHome(bighead_home).ensure()
    reg = Registry(home.registry_uri, artifacts=home.artifacts)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 2)), columns=["a", "b"])
    y = (X.a > 0).astype(int)
    for trees in (3, 5):
        reg.register("churn", lgb.LGBMClassifier(n_estimators=trees, verbose=-1).fit(X, y))
    return reg


async def _alias(jp_fetch, token, alias, version, verb="PUT"):
    body = json.dumps({"version": version}) if verb == "PUT" else None
    try:
        response = await jp_fetch("bighead", "api", "models", "churn", "aliases", alias,
                                  method=verb, body=body,
                                  headers={"Authorization": f"token {token}"})
        return response.code, json.loads(response.body)
    except HTTPClientError as exc:
        return exc.code, json.loads(exc.response.body)


async def test_a_protected_alias_moves_only_for_an_admin_and_history_names_each_person(
        jp_fetch, churn):
    assert (await _alias(jp_fetch, "t-dana", "staging", 1))[0] == 200
    code, error = await _alias(jp_fetch, "t-dana", "production", 2)
    assert code == 403
    assert "protected alias 'production'" in error["message"]
    assert "admin" in error["message"] and "dana" in error["message"]
    assert churn.aliases("churn").get("production") is None  # nothing moved
    for verb in ("DELETE",):
        assert (await _alias(jp_fetch, "t-dana", "production", 2, verb))[0] == 403
    assert (await _alias(jp_fetch, "t-vera", "staging", 2))[0] == 403  # a viewer
    assert (await _alias(jp_fetch, "t-adam", "production", 2))[0] == 200
    history = churn.alias_history("churn", "production").to_dict()["items"]
    assert [(e["by"], e["to_version"]) for e in history] == [("adam", 2)]
    staging = churn.alias_history("churn", "staging").to_dict()["items"]
    assert [e["by"] for e in staging] == ["dana"]


async def _as(jp_fetch, token, verb, *parts, body=None):
    try:
        response = await jp_fetch("bighead", "api", *parts, method=verb,
                                  body=None if body is None else json.dumps(body),
                                  headers={"Authorization": f"token {token}"},
                                  allow_nonstandard_methods=True)
        return response.code, json.loads(response.body)
    except HTTPClientError as exc:
        return exc.code, json.loads(exc.response.body)


async def test_only_a_jobs_owner_or_an_admin_cancels_it(jp_fetch, jp_root_dir):
    from ..notebooks.helpers import code, write_nb

    write_nb(jp_root_dir / "slow.ipynb", [code("import time\ntime.sleep(120)")])
    code_, job = await _as(jp_fetch, "t-dana", "POST", "jobs", body={"notebook": "slow.ipynb"})
    assert code_ == 201 and job["user"] == "dana"
    code_, error = await _as(jp_fetch, "t-dino", "POST", "jobs", job["id"], "cancel")
    assert code_ == 403
    assert "dino may not cancel the job" in error["message"] and "admin" in error["message"]
    assert (await _as(jp_fetch, "t-vera", "GET", "jobs", job["id"]))[1]["state"] != "cancelled"
    code_, done = await _as(jp_fetch, "t-adam", "POST", "jobs", job["id"], "cancel")
    assert code_ == 200 and done["state"] == "cancelled"
    # Unknown ids stay 404 for everyone, not a refusal that hides them.
    assert (await _as(jp_fetch, "t-dino", "POST", "jobs", "0" * 12, "cancel"))[0] == 404


async def test_a_jobs_executed_notebook_is_its_owners_or_an_admins(jp_fetch, jp_root_dir):
    """Another data scientist cannot read someone's notebook (and its secrets) by copying
    the executed notebook of their job out of .bighead/."""
    from ..notebooks.helpers import code, write_nb

    write_nb(jp_root_dir / "secret.ipynb", [code("print('DANA-SECRET')")])
    code_, job = await _as(jp_fetch, "t-dana", "POST", "jobs", body={"notebook": "secret.ipynb"})
    assert code_ == 201
    deadline = asyncio.get_running_loop().time() + 120
    while (await _as(jp_fetch, "t-dana", "GET", "jobs", job["id"]))[1]["state"] not in (
            "succeeded", "failed"):
        assert asyncio.get_running_loop().time() < deadline, "the job did not finish"
        await asyncio.sleep(0.5)
    code_, error = await _as(jp_fetch, "t-dino", "POST", "jobs", job["id"], "notebook")
    assert code_ == 403
    assert "dino may not open the executed notebook of the job" in error["message"]
    assert not list(jp_root_dir.rglob("bighead_runs/*.ipynb"))  # nothing was copied
    for token in ("t-dana", "t-adam"):
        code_, copy = await _as(jp_fetch, token, "POST", "jobs", job["id"], "notebook")
        assert code_ == 200
        assert "DANA-SECRET" in (jp_root_dir / copy["path"]).read_text()


async def test_only_a_schedules_maker_or_an_admin_deletes_it(jp_fetch, jp_root_dir):
    from ..notebooks.helpers import code, write_nb

    write_nb(jp_root_dir / "train.ipynb", [code("x = 1")])
    body = {"notebook": "train.ipynb", "schedule": "0 3 * * *", "name": "nightly"}
    assert (await _as(jp_fetch, "t-dana", "POST", "schedules", body=body))[0] == 201
    code_, error = await _as(jp_fetch, "t-dino", "DELETE", "schedules", "nightly")
    assert code_ == 403 and "delete the schedule 'nightly'" in error["message"]
    assert (await _as(jp_fetch, "t-dana", "DELETE", "schedules", "nightly"))[0] == 200
    assert (await _as(jp_fetch, "t-dino", "DELETE", "schedules", "nightly"))[0] == 404


async def test_an_approved_review_lets_its_author_move_production_and_no_one_else(
        jp_fetch, churn, bighead_home):
    from jupyter_bighead.reviews import ReviewStore
    from jupyter_bighead.reviews.gate import history

    store = ReviewStore(bighead_home / "reviews")  # the server's own review store
    roles = RoleMap.from_config(ROLE_CONFIG)
    review = store.request(churn, "churn:2", author="dana", roles=roles,
                           groups=("scientists",))
    code, error = await _alias(jp_fetch, "t-dana", "production", 2)
    assert code == 403 and "pending" in error["message"]  # not approved yet
    store.decide(review.id, "rita", "approved", roles=roles)
    code, error = await _alias(jp_fetch, "t-dino", "production", 2)
    assert code == 403  # the review is dana's
    assert (await _alias(jp_fetch, "t-dana", "production", 1))[0] == 403  # not that version
    assert (await _alias(jp_fetch, "t-dana", "production", 2))[0] == 200
    assert churn.aliases("churn")["production"] == 2
    steps = [(s["action"], s["by"]) for s in history(store, "churn", churn)]  # newest first
    assert steps[0] == ("moved", "dana")  # the move itself, linked to the review
    assert ("approved", "rita") in steps and ("requested", "dana") in steps
    assert not any(a.startswith("alias_") and v == "production"
                   for a, v in [(s["action"], s["alias"]) for s in history(store, "churn",
                                                                            churn)])
