"""Validation of model names, aliases, tags and feature references, and page cursors.

Names become folder names in the artifact store, so they are checked against a
strict pattern *before* anything touches the disk; :func:`jupyter_bighead._io.safe_join`
is the second line of defence.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import InvalidSpec
from ..refs import parse_feature_ref, parse_model_ref, stored_feature_ref

#: Letters, digits, ``.``, ``_`` and ``-``; starts with a letter or digit; at most 128.
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")
#: Aliases start with a letter so that ``"3"`` can never be mistaken for a version.
ALIAS = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}\Z")
#: A feature reference as the registry records it: ``feature_name@version``, e.g.
#: ``bookings_7d_sum@1`` (see :func:`jupyter_bighead.refs.stored_feature_ref`).
FEATURE_REF = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,199}@[0-9]{1,9}\Z")
TAG_KEY = re.compile(r"[A-Za-z0-9_.:/-]{1,128}\Z")


def check_name(name: object) -> str:
    """Return ``name`` if it is a valid model name, else raise :class:`InvalidSpec`."""
    if not isinstance(name, str) or not MODEL_NAME.match(name) or ".." in name:
        base = name.partition("@")[0].partition(":")[0] if isinstance(name, str) else ""
        if base != name and MODEL_NAME.match(base) and ".." not in base:
            raise InvalidSpec(
                f"invalid model name {name!r}: that is a reference (see "
                f"jupyter_bighead.refs); this takes the model's name, {base!r}, with the "
                "version or alias given apart")
        raise InvalidSpec(
            f"invalid model name {name!r}: use 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (no path separators)"
        )
    return name


def check_alias(alias: object) -> str:
    """Return ``alias`` if valid, else raise :class:`InvalidSpec`."""
    if not isinstance(alias, str) or not ALIAS.match(alias):
        raise InvalidSpec(
            f"invalid alias {alias!r}: use 1-64 letters, digits, '_' or '-', starting with a letter"
        )
    return alias


#: The largest page offset accepted (stores hold 64-bit integers at most).
MAX_OFFSET = 10**12
#: The largest version number accepted anywhere (nine digits, as in feature references).
MAX_VERSION = 999_999_999


def check_version(version: object, what: str = "version") -> int:
    """Return ``version`` as an int if it is a positive integer, else raise :class:`InvalidSpec`.

    Accepts an int, a float with no fractional part, or a string of ASCII digits; at
    most :data:`MAX_VERSION` (so no store ever sees an integer it cannot hold).
    """
    value: int
    if isinstance(version, bool):
        raise InvalidSpec(f"{what} {version!r} is not a version number (a whole number >= 1)")
    if isinstance(version, int):
        value = version
    elif isinstance(version, float) and version.is_integer():
        value = int(version)
    elif isinstance(version, str) and re.fullmatch(r"[0-9]{1,40}", version):
        # No stripping: like the name validators, "1\n" or " 1" is not a version.
        value = int(version)
    else:
        shown = repr(version) if len(repr(version)) <= 40 else repr(version)[:40] + "..."
        raise InvalidSpec(f"{what} {shown} is not a version number (a whole number >= 1)")
    if value < 1:
        raise InvalidSpec(f"{what} must be 1 or more, not {value}")
    if value > MAX_VERSION:
        raise InvalidSpec(f"{what} is too large: versions go up to {MAX_VERSION}")
    return value


def check_tags(tags: Mapping[str, Any] | None) -> dict[str, str]:
    """Tags are short string labels; keys are checked, values are turned into strings."""
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise InvalidSpec(f"tags must be a mapping of str to str, not {type(tags).__name__}")
    out: dict[str, str] = {}
    for key, value in tags.items():
        if not isinstance(key, str) or not TAG_KEY.match(key):
            raise InvalidSpec(f"invalid tag key {key!r}")
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        if len(text) > 5000:
            raise InvalidSpec(f"tag {key!r} is longer than 5000 characters")
        out[key] = text
    return out


def feature_refs(features: Iterable[Any] | None, *, warn: bool = True) -> tuple[str, ...]:
    """Normalise feature references to the stored ``name@version`` form.

    Accepts ``name:N`` strings (the old ``name@N`` form warns, see
    :mod:`jupyter_bighead.refs`; ``warn=False`` for references read from records),
    or objects with ``name`` and ``version`` attributes (feature definitions), so that
    callers can pass what the feature repo hands them.

    Raises
    ------
    InvalidSpec
        If ``features`` is a string, or an item is neither a versioned reference nor a
        feature.
    """
    if features is None:
        return ()
    if isinstance(features, str):
        raise InvalidSpec("features must be a list of references like ['bookings_7d_sum:1']")
    refs: list[str] = []
    for item in features:
        if isinstance(item, str):
            parsed = parse_feature_ref(item, warn=warn) if ("@" in item or ":" in item) \
                else None
            if parsed is None or parsed.version is None:
                raise InvalidSpec(f"invalid feature reference {item!r}: expected 'name:version'")
            ref = stored_feature_ref(parsed.name, parsed.version)
        elif hasattr(item, "name") and hasattr(item, "version"):
            ref = f"{item.name}@{item.version}"
        else:
            raise InvalidSpec(f"feature reference {item!r} is neither 'name:version' nor a feature")
        if not FEATURE_REF.match(ref):
            raise InvalidSpec(f"invalid feature reference {ref!r}: expected 'name:version'")
        refs.append(ref)
    return tuple(refs)


def split_reference(name: str, version: int | str | None, alias: str | None
                     ) -> tuple[str, int | str | None, str | None]:
    """A reference in ``name`` (``m:3``, ``m@prod``) as ``(name, version, alias)``.

    A plain name is returned as given (validated later). A reference with an explicit
    ``version`` or ``alias`` is accepted only when both select the same thing.
    """
    if not isinstance(name, str) or (":" not in name and "@" not in name):
        return name, version, alias
    ref = parse_model_ref(name)
    if ref.version is None and ref.alias is None:
        return ref.name, version, alias
    if version is None and alias is None:
        return ref.name, ref.version, ref.alias
    same_version = ref.version is not None and alias is None and \
        check_version(version) == ref.version
    same_alias = ref.alias is not None and version is None and alias == ref.alias
    if not (same_version or same_alias):
        given = f"version={version!r}" if version is not None else f"alias={alias!r}"
        raise InvalidSpec(f"model reference {name!r} disagrees with {given}: pass the "
                          "reference alone, or the name with version or alias")
    return ref.name, ref.version, ref.alias


def encode_cursor(value: Any) -> str:
    """An opaque page cursor for a keyset position."""
    raw = json.dumps(value, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> Any:
    """Invert :func:`encode_cursor`; a cursor that was not made by it is :class:`InvalidSpec`."""
    shown = repr(cursor)[:60]
    try:
        if not isinstance(cursor, str) or len(cursor) > 1000:
            raise ValueError("not a cursor")
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, TypeError, UnicodeError) as exc:
        raise InvalidSpec(f"invalid page cursor {shown}") from exc
    if not isinstance(value, dict):  # every cursor we make is an object
        raise InvalidSpec(f"invalid page cursor {shown}")
    return value


def check_page(limit: int | None, offset: int) -> tuple[int | None, int]:
    """Validate ``limit`` (``None`` means no limit, at most 1000) and ``offset``."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or not 1 <= limit <= 1000):
        raise InvalidSpec(f"limit must be an integer from 1 to 1000, not {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
        raise InvalidSpec(f"offset must be an integer from 0 to {MAX_OFFSET}, not {offset!r}")
    return limit, offset
