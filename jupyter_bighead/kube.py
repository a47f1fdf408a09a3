"""What the Kubernetes executor and the Kubernetes deploy target share: building the API
client from a kubeconfig (or the pod's service account), turning the client's exceptions
into the platform's typed errors, and the pure pieces of manifests (labels, names,
container resources). ``kubernetes`` is imported only when used.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from .errors import Conflict, InvalidSpec, NotFound, Unavailable

#: The image a worker pod or a model server runs when nothing names another one.
DEFAULT_IMAGE = "jupyter-bighead:latest"
#: The label every object the platform creates carries (value ``jupyter-bighead``).
MANAGED_BY = "app.kubernetes.io/managed-by"
_LABEL_VALUE = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?\Z")


def label_value(text: str) -> str:
    """``text`` squeezed into a valid label value (63 chars of ``[A-Za-z0-9_.-]``)."""
    value = re.sub(r"[^A-Za-z0-9_.-]+", "-", text)[:63].strip("-_.")
    return value if _LABEL_VALUE.match(value) else ""


def dns_name(text: str, prefix: str = "bighead-", limit: int = 52) -> str:
    """A DNS-1123 name from free text (CronJob names must stay within 52 chars)."""
    stem = re.sub(r"[^a-z0-9]+", "-", text.lower().removesuffix(".ipynb")).strip("-")
    return (prefix + stem)[:limit].rstrip("-") or prefix.rstrip("-")


def resource_requirements(resources: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """A container's ``resources``: requests equal to limits (guaranteed QoS), with
    ``nvidia.com/gpu`` only when GPUs are asked for."""
    amounts = {"cpu": str(resources["cpu"]), "memory": str(resources["memory"])}
    if int(resources.get("gpu") or 0) > 0:
        amounts["nvidia.com/gpu"] = str(int(resources["gpu"]))
    return {"requests": dict(amounts), "limits": dict(amounts)}


def make_api_client(kubeconfig: str | None = None, context: str | None = None) -> Any:
    """A ``kubernetes.client.ApiClient``: in-cluster config when running in a pod and no
    kubeconfig is given, else ``kubeconfig``, ``$KUBECONFIG`` or ``~/.kube/config``.

    Raises
    ------
    Unavailable
        If there is no usable configuration (not in a pod, no kubeconfig).
    """
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    cfg = client.Configuration()
    try:
        if kubeconfig is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
            config.load_incluster_config(client_configuration=cfg)
        else:
            # $KUBECONFIG is read now, not when the client library was imported.
            path = kubeconfig or os.environ.get("KUBECONFIG") or None
            config.load_kube_config(config_file=path, context=context,
                                    client_configuration=cfg)
    except (ConfigException, OSError) as exc:
        raise Unavailable(f"no usable Kubernetes configuration: {exc}") from None
    cfg.retries = False  # fail fast: the caller gets Unavailable, not a long retry
    return client.ApiClient(cfg)


@contextmanager
def kube_errors(api_client: Any = None) -> Iterator[None]:
    """The client's exceptions (typed and dynamic) as NotFound (404), Conflict (409),
    InvalidSpec (400, 422) and Unavailable (any other status, or no connection)."""
    import urllib3
    from kubernetes.client.exceptions import ApiException
    from kubernetes.dynamic.exceptions import DynamicApiError

    try:
        yield
    except (ApiException, DynamicApiError) as exc:
        status = getattr(exc, "status", None)
        reason = getattr(exc, "reason", None) or str(exc)
        try:
            message = json.loads(getattr(exc, "body", None) or "{}").get("message") or reason
        except (TypeError, ValueError, AttributeError):
            message = reason
        if status == 404:
            raise NotFound(f"Kubernetes: {message}") from None
        if status == 409:
            raise Conflict(f"Kubernetes: {message}") from None
        if status in (400, 422):
            raise InvalidSpec(f"the cluster refused the request: {message}") from None
        raise Unavailable(f"the Kubernetes API answered {status}: {message}") from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        where = getattr(getattr(api_client, "configuration", None), "host", "the cluster")
        raise Unavailable(f"cannot reach the Kubernetes API at {where}: "
                          f"{type(exc).__name__}: {exc}") from None
