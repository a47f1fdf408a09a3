"""A job that asks for a Dask cluster on the kubernetes executor, against a real
kube-apiserver: the scheduler's Service and Pod and the worker Pods carry the profile's
image and resources and the job's labels, the job's pod gets ``$BIGHEAD_DASK``, and
cancel or completion deletes every one of them.

The TEST-ONLY node simulator (tests/k8s/harness.py) runs each pod's command locally;
the workers cannot resolve the service's name there, so only the scheduler pod really
runs, which is all these tests need.
"""

from __future__ import annotations

import time

import pytest

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.errors import InvalidSpec
from jupyter_bighead.jobs import JobSpec
from jupyter_bighead.jobs.kubernetes import KubernetesExecutor
from jupyter_bighead.jobs.spec import ComputeProfile
from jupyter_bighead.testing.executor import PROFILES

from ..jobs.conftest import notebooks as notebooks  # the fixture, re-exported

k8s = pytest.mark.k8s
DASK = ComputeProfile("dask", cpu="2", memory="3Gi", image="bighead/dask:2",
                      node_selector={"pool": "dask"})
MOUNTS = ({"name": "shared", "mountPath": "/shared"},)
VOLUMES = ({"name": "shared", "persistentVolumeClaim": {"claimName": "bighead-home"}},)


def make(tmp_path, kube, **kw):
    return KubernetesExecutor(home=BigheadHome(tmp_path / "home"),
                              profiles={**PROFILES, "dask": DASK}, namespace=kube.namespace,
                              volumes=VOLUMES, volume_mounts=MOUNTS, **kw)


@pytest.fixture
def kex(tmp_path, kube):
    ex = make(tmp_path, kube)
    yield ex
    for record in ex.list(limit=1000):
        if not record.final:
            ex.cancel(record.id)
    ex.close()


def dask_objects(kube, job_id):
    selector = f"bighead.io/job-id={job_id},bighead.io/dask-role"
    pods = kube.core().list_namespaced_pod(kube.namespace, label_selector=selector).items
    services = kube.core().list_namespaced_service(kube.namespace,
                                                   label_selector=selector).items
    return pods, services


