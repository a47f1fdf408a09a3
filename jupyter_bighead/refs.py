"""One reference syntax for models and features (bottom layer: imports only ``errors``).

A *reference* names a registered model or a feature definition, in Python, on the
command line, in REST bodies and in the lab alike:

============  =================================================  ===================
form          meaning                                            example
============  =================================================  ===================
``NAME``      the latest version                                 ``churn``
``NAME:N``    version ``N`` (an integer >= 1)                    ``churn:3``, ``bookings_7d_sum:1``
``NAME@A``    the version alias ``A`` points at (models only)    ``churn@production``
============  =================================================  ===================

Names never contain ``:`` or ``@``, and aliases start with a letter, so every
reference reads one way. Features have versions but no aliases.

Old form: feature references used to write the version after ``@`` (``bookings_7d_sum@1``).
That form is still accepted everywhere for features, and still means version ``N``;
when a user writes it, a :class:`DeprecationWarning` points at their line. Records
written by this and older releases (the features a registered model was trained with,
a stored pipeline's pinned lookups) keep the ``NAME@N`` form and are read without any
warning: :func:`stored_feature_ref` gives that storage form, and code that hands
stored references on reads them with ``warn=False`` or inside
:func:`reading_stored_refs`. A model reference ``NAME@3`` stays an error (``3`` is not an
alias; the message suggests ``NAME:3``).
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import sys
import warnings
from collections.abc import Iterator
from typing import NamedTuple

from .errors import InvalidSpec

__all__ = [
    "FeatureRef",
    "ModelRef",
    "format_ref",
    "parse_feature_ref",
    "parse_model_ref",
    "reading_stored_refs",
    "stored_feature_ref",
]

_READING_STORED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "jupyter_bighead_reading_stored_refs", default=False)

_NAME = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"
_ALIAS = r"[A-Za-z][A-Za-z0-9_.-]*"
_VERSION = r"[0-9]{1,18}"
_REF = re.compile(
    rf"(?P<name>{_NAME})(?::(?P<version>{_VERSION})|@(?P<alias>{_ALIAS})|@(?P<old>{_VERSION}))?\Z"
)


class ModelRef(NamedTuple):
    """A parsed model reference: at most one of ``version`` and ``alias`` is set."""

    name: str
    version: int | None
    alias: str | None


class FeatureRef(NamedTuple):
    """A parsed feature reference; ``version`` is ``None`` for the latest."""

    name: str
    version: int | None


def parse_model_ref(ref: str) -> ModelRef:
    """``name``, ``name:3`` or ``name@alias`` as ``(name, version, alias)``.

    Raises
    ------
    InvalidSpec
        If ``ref`` is not a string of one of those forms; ``name@3`` is refused with a
        hint to write ``name:3``.
    """
    match = _REF.match(ref.strip()) if isinstance(ref, str) else None
    if not match or not match.group("name")[0].isalnum():
        raise InvalidSpec(f"model reference {ref!r} must look like name@alias, name:3 or name")
    if match.group("old"):
        raise InvalidSpec(f"model reference {ref!r}: '@' selects an alias; "
                          f"write {match.group('name')}:{match.group('old')} for a version")
    version = match.group("version")
    return ModelRef(match.group("name"), int(version) if version else None,
                    match.group("alias"))


def parse_feature_ref(ref: str, *, warn: bool = True) -> FeatureRef:
    """``name`` or ``name:N`` (and the old ``name@N``) as ``(name, version)``.

    ``warn=True`` (for references a user wrote) issues a :class:`DeprecationWarning`
    for the old form, attributed to the first caller outside this package; readers of
    stored records pass ``warn=False`` or call inside :func:`reading_stored_refs`.

    Raises
    ------
    InvalidSpec
        If the reference is not a non-empty string, the version is not an integer >= 1,
        or it names an alias (features have none).
    """
    if not isinstance(ref, str) or not ref:
        raise InvalidSpec(f"feature reference must be a non-empty string, not {ref!r}")
    match = _REF.match(ref)
    name = match.group("name") if match else ref.partition("@")[0].partition(":")[0]
    if match is None or match.group("alias"):
        if match is not None or "@" in ref or ":" in ref:
            raise InvalidSpec(f"feature reference {ref!r}: the part after the name must be "
                              f"a version >= 1, as in {name or 'name'}:1")
        # Not a reference shape at all: let the catalog say the name is unknown.
        return FeatureRef(ref, None)
    text = match.group("version") or match.group("old")
    if text is None:
        return FeatureRef(name, None)
    version = int(text)
    if version < 1 or len(text) > 9:
        raise InvalidSpec(f"feature reference {ref!r}: the version must be between 1 and "
                          "999999999")
    if match.group("old") and warn and not _READING_STORED.get():
        deprecated(f"feature reference {ref!r}: write {name}:{version} "
                   f"('{name}@{version}' is the old form; '@' now selects aliases). "
                   f"materialize names the column of {name}:{version} {name!r}; "
                   f"the old form keeps the column name {ref!r}")
    return FeatureRef(name, version)


def format_ref(name: str, version: int | None = None, alias: str | None = None) -> str:
    """The canonical reference: ``name``, ``name:N`` or ``name@alias``.

    Raises
    ------
    InvalidSpec
        If both ``version`` and ``alias`` are given.
    """
    if version is not None and alias is not None:
        raise InvalidSpec("a reference names a version or an alias, not both")
    if version is not None:
        return f"{name}:{int(version)}"
    return f"{name}@{alias}" if alias is not None else name


def stored_feature_ref(name: str, version: int) -> str:
    """The form feature references are recorded in (``name@N``), unchanged so that
    records written by older releases and new ones read the same."""
    return f"{name}@{int(version)}"


@contextlib.contextmanager
def reading_stored_refs() -> Iterator[None]:
    """Within this block, old-form references are read without a warning: for code
    that hands stored references (a pipeline's pinned lookups, a model version's
    features) to the same API users call."""
    token = _READING_STORED.set(True)
    try:
        yield
    finally:
        _READING_STORED.reset(token)


def deprecated(message: str) -> None:
    """A :class:`DeprecationWarning` attributed to the first frame outside this package,
    so that it shows in a notebook (Python only shows them for ``__main__`` code)."""
    level, frame = 1, sys._getframe(0)
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] == \
            "jupyter_bighead":
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(message, DeprecationWarning, stacklevel=level)
