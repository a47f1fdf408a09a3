"""jupyter-bighead: an ML platform that lives inside JupyterLab.

The core library. It is importable from a kernel, a papermill run or a pod, and
never imports jupyter_server, tornado, lightgbm or kubernetes at import time:
heavy dependencies are imported inside the functions that need them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import BigheadError, Conflict, Forbidden, InvalidSpec, NotFound

if TYPE_CHECKING:
    from .registry import ModelVersion
    from .registry.default import default_registry
    from .widgets.register import EvaluationView

from ._about import __version__

__all__ = [
    "BigheadError",
    "Conflict",
    "Forbidden",
    "InvalidSpec",
    "NotFound",
    "__version__",
    "default_registry",
    "evaluate",
    "load",
    "log_metric",
    "monitoring",
    "register",
]


def __getattr__(name: str) -> Any:
    # ``default_registry`` lives in the registry package; re-exported lazily so that
    # ``import jupyter_bighead`` stays light.
    if name == "default_registry":
        from .registry.default import default_registry

        return default_registry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register(name: str, model: Any, *args: Any, **kwargs: Any) -> ModelVersion:
    """Register ``model`` in the default registry; see :meth:`Registry.register`."""
    from .registry.default import default_registry

    return default_registry().register(name, model, *args, **kwargs)


def load(name: str, version: int | None = None, *, alias: str | None = None) -> Any:
    """Load a model from the default registry; see :meth:`Registry.load`."""
    from .registry.default import default_registry

    return default_registry().load(name, version, alias=alias)


def evaluate(
    model: Any,
    X: Any,
    y: Any,
    *,
    name: str | None = None,
    features: Any = (),
    params: Any = None,
    **kwargs: Any,
) -> EvaluationView:
    """Evaluate ``model`` on ``X``, ``y`` and show the charts with a Register button.

    The result displays inline in a notebook; ``.report`` and ``.metrics`` hold the
    plain data (see :func:`jupyter_bighead.evaluation.evaluate`), and
    ``.register(name)`` does what the button does.
    """
    from .evaluation import evaluate as _evaluate
    from .widgets.register import EvaluationView

    report = _evaluate(model, X, y, **kwargs)
    return EvaluationView(model, X, y, report, name=name, features=features, params=params)


def log_metric(name: str, value: Any) -> float:
    """Record a metric; inside a job it lands in the job's record (sweeps compare it)."""
    from .jobs.metrics import log_metric as _log_metric

    return _log_metric(name, value)


def monitoring(model_ref: str, window: str = "1d", **options: Any) -> dict[str, Any]:
    """Check ``model_ref``'s logged traffic for drift (without alerting) and return the
    figures of the lab's Monitoring tab (see :mod:`jupyter_bighead.monitoring.figures`),
    with the check's result under ``"result"``.

    Once :mod:`jupyter_bighead.monitoring` is imported, ``bh.monitoring`` is that package,
    which answers the same call."""
    from .monitoring import notebook_figures

    return notebook_figures(model_ref, window, **options)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the prebuilt labextension lives, for ``jupyter labextension develop``."""
    return [{"src": "labextension", "dest": "jupyter-bighead"}]
