"""The base handler: authentication, JSON bodies, and typed errors mapped to HTTP."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from jupyter_server.base.handlers import APIHandler
from tornado import web

from jupyter_bighead.errors import (
    BigheadError,
    Conflict,
    DependencyError,
    ExecutionFailed,
    Forbidden,
    IntegrityError,
    InvalidSpec,
    NotFound,
    Unavailable,
)

if TYPE_CHECKING:
    from ..service import BigheadService

#: Typed core errors and the HTTP status each becomes.
ERROR_STATUS: dict[type[BigheadError], int] = {
    DependencyError: 422,
    ExecutionFailed: 422,
    InvalidSpec: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    # Tampered or missing artifacts: the store is damaged, not the request.
    IntegrityError: 500,
    # A backend (e.g. the Kubernetes API server) cannot be reached right now.
    Unavailable: 503,
}


def status_for(exc: BaseException) -> int | None:
    """The HTTP status for a typed core error, or None if it is not one."""
    for cls in type(exc).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return 500 if isinstance(exc, BigheadError) else None


class BigheadHandler(APIHandler):
    """Base of every Bighead handler.

    Subclasses decorate each verb with ``@web.authenticated`` and ``@authorized``.
    Errors leave as ``{"error": code, "message": text}`` with a 4xx/5xx status.
    """

    auth_resource = "bighead"

    @property
    def bighead(self) -> BigheadService:
        service: BigheadService = self.settings["bighead"]
        return service

    def username(self) -> str:
        """The authenticated user's name, for audit trails and job ownership."""
        user = self.current_user
        return str(getattr(user, "username", None) or getattr(user, "name", None) or "unknown")

    def get_json_object(self) -> dict[str, Any]:
        """The request body as a JSON object; a 400 names the problem otherwise."""
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError as exc:
            raise web.HTTPError(400, f"request body is not valid JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise web.HTTPError(400, "request body must be a JSON object")
        return body

    def int_argument(self, name: str, default: int | None) -> int | None:
        """A query argument as an int; a 400 names it when it is not one."""
        raw = self.get_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise InvalidSpec(f"query argument {name!r}={raw!r} is not an integer") from None

    def write_json(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload, default=str, allow_nan=False))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        # Typed errors are the caller's problem, not ours: no traceback in the log.
        if isinstance(value, BigheadError):
            self.log.warning("%s %s: %s", self.request.method, self.request.path, value)
            return
        super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        exc = exc_info[1] if exc_info else None
        code, message = "http_error", HTTPStatus(status_code).phrase
        details = None
        if isinstance(exc, BigheadError):
            status_code = status_for(exc) or 500
            code, message, details = exc.code, exc.message, exc.details
        elif isinstance(exc, web.HTTPError):
            code = _HTTP_CODES.get(status_code, "http_error")
            message = exc.log_message % exc.args if exc.log_message else (exc.reason or message)
        elif exc is not None:
            code, message = "internal_error", f"internal error: {type(exc).__name__}: {exc}"
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json")
        body: dict[str, Any] = {"error": code, "message": message}
        if details is not None:
            body["details"] = details
        self.finish(json.dumps(body))


_HTTP_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
}
