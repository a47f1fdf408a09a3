"""The inference server behind ``jupyter bighead serve MODEL_REF``.

A tornado application over one :class:`~.model.ServedModel`:

* ``POST /v1/models/{name}:predict``: KServe v1 (``instances``, or ``inputs`` as rows
  or columns); ``GET /`` (v1 liveness), ``GET /v1/models``, ``GET /v1/models/{name}``;
* ``POST /v2/models/{name}[/versions/{v}]/infer``: Open Inference Protocol v2 tensors,
  JSON or binary (:mod:`.v2`); ``GET /v2`` (server metadata),
  ``GET /v2/models/{name}[/versions/{v}]`` and ``.../ready``;
* ``GET /v2/health/live`` and ``/v2/health/ready``; ``GET /metrics`` (Prometheus);
* ``POST /admin/reload`` (bearer token): re-resolve the alias and hot-swap.

Hot swap: the new version is loaded completely in a thread, then one reference is
replaced. A request reads that reference once when it starts, so requests in flight
finish on the model they started with and none is dropped.

Small requests to a model on the numpy fast path are parsed, checked and predicted on
the event loop: that takes tens of microseconds, less than handing it to a thread would
cost. Everything else (bodies over ``INLINE_BYTES``, more than ``INLINE_ROWS`` rows, a
pipeline or pandas path) is parsed, checked and predicted in a thread, so no request
stalls the others or the health probes.

Slow clients: a connection gets ``header_timeout`` seconds to send its request line and
headers (and to stay idle between keep-alive requests) and ``body_timeout`` seconds for
its whole body; then it is closed (tornado's ``idle_connection_timeout`` and
``body_timeout``), so half-open connections cannot pile up.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import signal
import socket
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tornado import httputil, web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from ..errors import BigheadError
from .deploy import ADMIN_TOKEN_ENV
from .metrics import Metrics
from .model import ServedModel, pin_lightgbm_threads
from .schema import EXTRA_POLICIES, RequestError
from .v2 import (
    ENCODINGS,
    EXTENSIONS,
    HEADER_LENGTH,
    decode_body,
    encode_response,
    load_json,
    output_datatype,
    parse_request,
    unsupported_encoding,
)
from .workers import WORKER, fork_workers

log = logging.getLogger("jupyter_bighead.serving")
_T = TypeVar("_T")

INLINE_ROWS = 32
INLINE_BYTES = 8 * 1024
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


class ModelHolder:
    """The model being served, swapped whole on reload.

    ``current`` is ``None`` until the first load succeeds; ``error`` then says why not.
    """

    def __init__(self, options: ServeOptions, metrics: Metrics | None = None,
                 registry: Any = None) -> None:
        from ..jobs.scoring import parse_model_ref

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
                from ..registry import Registry

                self._registry = Registry(self.options.registry)
            else:
                from .. import default_registry

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
            self.current = served  # the swap: one reference
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


# ---- handlers ------------------------------------------------------------------------
class _Handler(web.RequestHandler):
    route = "other"

    def initialize(self, holder: ModelHolder) -> None:
        self.holder = holder

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json")

    def send_json(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(payload))

    def fail(self, error: RequestError) -> None:
        self.send_json(error.payload, error.status)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # Never a traceback to the client: a code and one line.
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = httputil.responses.get(status_code, "error")
        if isinstance(exc, web.HTTPError) and exc.log_message:
            message = exc.log_message % exc.args if exc.args else exc.log_message
        self.finish(json.dumps({"error": message, "code": f"http_{status_code}"}))

    def on_finish(self) -> None:
        self.holder.metrics.observe(self.route, self.get_status(), self.request.request_time())

    def model_for(self, name: str, version: str | None = None) -> ServedModel:
        if name != self.holder.name:
            raise RequestError("unknown_model", f"no model {name[:100]!r} here; this server "
                               f"serves {self.holder.name!r}", status=404, field="name")
        model = self.holder.current
        if model is None:
            raise RequestError("not_ready", self.holder.error or "loading", status=503)
        if version is not None and version != str(model.version):
            raise RequestError("unknown_version", f"{name} has no version {version[:40]!r} "
                               f"here; this server serves version {model.version}",
                               status=404, field="version")
        return model


@web.stream_request_body
class _BodyHandler(_Handler):
    """Reads the body itself, so that one over the limit gets a JSON 413 early."""

    async def prepare(self) -> None:
        self._chunks: list[bytes] = []
        self._size = 0
        self._too_big = False
        limit = self.holder.options.max_body_bytes
        encoding = self.request.headers.get("Content-Encoding", "identity").strip().lower()
        self._encoded = encoding != "identity"  # never inflated on the event loop
        if encoding not in ENCODINGS:
            self.set_header("Connection", "close")
            self.set_status(415)
            await self.finish(json.dumps(unsupported_encoding(encoding).payload))
            self.request.connection.close()  # type: ignore[union-attr]
            return
        length = self.request.headers.get("Content-Length")
        if length is not None and length.isascii() and length.isdigit() and int(length) > limit:
            # Answer now and hang up rather than read a body we will refuse.
            self.set_header("Connection", "close")
            self.set_status(413)
            await self.finish(json.dumps(_too_big(limit).payload))
            self.request.connection.close()  # type: ignore[union-attr]
            return
        # tornado would refuse a long chunked body with a bare 400; data_received
        # counts it instead and answers 413.
        self.request.connection.set_max_body_size(2**62)  # type: ignore[union-attr]

    def data_received(self, chunk: bytes) -> None:
        if self._too_big:
            return
        self._size += len(chunk)
        if self._size <= self.holder.options.max_body_bytes:
            self._chunks.append(chunk)
            return
        # A chunked body that grew over the limit: answer now and hang up.
        self._too_big, self._chunks = True, []
        self.set_header("Connection", "close")
        self.set_status(413)
        done = self.finish(json.dumps(_too_big(self.holder.options.max_body_bytes).payload))
        done.add_done_callback(lambda _f: self.request.connection.close())  # type: ignore

    def body_bytes(self) -> bytes:
        """The body, its Content-Encoding (gzip, deflate) undone; the size limit applies
        to the decompressed body too (413)."""
        if self._too_big:
            raise _too_big(self.holder.options.max_body_bytes)
        return decode_body(b"".join(self._chunks), self.request.headers.get("Content-Encoding"),
                           self.holder.options.max_body_bytes)

    def body_json(self) -> dict[str, Any]:
        return load_json(self.body_bytes())

    async def off_loop(self, model: ServedModel, fn: Callable[..., _T], *args: Any) -> _T:
        """``fn(*args)`` on the event loop for a small body and a model on the fast path,
        else in a thread (``fn`` must not touch tornado)."""
        if model.fast and self._size <= INLINE_BYTES and not self._encoded:
            return fn(*args)
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    async def predict(self, model: ServedModel, rows: list[list[Any]]) -> list[Any]:
        try:
            if len(rows) <= INLINE_ROWS and model.fast:
                return model.predict_rows(rows)
            return await asyncio.get_running_loop().run_in_executor(
                None, model.predict_rows, rows)
        except RequestError:
            raise
        except BigheadError as exc:  # a pipeline refusing the input (InvalidSpec...)
            raise RequestError(exc.code, exc.message) from None


def _too_big(limit: int) -> RequestError:
    return RequestError("body_too_large", f"the body is over the {limit}-byte limit",
                        status=413, field="body")


class PredictV1Handler(_BodyHandler):
    route = "v1_predict"

    async def post(self, name: str) -> None:
        try:
            model = self.model_for(name)
            body = await self.off_loop(model, self.body_json)
            rows = await self.off_loop(model, _v1_rows, model, body)
            self.send_json({"predictions": await self.predict(model, rows)})
        except RequestError as exc:
            self.fail(exc)
        except Exception as exc:
            self.fail(_internal(exc))


def _v1_rows(model: ServedModel, body: dict[str, Any]) -> list[list[Any]]:
    if "instances" in body:
        return model.schema.rows_from_instances(body["instances"])
    if "inputs" in body:  # KServe v1's row-list form, or an object of columns
        if isinstance(body["inputs"], list):
            return model.schema.rows_from_instances(body["inputs"], where="inputs")
        return model.schema.rows_from_columns(body["inputs"])
    raise RequestError("invalid_request", "the body needs 'instances' (a list of rows) or "
                       "'inputs' (an object of columns)", field="instances")


class InferV2Handler(_BodyHandler):
    route = "v2_infer"

    async def post(self, name: str, version: str | None = None) -> None:
        try:
            model = self.model_for(name, version)
            request = await self.off_loop(model, self.infer_request,
                                          self.request.headers.get(HEADER_LENGTH))
            wanted = request.wanted(["predictions"])  # unknown outputs: 400 before predicting
            rows = await self.off_loop(model, model.schema.rows_from_tensors,
                                       [t.to_dict() for t in request.inputs])
            predictions = await self.predict(model, rows)
            head: dict[str, Any] = {"model_name": model.name,
                                    "model_version": str(model.version)}
            if request.id is not None:
                head["id"] = request.id
            meta = {"name": "predictions", "datatype": output_datatype(predictions),
                    "shape": [len(rows)]}
            body, json_length = encode_response(head, [(meta, predictions, binary)
                                                       for _name, binary in wanted])
            if json_length is not None:  # the binary tensor extension
                self.set_header("Content-Type", "application/octet-stream")
                self.set_header(HEADER_LENGTH, str(json_length))
            self.finish(body)
        except RequestError as exc:
            self.fail(exc)
        except Exception as exc:
            self.fail(_internal(exc))

    def infer_request(self, header_length: str | None) -> Any:
        return parse_request(self.body_bytes(), header_length)


def _internal(exc: Exception) -> RequestError:
    log.error("prediction failed:\n%s", "".join(traceback.format_exception(exc)))
    return RequestError("prediction_failed", f"prediction failed: {type(exc).__name__}",
                        status=500)


class MetadataHandler(_Handler):
    route = "metadata"

    def get(self, name: str, version: str | None = None) -> None:
        try:
            self.send_json(self.model_for(name, version).metadata())
        except RequestError as exc:
            self.fail(exc)


class ServerMetadataHandler(_Handler):
    route = "metadata"

    def get(self) -> None:
        from .. import __version__

        self.send_json({"name": "jupyter-bighead", "version": __version__,
                        "extensions": list(EXTENSIONS)})


class ModelReadyHandler(_Handler):
    route = "health"

    def get(self, name: str, version: str | None = None) -> None:
        try:
            model = self.model_for(name, version)
            self.send_json({"name": name, "ready": True, "version": model.version})
        except RequestError as exc:
            self.fail(exc)


class ModelsV1Handler(_Handler):
    route = "metadata"

    def get(self) -> None:
        self.send_json({"models": [self.holder.name]})


class RootHandler(_Handler):
    route = "health"

    def get(self) -> None:  # KServe v1 liveness
        self.send_json({"status": "alive"})


class LiveHandler(_Handler):
    route = "health"

    def get(self) -> None:
        self.send_json({"live": True})


class ReadyHandler(_Handler):
    route = "health"

    def get(self) -> None:
        model = self.holder.current
        if model is None:
            self.send_json({"ready": False, "reason": self.holder.error or "loading"}, 503)
            return
        self.send_json({"ready": True, "model": model.name, "version": model.version,
                        "alias": model.alias})


class MetricsHandler(_Handler):
    route = "metrics"

    def get(self) -> None:
        model = self.holder.current
        self.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.finish(self.holder.metrics.render(self.holder.name,
                                               model.version if model else None,
                                               model is not None))


class ReloadHandler(_Handler):
    route = "admin"

    async def post(self) -> None:
        token = self.holder.options.admin_token
        if not token:
            self.fail(RequestError("forbidden", "the admin API is off: start the server with "
                                   f"--admin-token or ${ADMIN_TOKEN_ENV}", status=403))
            return
        given = self.request.headers.get("Authorization", "")
        given = given[7:] if given.startswith("Bearer ") else \
            self.request.headers.get("X-Admin-Token", "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            self.fail(RequestError("unauthorized", "a valid admin token is required",
                                   status=401))
            return
        force = self.get_argument("force", "") in ("1", "true")
        result = await asyncio.get_running_loop().run_in_executor(
            None, self.holder.reload, force)
        if WORKER["forked"]:  # the parent tells the other workers to reload too
            os.kill(os.getppid(), signal.SIGHUP)
        self.send_json({"model": self.holder.name, **result},
                       200 if "error" not in result else 409)


class NotFoundHandler(_Handler):
    def prepare(self) -> None:
        self.fail(RequestError("not_found", f"no route {self.request.path}", status=404))


def make_app(holder: ModelHolder) -> web.Application:
    """The tornado application serving ``holder``'s model."""
    args = {"holder": holder}
    return web.Application(
        [
            (r"/", RootHandler, args),
            (r"/v1/models", ModelsV1Handler, args),
            (r"/v1/models/([^/:]+):predict", PredictV1Handler, args),
            (r"/v1/models/([^/:]+)", ModelReadyHandler, args),
            (r"/v2", ServerMetadataHandler, args),
            (r"/v2/models/([^/]+)/infer", InferV2Handler, args),
            (r"/v2/models/([^/]+)/ready", ModelReadyHandler, args),
            (r"/v2/models/([^/]+)", MetadataHandler, args),
            (r"/v2/models/([^/]+)/versions/([^/]+)/infer", InferV2Handler, args),
            (r"/v2/models/([^/]+)/versions/([^/]+)/ready", ModelReadyHandler, args),
            (r"/v2/models/([^/]+)/versions/([^/]+)", MetadataHandler, args),
            (r"/v2/health/live", LiveHandler, args),
            (r"/v2/health/ready", ReadyHandler, args),
            (r"/metrics", MetricsHandler, args),
            (r"/admin/reload", ReloadHandler, args),
        ],
        default_handler_class=NotFoundHandler, default_handler_args=args,
        log_function=_log_request, compress_response=False,
    )


