"""Limits on what one request may cost: sweep sizes, log pages, deployments."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest
from tornado.httpclient import HTTPClientError

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.errors import Conflict
from jupyter_bighead.jobs import JobSpec
from jupyter_bighead.jobs.records import JobRecord, new_job_id
from jupyter_bighead.registry import Registry
from jupyter_bighead_server.handlers.base import server_user
from jupyter_bighead_server.handlers.jobs import LOG_PAGE_BYTES

from ..notebooks.helpers import code, write_nb


@pytest.fixture
def jp_server_config(bighead_home):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True}},
        "BigheadApp": {"home": str(bighead_home), "deploy_supervise_seconds": 0.0,
                       "max_deployments_per_user": 1, "max_deployments": 2},
    }


async def call(jp_fetch, *parts, method="GET", body=None, **params):
    kwargs = {"method": method, "params": params}
    if body is not None or method == "POST":
        kwargs["body"] = json.dumps(body or {})
    return json.loads((await jp_fetch("bighead", "api", *parts, **kwargs)).body)


async def test_a_small_request_for_a_huge_sweep_grid_is_refused_at_once(jp_fetch, jp_root_dir):
    write_nb(jp_root_dir / "train.ipynb", [code("a = b = c = d = 0", "parameters")])
    body = {"notebook": "train.ipynb", "space": {k: list(range(100)) for k in "abcd"}}
    assert len(json.dumps(body)) < 2000  # 10^8 combinations in under 2 KB
    started = time.perf_counter()
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, "sweeps", method="POST", body=body)
    assert time.perf_counter() - started < 5
    assert info.value.code == 400
    assert "100000000 combinations" in json.loads(info.value.response.body)["message"]


async def test_job_logs_come_in_pages(jp_fetch, jp_serverapp):
    executor = jp_serverapp.web_app.settings["bighead"].jobs()
    spec = JobSpec(function="json:dumps")
    record = executor.store.save(JobRecord(new_job_id(spec), spec, "local", state="succeeded"))
    text = "".join(f"line {i} ünïcode\n" for i in range(150_000))  # ~2.8 MB
    (executor.store.folder(record.id) / "output.log").write_text(text, "utf-8")

    first = await call(jp_fetch, "jobs", record.id, "logs")
    assert len(first["text"].encode()) <= LOG_PAGE_BYTES
    assert first["more"] is True and first["final"] is False  # final only at the end
    pages, offset = [first["text"]], first["offset"]
    while True:
        page = await call(jp_fetch, "jobs", record.id, "logs", offset=str(offset),
                          limit="500000")
        assert len(page["text"].encode()) <= 500_000
        pages.append(page["text"])
        offset = page["offset"]
        if page["final"]:
            assert page["more"] is False
            break
    assert "".join(pages) == text
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, "jobs", record.id, "logs", limit=str(LOG_PAGE_BYTES + 1))
    assert info.value.code == 400


@pytest.fixture
def model(bighead_home):
    import lightgbm as lgb

    home = BigheadHome(bighead_home).ensure()
    reg = Registry(home.registry_uri, artifacts=home.artifacts)
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(200, 2)), columns=["a", "b"])
    reg.register("churn", lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(X, X.a > 0))
    return reg


async def test_deployments_are_capped_per_user_and_in_total(jp_fetch, jp_serverapp, model):
    service = jp_serverapp.web_app.settings["bighead"].deployments()
    made = await call(jp_fetch, "deployments", method="POST", body={"model": "churn"})
    try:
        assert made["user"] == server_user()
        with pytest.raises(HTTPClientError) as info:
            await call(jp_fetch, "deployments", method="POST", body={"model": "churn"})
        assert info.value.code == 409
        body = json.loads(info.value.response.body)
        assert body["error"] == "conflict" and "max_deployments_per_user=1" in body["message"]
        other = service.create("churn", user="bob")  # another user still may
        with pytest.raises(Conflict, match="max_deployments=2"):
            service.create("churn", user="carol")
        assert len(list(service.store.all())) == 2
        service.delete(other.id)
    finally:
        await call(jp_fetch, "deployments", made["id"], method="DELETE")
