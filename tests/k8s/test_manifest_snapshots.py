"""The Kubernetes objects of a job run, a schedule and a deployment, compared with the
snapshots stored in ``tests/k8s/snapshots/*.json``.

The builders are pure functions, so these tests need no cluster. When a manifest is
meant to change, rewrite the snapshots and review the diff with the change::

    BIGHEAD_UPDATE_SNAPSHOTS=1 .venv/bin/pytest -q tests/k8s/test_manifest_snapshots.py
    git diff tests/k8s/snapshots
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.jobs import manifests as jm
from jupyter_bighead.jobs.kubernetes import KubernetesExecutor
from jupyter_bighead.jobs.spec import ComputeProfile, JobSpec
from jupyter_bighead.serving.deploy import Deployment
from jupyter_bighead.serving.manifests import deployment_manifests

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE_ENV = "BIGHEAD_UPDATE_SNAPSHOTS"

HOME = "/shared/bighead"
GPU = ComputeProfile("gpu", cpu="8", memory="32Gi", gpu=1, image="bighead/gpu:1",
                     node_selector={"accelerator": "nvidia"},
                     tolerations=({"key": "nvidia.com/gpu", "operator": "Exists",
                                   "effect": "NoSchedule"},))
SPEC = JobSpec(notebook="/shared/notebooks/train.ipynb", parameters={"alpha": 0.5},
               profile="gpu", labels={"team": "pricing ml"}, resources={"cpu": "4"})
VOLUMES = ({"name": "shared", "persistentVolumeClaim": {"claimName": "bighead-home"}},)
MOUNTS = ({"name": "shared", "mountPath": "/shared"},)


def check_snapshot(name: str, actual: object) -> None:
    """``actual`` equals the stored snapshot ``name``; with ``$BIGHEAD_UPDATE_SNAPSHOTS``
    set, the snapshot is (re)written instead. A missing snapshot fails, so a new one
    is only ever written on purpose."""
    path = SNAPSHOTS / f"{name}.json"
    text = json.dumps(actual, indent=2, sort_keys=True) + "\n"
    if os.environ.get(UPDATE_ENV):
        path.write_text(text, "utf-8")
        return
    assert path.exists(), f"no snapshot {path}; write it with {UPDATE_ENV}=1"
    assert json.loads(path.read_text("utf-8")) == actual, (
        f"{name} differs from {path}; if the change is intended, rerun with {UPDATE_ENV}=1 "
        "and review the diff")


def job_objects() -> dict[str, object]:
    labels = jm.job_labels(SPEC, "alice@example.com", **{jm.JOB_ID: "j-20240101-abc"})
    template = jm.pod_template(
        image="bighead/gpu:1", home=HOME, profile=GPU, resources={"cpu": "4", "memory": "32Gi",
                                                                  "gpu": 1},
        labels=labels, configmap="j-20240101-abc-spec", out=f"{HOME}/jobs/j-20240101-abc",
        protected=("production",), volumes=VOLUMES, volume_mounts=MOUNTS,
        service_account="bighead-worker")
    body = jm.job_body(template, backoff_limit=0, active_deadline_seconds=3600)
    return {"configmap": jm.spec_configmap("j-20240101-abc-spec", labels, '{"profile": "gpu"}'),
            "job": jm.job_manifest("j-20240101-abc", labels, body),
            "owner_patch": jm.owner_patch("batch/v1", "Job", "j-20240101-abc", "uid-1")}


def test_a_gpu_job_run_matches_its_snapshot():
    objects = job_objects()
    check_snapshot("job", objects)
    pod = objects["job"]["spec"]["template"]["spec"]  # type: ignore[index]
    assert pod["containers"][0]["command"][:3] == ["python", "-m", "jupyter_bighead.jobs.worker"]


def test_a_jobs_dask_cluster_matches_its_snapshot():
    profile = ComputeProfile("dask", cpu="2", memory="3Gi", image="bighead/dask:2",
                             node_selector={"pool": "dask"})
    labels = jm.job_labels(SPEC, "alice@example.com", **{jm.JOB_ID: "j-20240101-abc"})
    plan = {"workers": 2, "profile": "dask", "threads": 2}
    objects = jm.dask_cluster_manifests(
        "j-20240101-abc", plan=plan, image="bighead/dask:2", home=HOME, profile=profile,
        labels=labels, owner=jm.owner_reference("batch/v1", "Job", "j-20240101-abc", "uid-1"),
        volumes=VOLUMES, volume_mounts=MOUNTS)
    check_snapshot("dask_cluster", objects)
    workers = objects["workers"]
    assert [w["metadata"]["name"] for w in workers] == [
        "dask-j-20240101-abc-worker-0", "dask-j-20240101-abc-worker-1"]
    assert workers[0]["spec"]["containers"][0]["command"][3] == jm.dask_address(
        "j-20240101-abc") == "tcp://dask-j-20240101-abc:8786"


def test_a_schedule_matches_its_snapshot():
    spec = JobSpec(function="pkg.jobs:refresh", schedule="0 3 * * *", name="nightly")
    labels = jm.job_labels(spec, None, **{jm.SCHEDULE: "bighead-nightly"})
    template = jm.pod_template(
        image="jupyter-bighead:latest", home=HOME, profile=ComputeProfile("default"),
        resources={"cpu": "1", "memory": "2Gi", "gpu": 0}, labels=labels,
        configmap="bighead-nightly-spec", out=f"{HOME}/schedules/bighead-nightly/$(BIGHEAD_RUN)",
        protected=(), env=[{"name": "BIGHEAD_RUN",
                            "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}])
    check_snapshot("cronjob", jm.cronjob_manifest("bighead-nightly", labels, spec.schedule or "",
                                                  "batch/v1", jm.job_body(template)))


def test_the_executor_builds_the_pure_pod(tmp_path, monkeypatch):
    """The executor's pod is the pure builder's, with the executor's settings filled in."""
    monkeypatch.setenv("BIGHEAD_PROTECTED_ALIASES", "production")
    ex = KubernetesExecutor(home=BigheadHome(Path(HOME)), profiles={"gpu": GPU},
                            service_account="bighead-worker", volumes=VOLUMES,
                            volume_mounts=MOUNTS, active_deadline_seconds=3600)
    labels = jm.job_labels(SPEC, "alice@example.com", **{jm.JOB_ID: "j-20240101-abc"})
    template = ex.pod_template(SPEC, GPU, {"cpu": "4", "memory": "32Gi", "gpu": 1}, labels,
                               "j-20240101-abc-spec", f"{HOME}/jobs/j-20240101-abc")
    assert ex.job_spec(template) == job_objects()["job"]["spec"]  # type: ignore[index]


def test_a_deployment_matches_its_snapshot():
    record = Deployment(id="d-7f3a", model="booker", target="kubernetes", version=3,
                        alias="production", replicas=2, admin_token="token-for-tests",
                        resources={"cpu": "2", "memory": "3Gi", "gpu": 1, "max_replicas": 4},
                        created="2024-01-01T00:00:00+00:00", updated="2024-01-01T00:00:00+00:00")
    docs = deployment_manifests(
        record, namespace="models", image="bighead/serve:1", home=HOME,
        hpa_api_version="autoscaling/v2", default_resources={"cpu": "1", "memory": "1Gi"},
        workers=2, volumes=VOLUMES, volume_mounts=MOUNTS, service_account="bighead-serve")
    check_snapshot("deployment", docs)
    server = docs["deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert server["command"][:4] == ["python", "-m", "jupyter_bighead.cli", "serve"]


def test_a_changed_manifest_fails_the_snapshot(monkeypatch):
    monkeypatch.delenv(UPDATE_ENV, raising=False)
    changed = copy.deepcopy(job_objects())
    changed["job"]["spec"]["backoffLimit"] = 3  # type: ignore[index]
    with pytest.raises(AssertionError, match="differs"):
        check_snapshot("job", changed)
