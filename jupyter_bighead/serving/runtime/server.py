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
cost. Everything else (bodies over ``INLINE_BYTES``, more than ``INLINE_ROWS`` rows, both
in :mod:`.handlers`, a pipeline or pandas path) is parsed, checked and predicted in a
thread, so no request stalls the others or the health probes.

Slow clients: a connection gets ``header_timeout`` seconds to send its request line and
headers (and to stay idle between keep-alive requests) and ``body_timeout`` seconds for
its whole body; then it is closed (tornado's ``idle_connection_timeout`` and
``body_timeout``), so half-open connections cannot pile up.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import Callable
from typing import Any

from tornado import web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from ...errors import BigheadError
from .handlers import (
    InferV2Handler,
    LiveHandler,
    MetadataHandler,
    MetricsHandler,
    ModelReadyHandler,
    ModelsV1Handler,
    NotFoundHandler,
    PredictV1Handler,
    ReadyHandler,
    ReloadHandler,
    RootHandler,
    ServerMetadataHandler,
)
from .holder import (  # ServeOptions and ModelHolder are imported from here too
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_MAX_BODY,
    ModelHolder,
    ServeOptions,
)
from .model import pin_lightgbm_threads
from .schema import EXTRA_POLICIES, RequestError
from .workers import HAS_REUSEPORT, WORKER, fork_workers, listen_own, reserve_port

log = logging.getLogger("jupyter_bighead.serving")

__all__ = ["DEFAULT_BODY_TIMEOUT", "DEFAULT_HEADER_TIMEOUT", "DEFAULT_MAX_BODY", "ModelHolder",
           "ServeOptions", "make_app", "make_http_server", "serve"]


# ---- handlers ------------------------------------------------------------------------
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
    elif WORKER["forked"]:
        # A worker loaded before it listened; a reload signalled meanwhile was ignored
        # (SIGHUP is ignored until now), so resolve the reference once more.
        reload_soon(False)
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
    served = holder.current
    if served is not None and served.log is not None:
        await loop.run_in_executor(None, served.log.close)  # flush the logged rows


def serve(options: ServeOptions, *, on_listening: Callable[[int], None] | None = None) -> None:
    """Run the server until SIGTERM/SIGINT. ``--workers N`` forks N processes on the
    port, each with its own ``SO_REUSEPORT`` listening socket where the platform has it
    (else one shared socket; see :mod:`.workers`); each loads the model itself (after
    the fork, so no process inherits LightGBM's OpenMP threads)."""
    if options.extra_features not in EXTRA_POLICIES:
        raise RequestError("invalid_option", f"--extra-features must be one of {EXTRA_POLICIES}")
    holder = _load_at_start(options)
    own_sockets = options.workers > 1 and HAS_REUSEPORT
    if own_sockets:
        sockets = reserve_port(options.port, options.host)
    else:
        sockets = bind_sockets(options.port, options.host, reuse_port=False)
    port = sockets[0].getsockname()[1]
    print(f"[bighead serve] {options.model_ref} on http://{options.host}:{port} "
          f"({options.workers} worker{'s' if options.workers > 1 else ''})", flush=True)
    if on_listening is not None:
        on_listening(port)
    if options.workers > 1:
        fork_workers(options.workers)
        if own_sockets:
            # Load before listening: the kernel hands connections only to listening
            # sockets, so a worker that is starting (or restarting) takes none until it
            # can answer them; the others serve meanwhile.
            holder = ModelHolder(options)
            holder.reload(force=True)
            sockets = listen_own(sockets, options.host)
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
    from ...registry import Registry

    return Registry(options.registry) if options.registry else Registry.default()
