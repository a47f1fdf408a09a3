"""Request validation: the model's input fields, and request bodies checked against them.

Pure Python, no tornado and no pandas: every check here runs on the request path, so
it is a handful of type tests per value. A bad request raises :class:`RequestError`,
which names the problem field; the server turns it into a 400 (or 413/404).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: What the server does with request fields the model does not know.
EXTRA_POLICIES = ("reject", "ignore")
#: The longest string value a request may carry (a category, an id), in characters.
MAX_STRING_CHARS = 1024
#: The longest date-time string (ISO 8601 with nanoseconds and an offset is 35): longer
#: ones would only feed the date parser's slow guessing.
MAX_DATETIME_CHARS = 64
#: The most dimensions, and values, a v2 tensor's ``shape`` may describe.
MAX_TENSOR_RANK = 8
MAX_TENSOR_VALUES = 2**31 - 1


class RequestError(Exception):
    """A request the server refuses; ``status`` is its HTTP status.

    ``payload`` is the JSON body sent back: ``{"error": message, "code": code, ...}``.
    ``error`` is the message as a plain string, as the Open Inference Protocol and
    KServe clients expect (they show it as the exception's text); ``code`` and the extra
    keys (``field``, ``features``, ``row``) name what was wrong for programs.
    """

    def __init__(self, code: str, message: str, status: int = 400, **details: Any) -> None:
        message = _bounded(message, MAX_MESSAGE_CHARS)
        super().__init__(message)
        self.status = status
        self.code = code
        # Names in a refusal come from the request: never echo them back unbounded.
        self.payload: dict[str, Any] = {"error": message, "code": code,
                                        **{k: _bounded(v) for k, v in details.items()}}


#: The longest refusal message sent back; longer ones (that quote the request) are cut.
MAX_MESSAGE_CHARS = 1000


def _bounded(value: Any, chars: int = 200, items: int = 50) -> Any:
    """``value`` with long strings cut and long lists shortened, for an error body."""
    if isinstance(value, str):
        return value if len(value) <= chars else f"{value[:chars]}... ({len(value)} characters)"
    if isinstance(value, (list, tuple)):
        head = [_bounded(v, chars, items) for v in value[:items]]
        return head + ([f"... ({len(value)} in all)"] if len(value) > items else [])
    return value


@dataclass(frozen=True)
class InputField:
    """One raw request column: its name, dtype (a numpy/pandas dtype name) and whether
    a request must carry it (an absent optional column, e.g. a feature lookup's
    timestamp, is left out of the frame the model sees)."""

    name: str
    dtype: str = "float64"
    required: bool = True

    @property
    def kind(self) -> str:
        """``float``, ``int``, ``bool``, ``string``, ``datetime`` or ``any``."""
        d = self.dtype.lower()
        if d.startswith(("float", "double")):
            return "float"
        if d.startswith(("int", "uint")):
            return "int"
        if d.startswith("bool"):
            return "bool"
        if d in ("object", "str", "string", "category") or d.startswith("string"):
            return "string"
        if d.startswith(("datetime", "timestamp")):
            return "datetime"
        return "any"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "required": self.required}


@dataclass(frozen=True)
class Schema:
    """The fields of a model plus the checker of each, precomputed once per model."""

    fields: tuple[InputField, ...]
    extra: str = "reject"
    allow_missing: bool = True
    _checkers: tuple[Callable[[Any], Any], ...] = field(default=(), compare=False, repr=False)
    _index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    _all_required: bool = field(default=True, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.extra not in EXTRA_POLICIES:
            raise ValueError(f"extra features policy must be one of {EXTRA_POLICIES}")
        object.__setattr__(self, "_checkers",
                           tuple(_checker(f, self.allow_missing) for f in self.fields))
        object.__setattr__(self, "_index", {f.name: i for i, f in enumerate(self.fields)})
        object.__setattr__(self, "_all_required", all(f.required for f in self.fields))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    # -- request shapes ------------------------------------------------------------------
    def rows_from_instances(self, instances: Any, where: str = "instances") -> list[list[Any]]:
        """KServe v1 ``instances`` (or the row-list form of ``inputs``, ``where``):
        objects by column, or lists in schema order."""
        if not isinstance(instances, list):
            raise RequestError("invalid_request", f"'{where}' must be a list of objects",
                               field=where)
        if not instances:
            raise RequestError("empty_instances", f"'{where}' is empty: send at least one row",
                               field=where)
        return [self._row(inst, i, where) for i, inst in enumerate(instances)]

    def rows_from_columns(self, columns: Any, where: str = "inputs") -> list[list[Any]]:
        """Column-oriented ``{"inputs": {col: [v, ...]}}`` (every column the same length)."""
        if not isinstance(columns, Mapping):
            raise RequestError("invalid_request", f"'{where}' must be an object of columns",
                               field=where)
        self._check_names(columns)
        lengths = {len(v) if isinstance(v, list) else -1 for k, v in columns.items()
                   if k in self._index}
        if -1 in lengths:
            bad = [k for k, v in columns.items() if not isinstance(v, list)]
            raise RequestError("wrong_type", f"column {bad[0]!r} must be a list of values",
                               field=bad[0])
        if len(lengths) > 1:
            raise RequestError("ragged_columns", f"the columns of '{where}' differ in length",
                               field=where)
        n = lengths.pop() if lengths else 0
        if n == 0:
            raise RequestError("empty_instances", f"'{where}' holds no rows", field=where)
        out: list[list[Any]] = [[None] * len(self.fields) for _ in range(n)]
        for j, (f, check) in enumerate(zip(self.fields, self._checkers, strict=True)):
            values = columns.get(f.name)
            if values is None:
                continue  # an optional column (required ones were checked)
            for i, value in enumerate(values):
                out[i][j] = _check(check, value, f, i)
        return out

    def rows_from_tensors(self, tensors: Any) -> list[list[Any]]:
        """Open Inference Protocol v2 ``inputs``: one tensor per column, or a single
        ``[rows, features]`` tensor in schema order.

        A numeric tensor (any ``datatype`` but ``BOOL``) may feed a bool column with 0
        and 1, as a numeric matrix must; any other number there is a 400."""
        if not isinstance(tensors, list) or not tensors:
            raise RequestError("empty_instances", "'inputs' must be a non-empty list of tensors",
                               field="inputs")
        columns: dict[str, Any] = {}
        for t in tensors:
            if not isinstance(t, Mapping) or not isinstance(t.get("name"), str):
                raise RequestError("invalid_request", "every tensor needs a 'name'",
                                   field="inputs")
            data, shape = t.get("data"), tensor_shape(t)
            if not isinstance(data, list):
                raise RequestError("wrong_type", f"tensor {t['name']!r}: 'data' must be a list",
                                   field=t["name"])
            numeric = t.get("datatype") not in (None, "BOOL", "BYTES")
            if (len(tensors) == 1 and t["name"] not in self._index and shape is not None
                    and len(shape) == 2):
                return self._matrix(t["name"], data, shape, numeric)
            if data and isinstance(data[0], list):  # [[v], [v]] for shape [n, 1]
                data = [v[0] if isinstance(v, list) and len(v) == 1 else v for v in data]
            j = self._index.get(t["name"])
            if numeric and j is not None and self.fields[j].kind == "bool":
                data = [_bool_from_number(v) for v in data]
            columns[t["name"]] = data
        return self.rows_from_columns(columns, where="inputs")

    # -- helpers -------------------------------------------------------------------------
    def _check_names(self, given: Mapping[str, Any], row: int | None = None) -> None:
        index = self._index
        missing = [f.name for f in self.fields if f.required and f.name not in given]
        where = {} if row is None else {"row": row}
        if missing:
            raise RequestError("missing_features", f"missing features: {', '.join(missing)}",
                               field=missing[0], features=missing, **where)
        if self.extra == "reject":
            extra = [k for k in given if k not in index]
            if extra:
                raise RequestError("unknown_features",
                                   f"unknown features: {', '.join(map(str, extra))}",
                                   field=str(extra[0]), features=[str(e) for e in extra], **where)

    def _row(self, inst: Any, i: int, where: str = "instances") -> list[Any]:
        fields, checkers = self.fields, self._checkers
        if isinstance(inst, dict):
            # Fast path: as many keys as fields, all required, none missing: no extras.
            if len(inst) != len(fields) or self.extra == "ignore" or not self._all_required:
                self._check_names(inst, i)
            out: list[Any] = []
            for f, check in zip(fields, checkers, strict=True):
                try:
                    value = inst[f.name]
                except KeyError:
                    if f.required:
                        self._check_names(inst, i)  # raises, listing every missing one
                    out.append(None)
                    continue
                out.append(_check(check, value, f, i))
            return out
        if isinstance(inst, list):
            if len(inst) != len(fields):
                raise RequestError("wrong_shape", f"row {i} has {len(inst)} values; the model "
                                   f"takes {len(fields)} ({', '.join(self.names)})",
                                   field=where, row=i)
            return [_check(c, v, f, i) for c, v, f in zip(checkers, inst, fields, strict=True)]
        raise RequestError("wrong_type", f"instance {i} must be an object of features",
                           field=where, row=i)

    def _matrix(self, name: str, data: list[Any], shape: list[int],
                numeric: bool = False) -> list[list[Any]]:
        n, k = shape
        if k != len(self.fields):
            raise RequestError("wrong_shape", f"tensor {name!r} has {k} columns; the model "
                               f"takes {len(self.fields)}", field=name)
        flat = data
        if data and isinstance(data[0], list):
            flat = [v for row in data for v in (row if isinstance(row, list) else [row])]
        if n < 1 or len(flat) != n * k:
            raise RequestError("wrong_shape", f"tensor {name!r}: {len(flat)} values do not fill "
                               f"shape {shape}", field=name)
        bools = [j for j, f in enumerate(self.fields) if f.kind == "bool"] if numeric else []
        if bools:
            flat = list(flat)
            for j in bools:
                flat[j::k] = [_bool_from_number(v) for v in flat[j::k]]
        return [self._row(flat[r * k:(r + 1) * k], r) for r in range(n)]


def tensor_shape(tensor: Mapping[str, Any]) -> list[int] | None:
    """A v2 tensor's ``shape``, checked to be a list of non-negative integers (not
    booleans, not ``3.0``) of at most ``MAX_TENSOR_RANK`` dimensions describing at most
    ``MAX_TENSOR_VALUES`` values; ``None`` when the tensor has none.

    Raises :class:`RequestError` (400, ``wrong_shape``, naming the tensor) otherwise.
    """
    shape = tensor.get("shape")
    if shape is None:
        return None
    name = str(tensor.get("name"))
    if (not isinstance(shape, list) or len(shape) > MAX_TENSOR_RANK
            or not all(type(d) is int and 0 <= d <= MAX_TENSOR_VALUES for d in shape)):
        raise RequestError("wrong_shape", f"tensor {name!r}: 'shape' must be a list of at most "
                           f"{MAX_TENSOR_RANK} non-negative integers", field=name)
    values = 1
    for d in shape:
        values *= d
        if values > MAX_TENSOR_VALUES:
            raise RequestError("wrong_shape", f"tensor {name!r}: 'shape' describes more than "
                               f"{MAX_TENSOR_VALUES} values", field=name)
    return shape


def _check(check: Callable[[Any], Any], value: Any, f: InputField, row: int) -> Any:
    try:
        return check(value)
    except _Bad as bad:
        raise RequestError(bad.code, f"feature {f.name!r} (row {row}): {bad.why}",
                           field=f.name, row=row) from None


def _bool_from_number(value: Any) -> Any:
    """0 and 1 (int or float) as False and True; anything else unchanged, so the bool
    checker refuses it."""
    if type(value) in (int, float) and value in (0, 1):
        return value == 1
    return value


class _Bad(Exception):
    def __init__(self, code: str, why: str) -> None:
        super().__init__(why)
        self.code, self.why = code, why


_FLOAT_MAX = 2**1023  # a Python int beyond this does not fit a float64
#: Words pandas' date parser turns into the current time.
_RELATIVE_TIMES = ("now", "today")


def _int_bounds(dtype: str) -> tuple[int, int]:
    d = dtype.lower()
    bits = int("".join(ch for ch in d if ch.isdigit()) or 64)
    if d.startswith("uint"):
        return 0, 2**bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def _checker(f: InputField, allow_missing: bool) -> Callable[[Any], Any]:
    """A function that returns the value to feed the model, or raises ``_Bad``."""
    kind = f.kind
    nan = math.nan

    def missing(value: Any) -> Any:
        if kind in ("float", "any") and allow_missing:
            return nan
        raise _Bad("nan_not_allowed", f"must not be null or NaN ({f.dtype})")

    if kind in ("float", "any"):
        def check_float(value: Any) -> Any:
            t = type(value)
            if t is float:
                return value if value == value or allow_missing else missing(value)
            if t is int:
                if -_FLOAT_MAX <= value <= _FLOAT_MAX:
                    return value
                raise _Bad("wrong_type", "the number is out of range")
            if value is None:
                return missing(value)
            raise _Bad("wrong_type", f"expected a number, got {type(value).__name__}")
        return check_float
    if kind == "int":
        low, high = _int_bounds(f.dtype)

        def check_int(value: Any) -> Any:
            t = type(value)
            if t is float:
                if value != value:
                    return missing(value)
                if not value.is_integer():
                    raise _Bad("wrong_type", f"expected an integer, got {value!r}")
                value, t = int(value), int
            if t is int:
                if low <= value <= high:
                    return value
                raise _Bad("wrong_type", f"{value} is out of range for {f.dtype}")
            if value is None:
                return missing(value)
            raise _Bad("wrong_type", f"expected an integer, got {type(value).__name__}")
        return check_int
    if kind == "bool":
        def check_bool(value: Any) -> Any:
            if type(value) is bool:
                return value
            if value is None or (type(value) is float and value != value):
                return missing(value)
            raise _Bad("wrong_type", f"expected true or false, got {type(value).__name__}")
        return check_bool

    longest = MAX_DATETIME_CHARS if kind == "datetime" else MAX_STRING_CHARS

    def check_text(value: Any) -> Any:  # strings, categories, date-times
        if type(value) is str:
            if len(value) > longest:
                raise _Bad("too_long", f"a {kind} value may have at most {longest} characters, "
                           f"not {len(value)}")
            if kind == "datetime" and value.strip().lower() in _RELATIVE_TIMES:
                # pandas reads these as the wall clock at parse time: a point-in-time
                # lookup would silently depend on when the request arrived.
                hint = "" if f.required else "; leave the column out to mean now"
                raise _Bad("wrong_type", f"expected a date-time (ISO 8601), not {value!r}{hint}")
            return value
        if value is None or (type(value) is float and value != value):
            if f.required:
                return missing(value)
            return None
        raise _Bad("wrong_type", f"expected a string, got {type(value).__name__}")
    return check_text


def fields_from(spec: Sequence[Mapping[str, Any]] | None,
                schema: Sequence[Sequence[str]]) -> tuple[InputField, ...]:
    """The model's request fields: its ``input_spec()`` if it has one, else the
    registry's recorded input schema (every column required)."""
    if spec:
        return tuple(InputField(str(s["name"]), str(s.get("dtype") or "any"),
                                bool(s.get("required", True))) for s in spec)
    return tuple(InputField(str(n), str(d) if d != "unknown" else "float64") for n, d in schema)
