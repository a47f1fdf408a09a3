"""The README's promise: paths in request bodies stay inside the server root (403
otherwise, before anything is written), and REST jobs run only allow-listed functions."""

from __future__ import annotations

import asyncio
import json
import os

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_bighead.jobs import JobSpec

from ..notebooks.helpers import code, write_nb

SCORE = "jupyter_bighead.jobs.scoring:score_job"


@pytest.fixture
def jp_server_config(bighead_home):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True}},
        "BigheadApp": {"home": str(bighead_home), "deploy_supervise_seconds": 0.0,
                       "job_functions": ["json:dumps"]},
    }


@pytest.fixture
def layout(jp_root_dir, tmp_path):
    """A notebook inside the root; outside it, a folder with a notebook of its own, and
    symlinks from inside the root to both."""
    outside = tmp_path / "outside"
    write_nb(outside / "secret.ipynb", [code("x = 1")])
    write_nb(jp_root_dir / "nb.ipynb", [code("alpha = 1", "parameters"), code("print(alpha)")])
    os.symlink(outside, jp_root_dir / "link_dir")
    os.symlink(outside / "secret.ipynb", jp_root_dir / "link_file.ipynb")
    (jp_root_dir / "data.csv").write_text("a\n1\n")
    return outside


async def post(jp_fetch, route, body):
    return await jp_fetch("bighead", "api", *route.split("/"), method="POST",
                          body=json.dumps(body))


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


ESCAPES = ["/etc/hosts", "../outside/secret.ipynb", "sub/../../outside/secret.ipynb",
           "link_dir/secret.ipynb", "link_file.ipynb", "x/" * 2500 + "a.ipynb"]

#: Every body parameter that names a file, as (route, body with the path in it).
BODY_PATHS = {
    "productionize": ("notebooks/productionize", lambda p: {"path": p}),
    "productionize plan": ("notebooks/productionize/plan", lambda p: {"path": p}),
    "report": ("notebooks/report", lambda p: {"path": p}),
    "job notebook": ("jobs", lambda p: {"notebook": p}),
    "job notebook, productionized first": ("jobs", lambda p: {"notebook": p,
                                                              "productionize": True}),
    "schedule notebook": ("schedules", lambda p: {"notebook": p, "schedule": "0 3 * * *",
                                                  "name": "nightly"}),
    "sweep notebook": ("sweeps", lambda p: {"notebook": p, "space": {"alpha": [1, 2]}}),
    "score_job input": ("jobs", lambda p: {"function": SCORE, "parameters": {
        "model_ref": "m", "input": p, "output": "out.csv"}}),
    "score_job output": ("jobs", lambda p: {"function": SCORE, "parameters": {
        "model_ref": "m", "input": "data.csv", "output": p}}),
}


@pytest.mark.parametrize("where", sorted(BODY_PATHS))
async def test_paths_stay_inside_the_root_including_symlinks(
        jp_fetch, jp_serverapp, layout, jp_root_dir, where):
    route, body = BODY_PATHS[where]
    outside_before = listing(layout)
    root_before = listing(jp_root_dir)
    for path in ESCAPES:
        with pytest.raises(HTTPClientError) as info:
            await post(jp_fetch, route, body(path))
        assert info.value.code == 403, (where, path, info.value.response.body[:300])
        assert json.loads(info.value.response.body)["error"] == "forbidden"
    assert listing(layout) == outside_before
    assert listing(jp_root_dir) == root_before
    service = jp_serverapp.web_app.settings["bighead"]
    assert service.jobs().list(limit=10) == []


async def test_productionize_refuses_a_symlinked_production_folder_before_writing(
        jp_fetch, layout, jp_root_dir, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, jp_root_dir / "nb_production")
    for route, body in (("notebooks/productionize", {"path": "nb.ipynb"}),
                        ("jobs", {"notebook": "nb.ipynb", "productionize": True})):
        with pytest.raises(HTTPClientError) as info:
            await post(jp_fetch, route, body)
        assert info.value.code == 403, info.value.response.body
        assert "outside" in json.loads(info.value.response.body)["message"]
        assert list(elsewhere.iterdir()) == []
    # A real folder there is fine.
    (jp_root_dir / "nb_production").unlink()
    made = json.loads((await post(jp_fetch, "notebooks/productionize",
                                  {"path": "nb.ipynb"})).body)
    assert made["notebook"] == "nb_production/nb.ipynb"


@pytest.mark.parametrize("function", ["os:system", "subprocess:getoutput", "builtins:eval",
                                      "jupyter_bighead.jobs.worker:main"])
async def test_rest_jobs_refuse_functions_outside_the_allow_list(
        jp_fetch, jp_serverapp, jp_root_dir, function):
    body = {"function": function, "parameters": {"command": "touch PWNED"}}
    for route in ("jobs", "sweeps"):
        with pytest.raises(HTTPClientError) as info:
            await post(jp_fetch, route, {**body, **({"space": {"x": [1]}}
                                                    if route == "sweeps" else {})})
        assert info.value.code == 403
        message = json.loads(info.value.response.body)["message"]
        assert "may not run through the REST API" in message and SCORE in message
    with pytest.raises(HTTPClientError) as info:
        await post(jp_fetch, "schedules", {**body, "schedule": "0 3 * * *", "name": "evil"})
    assert info.value.code == 403
    await asyncio.sleep(0)  # nothing was started, so nothing can have run
    assert not (jp_root_dir / "PWNED").exists()
    assert jp_serverapp.web_app.settings["bighead"].jobs().list(limit=10) == []


async def test_an_admin_listed_function_runs_and_builtin_path_parameters_are_resolved(
        jp_fetch, jp_serverapp, layout, jp_root_dir):
    made = json.loads((await post(jp_fetch, "jobs", {"function": "json:dumps",
                                                     "parameters": {"obj": [1, 2]}})).body)
    assert made["spec"]["function"] == "json:dumps"
    scored = json.loads((await post(jp_fetch, "jobs", {"function": SCORE, "parameters": {
        "model_ref": "m", "input": "data.csv", "output": "out/scores.csv"}})).body)
    params = scored["spec"]["parameters"]
    root = jp_root_dir.resolve()
    assert params["input"] == str(root / "data.csv")
    assert params["output"] == str(root / "out" / "scores.csv")
    executor = jp_serverapp.web_app.settings["bighead"].jobs()
    for job_id in (made["id"], scored["id"]):
        await asyncio.to_thread(executor.wait, job_id, 120)
    assert executor.status(made["id"]).state == "succeeded"


async def test_rerun_over_rest_applies_the_same_rules(jp_fetch, jp_serverapp, tmp_path):
    executor = jp_serverapp.web_app.settings["bighead"].jobs()
    # Submitted from Python (a kernel may run anything); rerunning over REST may not.
    record = executor.submit(JobSpec(function="os:getcwd"))
    with pytest.raises(HTTPClientError) as info:
        await post(jp_fetch, f"jobs/{record.id}/rerun", {})
    assert info.value.code == 403
    outside = tmp_path / "outside-scores.csv"
    record2 = executor.submit(JobSpec(function=SCORE, parameters={
        "model_ref": "m", "input": "/etc/hosts", "output": str(outside)}))
    with pytest.raises(HTTPClientError) as info:
        await post(jp_fetch, f"jobs/{record2.id}/rerun", {})
    assert info.value.code == 403
    for job_id in (record.id, record2.id):
        await asyncio.to_thread(executor.wait, job_id, 120)
    assert len(executor.list(limit=10)) == 2
