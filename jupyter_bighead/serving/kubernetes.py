"""The ``kubernetes`` deploy target: a Deployment, a Service and a HorizontalPodAutoscaler.

The three manifests are rendered from ``templates/kubernetes/serving/*.json`` (shipped
in the wheel) by the pure functions of :mod:`.manifests`, and applied with server-side
apply (``PATCH`` with ``application/apply-patch+yaml``, field manager
``jupyter-bighead``). Each pod serves a pinned ``name:version``, and the version is also
in the pod template's annotations and environment: when an alias moves, re-applying
changes the template, and the Deployment controller rolls the pods over
(``maxUnavailable: 0``) while the Deployment stays the same object.

Requests and limits come from the pipeline's ``resources()`` (else the target's
defaults; the caller may override them). Replicas belong to the HPA: the Deployment
manifest leaves ``spec.replicas`` out, as Kubernetes advises with an autoscaler, and
only the first apply sets it to the minimum, under a separate field manager, so later
applies do not reset a scaled-out Deployment.

On a real cluster the pods need the registry: mount the volume that holds
``BIGHEAD_HOME`` through ``volumes`` and ``volume_mounts`` (as for the jobs executor).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ..config import BigheadHome
from ..errors import InvalidSpec, NotFound, Unavailable
from ..kube import DEFAULT_IMAGE, kube_errors, make_api_client
from .deploy import Deployment, DeployTarget
from .manifests import (  # render, object_name, ... stay importable from here too
    DEFAULT_RESOURCES,
    DEPLOYMENT_LABEL,
    FIELD_MANAGER,
    deployment_manifests,
    load_template,
    object_name,
    render,
)

__all__ = ["DEFAULT_RESOURCES", "DEPLOYMENT_LABEL", "FIELD_MANAGER", "KubernetesTarget",
           "load_template", "object_name", "render"]

class KubernetesTarget(DeployTarget):
    """Serve deployments on a Kubernetes cluster.

    Parameters
    ----------
    home
        Where records live; the pods get it as ``BIGHEAD_HOME``.
    namespace, kubeconfig, context
        Where to deploy, and how to reach the cluster (default: ``$KUBECONFIG`` or
        ``~/.kube/config``; the in-cluster configuration inside a pod).
    image
        The server image: it must have jupyter-bighead (and the model's packages).
    default_resources
        Requests and limits when the model declares none and the caller gives none.
    workers
        Server processes per pod.
    service_type
        ``ClusterIP`` (default), ``NodePort`` or ``LoadBalancer``.
    cpu_utilization
        The HPA's target average CPU utilisation, in percent.
    volumes, volume_mounts, service_account
        Copied into the pod (the shared volume holding ``BIGHEAD_HOME``).
    request_timeout
        Seconds for one API call; an unreachable cluster raises ``Unavailable``.
    """

    name: ClassVar[str] = "kubernetes"
    capabilities: ClassVar[frozenset[str]] = frozenset({"resources", "scale"})

    def __init__(self, home: BigheadHome | None = None, namespace: str = "default",
                 kubeconfig: str | os.PathLike[str] | None = None, context: str | None = None,
                 image: str = DEFAULT_IMAGE,
                 default_resources: Mapping[str, Any] | None = None, workers: int = 1,
                 service_type: str = "ClusterIP", cpu_utilization: int = 70,
                 volumes: Sequence[Mapping[str, Any]] = (),
                 volume_mounts: Sequence[Mapping[str, Any]] = (),
                 service_account: str | None = None, request_timeout: float = 5.0) -> None:
        super().__init__(home)
        if service_type not in ("ClusterIP", "NodePort", "LoadBalancer"):
            raise InvalidSpec(f"service_type {service_type!r} must be ClusterIP, NodePort or "
                              "LoadBalancer")
        if not 1 <= cpu_utilization <= 100:
            raise InvalidSpec("cpu_utilization must be 1-100 (percent)")
        self.namespace = namespace
        self.kubeconfig = str(kubeconfig) if kubeconfig else None
        self.context = context
        self.image = image
        self.default_resources = dict(default_resources or DEFAULT_RESOURCES)
        self.workers = workers
        self.service_type = service_type
        self.cpu_utilization = cpu_utilization
        self.volumes = [dict(v) for v in volumes]
        self.volume_mounts = [dict(m) for m in volume_mounts]
        self.service_account = service_account
        self.request_timeout = request_timeout
        self._client: Any = None

    # -- the cluster -----------------------------------------------------------------
    def api_client(self) -> Any:
        """The configured ``kubernetes.client.ApiClient``. Raises ``Unavailable``."""
        if self._client is None:
            self._client = make_api_client(self.kubeconfig, self.context)
        return self._client

    def _errors(self) -> Any:
        """The client's exceptions as typed errors (:func:`..kube.kube_errors`)."""
        return kube_errors(self._client)

    def _resource(self, api_version: str | Sequence[str], kind: str) -> Any:
        from kubernetes.dynamic import DynamicClient
        from kubernetes.dynamic.exceptions import ResourceNotFoundError

        versions = [api_version] if isinstance(api_version, str) else list(api_version)
        with self._errors():
            dyn = DynamicClient(self.api_client())
            for version in versions:
                try:
                    return dyn, dyn.resources.get(api_version=version, kind=kind)
                except ResourceNotFoundError:
                    continue
        raise Unavailable(f"the cluster serves {kind} in none of {versions}")

    def _hpa(self) -> tuple[Any, Any]:
        # autoscaling/v2 since Kubernetes 1.23; v2beta2 before (1.20 in the tests).
        return self._resource(("autoscaling/v2", "autoscaling/v2beta2"),
                              "HorizontalPodAutoscaler")

    def _apply(self, api_version: str | Sequence[str], kind: str, body: dict[str, Any],
               manager: str = FIELD_MANAGER) -> Any:
        dyn, res = self._resource(api_version, kind)
        with self._errors():
            return dyn.server_side_apply(res, body=body, name=body["metadata"]["name"],
                                         namespace=self.namespace, field_manager=manager,
                                         force_conflicts=True,
                                         _request_timeout=self.request_timeout)

    # -- manifests ---------------------------------------------------------------------
    def manifests(self, record: Deployment) -> dict[str, dict[str, Any]]:
        """The Deployment, Service, HPA and Secret for ``record`` (plain dicts, from
        :func:`.manifests.deployment_manifests`; asks the cluster its HPA version)."""
        _, hpa = self._hpa()
        return deployment_manifests(
            record, namespace=self.namespace, image=self.image, home=str(self.home.root),
            hpa_api_version=hpa.group_version, default_resources=self.default_resources,
            workers=self.workers, service_type=self.service_type,
            cpu_utilization=self.cpu_utilization, volumes=self.volumes,
            volume_mounts=self.volume_mounts, service_account=self.service_account)

    # -- lifecycle -------------------------------------------------------------------
    def start(self, record: Deployment) -> Deployment:
        docs = self.manifests(record)
        name = docs["deployment"]["metadata"]["name"]
        self._apply("v1", "Secret", docs["secret"])
        self._apply("apps/v1", "Deployment", docs["deployment"])
        # The initial scale, under its own manager (see the module docstring).
        self._apply("apps/v1", "Deployment", {
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": docs["hpa"]["spec"]["minReplicas"]}},
            manager=f"{FIELD_MANAGER}-initial-scale")
        self._apply("v1", "Service", docs["service"])
        self._apply(docs["hpa"]["apiVersion"], "HorizontalPodAutoscaler", docs["hpa"])
        return record.evolve(
            status="starting", reason=None,
            url=f"http://{name}.{self.namespace}.svc.cluster.local",
            backend={"namespace": self.namespace, "deployment": name, "service": name,
                     "hpa": name, "image": self.image})

    def redeploy(self, record: Deployment) -> Deployment:
        """Re-apply: a new version is a new pod template, hence a rolling update."""
        docs = self.manifests(record)
        self._apply("apps/v1", "Deployment", docs["deployment"])
        self._apply(docs["hpa"]["apiVersion"], "HorizontalPodAutoscaler", docs["hpa"])
        return record.evolve(status="starting", reason=None)

    def refresh(self, record: Deployment) -> Deployment:
        dyn, res = self._resource("apps/v1", "Deployment")
        try:
            with self._errors():
                dep = dyn.get(res, name=object_name(record.id), namespace=self.namespace,
                              _request_timeout=self.request_timeout).to_dict()
        except NotFound:
            if record.status == "failed":
                return record
            return record.evolve(status="failed", reason="the Deployment is gone")
        status = dep.get("status") or {}
        want = (dep.get("spec") or {}).get("replicas") or 0
        updated, available = status.get("updatedReplicas") or 0, \
            status.get("availableReplicas") or 0
        if want and updated >= want and available >= want:
            new, reason = "running", None
        else:
            new, reason = "starting", f"{available}/{want} replicas available"
        if (record.status, record.reason) == (new, reason):
            return record
        return record.evolve(status=new, reason=reason)

    def stop(self, record: Deployment) -> None:
        name = object_name(record.id)
        for dyn, res in (self._resource("apps/v1", "Deployment"),
                         self._resource("v1", "Service"), self._hpa(),
                         self._resource("v1", "Secret")):
            self._delete(dyn, res, name)

    def _delete(self, dyn: Any, res: Any, name: str) -> None:
        try:
            with self._errors():
                dyn.delete(res, name=name, namespace=self.namespace,
                           body={"propagationPolicy": "Background"},
                           _request_timeout=self.request_timeout)
        except NotFound:
            pass
