"""/bighead/api/admin through a real server: profiles, kernel images, quotas, audit and
usage, with API tokens of several users (each token is its user, as under JupyterHub)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from jupyter_server.auth.identity import IdentityProvider, User
from tornado.httpclient import HTTPClientError

from ..notebooks.helpers import code as cell
from ..notebooks.helpers import write_nb

#: token -> (user, groups)
USERS = {"t-ana": ("ana", ()), "t-dana": ("dana", ("ds",)), "t-dino": ("dino", ("ds",)),
         "t-vera": ("vera", ())}
ROLES = {"ana": "admin", "group:ds": "data_scientist", "vera": "viewer"}
GPU = {"cpu": "2", "memory": "4Gi", "gpu": 1, "description": "one GPU"}


@dataclasses.dataclass
class HubLikeUser(User):
    hub_user: dict[str, Any] = dataclasses.field(default_factory=dict)


class TokenPerUser(IdentityProvider):
    def get_user(self, handler):
        header = handler.request.headers.get("Authorization", "")
        name, groups = USERS.get(header.removeprefix("token "), (None, ()))
        if name is None:
            return None
        handler._token_authenticated = True
        return HubLikeUser(username=name, hub_user={"name": name, "groups": list(groups)})


@pytest.fixture
def jp_server_config(bighead_home):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True},
                      "identity_provider_class": TokenPerUser},
        "BigheadApp": {"home": str(bighead_home), "roles": ROLES,
                       "profiles": {"small": {"cpu": "1", "memory": "1Gi"}},
                       "kernel_images": {"python3": "org/py:1"},
                       "local_gpus": ["GPU-fake-0"]},  # so a GPU profile's job may start
    }


async def api(jp_fetch, token, *parts, method="GET", body=None, raw=None, **params):
    kwargs: dict[str, Any] = {"method": method, "params": params,
                              "headers": {"Authorization": f"token {token}"},
                              "allow_nonstandard_methods": True}
    if raw is not None:
        kwargs["body"] = raw
    elif body is not None or method in ("POST", "PUT"):
        kwargs["body"] = json.dumps(body if body is not None else {})
    try:
        response = await jp_fetch("bighead", "api", *parts, **kwargs)
    except HTTPClientError as exc:
        return exc.code, json.loads(exc.response.body)
    return response.code, json.loads(response.body) if response.body else None


async def test_the_config_seeds_the_settings_and_readers_see_them(jp_fetch):
    code, view = await api(jp_fetch, "t-vera", "admin", "settings")
    assert code == 200
    assert [p["name"] for p in view["profiles"]] == ["small"]
    assert view["kernel_images"] == {"python3": "org/py:1"}
    assert view["version"] == 1 and set(view["quota_help"]) == {
        "max_running_jobs", "max_gpus", "max_deployments"}


async def test_an_admins_new_profile_is_listed_at_once(jp_fetch):
    code, profile = await api(jp_fetch, "t-ana", "admin", "profiles", "gpu1", method="PUT",
                              body=GPU)
    assert code == 200 and profile["gpu"] == 1
    code, listed = await api(jp_fetch, "t-dana", "profiles")
    assert [p["name"] for p in listed["profiles"]] == ["small", "gpu1"]
    code, one = await api(jp_fetch, "t-vera", "admin", "profiles", "gpu1")
    assert code == 200 and one["description"] == "one GPU"
    code, _ = await api(jp_fetch, "t-ana", "admin", "profiles", "gpu1", method="DELETE")
    assert code == 204
    code, listed = await api(jp_fetch, "t-dana", "profiles")
    assert [p["name"] for p in listed["profiles"]] == ["small"]


async def test_a_profile_an_admin_adds_is_usable_at_submit_without_a_restart(jp_fetch,
                                                                             jp_root_dir):
    write_nb(jp_root_dir / "quick.ipynb", [cell("print('hi')")])
    body = {"notebook": "quick.ipynb", "profile": "gpu1"}
    code, refused = await api(jp_fetch, "t-dana", "jobs", method="POST", body=body)
    assert code == 400 and "unknown compute profile 'gpu1'" in refused["message"]
    await api(jp_fetch, "t-ana", "admin", "profiles", "gpu1", method="PUT", body=GPU)
    # The lab's Run remotely submits the same way: the same server, no restart.
    code, job = await api(jp_fetch, "t-dana", "jobs", method="POST", body=body)
    assert code == 201, job
    assert job["spec"]["profile"] == "gpu1" and job["resources"]["gpu"] == 1
    await api(jp_fetch, "t-dana", "jobs", job["id"], "cancel", method="POST")
    await api(jp_fetch, "t-ana", "admin", "profiles", "gpu1", method="DELETE")
    code, refused = await api(jp_fetch, "t-dana", "jobs", method="POST", body=body)
    assert code == 400  # deleted: refused again at once


async def test_every_edit_is_audited_with_the_admins_name(jp_fetch):
    await api(jp_fetch, "t-ana", "admin", "profiles", "gpu1", method="PUT", body=GPU)
    await api(jp_fetch, "t-ana", "admin", "kernel-images", "python3", method="PUT",
              body={"image": "org/py:2"})
    await api(jp_fetch, "t-ana", "admin", "quotas", "*", method="PUT",
              body={"max_gpus": 2})
    code, audit = await api(jp_fetch, "t-ana", "admin", "audit", limit=3)
    assert code == 200
    assert [(e["user"], e["action"], e["target"]) for e in audit["items"]] == [
        ("ana", "put_quota", "quota:*"), ("ana", "put_kernel_image", "kernel_image:python3"),
        ("ana", "put_profile", "profile:gpu1")]
    assert audit["items"][1]["before"] == "org/py:1" and audit["items"][1]["after"] == "org/py:2"
    code, view = await api(jp_fetch, "t-dana", "admin", "settings")
    assert view["version"] == 4 and view["quotas"]["*"]["max_gpus"] == 2


WRITES = [("PUT", ("admin", "profiles", "x"), GPU),
          ("DELETE", ("admin", "profiles", "small"), None),
          ("PUT", ("admin", "kernel-images", "python3"), {"image": "evil/img:1"}),
          ("PUT", ("admin", "quotas", "dana"), {"max_running_jobs": 100}),
          ("PUT", ("admin", "quotas", "*"), {"max_running_jobs": 100}),
          ("GET", ("admin", "audit"), None),
          ("GET", ("admin", "usage"), None)]


@pytest.mark.parametrize("token", ["t-dana", "t-vera"])
async def test_non_admins_are_refused_by_every_admin_verb_and_nothing_changes(jp_fetch, token):
    for method, parts, body in WRITES:
        code, error = await api(jp_fetch, token, *parts, method=method, body=body)
        assert code == 403, (method, parts, error)
        assert error["error"] == "forbidden" and "admin" in error["message"]
    code, view = await api(jp_fetch, "t-ana", "admin", "settings")
    assert view["version"] == 1 and [p["name"] for p in view["profiles"]] == ["small"]
    assert view["quotas"] == {} and view["kernel_images"] == {"python3": "org/py:1"}


OK = '{"cpu": "1", "memory": "1Gi", '


@pytest.mark.parametrize(("parts", "raw", "status", "words"), [
    (("profiles", "gpu"), "not json", 400, "not valid JSON"),
    (("profiles", "gpu"), "[1, 2]", 400, "JSON object"),
    (("profiles", "gpu"), '{"cpu": NaN}', 400, "NaN"),
    (("profiles", "gpu"), "{}", 400, "must state cpu and memory"),
    (("profiles", "gpu"), OK + '"gpu": -1}', 400, "gpu"),
    (("profiles", "gpu"), OK + '"gpu": "1; rm -rf /"}', 400, "gpu"),
    (("profiles", "gpu"), OK + '"sudo": true}', 400, "unknown keys"),
    (("profiles", "gpu"), OK + '"image": "a b"}', 400, "image"),
    (("profiles", "gpu"), "[" * 5000 + "]" * 5000, 400, ""),
    (("profiles", "gpu"), json.dumps({"description": "x" * 70_000}), 413, "at most"),
    (("profiles", "a%2F..%2Fb"), OK + '"gpu": 0}', 400, "profile name"),
    (("profiles", "-lead"), OK + '"gpu": 0}', 400, "profile name"),
    (("kernel-images", "python3"), '{"image": 5}', 400, "image"),
    (("kernel-images", "python3"), '{"image": "x", "also": 1}', 400, "image"),
    (("kernel-images", ".hidden"), '{"image": "x"}', 400, "kernelspec"),
    (("kernel-images", "python3"), '{"image": "<script>alert(1)</script>"}', 400,
     "is not an image reference"),
    (("kernel-images", "python3"), '{"image": "Org/Py:1"}', 400, "is not an image reference"),
    (("profiles", "gpu"), OK + '"image": "x\\"><img src=x>"}', 400, "is not an image reference"),
    (("quotas", "dana"), "{}", 400, "names no limit"),
    (("quotas", "dana"), '{"max_gpus": -3}', 400, "max_gpus"),
    (("quotas", "dana"), '{"max_gpus": 1.5}', 400, "max_gpus"),
    (("quotas", "dana"), '{"max_pods": 1}', 400, "unknown keys"),
    (("quotas", "..%2Fetc"), '{"max_gpus": 1}', 400, "user name"),
])
async def test_hostile_admin_input_is_a_clear_4xx_and_changes_nothing(jp_fetch, parts, raw,
                                                                      status, words):
    code, error = await api(jp_fetch, "t-ana", "admin", *parts, method="PUT", raw=raw)
    assert code == status, error
    assert words in error["message"]
    code, view = await api(jp_fetch, "t-ana", "admin", "settings")
    assert view["version"] == 1


async def test_unknown_profile_and_audit_paging_are_4xx(jp_fetch):
    assert (await api(jp_fetch, "t-ana", "admin", "profiles", "nope"))[0] == 404
    assert (await api(jp_fetch, "t-ana", "admin", "profiles", "nope", method="DELETE"))[0] \
        == 404
    assert (await api(jp_fetch, "t-ana", "admin", "profiles", "small", method="DELETE"))[0] \
        == 409  # the last one
    assert (await api(jp_fetch, "t-ana", "admin", "audit", limit=0))[0] == 400
    assert (await api(jp_fetch, "t-ana", "admin", "audit", limit="x"))[0] == 400


async def test_per_user_quotas_hold_for_the_token_clients_of_two_users(jp_fetch, jp_root_dir):
    write_nb(jp_root_dir / "slow.ipynb", [cell("import time\ntime.sleep(120)")])
    body = {"notebook": "slow.ipynb", "profile": "small"}
    await api(jp_fetch, "t-ana", "admin", "quotas", "*", method="PUT",
              body={"max_running_jobs": 1, "max_deployments": 0})
    code, dino = await api(jp_fetch, "t-ana", "admin", "quotas", "dino", method="PUT",
                           body={"max_running_jobs": 2})
    assert dino["effective"] == {"max_running_jobs": 2, "max_gpus": None,
                                 "max_deployments": 0}
    started = []
    try:
        code, job = await api(jp_fetch, "t-dana", "jobs", method="POST", body=body)
        assert code == 201
        started.append(("t-dana", job["id"]))
        code, refused = await api(jp_fetch, "t-dana", "jobs", method="POST", body=body)
        assert code == 403 and refused["error"] == "quota_exceeded"
        assert "max_running_jobs for dana is 1" in refused["message"]
        assert refused["details"]["usage"] == 1 and refused["details"]["user"] == "dana"
        for _ in range(2):  # dana's jobs do not count against dino
            code, job = await api(jp_fetch, "t-dino", "jobs", method="POST", body=body)
            assert code == 201, job
            started.append(("t-dino", job["id"]))
        code, refused = await api(jp_fetch, "t-dino", "jobs", method="POST", body=body)
        assert code == 403 and "max_running_jobs for dino is 2" in refused["message"]
        # Deploying is refused by the quota before any model is looked up.
        code, refused = await api(jp_fetch, "t-dana", "deployments", method="POST",
                                  body={"model": "churn", "version": 1})
        assert code == 403 and refused["details"]["quota"] == "max_deployments"
        code, usage = await api(jp_fetch, "t-ana", "admin", "usage")
        assert code == 200
        counts = {u["user"]: u["running_jobs"] for u in usage["users"]}
        assert counts == {"dana": 1, "dino": 2}
        assert {j["user"] for j in usage["jobs"]} == {"dana", "dino"}
    finally:
        for token, job_id in started:
            await api(jp_fetch, token, "jobs", job_id, "cancel", method="POST")
    code, job = await api(jp_fetch, "t-dana", "jobs", method="POST", body=body)
    assert code == 201  # the cancelled job no longer counts
    await api(jp_fetch, "t-dana", "jobs", job["id"], "cancel", method="POST")
