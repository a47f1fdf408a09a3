"""The Kubernetes objects of a job run and a schedule, as plain dicts.

Pure functions: no API client, no files, no environment. The ``kubernetes`` executor
(:mod:`.kubernetes`) gathers the inputs (the image, the home folder as the pods see
it, the protected aliases) and sends what these return; tests compare them with stored
snapshots (``tests/k8s/snapshots``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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


# -- a job's Dask cluster ---------------------------------------------------------------
#: The label that marks a job's Dask pods and service (``scheduler`` or ``worker``); the
#: job's own pod has none, so ``!bighead.io/dask-role`` selects it alone.
DASK_ROLE = "bighead.io/dask-role"
DASK_PORT = 8786
DASK_DASHBOARD_PORT = 8787


def dask_names(job_id: str) -> dict[str, str]:
    """The names of a job's Dask objects: the scheduler's service (which is also the host
    in its address) and pod, and the prefix of the workers' pods."""
    base = f"dask-{job_id}"
    return {"service": base, "scheduler": f"{base}-scheduler", "worker": f"{base}-worker"}


def dask_address(job_id: str) -> str:
    """The scheduler's address as the job's pods see it (the service, same namespace)."""
    return f"tcp://{dask_names(job_id)['service']}:{DASK_PORT}"


def _dask_pod(name: str, *, role: str, image: str, labels: Mapping[str, str],
              profile: ComputeProfile, command: Sequence[str], env: Sequence[Mapping[str, Any]],
              owner: Mapping[str, Any] | None, ports: Sequence[Mapping[str, Any]] = (),
              volumes: Sequence[Mapping[str, Any]] = (),
              volume_mounts: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": role, "image": image, "command": list(command), "env": [dict(e) for e in env],
        "resources": resource_requirements({"cpu": profile.cpu, "memory": profile.memory,
                                            "gpu": profile.gpu}),
    }
    if ports:
        container["ports"] = [dict(p) for p in ports]
    if volume_mounts:
        container["volumeMounts"] = [dict(m) for m in volume_mounts]
    spec: dict[str, Any] = {"restartPolicy": "Never", "containers": [container]}
    if volumes:
        spec["volumes"] = [dict(v) for v in volumes]
    if profile.node_selector:
        spec["nodeSelector"] = dict(profile.node_selector)
    if profile.tolerations:
        spec["tolerations"] = [dict(t) for t in profile.tolerations]
    metadata: dict[str, Any] = {"name": name, "labels": {**labels, DASK_ROLE: role}}
    if owner:
        metadata["ownerReferences"] = [dict(owner)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


def dask_cluster_manifests(job_id: str, *, plan: Mapping[str, Any], image: str, home: str,
                           profile: ComputeProfile, labels: Mapping[str, str],
                           owner: Mapping[str, Any] | None = None,
                           volumes: Sequence[Mapping[str, Any]] = (),
                           volume_mounts: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """A job's Dask cluster: the scheduler's Service and Pod and ``plan["workers"]``
    worker Pods, all of ``profile``'s image and resources, labelled like the job plus
    :data:`DASK_ROLE`, and owned by ``owner`` (the Job's reference) when given.

    Each worker may use its profile's memory (``--memory-limit``) and ``plan["threads"]``
    threads; the workers mount ``volumes`` like the job (same paths everywhere).
    """
    from ..resources import parse_quantity

    names = dask_names(job_id)
    env = [{"name": HOME_ENV, "value": home}, {"name": "BIGHEAD_IMAGE", "value": image}]
    address = dask_address(job_id)
    scheduler = _dask_pod(
        names["scheduler"], role="scheduler", image=image, labels=labels, profile=profile,
        command=["python", "-m", "distributed.cli.dask_scheduler", "--port", str(DASK_PORT),
                 "--dashboard-address", f":{DASK_DASHBOARD_PORT}"],
        env=env, owner=owner,
        ports=[{"name": "comm", "containerPort": DASK_PORT},
               {"name": "dashboard", "containerPort": DASK_DASHBOARD_PORT}])
    memory = str(int(parse_quantity(profile.memory, f"profile {profile.name!r} memory")))
    workers = [_dask_pod(
        f"{names['worker']}-{i}", role="worker", image=image, labels=labels, profile=profile,
        command=["python", "-m", "distributed.cli.dask_worker", address,
                 "--nthreads", str(int(plan.get("threads") or 1)), "--memory-limit", memory,
                 "--name", f"worker-{i}", "--death-timeout", "300"],
        env=env, owner=owner, volumes=volumes, volume_mounts=volume_mounts)
        for i in range(int(plan["workers"]))]
    service_meta: dict[str, Any] = {"name": names["service"],
                                    "labels": {**labels, DASK_ROLE: "scheduler"}}
    if owner:
        service_meta["ownerReferences"] = [dict(owner)]
    service = {"apiVersion": "v1", "kind": "Service", "metadata": service_meta,
               "spec": {"selector": {JOB_ID: labels[JOB_ID], DASK_ROLE: "scheduler"},
                        "ports": [{"name": "comm", "port": DASK_PORT,
                                   "targetPort": DASK_PORT},
                                  {"name": "dashboard", "port": DASK_DASHBOARD_PORT,
                                   "targetPort": DASK_DASHBOARD_PORT}]}}
    return {"service": service, "scheduler": scheduler, "workers": workers}


def owner_reference(api_version: str, kind: str, name: str, uid: str) -> dict[str, Any]:
    """An ``ownerReferences`` entry: deleting ``kind/name`` deletes what carries it."""
    return {"apiVersion": api_version, "kind": kind, "name": name, "uid": uid}
