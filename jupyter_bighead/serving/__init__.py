"""Serving: the inference server, request validation, and deploy targets.

>>> from jupyter_bighead.serving import DeploymentService
>>> svc = DeploymentService()                      # BIGHEAD_HOME, local target
>>> d = svc.create("booking_model", alias="production")
>>> d.url                                          # http://127.0.0.1:PORT
>>> svc.delete(d.id)

``jupyter bighead serve MODEL_REF`` runs the server in the foreground
(:func:`.server.serve`). Importing this package is light: tornado, LightGBM,
pandas and kubernetes are imported by the modules that need them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .deploy import Deployment, DeploymentService, DeployTarget, supervise

__all__ = ["DeployTarget", "Deployment", "DeploymentService", "supervise"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import deploy

        return getattr(deploy, name)
    raise AttributeError(name)