def _log_request(handler: web.RequestHandler) -> None:
    if handler.get_status() >= 500 and handler.get_status() != 503:
        log.warning("%s %s -> %s", handler.request.method, handler.request.uri,
                    handler.get_status())


# ---- running ---------------------------------------------------------------------------
def make_http_server(holder: ModelHolder) -> HTTPServer:
    """The HTTP server for ``make_app(holder)``, with the slow-client timeouts of its
    options (call it with the event loop that will run it current)."""
    options = holder.options
    return HTTPServer(make_app(holder), max_body_size=max(options.max_body_bytes, 1) * 4,
                      idle_connection_timeout=options.header_timeout,
                      body_timeout=options.body_timeout)


async def _run(holder: ModelHolder, sockets: list[socket.socket]) -> None:
    options = holder.options
    pin_lightgbm_threads()  # one thread policy for the process: see serving.model
    server = make_http_server(holder)
    server.add_sockets(sockets)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def reload_soon(force: bool = False) -> None:
        loop.run_in_executor(None, holder.reload, force)

    loop.add_signal_handler(signal.SIGHUP, reload_soon)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    if holder.current is None:  # serve() already loaded it when there is one process
        reload_soon(True)
    poller = None
    if options.poll_seconds > 0:
        async def poll() -> None:
            while True:
                await asyncio.sleep(options.poll_seconds)
                await loop.run_in_executor(None, holder.reload, False)

        poller = asyncio.create_task(poll())
    await stop.wait()
    if poller is not None:
        poller.cancel()
    server.stop()
    await asyncio.sleep(0.2)  # let requests in flight answer
    await server.close_all_connections()


