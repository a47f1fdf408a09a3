"""A job that asks for a Dask cluster (``JobSpec.cluster``): the spec's checks, and on
the local executor a real scheduler and workers that live exactly as long as the job."""

from __future__ import annotations

import json
import os
import time

import pytest

from jupyter_bighead._procs import alive
from jupyter_bighead.config import BigheadHome
from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.jobs import JobSpec
from jupyter_bighead.jobs.local import LocalExecutor
from jupyter_bighead.jobs.spec import MAX_CLUSTER_WORKERS, ComputeProfile
from jupyter_bighead.testing.executor import PROFILES

DASK = ComputeProfile("dask-small", cpu="1", memory="700Mi", image="bighead/dask:1")
ALL = {**PROFILES, "dask-small": DASK}
PROBE = "tests.jobs.dask_probe:use_cluster"


@pytest.mark.parametrize("cluster, message", [
    ({}, "needs 'workers'"),
    ({"workers": 0}, "from 1 to"),
    ({"workers": MAX_CLUSTER_WORKERS + 1}, "from 1 to"),
    ({"workers": True}, "from 1 to"),
    ({"workers": "2"}, "from 1 to"),
    ({"workers": 2, "threads": 0}, "threads"),
    ({"workers": 2, "gpus": 1}, "unknown keys ['gpus']"),
    ({"workers": 2, "profile": 3}, "profile name"),
    ({"workers": 2, "profile": "../x"}, "profile name"),
    ([2], "JSON object"),
])
def test_a_bad_cluster_request_is_refused_naming_what_is_wrong(cluster, message):
    with pytest.raises(InvalidSpec, match=message.replace("[", r"\[").replace("]", r"\]")):
        JobSpec.from_dict({"function": PROBE, "cluster": cluster})


def test_the_cluster_request_round_trips_through_the_spec_dict():
    spec = JobSpec(function=PROBE, cluster={"workers": 3, "profile": "dask-small"})
    assert spec.to_dict()["cluster"] == {"workers": 3, "profile": "dask-small"}
    assert JobSpec.from_dict(spec.to_dict()) == spec
    assert JobSpec(function=PROBE).to_dict()["cluster"] is None


@pytest.fixture
def ex(tmp_path):
    executor = LocalExecutor(home=BigheadHome(tmp_path / "home"), profiles=ALL, gpus=[])
    yield executor
    for record in executor.list(limit=1000):
        if not record.final:
            executor.cancel(record.id)
    executor.close()


def test_threads_beyond_the_profiles_cpu_are_refused_at_submit(ex):
    with pytest.raises(InvalidSpec, match=r"cluster threads 2 exceed .*'dask-small'.*at most 1"):
        ex.submit(JobSpec(function=PROBE, cluster={"workers": 1, "profile": "dask-small",
                                                   "threads": 2}))
    assert ex.list() == []


def test_a_local_cluster_bigger_than_the_machine_is_refused_at_submit(tmp_path):
    import os

    have = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    each = f"{have // 2**20 // 2 + 1}Mi"  # two of them are just over the machine's memory
    big = ComputeProfile("big", cpu="1", memory=each)
    ex = LocalExecutor(home=BigheadHome(tmp_path / "home"), profiles={**ALL, "big": big},
                       gpus=[])
    try:
        assert ex.cluster_plan(JobSpec(function=PROBE, cluster={"workers": 1,
                                                                "profile": "big"}))
        with pytest.raises(InvalidSpec, match=rf"2 workers x {each} = .* more than this "
                                              r"machine's .* GiB"):
            ex.submit(JobSpec(function=PROBE, cluster={"workers": 2, "profile": "big"}))
        assert ex.list() == []
    finally:
        ex.close()


def test_an_unknown_cluster_profile_is_refused_at_submit(ex):
    with pytest.raises(InvalidSpec, match="unknown compute profile 'huge'"):
        ex.submit(JobSpec(function=PROBE, cluster={"workers": 1, "profile": "huge"}))
    assert ex.list() == []


def _run(ex, tmp_path, outcome):
    report = tmp_path / f"{outcome}.json"
    gate = tmp_path / f"{outcome}.gate"
    params = {"report": str(report), "gate": str(gate), "fail": outcome == "failure"}
    record = ex.submit(JobSpec(function=PROBE, parameters=params,
                               cluster={"workers": 2, "profile": "dask-small"}))
    assert record.cluster == {"workers": 2, "profile": "dask-small", "threads": 1,
                              "cpu": "1", "memory": "700Mi", "image": "bighead/dask:1"}
    deadline = time.monotonic() + 180
    while not report.exists():
        assert time.monotonic() < deadline, ex.read_log(record.id)[0]
        assert not ex.status(record.id).final, ex.read_log(record.id)[0]
        time.sleep(0.2)
    seen = json.loads(report.read_text())
    running = ex.status(record.id)
    state = json.loads((ex.store.folder(record.id) / "cluster.json").read_text())
    pids = state["pids"] + seen["worker_pids"]
    return record, running, seen, pids, gate


@pytest.mark.parametrize("outcome", ["success", "failure", "cancel"])
def test_a_job_gets_its_own_cluster_and_it_is_gone_after_the_job(ex, tmp_path, outcome):
    record, running, seen, pids, gate = _run(ex, tmp_path, outcome)
    # The job's code found the cluster through $BIGHEAD_DASK, with the profile's memory.
    assert seen["workers"] == 2 and seen["sum"] == 5050
    assert seen["memory_limits"] == [700 * 2**20] * 2 and seen["threads"] == [1, 1]
    assert seen["address"].startswith("tcp://127.0.0.1:")
    # While it runs, the record says where the cluster is.
    assert running.state == "running"
    assert running.cluster["state"] == "running"
    assert running.cluster["address"] == seen["address"]
    assert running.cluster["dashboard"].startswith("http://127.0.0.1:")
    assert all(alive(pid, None) for pid in pids)
    assert len(set(pids)) == 3  # a scheduler and two workers (the same pids twice)
    if outcome == "cancel":
        done = ex.cancel(record.id)
    else:
        gate.write_text("go")
        done = ex.wait(record.id, timeout=120)
    assert done.state == {"success": "succeeded", "failure": "failed",
                          "cancel": "cancelled"}[outcome]
    assert done.cluster["state"] == "stopped"
    deadline = time.monotonic() + 15
    while any(alive(pid, None) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in pids if alive(pid, None)]
    assert not left, f"processes of the job's cluster outlived it: {left}"


def test_the_job_cluster_setting_does_not_leak_into_a_job_without_one(ex, tmp_path,
                                                                       monkeypatch):
    monkeypatch.setenv("BIGHEAD_JOB_CLUSTER", json.dumps({"workers": 2}))
    record = ex.submit(JobSpec(function="os:getcwd"))
    done = ex.wait(record.id, timeout=60)
    assert done.state == "succeeded", ex.read_log(record.id)[0]
    assert done.cluster == {}
    assert not (ex.store.folder(record.id) / "cluster.json").exists()
    assert os.environ["BIGHEAD_JOB_CLUSTER"]  # the test's own environment is untouched
