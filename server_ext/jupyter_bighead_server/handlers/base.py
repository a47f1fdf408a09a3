"""The base handler: authentication, JSON bodies, and typed errors mapped to HTTP."""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from jupyter_server.auth.identity import IdentityProvider, PasswordIdentityProvider
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

from ..authz import REFUSAL_ATTR, user_groups
from ..bodies import check_body
from ..checks import Misconfigured

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


#: jupyter_server's own identity providers: every user they know holds the server's one
#: token or password, and they name each token request (and each browser session) with
#: a fresh random id. Their users are the server's owner.
_OWNER_ONLY_PROVIDERS = (IdentityProvider, PasswordIdentityProvider)
#: The longest error message a response carries (messages may quote the request).
MAX_MESSAGE_CHARS = 1000
#: Default cap on a request body, in bytes (c.BigheadApp.max_body_bytes).
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024


def server_user() -> str:
    """Who owns this server: the JupyterHub user under JupyterHub, else the OS user."""
    from jupyter_bighead.identity import current_user

    return current_user()


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise ValueError(f"number {shown} is out of range")
    return value


def _body_checked(verb: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 413 instead of running ``verb`` when the request body was over the cap."""

    @functools.wraps(verb)
    async def wrapper(self: BigheadHandler, *args: Any, **kwargs: Any) -> Any:
        if self._body_size > self.max_body_bytes:
            raise web.HTTPError(413, f"request body is {self._body_size} bytes; this API "
                                     f"accepts at most {self.max_body_bytes}")
        self.request.body = bytes(self._body)
        return await verb(self, *args, **kwargs)

    return wrapper


@web.stream_request_body
class BigheadHandler(APIHandler):
    """Base of every Bighead handler.

    Subclasses decorate each verb with ``@web.authenticated`` and ``@authorized``.
    Errors leave as ``{"error": code, "message": text}`` with a 4xx/5xx status.

    Bodies are streamed: at most ``max_body_bytes`` of one are kept, and a verb that
    got a larger one answers 413 (the rest is read and dropped, so clients that send
    the whole body before reading still see the answer).
    """

    auth_resource = "bighead"
    #: Whether the handler calls into the core: its first request then waits (off the
    #: event loop) for the one-time import of the core. Status and the OpenAPI document
    #: do not, so a lab that only asks for the status imports nothing.
    needs_core = True
    #: The route's OpenAPI path template, which the route table passes to
    #: :meth:`initialize` (see ..routes); request bodies are checked against its schema.
    openapi_path: str | None = None
    _body: bytearray
    _body_size: int

    def initialize(self, openapi_path: str | None = None) -> None:
        self.openapi_path = openapi_path

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for verb in ("post", "put", "patch", "delete"):
            if verb in cls.__dict__:
                setattr(cls, verb, _body_checked(cls.__dict__[verb]))

    async def prepare(self) -> None:  # type: ignore[override]
        self._body = bytearray()
        self._body_size = 0
        await super().prepare()
        # The first Bighead request pays for importing the core, in one worker thread
        # that concurrent first requests share (see ..threads). Handlers import core
        # modules lazily, some on the event loop (building the registry or feature
        # repo): never before that thread is done (it would hand out partially
        # initialized modules), and never a heavy import on the loop itself. A request
        # without credentials is refused by the verb's @web.authenticated: it imports
        # nothing.
        if self.current_user is None:
            return  # the verb's @web.authenticated refuses it
        problems = self.bighead.config.misconfigured
        if problems:  # the admin's to fix, not the user's: a 500 naming the settings
            raise Misconfigured("server misconfigured: " + "; ".join(problems))
        if self.needs_core:
            await self.bighead.imports.ready()

    def data_received(self, chunk: bytes) -> None:
        self._body_size += len(chunk)
        if self._body_size <= self.max_body_bytes:
            self._body += chunk

    @property
    def max_body_bytes(self) -> int:
        return int(getattr(self.settings.get("bighead"), "max_body_bytes", 0)
                   or DEFAULT_MAX_BODY_BYTES)

    @property
    def authorizer(self) -> Any:
        """The role-checking authorizer (see ..authz), which asks the server's first."""
        return self.settings.get("bighead_authorizer") or super().authorizer

    def groups(self) -> tuple[str, ...]:
        """The user's JupyterHub groups (none outside JupyterHub)."""
        return user_groups(self.current_user)

    def require(self, permission: str, *, doing: str) -> None:
        """Refuse (403 naming the missing role) unless the user may ``permission``: for
        checks that depend on the object, e.g. another user's job or a protected alias."""
        self.bighead.roles.require(self.username(), permission, self.groups(), doing=doing)

    def require_owner(self, owner: str | None, *, doing: str) -> None:
        """Allow the owner of a thing; anyone else needs the admin permission."""
        if owner is not None and owner == self.username():
            return
        self.require("admin", doing=f"{doing} of {owner or 'another user'}")

    @property
    def bighead(self) -> BigheadService:
        service: BigheadService = self.settings["bighead"]
        return service

    def username(self) -> str:
        """The authenticated user's name, for audit trails, job ownership and limits.

        Stable across requests: with jupyter_server's own identity providers (one token
        or password, random names) it is the server's owner, :func:`server_user`, for
        token and cookie requests alike; other providers (JupyterHub's, an admin's)
        name their users themselves.
        """
        if type(self.identity_provider) in _OWNER_ONLY_PROVIDERS:
            return server_user()
        user = self.current_user
        return str(getattr(user, "username", None) or getattr(user, "name", None) or "unknown")

    def get_json_object(self) -> dict[str, Any]:
        """The request body as a JSON object of the shape the route's OpenAPI schema
        documents (checked here, once: see ..bodies); a 400 names the problem otherwise."""
        try:
            body = json.loads(self.request.body or b"{}", parse_constant=_refuse_constant,
                              parse_float=_finite_float)
        except ValueError as exc:
            raise web.HTTPError(400, f"request body is not valid JSON: {exc}") from exc
        except RecursionError:
            raise web.HTTPError(400, "request body is nested too deeply") from None
        if not isinstance(body, dict):
            raise web.HTTPError(400, "request body must be a JSON object")
        if self.openapi_path is not None:
            check_body(self.openapi_path, self.request.method or "POST", body)
        return body

    def int_argument(self, name: str, default: int | None) -> int | None:
        """A query argument as an int; a 400 names it when it is not one."""
        raw = self.get_argument(name, None)
        if raw is None or raw == "":
            return default
        if not re.fullmatch(r"-?[0-9]{1,15}", raw):
            shown = raw if len(raw) <= 40 else raw[:40] + "..."
            raise InvalidSpec(f"query argument {name!r}={shown!r} is not an integer "
                              "(at most 15 digits)")
        return int(raw)

    def write_json(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload, default=str, allow_nan=False))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        # Typed errors are the caller's problem, not ours: no traceback in the log.
        if isinstance(value, BigheadError):
            self.log.warning("%s %s: %.1000s", self.request.method, self.request.path[:200],
                             value)
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
            if status_code == 403 and getattr(self, REFUSAL_ATTR, None):
                message = getattr(self, REFUSAL_ATTR)  # the role the user lacks
        elif exc is not None:
            code, message = "internal_error", f"internal error: {type(exc).__name__}: {exc}"
        if len(message) > MAX_MESSAGE_CHARS:  # never echo an unbounded input back
            message = message[:MAX_MESSAGE_CHARS] + f"... ({len(message)} characters)"
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json")
        body: dict[str, Any] = {"error": code, "message": message}
        if details is not None:
            text = json.dumps(details, default=str)
            body["details"] = details if len(text) <= 100 * MAX_MESSAGE_CHARS else None
        self.finish(json.dumps(body, default=str))


_HTTP_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
}
