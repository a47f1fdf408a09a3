"""The kubernetes deploy target against a real kube-apiserver (v1.20 in the harness).

There is no Deployment controller in the harness, so these tests check the objects
the target writes (and rewrites), not pods becoming ready.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.errors import NotFound, Unavailable
from jupyter_bighead.registry import Registry
from jupyter_bighead.serving import DeploymentService
from jupyter_bighead.serving.kubernetes import KubernetesTarget, object_name

k8s = pytest.mark.k8s


class Pipelineish:
    """A model declaring its resources, as a jupyter_bighead.pipeline.Pipeline does."""

    def resources(self):
        return {"cpu": "2", "memory": "3Gi", "gpu": 1}


@pytest.fixture
def service(tmp_path, kube):
    import lightgbm as lgb

    home = BigheadHome(tmp_path / "home").ensure()
    reg = Registry(home.registry_uri, artifacts=home.artifacts)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    y = (X.a > 0).astype(int)
    for trees in (3, 6):
        reg.register("churn", lgb.LGBMClassifier(n_estimators=trees, verbose=-1).fit(X, y),
                     X_valid=X, y_valid=y)
    reg.set_alias("churn", "production", 1)
    target = KubernetesTarget(home=home, namespace=kube.namespace, image="bighead/serve:1.0")
    svc = DeploymentService(home, targets={"kubernetes": target}, default_target="kubernetes",
                            registry=reg)
    yield svc
    for record in list(svc.store.all()):
        svc.delete(record.id)


def apps(kube):
    from kubernetes import client

    return client.AppsV1Api(kube.cluster.api_client())


def hpa(kube, name):
    from kubernetes.dynamic import DynamicClient

    dyn = DynamicClient(kube.cluster.api_client())
    res = dyn.resources.get(api_version="autoscaling/v2beta2", kind="HorizontalPodAutoscaler")
    return dyn.get(res, name=name, namespace=kube.namespace).to_dict()


@k8s
def test_deployment_service_and_hpa_with_resources_probes_and_replicas(service, kube):
    record = service.create("churn", alias="production", replicas={"min": 2, "max": 5},
                            resources={"cpu": "500m", "memory": "1Gi"})
    name = object_name(record.id)
    assert record.url == f"http://{name}.{kube.namespace}.svc.cluster.local"
    dep = apps(kube).read_namespaced_deployment(name, kube.namespace)
    assert dep.spec.replicas == 2
    (box,) = dep.spec.template.spec.containers
    assert box.image == "bighead/serve:1.0"
    assert box.command[3:5] == ["serve", "churn:1"]
    assert box.resources.requests == box.resources.limits == {"cpu": "500m", "memory": "1Gi"}
    assert box.readiness_probe.http_get.path == "/v2/health/ready"
    assert box.liveness_probe.http_get.path == "/v2/health/live"
    assert dep.spec.strategy.rolling_update.max_unavailable == 0
    managers = {m.manager for m in dep.metadata.managed_fields}
    assert "jupyter-bighead" in managers
    svc = kube.core().read_namespaced_service(name, kube.namespace)
    assert svc.spec.selector == {"bighead.io/deployment": record.id}
    assert svc.spec.ports[0].target_port == "http"
    scaler = hpa(kube, name)
    assert (scaler["spec"]["minReplicas"], scaler["spec"]["maxReplicas"]) == (2, 5)
    assert scaler["spec"]["scaleTargetRef"]["name"] == name
    assert service.get(record.id).status == "starting"  # no pods: no Deployment controller
    # The admin token is in a Secret the pod reads, never in the pod template.
    token = next(e for e in box.env if e.name == "BIGHEAD_SERVE_ADMIN_TOKEN")
    assert token.value is None and token.value_from.secret_key_ref.name == name
    secret = kube.core().read_namespaced_secret(name, kube.namespace)
    stored = json.loads((service.store.folder(record.id) / "record.json").read_text())
    assert base64.b64decode(secret.data["admin-token"]).decode() == stored["admin_token"] != ""


@k8s
def test_the_model_declared_resources_are_requests_and_limits(service, kube, monkeypatch):
    monkeypatch.setattr(service.registry(), "load", lambda *a, **k: Pipelineish())
    record = service.create("churn", version=2)
    (box,) = apps(kube).read_namespaced_deployment(
        object_name(record.id), kube.namespace).spec.template.spec.containers
    want = {"cpu": "2", "memory": "3Gi", "nvidia.com/gpu": "1"}
    assert box.resources.requests == box.resources.limits == want


@k8s
def test_an_alias_move_rolls_out_the_same_deployment(service, kube):
    record = service.create("churn", alias="production")
    name = object_name(record.id)
    before = apps(kube).read_namespaced_deployment(name, kube.namespace)
    service.registry().set_alias("churn", "production", 2)
    changed = service.supervise()  # what the server's supervisor runs periodically
    assert [c.version for c in changed] == [2]
    after = apps(kube).read_namespaced_deployment(name, kube.namespace)
    assert after.metadata.uid == before.metadata.uid
    assert after.metadata.generation > before.metadata.generation
    assert after.spec.template.metadata.annotations["bighead.io/version"] == "2"
    assert after.spec.template.spec.containers[0].command[4] == "churn:2"
    env = {e.name: e.value for e in after.spec.template.spec.containers[0].env}
    assert env["BIGHEAD_MODEL_VERSION"] == "2"
    assert after.spec.replicas == before.spec.replicas
    assert service.redeploy(record.id).version == 2  # nothing moved: no new rollout
    again = apps(kube).read_namespaced_deployment(name, kube.namespace)
    assert again.metadata.generation == after.metadata.generation


@k8s
def test_delete_removes_every_object(service, kube):
    record = service.create("churn", alias="production")
    name = object_name(record.id)
    service.delete(record.id)
    from kubernetes.client.exceptions import ApiException

    with pytest.raises(ApiException):
        apps(kube).read_namespaced_deployment(name, kube.namespace)
    with pytest.raises(ApiException):
        kube.core().read_namespaced_service(name, kube.namespace)
    with pytest.raises(ApiException):
        hpa(kube, name)
    with pytest.raises(ApiException):
        kube.core().read_namespaced_secret(name, kube.namespace)
    with pytest.raises(NotFound):
        service.get(record.id)


def test_an_unreachable_cluster_is_unavailable(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "kubeconfig"
    config.write_text(f"""apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "https://127.0.0.1:{port}"}}}}]
users: [{{name: u, user: {{token: x}}}}]
contexts: [{{name: c, context: {{cluster: c, user: u}}}}]
current-context: c
""")
    target = KubernetesTarget(home=BigheadHome(tmp_path / "home"), kubeconfig=config,
                              request_timeout=2)
    from jupyter_bighead.serving.deploy import Deployment

    with pytest.raises(Unavailable):
        target.start(Deployment(id="churn-abc123", model="churn", target="kubernetes",
                                version=1))
