"""The model a server process serves and the options it runs with.

:class:`ModelHolder` holds the one :class:`~.model.ServedModel` being served and swaps
it whole on reload; the handlers (:mod:`.handlers`) and the HTTP server
(:mod:`.server`) both read it, so it lives apart from both.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import jupyter_bighead.predlog as predlog

from ...errors import BigheadError
from ...refs import parse_model_ref
from .metrics import Metrics
from .model import ServedModel

log = logging.getLogger("jupyter_bighead.serving")

#: The environment variable a deploy target passes a server's admin token in
#: (``POST /admin/reload`` needs it as a bearer token).
ADMIN_TOKEN_ENV = "BIGHEAD_SERVE_ADMIN_TOKEN"

DEFAULT_MAX_BODY = 10 * 1024 * 1024
DEFAULT_HEADER_TIMEOUT = 30.0
DEFAULT_BODY_TIMEOUT = 60.0


@dataclass(frozen=True)
class ServeOptions:
    """Everything ``jupyter bighead serve`` takes (see ``--help``)."""

    model_ref: str
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    registry: str | None = None
    admin_token: str | None = None
    poll_seconds: float = 0.0
    extra_features: str = "reject"
    allow_missing: bool = True
    max_body_bytes: int = DEFAULT_MAX_BODY
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    #: Folder of prediction logs (e.g. ``<home>/predictions``, see :mod:`...predlog`);
    #: ``None``: off, and the request path only checks one attribute.
    prediction_log: str | None = None
    log_sample_rate: float = 1.0
    log_max_rows_per_second: float = 10_000.0


class ModelHolder:
    """The model being served, swapped whole on reload.

    ``current`` is ``None`` until the first load succeeds; ``error`` then says why not.
    """

    def __init__(self, options: ServeOptions, metrics: Metrics | None = None,
                 registry: Any = None) -> None:
        self.options = options
        self.name, self.version, self.alias = parse_model_ref(options.model_ref)
        self.current: ServedModel | None = None
        self.error: str | None = "loading"
        self.metrics = metrics or Metrics()
        self._registry = registry
        self._state = threading.Lock()
        self._running = False
        self._pending: bool | None = None  # a reload asked for while one runs (force?)

    def registry(self) -> Any:
        if self._registry is None:
            if self.options.registry:
                from ...registry import Registry

                self._registry = Registry(self.options.registry)
            else:
                from ...registry.default import default_registry

                self._registry = default_registry()
        return self._registry

    def reload(self, force: bool = False) -> dict[str, Any]:
        """Re-resolve the reference; load and swap when it points elsewhere (or ``force``).

        Never raises: a failure keeps the old model serving and is returned (and, when
        nothing was loaded yet, reported by readiness). A reload asked for while another
        runs is not dropped: that one may have resolved the alias before it moved, so
        the running reload resolves it again when it is done.
        """
        with self._state:
            if self._running:
                self._pending = bool(self._pending) or force
                return {"reloaded": False,
                        "reason": "a reload is already running; it resolves the reference "
                                  "again when done"}
            self._running = True
        result = self._reload_once(force)
        while True:
            with self._state:
                if self._pending is None:
                    self._running = False
                    return result
                force, self._pending = self._pending, None
            result = self._reload_once(force)

    def _reload_once(self, force: bool) -> dict[str, Any]:
        previous = self.current.version if self.current else None
        try:
            reg = self.registry()
            mv = reg.get(self.name, self.version, alias=self.alias)
            if self.current is not None and mv.version == previous and not force:
                return {"reloaded": False, "version": previous, "previous": previous}
            served = ServedModel.load(reg, self.name, mv.version,
                                      extra=self.options.extra_features,
                                      allow_missing=self.options.allow_missing)
            served.alias = self.alias
            if self.options.prediction_log:
                served.log = predlog.PredictionLog(
                    self.options.prediction_log, served.name, served.version,
                    columns=served.log_columns,
                    sample_rate=self.options.log_sample_rate,
                    max_rows_per_second=self.options.log_max_rows_per_second)
            old, self.current = self.current, served  # the swap: one reference
            if old is not None and old.log is not None:
                old.log.close()  # flushes the old version's rows (this runs off the event loop)
            self.error = None
            self.metrics.reloaded("ok")
            log.info("serving %s v%s", self.name, served.version)
            return {"reloaded": True, "version": served.version, "previous": previous}
        except Exception as exc:  # readiness reports it; the old model keeps serving
            reason = exc.message if isinstance(exc, BigheadError) else \
                f"{type(exc).__name__}: {exc}"
            if self.current is None:
                self.error = f"model {self.options.model_ref} failed to load: {reason}"
            self.metrics.reloaded("error")
            log.warning("loading %s failed: %s", self.options.model_ref, reason)
            return {"reloaded": False, "version": previous, "previous": previous,
                    "error": reason}
