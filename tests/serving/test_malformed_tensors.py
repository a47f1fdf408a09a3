"""Every malformed Open Inference Protocol v2 tensor is a 400, never a 500."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_bighead.serving.runtime.model import ServedModel
from jupyter_bighead.serving.runtime.schema import MAX_TENSOR_VALUES, RequestError

ROW = [0.1, -0.2, 0.3, 4, True]


def matrix(shape, data=None):
    return {"name": "input-0", "datatype": "FP64", "shape": shape,
            "data": data if data is not None else ROW}


def column(shape, data=(0.5,)):
    return {"name": "f0", "datatype": "FP64", "shape": shape, "data": list(data)}


MALFORMED = [
    ("float dimension", [matrix([1, 5.0])]),          # a 500 before
    ("float rows", [matrix([1.0, 5])]),
    ("bool dimension", [matrix([True, 5])]),          # silently taken as 1 before
    ("negative dimension", [matrix([-1, 5])]),
    ("string dimension", [matrix(["1", 5])]),
    ("null dimension", [matrix([None, 5])]),
    ("shape not a list", [matrix("1x5")]),
    ("nested shape", [matrix([[1], 5])]),
    ("huge product", [matrix([2**40, 2**40])]),
    ("huge dimension", [matrix([10**30, 5])]),
    ("too many dimensions", [matrix([1] * 9 + [5])]),
    ("float column shape", [column([1.5])]),
    ("negative column shape", [column([-3])]),
    ("data not a list", [matrix([1, 5], data={"a": 1})]),
    ("values that are objects", [matrix([1, 5], data=[{"v": 1}] * 5)]),
    ("too few values", [matrix([2, 5])]),
    ("tensor not an object", ["f0"]),
    ("name not a string", [{"name": 3, "shape": [1], "data": [1.0]}]),
    ("inputs not a list", {"f0": [1.0]}),
]


@pytest.mark.parametrize("case,inputs", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_tensor_is_a_400(server, case, inputs):
    status, body = server.call("POST", "/v2/models/clf/infer", {"inputs": inputs})
    assert status == 400, (case, body)


def test_a_well_formed_matrix_still_predicts(server):
    status, body = server.call("POST", "/v2/models/clf/infer", {"inputs": [matrix([1, 5])]})
    assert status == 200 and len(body["outputs"][0]["data"]) == 1, body


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70)
    | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=4),
    max_leaves=20)
DIMENSION = st.integers(-3, 8) | st.sampled_from([2**31, 2**62, 1.0, 5.0, True, None, "5"])
TENSOR = st.fixed_dictionaries(
    {"name": st.sampled_from(["f0", "f1", "n_items", "is_member", "input-0", "zz"]) | JSON,
     "shape": st.lists(DIMENSION, max_size=4) | JSON,
     "data": st.lists(JSON, max_size=12) | st.lists(st.lists(JSON, max_size=6), max_size=4)},
    optional={"datatype": st.sampled_from(["FP64", "FP32", "INT64", "BOOL", "BYTES", "FP99"])})


@pytest.fixture(scope="module")
def served(registry):
    return ServedModel.load(registry, "clf", 1)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs=st.lists(TENSOR, max_size=3) | JSON)
def test_any_tensor_list_is_rows_the_model_predicts_or_a_request_error(served, inputs):
    # The schema is the server's only gate before the model: whatever it lets through
    # must predict, and everything else must be a RequestError (a 4xx), not a crash.
    try:
        rows = served.schema.rows_from_tensors(json.loads(json.dumps(inputs)))
    except RequestError as exc:
        assert 400 <= exc.status < 500
        return
    assert len(served.predict_rows(rows)) == len(rows)


def test_the_shape_limit_is_what_the_schema_says():
    from jupyter_bighead.serving.runtime.schema import tensor_shape

    assert tensor_shape({"name": "t", "shape": [2, 3]}) == [2, 3]
    assert tensor_shape({"name": "t"}) is None
    with pytest.raises(RequestError):
        tensor_shape({"name": "t", "shape": [MAX_TENSOR_VALUES, 2]})
