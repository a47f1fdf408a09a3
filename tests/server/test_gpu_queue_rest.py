"""The GPU work queue through REST: c.BigheadApp.local_gpus, the GPUs a job holds, its place."""

from __future__ import annotations

import json
import os

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_bighead.jobs.gpus import LOCAL_GPUS_ENV

from ..notebooks.helpers import code, write_nb


@pytest.fixture
def jp_server_config(bighead_home, monkeypatch):
    # The server exports the list for its kernels; give it back to the other tests.
    monkeypatch.setenv(LOCAL_GPUS_ENV, "none")
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True}},
        "BigheadApp": {
            "home": str(bighead_home),
            "local_gpus": ["GPU-rest-0"],
            "profiles": {"small": {"cpu": "1", "memory": "1Gi"},
                         "gpu": {"cpu": "4", "memory": "8Gi", "gpu": 2}},
        },
    }


async def call(jp_fetch, *parts, method="GET", body=None):
    kwargs = {"method": method}
    if body is not None or method == "POST":
        kwargs["body"] = json.dumps(body or {})
    return json.loads((await jp_fetch("bighead", "api", *parts, **kwargs)).body)


async def test_a_job_asking_for_more_gpus_than_configured_gets_400(jp_fetch, jp_root_dir):
    write_nb(jp_root_dir / "train.ipynb", [code("x = 1")])
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, "jobs", method="POST", body={"notebook": "train.ipynb",
                                                          "profile": "gpu"})
    assert info.value.code == 400
    body = json.loads(info.value.response.body)
    assert body["error"] == "invalid_spec"
    assert "asks for 2 GPU(s) but this machine has 1 (GPU-rest-0)" in body["message"]
    assert (await call(jp_fetch, "jobs"))["items"] == []
    assert os.environ[LOCAL_GPUS_ENV] == "GPU-rest-0"  # what kernels the server starts see


async def test_jobs_show_the_gpus_they_hold_and_their_place_in_the_queue(jp_fetch, jp_root_dir):
    write_nb(jp_root_dir / "slow.ipynb", [code("import time\ntime.sleep(120)")])
    body = {"notebook": "slow.ipynb", "profile": "gpu", "resources": {"gpu": 1}}
    first = await call(jp_fetch, "jobs", method="POST", body=body)
    second = await call(jp_fetch, "jobs", method="POST", body=body)
    try:
        assert first["state"] == "running"
        assert [g["id"] for g in first["backend"]["gpus"]] == ["GPU-rest-0"]
        assert second["state"] == "queued" and second["backend"]["queue_position"] == 1
        listed = {j["id"]: j for j in (await call(jp_fetch, "jobs"))["items"]}
        assert listed[second["id"]]["backend"]["queue_position"] == 1
    finally:
        for job in (second, first):
            await call(jp_fetch, "jobs", job["id"], "cancel", method="POST")
