"""The Kubernetes objects of a deployment, as plain dicts.

Pure functions: no API client. :func:`deployment_manifests` renders the templates in
``templates/kubernetes/serving/*.json`` (shipped in the wheel) for one deployment
record; the ``kubernetes`` deploy target (:mod:`.kubernetes`) finds the cluster's
HPA API version and applies what it returns. Tests compare it with stored snapshots
(``tests/k8s/snapshots``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..config import HOME_ENV
from ..errors import InvalidSpec
from ..kube import MANAGED_BY, label_value, resource_requirements
from .deploy import ADMIN_TOKEN_ENV, Deployment

FIELD_MANAGER = "jupyter-bighead"
DEPLOYMENT_LABEL = "bighead.io/deployment"
DEFAULT_RESOURCES = {"cpu": "1", "memory": "1Gi"}
_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def render(template: Any, values: Mapping[str, Any]) -> Any:
    """Fill ``${key}`` placeholders: a string that is only a placeholder becomes the
    value itself (an object, a number), others get the value's text.

    Raises ``InvalidSpec`` for a placeholder without a value.
    """
    if isinstance(template, dict):
        return {k: render(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [render(v, values) for v in template]
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole:
            if whole.group(1) not in values:
                raise InvalidSpec(f"no value for template placeholder {template}")
            return values[whole.group(1)]

        def text(match: re.Match[str]) -> str:
            if match.group(1) not in values:
                raise InvalidSpec(f"no value for template placeholder {match.group(0)}")
            return str(values[match.group(1)])

        return _PLACEHOLDER.sub(text, template)
    return template


def load_template(name: str) -> Any:
    from ..templates import template_path

    return json.loads(template_path("kubernetes", "serving", name).read_text("utf-8"))


def object_name(dep_id: str) -> str:
    return f"bighead-serve-{dep_id}"[:63].rstrip("-")


def deployment_manifests(record: Deployment, *, namespace: str, image: str, home: str,
                         hpa_api_version: str, default_resources: Mapping[str, Any],
                         workers: int = 1, service_type: str = "ClusterIP",
                         cpu_utilization: int = 70,
                         volumes: Sequence[Mapping[str, Any]] = (),
                         volume_mounts: Sequence[Mapping[str, Any]] = (),
                         service_account: str | None = None) -> dict[str, dict[str, Any]]:
    """The Deployment, Service, HPA and admin-token Secret for ``record``.

    ``home`` is ``BIGHEAD_HOME`` as the pods see it. Requests and limits are the
    record's, else ``default_resources``. Each pod serves a pinned ``name:version``.
    """
    name = object_name(record.id)
    labels = {MANAGED_BY: "jupyter-bighead", DEPLOYMENT_LABEL: record.id,
              "bighead.io/model": label_value(record.model) or "model"}
    wanted = {k: record.resources[k] for k in ("cpu", "memory", "gpu")
              if record.resources.get(k) not in (None, "")}
    resources = resource_requirements({**default_resources, **wanted})
    env = [{"name": HOME_ENV, "value": home},
           {"name": "BIGHEAD_MODEL_VERSION", "value": str(record.version)},
           # The admin token lives in a Secret, never in the pod template.
           {"name": ADMIN_TOKEN_ENV, "valueFrom": {"secretKeyRef": {
               "name": name, "key": "admin-token"}}},
           {"name": "PYTHONUNBUFFERED", "value": "1"}]
    values = {
        "name": name, "namespace": namespace, "labels": labels, "id": record.id,
        "model": record.model, "version": str(record.version),
        "alias": record.alias or "", "image": image,
        # Each pod serves a pinned version: a moved alias is a new pod template.
        "ref": f"{record.model}:{record.version}", "port": "8080", "port_number": 8080,
        "workers": str(workers), "env": env, "resources": resources,
        "volumes": [dict(v) for v in volumes],
        "volume_mounts": [dict(m) for m in volume_mounts],
        "service_type": service_type, "hpa_api_version": hpa_api_version,
        "min_replicas": int(record.resources.get("min_replicas", record.replicas)),
        "max_replicas": int(record.resources.get("max_replicas", record.replicas)),
        "cpu_utilization": cpu_utilization,
    }
    out = {kind: render(load_template(f"{kind}.json"), values)
           for kind in ("deployment", "service", "hpa")}
    if service_account:
        out["deployment"]["spec"]["template"]["spec"]["serviceAccountName"] = service_account
    out["secret"] = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                     "metadata": {"name": name, "namespace": namespace, "labels": labels},
                     "stringData": {"admin-token": record.admin_token}}
    return out
