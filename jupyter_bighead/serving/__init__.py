"""Serving: the inference server (the runtime) and deploy targets (the control plane).

* :mod:`.runtime` is what runs inside a model-server process (a pod or a local
  subprocess): the HTTP server, its handlers, request validation, the v2 tensor codec,
  the served model, metrics and worker forking. It imports nothing of the control plane.
* :mod:`.deploy` (the deployment records and the supervisor), :mod:`.local` and
  :mod:`.kubernetes` (deploy targets) start, watch and stop those processes; they run
  ``jupyter bighead serve`` as a process; the runtime never imports them.

>>> from jupyter_bighead.serving import DeploymentService
>>> svc = DeploymentService()                      # BIGHEAD_HOME, local target
>>> d = svc.create("booking_model", alias="production")
>>> d.url                                          # http://127.0.0.1:PORT
>>> svc.delete(d.id)

``jupyter bighead serve MODEL_REF`` runs the server in the foreground
(:func:`.runtime.server.serve`). Importing this package is light: tornado, LightGBM,
pandas and kubernetes are imported by the modules that need them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .deploy import Deployment, DeploymentService, DeployTarget, supervise

__all__ = ["DeployTarget", "Deployment", "DeploymentService", "supervise"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        import jupyter_bighead.serving.deploy as deploy

        return getattr(deploy, name)
    raise AttributeError(name)
