"""c.BigheadApp.dask: checked at start, exported to kernels and local jobs as
$BIGHEAD_DASK, and reported by GET /bighead/api/cluster (a real scheduler's workers and
dashboard; none, local and a scheduler that is gone without one)."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path

import pytest
from traitlets import TraitError
from traitlets.config import Config

from jupyter_bighead.cluster import ENV
from jupyter_bighead_server.app import BigheadApp
from jupyter_bighead_server.cluster_info import ClusterProbe, setting_report

from ..notebooks.helpers import code, write_nb


@pytest.fixture(scope="module")
def scheduler():
    """A one-worker, in-process cluster with a dashboard on a free port."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                      host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", memory_limit="1GiB") as local:
        yield local


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dask_setting():
    return "none"


@pytest.fixture
def jp_server_config(bighead_home, monkeypatch, dask_setting):
    # The server exports it into os.environ: setenv first so that teardown restores it.
    monkeypatch.setenv(ENV, "none")
    monkeypatch.delenv(ENV)
    settings = {"home": str(bighead_home)}
    if dask_setting is not None:
        settings["dask"] = dask_setting
    return {"ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True}},
            "BigheadApp": settings}


async def cluster(jp_fetch):
    return json.loads((await jp_fetch("bighead", "api", "cluster")).body)


class TestAScheduler:
    @pytest.fixture
    def dask_setting(self, scheduler):
        return scheduler.scheduler_address

    async def test_its_workers_and_dashboard_are_shown(self, jp_fetch, scheduler):
        import os

        address = scheduler.scheduler_address
        assert os.environ[ENV] == address
        report = await cluster(jp_fetch)
        assert report["state"] == "up", report
        assert report["kind"] == "address" and report["address"] == address
        assert report["source"] == "server" and report["setting"] == address
        assert report["workers"] == 1 and report["threads"] == 2
        assert report["memory"] == 1024 ** 3
        port = scheduler.scheduler.services["dashboard"].port
        assert report["dashboard"] == f"http://127.0.0.1:{port}/status"
        # Kept a few seconds: a second call answers from the same probe.
        assert await cluster(jp_fetch) == report


@pytest.fixture
def address_of_nothing():
    return f"tcp://127.0.0.1:{free_port()}"


async def test_a_scheduler_that_does_not_answer_is_unreachable_within_the_timeout(
        address_of_nothing):
    probe = ClusterProbe(address_of_nothing, timeout=1.0)
    started = time.monotonic()
    report = await probe.report()
    assert time.monotonic() - started < 15
    assert report["state"] == "unreachable", report
    assert address_of_nothing in report["message"]
    assert report["workers"] is None and report["dashboard"] is None


async def test_concurrent_requests_share_one_probe(scheduler):
    probe = ClusterProbe(scheduler.scheduler_address)
    answers = await asyncio.gather(*(probe.report() for _ in range(4)))
    assert all(a is answers[0] for a in answers) and answers[0]["state"] == "up"


async def test_no_setting_reports_none_and_imports_nothing(jp_fetch, jp_serverapp):
    report = await cluster(jp_fetch)
    assert report["kind"] == "none" and report["state"] == "none"
    assert report["source"] == "server" and report["workers"] is None
    assert not jp_serverapp.web_app.settings["bighead"].imports.started


@pytest.mark.parametrize("dask_setting", ["local"])
async def test_local_says_its_cluster_is_started_per_call(jp_fetch):
    report = await cluster(jp_fetch)
    assert report["kind"] == "local" and report["state"] == "per_call"
    assert "started for each call" in report["message"]
    assert report["dashboard"] is None


@pytest.mark.parametrize("dask_setting", ["kubernetes:dask:3"])
async def test_kubernetes_shows_its_setting_and_probes_nothing(jp_fetch, jp_serverapp):
    report = await cluster(jp_fetch)
    assert report["kind"] == "kubernetes" and report["state"] == "per_call"
    assert report["setting"] == "kubernetes:dask:3" and report["workers"] == 3
    assert "3 worker(s) of compute profile 'dask'" in report["message"]
    assert "started as Kubernetes pods for each call" in report["message"]
    assert report["dashboard"] is None and report["threads"] is None
    assert not jp_serverapp.web_app.settings["bighead"].imports.started
    default = setting_report("kubernetes")
    assert default["setting"] == "kubernetes" and default["workers"] is None
    assert "the default number of worker(s) of compute profile 'default'" in default["message"]


@pytest.mark.parametrize("dask_setting", [None])
async def test_without_the_setting_the_inherited_variable_is_reported(jp_fetch, monkeypatch):
    monkeypatch.setenv(ENV, "somewhere:8786")
    report = setting_report("")
    assert report["source"] == "env" and report["address"] == "tcp://somewhere:8786"
    monkeypatch.setenv(ENV, "nonsense setting")
    report = await cluster(jp_fetch)
    assert report["state"] == "invalid" and "$BIGHEAD_DASK" in report["message"]


def test_the_setting_is_checked_and_normalised():
    assert BigheadApp(dask="Host:8786").dask == "tcp://Host:8786"
    assert BigheadApp(dask=" LOCAL ").dask == "local"
    assert BigheadApp(dask="Kubernetes:dask:3").dask == "kubernetes:dask:3"
    assert BigheadApp(dask="k8s").dask == "kubernetes"
    assert BigheadApp().dask == ""
    for wrong, why in (("tcp://h:99999", "no valid port"), ("gopher://h:1", "unknown scheme"),
                       ("kubernetes:dask:0", "worker count"), ("two words", "unknown")):
        with pytest.raises(TraitError, match=why):
            BigheadApp(dask=wrong)
        app = BigheadApp()
        app.update_config(Config({"BigheadApp": {"dask": wrong}}))
        assert app.dask == ""
        assert app.setting_errors[0].startswith("c.BigheadApp.dask: "), app.setting_errors


@pytest.mark.parametrize("dask_setting", ["tcp://10.1.2.3:8786"])
async def test_kernels_and_local_jobs_see_the_setting(jp_fetch, jp_serverapp, jp_root_dir):
    import os

    assert os.environ[ENV] == "tcp://10.1.2.3:8786"
    # A kernel the server starts: read its process's environment.
    manager = jp_serverapp.kernel_manager
    kernel_id = await manager.start_kernel(kernel_name="python3")
    try:
        pid = manager.get_kernel(kernel_id).provisioner.process.pid
        env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        assert f"{ENV}=tcp://10.1.2.3:8786".encode() in env
    finally:
        await manager.shutdown_kernel(kernel_id, now=True)
    # A local job (its process and the notebook's kernel).
    seen = jp_root_dir / "dask-seen.txt"
    write_nb(jp_root_dir / "env.ipynb", [code(
        "import os, pathlib\n"
        f"pathlib.Path({str(seen)!r}).write_text(os.environ.get('{ENV}', 'unset'))")])
    job = json.loads((await jp_fetch("bighead", "api", "jobs", method="POST",
                                     body=json.dumps({"notebook": "env.ipynb"}))).body)
    for _ in range(360):
        job = json.loads((await jp_fetch("bighead", "api", "jobs", job["id"])).body)
        if job["final"]:
            break
        await asyncio.sleep(0.5)
    assert job["state"] == "succeeded", job.get("error")
    assert seen.read_text() == "tcp://10.1.2.3:8786"
