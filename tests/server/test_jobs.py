"""/bighead/api/jobs and /profiles through a real server on the local executor."""

from __future__ import annotations

import asyncio
import json

import pytest
from tornado.httpclient import HTTPClientError

from ..notebooks.helpers import code, proto, write_nb


@pytest.fixture
def jp_server_config(bighead_home):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True}},
        "BigheadApp": {
            "home": str(bighead_home),
            "profiles": {"small": {"cpu": "1", "memory": "1Gi", "description": "tiny"},
                         "gpu": {"cpu": "4", "memory": "8Gi", "gpu": 1}},
        },
    }


@pytest.fixture
def notebooks(jp_root_dir):
    write_nb(jp_root_dir / "train.ipynb", [
        code("alpha = 1.0", "parameters"),
        code("import jupyter_bighead as bh\nbh.log_metric('score', alpha * 2)\nprint('ok')"),
    ])
    write_nb(jp_root_dir / "slow.ipynb", [code("import time\ntime.sleep(120)")])
    write_nb(jp_root_dir / "dep.ipynb", [proto("x = 1"), code("print(x)")])


async def call(jp_fetch, *parts, method="GET", body=None, **params):
    kwargs = {"method": method, "params": params}
    if body is not None or method == "POST":
        kwargs["body"] = json.dumps(body or {})
    return json.loads((await jp_fetch("bighead", "api", *parts, **kwargs)).body)


async def wait_final(jp_fetch, job_id, timeout=180):
    for _ in range(int(timeout / 0.5)):
        job = await call(jp_fetch, "jobs", job_id)
        if job["final"]:
            return job
        await asyncio.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish")


async def test_profiles_come_from_the_admin_config(jp_fetch):
    data = await call(jp_fetch, "profiles")
    assert data["executor"] == "local"
    assert {p["name"]: p["gpu"] for p in data["profiles"]} == {"small": 0, "gpu": 1}


async def test_submit_follow_logs_and_read_metrics(jp_fetch, notebooks):
    body = {"notebook": "train.ipynb", "parameters": {"alpha": 3}, "profile": "small"}
    job = await call(jp_fetch, "jobs", method="POST", body=body)
    assert job["state"] in ("queued", "running") and job["spec"]["notebook"] == "train.ipynb"
    done = await wait_final(jp_fetch, job["id"])
    assert done["state"] == "succeeded", done["error"]
    assert done["metrics"] == {"score": 6.0}
    assert done["outputs"]["executed_notebook_contents_path"] is None  # home is outside root
    logs = await call(jp_fetch, "jobs", job["id"], "logs")
    assert "[bighead worker] succeeded" in logs["text"] and logs["final"]
    more = await call(jp_fetch, "jobs", job["id"], "logs", offset=str(logs["offset"]))
    assert more["text"] == ""
    listed = await call(jp_fetch, "jobs")
    assert [j["id"] for j in listed["items"]] == [job["id"]]
    rerun = await call(jp_fetch, "jobs", job["id"], "rerun", method="POST")
    assert rerun["id"] != job["id"]
    assert (await wait_final(jp_fetch, rerun["id"]))["state"] == "succeeded"


async def test_cancel_a_running_job(jp_fetch, notebooks):
    job = await call(jp_fetch, "jobs", method="POST", body={"notebook": "slow.ipynb",
                                                            "profile": "small"})
    cancelled = await call(jp_fetch, "jobs", job["id"], "cancel", method="POST")
    assert cancelled["state"] == "cancelled" and cancelled["final"]


async def test_productionize_before_submit_refuses_dependency_errors(jp_fetch, notebooks):
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, "jobs", method="POST",
                   body={"notebook": "dep.ipynb", "profile": "small", "productionize": True})
    assert info.value.code == 422


@pytest.mark.parametrize(
    "body,status,message",
    [
        ({"notebook": "train.ipynb", "profile": "huge"}, 400, "unknown compute profile 'huge'"),
        ({"notebook": "train.ipynb", "profile": "small", "resources": {"gpu": 1}}, 400,
         "exceeds profile 'small'"),
        ({"notebook": "missing.ipynb", "profile": "small"}, 404, "does not exist"),
        ({"notebook": "../x.ipynb", "profile": "small"}, 403, "outside"),
        ({"notebook": "train.ipynb", "profile": "small", "parameters": {"beta": 1}}, 400,
         "not in the parameters cell"),
        ({"notebook": "train.ipynb", "profile": "small", "schedule": "0 99 * * *"}, 400,
         "cron hour"),
        ({"notebook": "train.ipynb", "profile": "small", "schedule": "0 3 * * *"}, 400,
         "submit runs a job once"),
        ({"notebook": "train.ipynb", "bogus": 1}, 400, "unknown job spec keys"),
        ({"notebook": "train.ipynb", "cluster": {"workers": 0}}, 400, "from 1 to 64"),
        ({"notebook": "train.ipynb", "cluster": {"workers": 2, "gpus": 1}}, 400,
         "cluster has unknown keys ['gpus']"),
        ({"notebook": "train.ipynb", "profile": "small",
          "cluster": {"workers": 2, "profile": "huge"}}, 400,
         "unknown compute profile 'huge'"),
        ({"notebook": "train.ipynb", "cluster": {"profile": "small"}}, 400, "needs 'workers'"),
        ({"notebook": "train.ipynb", "cluster": [2]}, 400, "cluster"),
    ],
)
async def test_bad_submissions_are_clear_4xx(jp_fetch, notebooks, body, status, message):
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, "jobs", method="POST", body=body)
    assert info.value.code == status
    assert message in json.loads(info.value.response.body)["message"]