def serve(options: ServeOptions, *, on_listening: Callable[[int], None] | None = None) -> None:
    """Run the server until SIGTERM/SIGINT. ``--workers N`` forks N processes that
    share the listening socket; each loads the model itself (after the fork, so no
    process inherits LightGBM's OpenMP threads)."""
    if options.extra_features not in EXTRA_POLICIES:
        raise RequestError("invalid_option", f"--extra-features must be one of {EXTRA_POLICIES}")
    holder = _load_at_start(options)
    sockets = bind_sockets(options.port, options.host, reuse_port=False)
    port = sockets[0].getsockname()[1]
    print(f"[bighead serve] {options.model_ref} on http://{options.host}:{port} "
          f"({options.workers} worker{'s' if options.workers > 1 else ''})", flush=True)
    if on_listening is not None:
        on_listening(port)
    if options.workers > 1:
        fork_workers(options.workers)
    asyncio.run(_run(holder or ModelHolder(options), sockets))


def _load_at_start(options: ServeOptions) -> ModelHolder | None:
    """Load the model before listening: a server that cannot serve it at start raises
    (``NotFound`` for an unknown name, version or alias) instead of answering 503 forever;
    a failed hot swap later keeps the old model and only readiness reports it. With
    several workers the parent only resolves the reference (workers load after the fork)."""
    several = options.workers > 1
    holder = ModelHolder(options, registry=_fresh_registry(options) if several else None)
    try:
        holder.registry().get(holder.name, holder.version, alias=holder.alias)
        if several:
            return None
        holder.reload(force=True)
    finally:
        if several:
            holder.registry().close()  # no connection may cross the fork
    if holder.current is None:
        raise BigheadError(holder.error or f"model {options.model_ref} failed to load")
    return holder


def _fresh_registry(options: ServeOptions) -> Any:
    from ..registry import Registry

    return Registry(options.registry) if options.registry else Registry.default()
