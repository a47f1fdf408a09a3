"""The Kubernetes objects of a job run and a schedule, as plain dicts.

Pure functions: no API client, no files, no environment. The ``kubernetes`` executor
(:mod:`.kubernetes`) gathers the inputs (the image, the home folder as the pods see
it, the protected aliases) and sends what these return; tests compare them with stored
snapshots (``tests/k8s/snapshots``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jupyter_bighead.kube_dask as kube_dask

from ..config import HOME_ENV
from ..kube import MANAGED_BY, label_value, resource_requirements
from ..registry.protect import PROTECTED_ENV
from .spec import ComputeProfile, JobSpec

#: Where a run's ``spec.json`` is mounted in the worker pod.
SPEC_DIR = "/etc/bighead"
JOB_ID = "bighead.io/job-id"
SCHEDULE = "bighead.io/schedule"
USER = "bighead.io/user"
#: Selects every object the platform manages.
SELECTOR = f"{MANAGED_BY}=jupyter-bighead"
#: The command the worker pod runs (the job runtime, :mod:`.worker`).
WORKER_MODULE = "jupyter_bighead.jobs.worker"


def job_labels(spec: JobSpec, user: str | None, **extra: str) -> dict[str, str]:
    """The spec's labels (squeezed into label values), the manager, the user, ``extra``."""
    out = {k: v for k, v in ((k, label_value(v)) for k, v in spec.labels.items()) if v}
    out.update({MANAGED_BY: "jupyter-bighead", USER: label_value(user or "") or "unknown"})
    out.update(extra)
    return out


def pod_template(*, image: str, home: str, profile: ComputeProfile,
                 resources: Mapping[str, Any], labels: Mapping[str, str], configmap: str,
                 out: str, protected: Sequence[str], env: Sequence[Mapping[str, Any]] = (),
                 volumes: Sequence[Mapping[str, Any]] = (),
                 volume_mounts: Sequence[Mapping[str, Any]] = (),
                 service_account: str | None = None) -> dict[str, Any]:
    """The pod that runs the worker on the spec in ``configmap``, writing into ``out``.

    ``home`` is ``BIGHEAD_HOME`` as the pods see it; ``protected`` the aliases a job
    may not move (the server's list holds inside the pod too).
    """
    pod: dict[str, Any] = {
        "restartPolicy": "Never",
        "containers": [{
            "name": "worker",
            "image": image,
            "command": ["python", "-m", WORKER_MODULE,
                        "--spec", f"{SPEC_DIR}/spec.json", "--out", out,
                        "--log", f"{out}/output.log"],
            "env": [{"name": HOME_ENV, "value": home},
                    {"name": "BIGHEAD_IMAGE", "value": image},
                    {"name": "PYTHONUNBUFFERED", "value": "1"},
                    {"name": PROTECTED_ENV, "value": ",".join(protected)},
                    *[dict(e) for e in env]],
            "resources": resource_requirements(resources),
            "volumeMounts": [{"name": "bighead-spec", "mountPath": SPEC_DIR,
                              "readOnly": True}, *[dict(m) for m in volume_mounts]],
        }],
        "volumes": [{"name": "bighead-spec", "configMap": {"name": configmap}},
                    *[dict(v) for v in volumes]],
    }
    if profile.node_selector:
        pod["nodeSelector"] = dict(profile.node_selector)
    if profile.tolerations:
        pod["tolerations"] = [dict(t) for t in profile.tolerations]
    if service_account:
        pod["serviceAccountName"] = service_account
    return {"metadata": {"labels": dict(labels)}, "spec": pod}


def job_body(template: Mapping[str, Any], *, backoff_limit: int = 0,
             active_deadline_seconds: int | None = None) -> dict[str, Any]:
    """A Job's ``spec``: one pod, ``backoff_limit`` retries, an optional deadline."""
    spec: dict[str, Any] = {"backoffLimit": backoff_limit, "completions": 1,
                            "parallelism": 1, "template": dict(template)}
    if active_deadline_seconds:
        spec["activeDeadlineSeconds"] = active_deadline_seconds
    return spec


def spec_configmap(name: str, labels: Mapping[str, str], spec_json: str) -> dict[str, Any]:
    """The ConfigMap holding ``spec.json`` (mounted at :data:`SPEC_DIR`)."""
    return {"metadata": {"name": name, "labels": dict(labels)},
            "data": {"spec.json": spec_json}}


def job_manifest(name: str, labels: Mapping[str, str], body: Mapping[str, Any]) -> dict[str, Any]:
    """The ``batch/v1`` Job ``name`` with spec ``body`` (:func:`job_body`)."""
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "labels": dict(labels)}, "spec": dict(body)}


def cronjob_manifest(name: str, labels: Mapping[str, str], schedule: str, api_version: str,
                     body: Mapping[str, Any]) -> dict[str, Any]:
    """The CronJob ``name``: one run at a time, the last run of each outcome kept."""
    return {"apiVersion": api_version, "kind": "CronJob",
            "metadata": {"name": name, "labels": dict(labels)},
            "spec": {"schedule": schedule, "concurrencyPolicy": "Forbid",
                     "successfulJobsHistoryLimit": 1, "failedJobsHistoryLimit": 1,
                     "jobTemplate": {"metadata": {"labels": dict(labels)},
                                     "spec": dict(body)}}}


def owner_patch(api_version: str, kind: str, name: str, uid: str) -> dict[str, Any]:
    """A patch making ``kind/name`` the owner (so the garbage collector deletes with it)."""
    return {"metadata": {"ownerReferences": [{"apiVersion": api_version, "kind": kind,
                                              "name": name, "uid": uid}]}}


# -- a job's Dask cluster (built by the bottom layer's kube_dask, shared with the
# `kubernetes` cluster setting) -----------------------------------------------------------
DASK_ROLE = kube_dask.DASK_ROLE
DASK_PORT = kube_dask.DASK_PORT
DASK_DASHBOARD_PORT = kube_dask.DASK_DASHBOARD_PORT
dask_names = kube_dask.names


def dask_address(job_id: str) -> str:
    """The scheduler's address as the job's pods see it (the service, same namespace)."""
    return kube_dask.address(job_id)


def dask_cluster_manifests(job_id: str, *, plan: Mapping[str, Any], image: str, home: str,
                           profile: ComputeProfile, labels: Mapping[str, str],
                           owner: Mapping[str, Any] | None = None,
                           volumes: Sequence[Mapping[str, Any]] = (),
                           volume_mounts: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """A job's Dask cluster: the scheduler's Service and Pod and ``plan["workers"]``
    worker Pods, all of ``profile``'s image and resources, labelled like the job plus
    :data:`DASK_ROLE`, and owned by ``owner`` (the Job's reference) when given
    (:func:`jupyter_bighead.kube_dask.cluster_manifests`).

    Each worker may use its profile's memory (``--memory-limit``) and ``plan["threads"]``
    threads; the workers mount ``volumes`` like the job (same paths everywhere).
    """
    return kube_dask.cluster_manifests(
        job_id, workers=int(plan["workers"]), threads=int(plan.get("threads") or 1),
        image=image, home=home, profile=profile, labels=labels,
        selector={JOB_ID: labels[JOB_ID]}, owner=owner, volumes=volumes,
        volume_mounts=volume_mounts)


def owner_reference(api_version: str, kind: str, name: str, uid: str) -> dict[str, Any]:
    """An ``ownerReferences`` entry: deleting ``kind/name`` deletes what carries it."""
    return {"apiVersion": api_version, "kind": kind, "name": name, "uid": uid}
