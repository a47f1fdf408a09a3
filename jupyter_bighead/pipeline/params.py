"""A block's constructor parameters as JSON, for storing and describing pipelines."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._json import json_safe as _json_safe
from ..errors import InvalidSpec
from .base import Block

__all__ = ["block_params", "json_safe"]


def json_safe(value: Any) -> Any:
    # Block params are settings: ``nan`` stays a value (see jupyter_bighead._json).
    return _json_safe(value, style="params")


_SCALARS = (type(None), bool, int, float, str)


def block_params(block: Block) -> dict[str, Any]:
    """The block's constructor parameters as JSON data (tuples become lists).

    Raises
    ------
    InvalidSpec
        If a parameter cannot be stored as JSON (the message names it).
    """
    out = {}
    for name, value in block._stored_params().items():
        safe = json_safe(value)
        if not _json_exact(value):
            raise InvalidSpec(f"{block.block_name}: parameter {name}={value!r} cannot be stored "
                              "as JSON; use plain numbers, strings, lists and dicts")
        out[name] = safe
    return out


def _json_exact(value: Any) -> bool:
    if isinstance(value, _SCALARS):
        return True
    if isinstance(value, list | tuple):
        return all(_json_exact(v) for v in value)
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and _json_exact(v) for k, v in value.items())
    return False