async def test_a_job_with_a_cluster_computes_on_it_and_says_so(jp_fetch, jp_root_dir):
    write_nb(jp_root_dir / "dask.ipynb", [code(
        "import os\nimport jupyter_bighead as bh\n"
        "from jupyter_bighead.cluster import open_client\n"
        "with open_client() as client:\n"
        "    info = client.scheduler_info(n_workers=-1)['workers']\n"
        "    bh.log_metric('workers', len(info))\n"
        "    bh.log_metric('memory', min(w['memory_limit'] for w in info.values()))\n"
        "    bh.log_metric('total', client.submit(sum, range(10)).result())\n")])
    body = {"notebook": "dask.ipynb", "profile": "small",
            "cluster": {"workers": 2, "profile": "small"}}
    job = await call(jp_fetch, "jobs", method="POST", body=body)
    assert job["spec"]["cluster"] == {"workers": 2, "profile": "small"}
    assert job["cluster"]["workers"] == 2 and job["cluster"]["memory"] == "1Gi"
    done = await wait_final(jp_fetch, job["id"])
    assert done["state"] == "succeeded", done["error"]
    assert done["metrics"] == {"workers": 2.0, "memory": float(2**30), "total": 45.0}
    assert done["cluster"]["state"] == "stopped"
    assert done["cluster"]["address"].startswith("tcp://127.0.0.1:")


async def test_unknown_and_malformed_job_ids(jp_fetch):
    for job_id, status in (("no-such-job-1", 404), ("BAD_ID", 400)):
        with pytest.raises(HTTPClientError) as info:
            await call(jp_fetch, "jobs", job_id)
        assert info.value.code == status


async def test_schedules_are_created_listed_and_deleted(jp_fetch, notebooks):
    made = await call(jp_fetch, "schedules", method="POST",
                      body={"notebook": "train.ipynb", "profile": "small",
                            "schedule": "0 3 * * *", "name": "nightly"})
    assert made["name"] == "nightly" and made["schedule"] == "0 3 * * *"
    listed = await call(jp_fetch, "schedules")
    assert [s["name"] for s in listed["items"]] == ["nightly"]
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, "schedules", method="POST",
                   body={"notebook": "train.ipynb", "profile": "small",
                         "schedule": "0 3 * * *", "name": "nightly"})
    assert info.value.code == 409
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, "schedules", method="POST",
                   body={"notebook": "train.ipynb", "profile": "small"})
    assert info.value.code == 400
    await jp_fetch("bighead", "api", "schedules", "nightly", method="DELETE")
    assert (await call(jp_fetch, "schedules"))["items"] == []
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("bighead", "api", "schedules", "nightly", method="DELETE")
    assert info.value.code == 404


async def test_a_sweep_runs_in_the_background_and_reports_the_best_trial(jp_fetch, notebooks):
    started = await call(jp_fetch, "sweeps", method="POST", body={
        "notebook": "train.ipynb", "profile": "small", "space": {"alpha": [1, 3, 2]},
        "metric": "score", "mode": "max", "max_parallel": 2})
    assert started["state"] == "running" and started["total"] == 3
    for _ in range(360):
        state = await call(jp_fetch, "sweeps", started["id"])
        if state["state"] != "running":
            break
        await asyncio.sleep(0.5)
    assert state["state"] == "finished", state
    assert len(state["trials"]) == 3
    assert state["best"]["parameters"] == {"alpha": 3} and state["best"]["metric"] == 6.0
    assert [s["id"] for s in (await call(jp_fetch, "sweeps"))["items"]] == [started["id"]]
    jobs = (await call(jp_fetch, "jobs"))["items"]
    assert sum(1 for j in jobs if j["spec"]["labels"].get("sweep") == started["id"]) == 3


@pytest.mark.parametrize(
    "body,status",
    [
        ({"notebook": "train.ipynb", "profile": "small"}, 400),
        ({"notebook": "train.ipynb", "profile": "small", "space": {"alpha": []}}, 400),
        ({"notebook": "train.ipynb", "profile": "small", "space": {"alpha": [1]},
          "mode": "up"}, 400),
        ({"notebook": "nope.ipynb", "profile": "small", "space": {"alpha": [1]}}, 404),
    ],
)
async def test_bad_sweeps_are_refused_up_front(jp_fetch, notebooks, body, status):
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, "sweeps", method="POST", body=body)
    assert info.value.code == status
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, "sweeps", "sweep-20260101000000-abcdef")
    assert info.value.code == 404
