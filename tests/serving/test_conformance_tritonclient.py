"""NVIDIA's ``tritonclient.http`` against ``jupyter bighead serve``: the client our users
have, unmodified, driving health, metadata and inference (JSON and binary tensors).

The server runs in this process on a loopback port (``conftest.Server``); the client talks
HTTP to it like any other. Binary tensors are tritonclient's default for inputs and, when a
request names no outputs, for outputs too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

import jupyter_bighead

from .conftest import COLUMNS, start_server, training_frame

X, _y = training_frame()
N = 7
FRAME = X[:N].reset_index(drop=True)


@pytest.fixture(scope="module")
def served(registry):
    srv = start_server(registry)  # clf@production: version 1
    client = httpclient.InferenceServerClient(url=f"127.0.0.1:{srv.port}")
    yield srv, client
    client.close()
    srv.close()


def expected(registry, frame: pd.DataFrame) -> np.ndarray:
    return registry.load("clf", 1).predict_proba(frame)[:, 1]


def as_sent(dtype: str) -> pd.DataFrame:
    """FRAME as the server sees it after the float columns went over as ``dtype``."""
    frame = FRAME.copy()
    for c in ("f0", "f1", "f2"):
        frame[c] = frame[c].astype(np.float32 if dtype == "FP32" else np.float64)
        frame[c] = frame[c].astype(np.float64)
    return frame


def column_inputs(dtype: str, binary: bool) -> list[httpclient.InferInput]:
    np_type = np.float32 if dtype == "FP32" else np.float64
    inputs = []
    for c in COLUMNS:
        values = FRAME[c].to_numpy()
        if c == "n_items":
            arr, datatype = values.astype(np.int64), "INT64"
        elif c == "is_member":
            arr, datatype = values.astype(bool), "BOOL"
        else:
            arr, datatype = values.astype(np_type), dtype
        tensor = httpclient.InferInput(c, [N], datatype)
        tensor.set_data_from_numpy(arr, binary_data=binary)
        inputs.append(tensor)
    return inputs


def test_live_and_ready_plain_and_versioned(served):
    _srv, client = served
    assert client.is_server_live() and client.is_server_ready()
    assert client.is_model_ready("clf") and client.is_model_ready("clf", "1")
    assert not client.is_model_ready("clf", "2")  # this server serves version 1 only
    assert not client.is_model_ready("other")


def test_server_and_model_metadata(served):
    _srv, client = served
    meta = client.get_server_metadata()
    assert meta["name"] == "jupyter-bighead" and meta["version"] == jupyter_bighead.__version__
    assert "binary_tensor_data" in meta["extensions"]
    for model in (client.get_model_metadata("clf"), client.get_model_metadata("clf", "1")):
        assert model["name"] == "clf" and model["versions"] == ["1"]
        assert [i["name"] for i in model["inputs"]] == COLUMNS
        assert [i["datatype"] for i in model["inputs"]] == ["FP64"] * 3 + ["INT64", "BOOL"]
        assert model["outputs"] == [{"name": "predictions", "datatype": "FP64", "shape": [-1]}]
    with pytest.raises(InferenceServerException) as info:
        client.get_model_metadata("clf", "2")
    assert info.value.status() == "404" and "no version '2'" in str(info.value)


@pytest.mark.parametrize("dtype", ["FP32", "FP64"])
@pytest.mark.parametrize("binary_in", [True, False], ids=["binary-in", "json-in"])
@pytest.mark.parametrize("binary_out", [None, True, False],
                         ids=["default-out", "binary-out", "json-out"])
def test_infer_one_tensor_per_column(served, registry, dtype, binary_in, binary_out):
    _srv, client = served
    outputs = None if binary_out is None else [
        httpclient.InferRequestedOutput("predictions", binary_data=binary_out)]
    result = client.infer("clf", column_inputs(dtype, binary_in), outputs=outputs,
                          request_id=f"req-{dtype}")
    response = result.get_response()
    assert response["id"] == f"req-{dtype}" and response["model_version"] == "1"
    (out,) = response["outputs"]
    # No outputs named: tritonclient asks for every output in binary.
    assert ("binary_data_size" in out.get("parameters", {})) == (binary_out is not False)
    got = result.as_numpy("predictions")
    assert got.dtype == np.float64 and got.shape == (N,)
    np.testing.assert_array_equal(got, expected(registry, as_sent(dtype)))


@pytest.mark.parametrize("dtype", ["FP32", "FP64"])
@pytest.mark.parametrize("binary_in", [True, False], ids=["binary-in", "json-in"])
def test_infer_one_matrix_in_schema_order(served, registry, dtype, binary_in):
    """One ``[rows, features]`` tensor; the bool column travels as 0.0 / 1.0."""
    _srv, client = served
    matrix = FRAME[COLUMNS].astype(np.float64).to_numpy()
    matrix = matrix.astype(np.float32 if dtype == "FP32" else np.float64)
    tensor = httpclient.InferInput("input-0", [N, len(COLUMNS)], dtype)
    tensor.set_data_from_numpy(matrix, binary_data=binary_in)
    result = client.infer("clf", [tensor], model_version="1", request_id="m1")
    assert result.get_response()["id"] == "m1"
    np.testing.assert_array_equal(result.as_numpy("predictions"),
                                  expected(registry, as_sent(dtype)))


@pytest.mark.parametrize("algorithm", ["gzip", "deflate"])
def test_compressed_requests_give_the_same_answer(served, registry, algorithm):
    _srv, client = served
    result = client.infer("clf", column_inputs("FP64", True),
                          request_compression_algorithm=algorithm)
    np.testing.assert_array_equal(result.as_numpy("predictions"), expected(registry, FRAME))


def errors_of(client, inputs, **kwargs) -> InferenceServerException:
    with pytest.raises(InferenceServerException) as info:
        client.infer("clf", inputs, **kwargs)
    return info.value


def test_refusals_carry_the_message_as_a_plain_string(served):
    """The v2 error body is ``{"error": "<message>"}``: str() of the client's exception
    is the server's message (it raised TypeError while the body held an object)."""
    _srv, client = served
    missing = errors_of(client, column_inputs("FP64", True)[:2])
    assert missing.status() == "400"
    assert str(missing) == "[400] missing features: f2, n_items, is_member"
    assert missing.message() == "missing features: f2, n_items, is_member"

    unknown = errors_of(client, column_inputs("FP64", True),
                        outputs=[httpclient.InferRequestedOutput("probabilities")])
    assert unknown.status() == "400" and "unknown outputs: 'probabilities'" in str(unknown)

    short = column_inputs("FP64", True)
    short[0].set_shape([N + 1])  # the shape says 8 values, the binary data holds 7
    wrong = errors_of(client, short)
    assert wrong.status() == "400" and "tensor 'f0'" in str(wrong)

    fraction = column_inputs("FP64", False)
    fraction[3] = httpclient.InferInput("n_items", [N], "FP64")  # 0.5 for an int64 column
    fraction[3].set_data_from_numpy(np.full(N, 0.5), binary_data=False)
    refused = errors_of(client, fraction)
    assert refused.status() == "400" and "expected an integer" in str(refused)

    with pytest.raises(InferenceServerException) as info:
        client.infer("nope", column_inputs("FP64", True))
    assert info.value.status() == "404" and "no model 'nope' here" in str(info.value)
    with pytest.raises(InferenceServerException) as info:
        client.infer("clf", column_inputs("FP64", True), model_version="3")
    assert info.value.status() == "404" and "no version '3'" in str(info.value)
