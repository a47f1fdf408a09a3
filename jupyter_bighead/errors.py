"""Typed errors raised by the core.

Every error carries a short machine-readable ``code``. The server extension maps
each class to an HTTP status (see ``jupyter_bighead_server.handlers.base``); the
core itself knows nothing about HTTP.
"""

from __future__ import annotations

from typing import Any


class BigheadError(Exception):
    """Base class of every error the core raises on purpose.

    ``details`` is optional JSON-able data a UI can use (e.g. the offending cells).
    """

    code = "bighead_error"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidSpec(BigheadError, ValueError):
    """The caller's input is malformed: a bad name, a missing column, a wrong type."""

    code = "invalid_spec"


class NotFound(BigheadError, LookupError):
    """A named thing (model, feature, job, file) does not exist."""

    code = "not_found"


class Conflict(BigheadError):
    """The request clashes with what is stored, e.g. a changed definition without a new version."""

    code = "conflict"


class Forbidden(BigheadError, PermissionError):
    """The request reaches outside what it may touch, e.g. a path outside the workspace."""

    code = "forbidden"


class DependencyError(InvalidSpec):
    """Production cells read names that only prototype cells define."""

    code = "dependency_error"


class ExecutionFailed(BigheadError):
    """A notebook or job failed while running; ``details`` names the cell and traceback."""

    code = "execution_failed"


class IntegrityError(BigheadError):
    """Stored bytes are not what was recorded: an artifact is missing or its sha256 differs.

    This is never the caller's fault, so it is not an ``InvalidSpec``; the store (or
    someone with write access to it) is damaged and needs an operator's attention.
    """

    code = "integrity_error"


class Unavailable(BigheadError):
    """A backend the request needs (a Kubernetes cluster, a database) cannot be reached.

    Not the caller's fault and possibly temporary; the server maps it to HTTP 503.
    """

    code = "unavailable"


class BlockInputError(InvalidSpec):
    """A pipeline block got input it cannot use: a missing column, a wrong dtype, or
    nulls in a column it declared non-null.

    ``details`` is ``{"block": ..., "column": ..., "expected": ..., "got": ...}``.
    """

    code = "block_input_error"

    def __init__(self, block: str, column: str | None, expected: str, problem: str) -> None:
        where = f"{block}: column {column!r}" if column is not None else block
        super().__init__(f"{where} {problem}; expected {expected}",
                         {"block": block, "column": column, "expected": expected})
        self.block = block
        self.column = column
        self.expected = expected


class UnknownBlock(NotFound):
    """A stored pipeline names a block that is not installed here (or not in the catalog).

    ``details`` is ``{"block": ..., "package": ..., "source": ...}``.
    """

    code = "unknown_block"


class IncompatibleFormat(IntegrityError):
    """Stored data was written in a format this version cannot read (e.g. a newer
    pipeline format): upgrade jupyter-bighead, or re-register with this version."""

    code = "incompatible_format"