def wait_gone(kube, job_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pods, services = dask_objects(kube, job_id)
        if not pods and not services:
            return
        time.sleep(0.3)
    raise AssertionError(f"left: {[p.metadata.name for p in pods + services]}")


@k8s
def test_a_job_with_a_cluster_creates_scheduler_and_workers_and_cancel_removes_them(
        kex, kube, notebooks):
    record = kex.submit(JobSpec(notebook=str(notebooks / "slow.ipynb"), labels={"team": "ml"},
                                cluster={"workers": 2, "profile": "dask", "threads": 2}))
    job = kube.batch().read_namespaced_job(record.id, kube.namespace)
    address = f"tcp://dask-{record.id}:8786"
    env = {e.name: e.value for e in job.spec.template.spec.containers[0].env}
    assert env["BIGHEAD_DASK"] == address
    assert record.cluster["address"] == address
    assert record.cluster["dashboard"] == f"http://dask-{record.id}:8787/status"
    assert record.cluster["workers"] == 2 and record.cluster["image"] == "bighead/dask:2"

    pods, services = dask_objects(kube, record.id)
    roles = sorted(p.metadata.labels["bighead.io/dask-role"] for p in pods)
    assert roles == ["scheduler", "worker", "worker"]
    amounts = {"cpu": "2", "memory": "3Gi"}
    for pod in pods:
        container = pod.spec.containers[0]
        assert container.image == "bighead/dask:2"
        assert container.resources.requests == amounts == container.resources.limits
        assert pod.spec.node_selector == {"pool": "dask"}
        assert pod.metadata.labels["team"] == "ml"
        assert [(o.kind, o.name, o.uid) for o in pod.metadata.owner_references] == [
            ("Job", record.id, job.metadata.uid)]
        if pod.metadata.labels["bighead.io/dask-role"] == "worker":
            assert container.command[3] == address
            assert container.command[4:8] == ["--nthreads", "2", "--memory-limit",
                                              str(3 * 2**30)]
            assert [m.mount_path for m in container.volume_mounts] == ["/shared"]
    [service] = services
    assert service.metadata.name == f"dask-{record.id}"
    assert service.spec.selector == {"bighead.io/job-id": record.id,
                                     "bighead.io/dask-role": "scheduler"}
    assert sorted(p.port for p in service.spec.ports) == [8786, 8787]

    # The job's own pod is the only one the executor follows as the run.
    deadline = time.monotonic() + 60
    while (kex.status(record.id).cluster["state"] != "running"
           and time.monotonic() < deadline):
        time.sleep(0.3)
    running = kex.status(record.id)
    scheduler = kube.core().read_namespaced_pod(f"dask-{record.id}-scheduler", kube.namespace)
    assert running.cluster["state"] == "running", scheduler.status
    assert all(not p.startswith("dask-") for p in running.backend["pods"])

    done = kex.cancel(record.id)
    assert done.state == "cancelled" and done.cluster["state"] == "stopped"
    assert kex.leftovers(record.id) == []
    wait_gone(kube, record.id)


@k8s
def test_a_scheduler_pod_that_ends_shows_as_a_failed_cluster(kex, kube, notebooks):
    record = kex.submit(JobSpec(notebook=str(notebooks / "slow.ipynb"),
                                cluster={"workers": 1, "profile": "dask"}))
    deadline = time.monotonic() + 60
    while kex.status(record.id).cluster["state"] != "running":
        assert time.monotonic() < deadline, kex.status(record.id).cluster
        time.sleep(0.3)
    # What a kubelet reports when the scheduler's container crashes.
    kube.core().patch_namespaced_pod_status(
        f"dask-{record.id}-scheduler", kube.namespace, {"status": {"phase": "Failed"}})
    assert kex.status(record.id).cluster["state"] == "failed"
    done = kex.cancel(record.id)
    assert done.cluster["state"] == "failed"  # cancel keeps what happened to it
    wait_gone(kube, record.id)


@k8s
def test_the_cluster_is_deleted_when_the_job_completes(kex, kube, notebooks):
    record = kex.submit(JobSpec(notebook=str(notebooks / "train.ipynb"),
                                cluster={"workers": 1, "profile": "dask"}))
    assert len(dask_objects(kube, record.id)[0]) == 2
    done = kex.wait(record.id, timeout=180)
    assert done.state == "succeeded", kex.read_log(record.id)[0]
    assert done.cluster["state"] == "stopped"
    wait_gone(kube, record.id)
    assert kex.leftovers(record.id) == []


@k8s
@pytest.mark.parametrize("setting, expected", [
    ("tcp://scheduler.example:8786", "tcp://scheduler.example:8786"),
    ("scheduler.example:8786", "tcp://scheduler.example:8786"),
    ("local", None), ("none", None), ("", None)])
def test_job_pods_see_the_servers_scheduler_address(tmp_path, kube, notebooks, setting,
                                                    expected):
    ex = make(tmp_path, kube, dask=setting)
    try:
        record = ex.submit(JobSpec(notebook=str(notebooks / "slow.ipynb")))
        job = kube.batch().read_namespaced_job(record.id, kube.namespace)
        env = {e.name: e.value for e in job.spec.template.spec.containers[0].env}
        assert env.get("BIGHEAD_DASK") == expected
        assert record.cluster == {} and dask_objects(kube, record.id) == ([], [])
    finally:
        ex.cancel(record.id)
        ex.close()


def test_a_schedule_with_a_cluster_is_refused_before_any_call(tmp_path):
    ex = KubernetesExecutor(home=BigheadHome(tmp_path / "home"),
                            profiles={**PROFILES, "dask": DASK})
    with pytest.raises(InvalidSpec, match="cannot start a Dask cluster per run"):
        ex.schedule(JobSpec(function="pkg.jobs:refresh", schedule="0 3 * * *",
                            cluster={"workers": 2}))
