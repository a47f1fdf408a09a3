"""What only the Kubernetes executor does, against a real kube-apiserver.

Pods run on the TEST-ONLY node simulator of tests/k8s/harness.py, which stands in for
the kubelet (and the scheduler): it runs each pod's command as a local subprocess and
reports its status back to the API server.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.errors import InvalidSpec, NotFound, Unavailable
from jupyter_bighead.jobs import JobSpec
from jupyter_bighead.jobs.kubernetes import KubernetesExecutor

from ..jobs.conftest import PROFILES, make_kubernetes
from ..jobs.conftest import notebooks as notebooks  # the fixture, re-exported
from ..jobs.test_contract import assert_nothing_left

k8s = pytest.mark.k8s


@pytest.fixture
def kex(tmp_path, kube):
    ex = make_kubernetes(tmp_path, kube, service_account="bighead-runner",
                         active_deadline_seconds=900,
                         kernel_images={"python3": "bighead/python3:1.0"})
    yield ex
    for record in ex.list(limit=10_000):
        if not record.final:
            ex.cancel(record.id)
    ex.close()


def wait_running(ex, job_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = ex.status(job_id)
        if record.state == "running" and record.backend.get("pods"):
            return record
        time.sleep(0.2)
    raise AssertionError(f"{job_id} never ran: {ex.status(job_id)}")


@k8s
def test_the_job_carries_gpu_resources_placement_image_and_account(kex, kube, notebooks):
    record = kex.submit(JobSpec(notebook=str(notebooks / "slow.ipynb"), profile="gpu",
                                labels={"team": "fraud"}))
    job = kube.batch().read_namespaced_job(record.id, kube.namespace)
    pod = job.spec.template.spec
    worker = pod.containers[0]
    amounts = {"cpu": "8", "memory": "32Gi", "nvidia.com/gpu": "1"}
    assert worker.resources.requests == amounts
    assert worker.resources.limits == amounts
    assert pod.node_selector == {"accelerator": "nvidia"}
    assert [(t.key, t.operator, t.effect) for t in pod.tolerations] == [
        ("nvidia.com/gpu", "Exists", "NoSchedule")]
    assert worker.image == "bighead/gpu:latest"  # the profile's image wins
    assert pod.service_account_name == "bighead-runner"
    assert job.spec.backoff_limit == 0
    assert job.spec.active_deadline_seconds == 900
    assert worker.command[:3] == ["python", "-m", "jupyter_bighead.jobs.worker"]
    assert job.metadata.labels["bighead.io/job-id"] == record.id
    assert job.metadata.labels["team"] == "fraud"
    assert job.metadata.labels["bighead.io/user"]


@k8s
def test_the_spec_travels_in_a_configmap_owned_by_the_job(kex, kube, notebooks):
    record = kex.submit(JobSpec(notebook=str(notebooks / "train.ipynb"),
                                parameters={"alpha": 3.0}))
    job = kube.batch().read_namespaced_job(record.id, kube.namespace)
    cm = kube.core().read_namespaced_config_map(f"{record.id}-spec", kube.namespace)
    assert json.loads(cm.data["spec.json"])["parameters"] == {"alpha": 3.0}
    assert [(o.kind, o.name, o.uid) for o in cm.metadata.owner_references] == [
        ("Job", record.id, job.metadata.uid)]
    mount = job.spec.template.spec.containers[0].volume_mounts[0]
    assert mount.mount_path == "/etc/bighead"
    assert job.spec.template.spec.containers[0].image == "bighead/python3:1.0"  # kernel's
    assert kex.wait(record.id, 120).state == "succeeded"
    assert_nothing_left(kex, kex.status(record.id))  # a finished run keeps nothing


@k8s
def test_a_pod_lost_with_its_simulated_node_fails_the_record_and_leaves_nothing(
        kex, kube, notebooks):
    record = kex.submit(JobSpec(notebook=str(notebooks / "slow.ipynb")))
    running = wait_running(kex, record.id)
    # A node that goes away takes its pods with it: force-delete, as the node
    # lifecycle controller would. The Job controller would start a replacement pod;
    # the executor must report the loss instead of silently re-running.
    kube.core().delete_namespaced_pod(running.backend["pods"][0], kube.namespace,
                                      grace_period_seconds=0)
    done = kex.wait(record.id, 60)
    assert done.state == "failed"
    assert "was lost before the worker finished" in done.error
    assert_nothing_left(kex, done)


@k8s
def test_the_pod_watch_moves_records_on_without_anyone_asking(kex, notebooks):
    record = kex.submit(JobSpec(notebook=str(notebooks / "train.ipynb")))
    deadline = time.monotonic() + 120
    while not kex.store.load(record.id).final and time.monotonic() < deadline:
        time.sleep(0.3)  # read the record on disk only: no status() call reconciles it
    assert kex.store.load(record.id).state == "succeeded"


@k8s
def test_cancel_deletes_job_pod_and_configmap_and_stops_the_simulated_container(
        kex, kube, notebooks):
    record = kex.submit(JobSpec(notebook=str(notebooks / "slow.ipynb")))
    wait_running(kex, record.id)
    assert kex.leftovers(record.id)  # the Job, its pod and its ConfigMap exist
    assert kex.cancel(record.id).state == "cancelled"
    assert kex.leftovers(record.id) == []
    assert_nothing_left(kex, kex.status(record.id))


@k8s
def test_a_job_past_its_deadline_fails_with_a_clear_error(tmp_path, kube, notebooks):
    ex = make_kubernetes(tmp_path, kube, active_deadline_seconds=3)
    try:
        record = ex.submit(JobSpec(notebook=str(notebooks / "slow.ipynb")))
        done = ex.wait(record.id, 60)
        assert done.state == "failed"
        assert "deadline of 3 s" in done.error
        assert_nothing_left(ex, done)
    finally:
        ex.close()


@k8s
def test_a_schedule_is_a_cronjob_in_the_api_the_cluster_serves_and_can_be_removed(
        kex, kube, notebooks):
    summary = kex.schedule(JobSpec(notebook=str(notebooks / "train.ipynb"), name="k8s-nightly",
                                   schedule="0 3 * * *", profile="gpu"))
    assert summary["name"] == "bighead-k8s-nightly"
    # v1.20 lacks batch/v1 CronJob: the executor must have fallen back to v1beta1.
    assert summary["api_version"] == "batch/v1beta1"
    from kubernetes.dynamic import DynamicClient

    cronjobs = DynamicClient(kube.cluster.api_client()).resources.get(
        api_version="batch/v1beta1", kind="CronJob")
    cron = cronjobs.get(name="bighead-k8s-nightly", namespace=kube.namespace).to_dict()
    assert cron["spec"]["schedule"] == "0 3 * * *"
    worker = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert worker["resources"]["limits"]["nvidia.com/gpu"] == "1"
    cm = kube.core().read_namespaced_config_map("bighead-k8s-nightly-spec", kube.namespace)
    assert cm.metadata.owner_references[0].kind == "CronJob"
    assert [s["name"] for s in kex.schedules()] == ["bighead-k8s-nightly"]

    kex.unschedule("bighead-k8s-nightly")
    assert kex.schedules() == []
    with pytest.raises(NotFound, match="schedule 'bighead-k8s-nightly' does not exist"):
        kex.unschedule("bighead-k8s-nightly")


@k8s
def test_a_schedule_needs_a_cron_expression(kex, notebooks):
    with pytest.raises(InvalidSpec, match="cron expression"):
        kex.schedule(JobSpec(notebook=str(notebooks / "train.ipynb")))


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_cluster_is_a_clear_error_fast_and_creates_no_record(tmp_path,
                                                                            notebooks):
    config = tmp_path / "kubeconfig"
    config.write_text(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster:\n"
        f"    server: https://127.0.0.1:{_unused_port()}\n    insecure-skip-tls-verify: true\n"
        "users:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: gone\n  context:\n"
        "    cluster: gone\n    user: u\ncurrent-context: gone\n")
    ex = KubernetesExecutor(home=BigheadHome(tmp_path / "home"), profiles=PROFILES,
                            kubeconfig=config, request_timeout=2)
    started = time.monotonic()
    with pytest.raises(Unavailable, match=r"cannot reach the Kubernetes API at https://127"):
        ex.submit(JobSpec(notebook=str(notebooks / "train.ipynb")))
    assert time.monotonic() - started < 10
    assert ex.list() == []
    assert not any((tmp_path / "home" / "jobs").iterdir())


def test_no_kubeconfig_at_all_is_a_clear_error(tmp_path, notebooks):
    ex = KubernetesExecutor(home=BigheadHome(tmp_path / "home"), profiles=PROFILES,
                            kubeconfig=tmp_path / "missing")
    with pytest.raises(Unavailable, match="no usable Kubernetes configuration"):
        ex.submit(JobSpec(notebook=str(notebooks / "train.ipynb")))


def test_importing_the_executor_does_not_import_the_kubernetes_client():
    code = ("import sys, jupyter_bighead.jobs.kubernetes, jupyter_bighead.jobs.executor\n"
            "print('kubernetes' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def test_the_image_follows_profile_then_kernel_then_default(tmp_path, notebooks):
    ex = KubernetesExecutor(home=BigheadHome(tmp_path / "home"), profiles=PROFILES,
                            image="bighead/base:1", kernel_images={"python3": "bighead/py:1"})
    spec = JobSpec(notebook=str(notebooks / "train.ipynb"))
    assert ex.image_for(spec, PROFILES["gpu"]) == "bighead/gpu:latest"
    assert ex.image_for(spec, PROFILES["default"]) == "bighead/py:1"
    assert ex.image_for(JobSpec(function="m:f"), PROFILES["default"]) == "bighead/base:1"
