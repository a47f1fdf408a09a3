"""A job's Dask cluster on Kubernetes (``JobSpec.cluster`` on the kubernetes executor).

Plain objects, no operator: a Service and a Pod for the scheduler and one Pod per worker
(built by :func:`.manifests.dask_cluster_manifests`, created and deleted by
:mod:`jupyter_bighead.kube_dask`, which the ``kubernetes`` cluster setting uses too),
labelled with the job's id and owned by its Job, so the garbage collector removes them
with the Job even when no executor is around. The executor deletes them itself when the
run ends or is cancelled. The job's pod reaches the scheduler as ``$BIGHEAD_DASK``
(``tcp://dask-<job id>:8786``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jupyter_bighead.jobs.manifests as m
import jupyter_bighead.kube_dask as kube_dask

from ..cluster import ENV, parse_setting
from ..errors import InvalidSpec, NotFound
from .records import JobRecord
from .spec import ComputeProfile

#: ``ex`` below is the :class:`.kubernetes.KubernetesExecutor` (not imported: no cycle).
KubernetesExecutor = Any


def job_env(record: JobRecord, setting: str | None) -> list[dict[str, Any]]:
    """``$BIGHEAD_DASK`` for the job's pod: its own cluster's scheduler, else the
    server's setting when that is a scheduler address (the pod cannot use the server's
    ``local`` cluster, and ``none`` needs no variable)."""
    if record.cluster:
        return [{"name": ENV, "value": m.dask_address(record.id)}]
    if setting:
        try:
            parsed = parse_setting(setting)
        except InvalidSpec:
            return []
        if parsed.kind == "address" and parsed.address:
            return [{"name": ENV, "value": parsed.address}]
    return []


def create(ex: KubernetesExecutor, record: JobRecord, labels: Mapping[str, str],
           job_uid: str) -> dict[str, Any]:
    """Create the job's cluster in the executor's namespace; return the record's
    ``cluster`` (the plan, ``state`` "starting", ``address``, ``dashboard``, objects)."""
    plan = record.cluster
    profile: ComputeProfile = ex.profile(str(plan["profile"]))
    image = profile.image or ex.image
    objects = m.dask_cluster_manifests(
        record.id, plan=plan, image=image, home=str(ex.home.root), profile=profile,
        labels=labels, owner=m.owner_reference("batch/v1", "Job", record.id, job_uid),
        volumes=ex.volumes, volume_mounts=ex.volume_mounts)
    kube_dask.create(ex._core(), ex.namespace, objects, ex._call)
    service = objects["service"]["metadata"]["name"]
    return {**plan, "image": image, "state": "starting", "address": m.dask_address(record.id),
            "dashboard": f"http://{service}:{m.DASK_DASHBOARD_PORT}/status",
            "service": service, "scheduler_pod": objects["scheduler"]["metadata"]["name"],
            "worker_pods": [p["metadata"]["name"] for p in objects["workers"]]}


def refresh(ex: KubernetesExecutor, record: JobRecord) -> dict[str, Any] | None:
    """The record's ``cluster`` with its state from the scheduler's pod: ``running``, or
    ``failed`` once that pod has ended (None when unchanged)."""
    cluster = record.cluster
    if not cluster or cluster.get("state") not in ("starting", "running"):
        return None
    ns = record.backend.get("namespace", ex.namespace)
    try:
        pod = ex._call(ex._core().read_namespaced_pod, str(cluster.get("scheduler_pod")), ns)
    except NotFound:
        return None
    phase = pod.status.phase if pod.status else None
    state = {"Running": "running", "Failed": "failed",
             "Succeeded": "failed"}.get(phase or "")  # a scheduler never ends on its own
    return {**cluster, "state": state} if state and state != cluster["state"] else None


def delete(ex: KubernetesExecutor, ns: str, job_id: str) -> None:
    """Delete every Dask pod and service labelled with ``job_id`` (none is fine)."""
    kube_dask.delete(ex._core(), ns, {m.JOB_ID: job_id}, ex._call)


def stopped(cluster: Mapping[str, Any]) -> dict[str, Any]:
    """``cluster`` marked stopped (``{}`` stays ``{}``, a failed one stays failed)."""
    if not cluster or cluster.get("state") == "failed":
        return dict(cluster)
    return {**cluster, "state": "stopped"}
