"""The request handlers of the inference server (:mod:`.server` builds the app).

Each handler reads the one :class:`~.holder.ModelHolder` it is given; refusals are
:class:`~.schema.RequestError` with a plain-string ``error`` (see :mod:`.schema`).
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import signal
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from tornado import httputil, web

from ..._about import __version__
from ...errors import BigheadError
from .holder import ADMIN_TOKEN_ENV
from .model import ServedModel
from .schema import RequestError
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
from .workers import WORKER

if TYPE_CHECKING:
    from .holder import ModelHolder

log = logging.getLogger("jupyter_bighead.serving")
_T = TypeVar("_T")
#: Requests at most this small (rows, bytes) to a fast-path model run on the event loop.
INLINE_ROWS = 32
INLINE_BYTES = 8 * 1024

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

    def inline(self, model: ServedModel) -> bool:
        """Whether this request is parsed and checked on the event loop (a small body for
        a model on the fast path) rather than in a thread."""
        return model.fast and self._size <= INLINE_BYTES and not self._encoded

    async def off_loop(self, model: ServedModel, fn: Callable[..., _T], *args: Any) -> _T:
        """``fn(*args)`` on the event loop when :meth:`inline`, else in a thread (``fn``
        must not touch tornado)."""
        if self.inline(model):
            return fn(*args)
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    async def predict(self, model: ServedModel, rows: Any) -> list[Any]:
        if len(rows) <= INLINE_ROWS and model.fast:
            return predict_rows(model, rows)
        return await asyncio.get_running_loop().run_in_executor(None, predict_rows, model, rows)


def predict_rows(model: ServedModel, rows: Any) -> list[Any]:
    """``model.predict_rows(rows)``, a model's refusal of the input as a 400."""
    try:
        return model.predict_rows(rows)
    except RequestError:
        raise
    except BigheadError as exc:  # a pipeline refusing the input (InvalidSpec...)
        column = getattr(exc, "column", None)  # a BlockInputError names its column
        raise RequestError(exc.code, exc.message,
                           **({"field": column} if column else {})) from None


def _too_big(limit: int) -> RequestError:
    return RequestError("body_too_large", f"the body is over the {limit}-byte limit",
                        status=413, field="body")


class PredictV1Handler(_BodyHandler):
    route = "v1_predict"

    async def post(self, name: str) -> None:
        try:
            model = self.model_for(name)
            if self.inline(model):
                rows = _v1_rows(model, self.body_json())
                self.send_json({"predictions": await self.predict(model, rows)})
            else:  # one trip to a thread for all of it: each trip waits to be scheduled
                self.finish(await asyncio.get_running_loop().run_in_executor(
                    None, self.answer, model))
        except RequestError as exc:
            self.fail(exc)
        except Exception as exc:
            self.fail(_internal(exc))

    def answer(self, model: ServedModel) -> bytes:
        """Parse, check, predict and encode (in a thread: touches no tornado state)."""
        rows = _v1_rows(model, self.body_json())
        return json.dumps({"predictions": predict_rows(model, rows)}).encode()


def _v1_rows(model: ServedModel, body: dict[str, Any]) -> Any:
    if "instances" in body:
        return model.checked_instances(body["instances"])
    if "inputs" in body:  # KServe v1's row-list form, or an object of columns
        if isinstance(body["inputs"], list):
            return model.checked_instances(body["inputs"], where="inputs")
        return model.checked_columns(body["inputs"])
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
        text = self.holder.metrics.render(self.holder.name, model.version if model else None,
                                          model is not None)
        if model is not None and model.log is not None:
            text += "\n".join(model.log.prometheus()) + "\n"
        self.finish(text)


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
