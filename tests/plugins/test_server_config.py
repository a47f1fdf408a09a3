"""The server selects a third party's executor, deploy target and registry store by name
(the store by its URL's scheme) in its config, with each one's options:
c.BigheadApp.executor / deploy_target / registry_url and their *_options."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.testing.executor import write_notebook

REGISTRY_URL = f"memory://server-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def jp_server_config(thirdparty, bighead_home):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True}},
        "BigheadApp": {
            "home": str(bighead_home), "deploy_supervise_seconds": 0.0,
            "executor": "thirdparty", "executor_options": {"nice": 2},
            "deploy_target": "thirdparty",
            "deploy_target_options": {"extra_args": ["--workers", "1"]},
            "registry_url": REGISTRY_URL, "registry_store_options": {"lock_timeout_s": 3.5},
        },
    }


async def call(jp_fetch, *parts, method="GET", body=None):
    kwargs = {"method": method}
    if body is not None or method == "POST":
        kwargs["body"] = json.dumps(body or {})
    return json.loads((await jp_fetch("bighead", "api", *parts, **kwargs)).body)


def service_of(jp_serverapp):
    service = jp_serverapp.web_app.settings["bighead"]
    service.imports.wait()
    return service


async def test_the_configured_plugins_are_built_with_their_options(jp_fetch, jp_serverapp):
    await call(jp_fetch, "status")
    service = service_of(jp_serverapp)
    executor = await asyncio.to_thread(service.jobs)
    assert type(executor).__module__ == "bighead_thirdparty.executor" and executor.nice == 2
    registry = await asyncio.to_thread(service.registry)
    assert type(registry.store).__name__ == "MemoryStore"
    assert registry.store.uri == REGISTRY_URL and registry.store.lock_timeout_s == 3.5
    deployments = await asyncio.to_thread(service.deployments)
    target = deployments.target("thirdparty")
    assert type(target).__module__ == "bighead_thirdparty.deploy"
    assert target.extra_args == ["--workers", "1"]
    assert deployments.default_target == "thirdparty"


async def test_jobs_run_on_the_third_party_executor(jp_fetch, jp_root_dir):
    write_notebook(jp_root_dir / "train.ipynb", [
        ("alpha = 1.0", ("parameters",)),
        ("import jupyter_bighead as bh\nbh.log_metric('score', alpha * 2)", ()),
    ])
    profiles = await call(jp_fetch, "profiles")
    assert profiles["executor"] == "thirdparty"
    job = await call(jp_fetch, "jobs", method="POST",
                     body={"notebook": "train.ipynb", "parameters": {"alpha": 4}})
    assert job["executor"] == "thirdparty"
    for _ in range(360):
        job = await call(jp_fetch, "jobs", job["id"])
        if job["final"]:
            break
        await asyncio.sleep(0.5)
    assert job["state"] == "succeeded", job["error"]
    assert job["metrics"] == {"score": 8.0}
    # It declares no schedules: the server says so instead of probing for methods.
    with pytest.raises(HTTPClientError) as refused:
        await call(jp_fetch, "schedules", method="POST",
                   body={"notebook": "train.ipynb", "schedule": "0 3 * * *"})
    assert refused.value.code == 400


async def test_models_come_from_the_third_party_registry_store(jp_fetch, bighead_home):
    from bighead_thirdparty.flavor import LinearScorer

    from jupyter_bighead.registry import Registry

    # Another client of the same memory:// registry (this process) registers a model of
    # the package's flavor; the server lists and describes it.
    other = Registry(REGISTRY_URL, artifacts=BigheadHome(bighead_home).artifacts)
    other.register("linear", LinearScorer({"x": 1.5}))
    listed = await call(jp_fetch, "models")
    assert "linear" in [m["name"] for m in listed["items"]]
    version = await call(jp_fetch, "models", "linear", "versions", "1")
    assert version["version"]["flavor"] == "thirdparty.linear"


def test_the_names_are_accepted_only_while_the_package_is_installed(monkeypatch):
    from jupyter_bighead_server.app import BigheadApp

    with pytest.raises(ValueError, match="'thirdparty' is not one of kubernetes, local"):
        BigheadApp(executor="thirdparty")
    with pytest.raises(ValueError, match="'thirdparty' is not one of"):
        BigheadApp(deploy_target="thirdparty")


def test_with_the_package_installed_the_names_are_accepted(thirdparty):
    from jupyter_bighead_server.app import BigheadApp

    app = BigheadApp(executor="thirdparty", deploy_target="thirdparty")
    assert (app.executor, app.deploy_target) == ("thirdparty", "thirdparty")
