"""Request checks a column at a time, with numpy, for models on the numeric fast path.

:class:`~.schema.Schema` checks a request value by value (two Python calls each), which
is a tenth of a 1,000-row request. :class:`MatrixCheck` checks whole columns instead:
the set of Python types in a column (one C loop), the range of its integers, its NaNs;
and builds the float64 matrix the model is given in one ``numpy.array`` call.

It never refuses anything itself. When it is not sure a request is valid (any value of
a type other than the column's plain ones, an integer near a bound, a key missing, a
row of another length, anything unusual) it returns ``None`` and the caller runs the
value-by-value check, which raises exactly the error it always raised (same code,
message, field and row). When it returns a matrix, the slow check would have accepted
the request and ``numpy.array(rows, dtype=float64)`` of its rows is bit for bit that
matrix (``tests/serving/test_fast_check.py`` checks both properties on generated
requests).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from itertools import chain
from typing import Any

from .schema import _FLOAT_MAX, InputField, _int_bounds

_FLOAT_TYPES = frozenset({float, int})
_FLOAT_OR_NULL = frozenset({float, int, type(None)})
#: Integers beyond this magnitude leave to the slow check (and numpy's int64).
_INT64 = 2**63 - 1


class MatrixCheck:
    """The column checks of a schema whose fields are all required floats, integers or
    booleans (the numeric fast path's), and the float64 matrix of a valid request.

    Build it with :meth:`for_fields`, which returns ``None`` for any other schema.
    """

    def __init__(self, fields: Sequence[InputField], allow_missing: bool) -> None:
        self.names = tuple(f.name for f in fields)
        self.width = len(self.names)
        self.kinds = tuple(f.kind for f in fields)
        self.bounds = tuple(_int_bounds(f.dtype) if f.kind == "int" else (0, 0)
                            for f in fields)
        self.allow_missing = allow_missing
        self.all_float = all(k == "float" for k in self.kinds)
        getter = operator.itemgetter(*self.names)
        self._row = getter if self.width > 1 else (lambda d: (getter(d),))

    @classmethod
    def for_fields(cls, fields: Sequence[InputField],
                   allow_missing: bool) -> MatrixCheck | None:
        if not fields or any(f.kind not in ("float", "int", "bool") or not f.required
                             for f in fields):
            return None
        return cls(fields, allow_missing)

    # -- the request shapes ----------------------------------------------------------
    def from_instances(self, instances: Any) -> Any:
        """The matrix of KServe v1 ``instances`` (objects with exactly the schema's
        keys, or lists in schema order), or ``None``: check them one by one."""
        import numpy as np

        if type(instances) is not list or not instances:
            return None
        width = self.width
        first = type(instances[0])
        if first is dict:
            if any(type(d) is not dict or len(d) != width for d in instances):
                return None
            try:
                rows: Any = list(map(self._row, instances))
            except KeyError:
                return None
        elif first is list:
            if any(type(r) is not list or len(r) != width for r in instances):
                return None
            rows = instances
        else:
            return None
        if self.all_float:  # one type check over every value, one conversion
            types = set(map(type, chain.from_iterable(rows)))
            if not self._floats_ok(types, rows, flat=True):
                return None
            X = np.array(rows, dtype=np.float64)
            return X if self._nan_ok(X) else None
        return self._from_columns(list(zip(*rows, strict=True)))

    def from_columns(self, columns: Any) -> Any:
        """The matrix of column-oriented ``{"inputs": {name: [values]}}`` (exactly the
        schema's columns, lists of one length), or ``None``: check them one by one."""
        if type(columns) is not dict or len(columns) != self.width:
            return None
        try:
            cols = [columns[name] for name in self.names]
        except KeyError:
            return None
        if any(type(c) is not list for c in cols):
            return None
        n = len(cols[0])
        if n == 0 or any(len(c) != n for c in cols):
            return None
        if self.all_float:  # as for rows: one type check, one conversion
            import numpy as np

            if not self._floats_ok(set(map(type, chain.from_iterable(cols))), cols, flat=True):
                return None
            X = np.array(cols, dtype=np.float64).T.copy()  # rows x columns, C order
            return X if self._nan_ok(X) else None
        return self._from_columns(cols)

    # -- one column at a time ------------------------------------------------------------
    def _from_columns(self, cols: Sequence[Sequence[Any]]) -> Any:
        import numpy as np

        out = np.empty((len(cols[0]), self.width), dtype=np.float64)
        for j, (values, kind) in enumerate(zip(cols, self.kinds, strict=True)):
            types = set(map(type, values))
            if kind == "float":
                if not self._floats_ok(types, values, flat=False):
                    return None
                out[:, j] = np.array(values, dtype=np.float64)
            elif kind == "int":
                if types != {int}:
                    return None
                low, high = self.bounds[j]
                # exact integers in int64, then the column's own bounds, vectorized
                if any(v > _INT64 or v < -_INT64 for v in (max(values), min(values))):
                    return None
                ints = np.array(values, dtype=np.int64)
                if ints.min() < low or ints.max() > high:
                    return None
                out[:, j] = ints  # int64 -> float64 rounds as float(int) does
            else:  # bool
                if types != {bool}:
                    return None
                out[:, j] = np.array(values, dtype=np.float64)
        return out if self._nan_ok(out) else None

    def _floats_ok(self, types: set[type], values: Any, *, flat: bool) -> bool:
        """Whether every value is one the float check passes unchanged (a float, an int
        within its range, or null when missing values are allowed)."""
        allowed = _FLOAT_OR_NULL if self.allow_missing else _FLOAT_TYPES
        if not types <= allowed:
            return False
        if int in types:
            seq = chain.from_iterable(values) if flat else values
            return all(-_FLOAT_MAX <= v <= _FLOAT_MAX for v in seq if type(v) is int)
        return True

    def _nan_ok(self, X: Any) -> bool:
        import numpy as np

        return self.allow_missing or not bool(np.isnan(X).any())
