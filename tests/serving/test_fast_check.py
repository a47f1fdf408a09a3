"""The column-at-a-time request check (:mod:`...runtime.fastcheck`) accepts only what the
value-by-value check accepts, with the same values, and every refusal stays the slow
check's own (same code, message, field and row)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_bighead.serving.runtime.fastcheck import MatrixCheck
from jupyter_bighead.serving.runtime.schema import InputField, RequestError, Schema

DTYPES = ["float64", "float32", "int64", "int8", "uint8", "bool"]

#: Values of every kind a JSON body can carry, with the edges of each check.
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-300, max_value=300),
    st.sampled_from([0, 1, -1, 127, 128, -128, -129, 255, 256, 2**53 + 1, 2**63 - 1, 2**63,
                     -(2**63), -(2**63) - 1, 2**64, 2**1023, 2**1023 + 1, -(2**1023),
                     -(2**1023) - 1, 10**400, 1.5, 0.0, -0.0]),
    st.booleans(),
    st.none(),
    st.sampled_from(["1.5", "", "x", [1.0], {"a": 1}]),
)


def _schema(dtypes: list[str], allow_missing: bool) -> Schema:
    return Schema(tuple(InputField(f"c{i}", d) for i, d in enumerate(dtypes)),
                  allow_missing=allow_missing)


def _slow(call):
    try:
        return call(), None
    except RequestError as exc:
        return None, (exc.status, exc.payload)


def _same_matrix(fast, rows) -> None:
    slow = np.array(rows, dtype=np.float64)
    assert fast.dtype == np.float64 and fast.shape == slow.shape
    assert fast.tobytes() == slow.tobytes()  # bit for bit (NaNs, signed zeros)


def _check_instances(schema: Schema, instances) -> None:
    check = MatrixCheck.for_fields(schema.fields, schema.allow_missing)
    assert check is not None
    rows, error = _slow(lambda: schema.rows_from_instances(instances))
    fast = check.from_instances(instances)
    if error is not None:
        assert fast is None, error  # refused by the slow check: never let through
    elif fast is not None:
        _same_matrix(fast, rows)


def _check_columns(schema: Schema, columns) -> None:
    check = MatrixCheck.for_fields(schema.fields, schema.allow_missing)
    assert check is not None
    rows, error = _slow(lambda: schema.rows_from_columns(columns))
    fast = check.from_columns(columns)
    if error is not None:
        assert fast is None, error
    elif fast is not None:
        _same_matrix(fast, rows)


@st.composite
def requests(draw):
    dtypes = draw(st.lists(st.sampled_from(DTYPES), min_size=1, max_size=4))
    if draw(st.booleans()):
        dtypes = ["float64"] * len(dtypes)  # the all-float path
    allow_missing = draw(st.booleans())
    n = draw(st.integers(min_value=0, max_value=6))
    clean = draw(st.booleans())  # half the requests: plain values of each column's kind

    def value(dtype):
        plain = {"bool": st.booleans(), "float64": st.floats(), "float32": st.floats()}.get(
            dtype, st.integers(min_value=-128, max_value=127))
        return draw(plain if clean else st.one_of(plain, plain, plain, VALUES))

    rows = [[value(d) for d in dtypes] for _ in range(n)]
    return dtypes, allow_missing, rows


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests(), st.sampled_from(["dicts", "lists", "columns"]), st.data())
def test_the_column_check_accepts_only_what_the_slow_check_accepts(req, shape, data):
    dtypes, allow_missing, rows = req
    schema = _schema(dtypes, allow_missing)
    names = list(schema.names)
    if shape == "columns":
        columns = {name: [r[j] for r in rows] for j, name in enumerate(names)}
        if rows and data.draw(st.booleans()):  # a ragged, missing or extra column
            damage = data.draw(st.sampled_from(["ragged", "missing", "extra", "scalar"]))
            if damage == "ragged":
                columns[names[0]] = columns[names[0]][:-1]
            elif damage == "missing":
                columns.pop(names[-1])
            elif damage == "extra":
                columns["zz"] = [1.0] * len(rows)
            else:
                columns[names[0]] = 1.0
        _check_columns(schema, columns)
        return
    instances: list = ([dict(zip(names, r, strict=True)) for r in rows] if shape == "dicts"
                       else [list(r) for r in rows])
    if instances and data.draw(st.booleans()):  # a row of another shape or kind
        i = data.draw(st.integers(min_value=0, max_value=len(instances) - 1))
        damage = data.draw(st.sampled_from(["short", "extra", "scalar", "other"]))
        row = instances[i]
        if damage == "short":
            row.pop() if isinstance(row, list) else row.pop(names[-1])
        elif damage == "extra":
            row.append(1.0) if isinstance(row, list) else row.update(zz=1.0)
        elif damage == "scalar":
            instances[i] = 1.0
        else:
            instances[i] = (dict(zip(names, rows[i], strict=True)) if isinstance(row, list)
                            else list(rows[i]))
    _check_instances(schema, instances)


#: Requests the slow check refuses, each with the refusal's code: the fast check must
#: pass every one of them on (None), and the server then answers the slow check's error.
BAD = [
    ({"c0": "1.5", "c1": 1}, "wrong_type"),
    ({"c0": True, "c1": 1}, "wrong_type"),
    ({"c0": 2**1023 + 1, "c1": 1}, "wrong_type"),
    ({"c0": 1.0, "c1": 1.5}, "wrong_type"),
    ({"c0": 1.0, "c1": 2**63}, "wrong_type"),
    ({"c0": 1.0, "c1": None}, "nan_not_allowed"),
    ({"c0": 1.0, "c1": True}, "wrong_type"),
    ({"c0": 1.0}, "missing_features"),
    ({"c0": 1.0, "c1": 1, "c9": 1}, "unknown_features"),
    ({"c0": [1.0], "c1": 1}, "wrong_type"),
]


@pytest.mark.parametrize(("row", "code"), BAD)
def test_each_bad_request_is_left_to_the_slow_check(row, code):
    schema = _schema(["float64", "int64"], allow_missing=True)
    check = MatrixCheck.for_fields(schema.fields, True)
    assert check is not None
    instances = [{"c0": 0.5, "c1": 2}, row]
    with pytest.raises(RequestError) as slow:
        schema.rows_from_instances(instances)
    assert slow.value.code == code and slow.value.payload.get("row", 1) == 1
    assert check.from_instances(instances) is None
    columns = {k: [0.5 if k == "c0" else 2, v] for k, v in row.items()}
    assert check.from_columns(columns) is None


def test_nan_and_null_floats_follow_allow_missing():
    for allow in (True, False):
        schema = _schema(["float64", "float64"], allow_missing=allow)
        check = MatrixCheck.for_fields(schema.fields, allow)
        assert check is not None
        rows = [[float("nan"), None], [1.0, 2]]
        got = check.from_instances(rows)
        if allow:
            _same_matrix(got, schema.rows_from_instances(rows))
        else:
            assert got is None
            with pytest.raises(RequestError, match="must not be null"):
                schema.rows_from_instances(rows)


def test_a_valid_request_takes_the_column_check():
    schema = _schema(["float64", "int8", "bool"], allow_missing=True)
    check = MatrixCheck.for_fields(schema.fields, True)
    assert check is not None and not check.all_float
    rows = [[0.25, -128, True], [None, 127, False], [3, 0, True]]
    _same_matrix(check.from_instances(rows), schema.rows_from_instances(rows))
    cols = {"c0": [0.25, 1e300], "c1": [1, 2], "c2": [False, True]}
    _same_matrix(check.from_columns(cols), schema.rows_from_columns(cols))
    assert MatrixCheck.for_fields((InputField("s", "object"),), True) is None
    assert MatrixCheck.for_fields((InputField("f", "float64", required=False),), True) is None
