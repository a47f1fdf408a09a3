"""The wire protocol byte by byte: the Open Inference Protocol v2 (binary tensor extension,
datatypes and shapes checked against the data, requested outputs, versioned routes, server
metadata), KServe v1 extras, compressed bodies and the error body's shape."""

from __future__ import annotations

import gzip
import http.client
import json
import struct
import tracemalloc
import zlib
from typing import Any

import numpy as np
import pytest

import jupyter_bighead
from jupyter_bighead.serving.runtime import v2
from jupyter_bighead.serving.runtime.schema import RequestError

from .conftest import COLUMNS, instances, start_server, training_frame

X, _y = training_frame()
ROWS = instances(X[:4])


@pytest.fixture(scope="module")
def srv(registry):
    server = start_server(registry, max_body_bytes=64 * 1024)
    yield server
    server.close()


@pytest.fixture(scope="module")
def want(registry) -> list[float]:
    return registry.load("clf", 1).predict_proba(X[:4])[:, 1].tolist()


def post(server, path: str, body: bytes,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("POST", path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def column_tensors(dtype: str = "FP64") -> list[dict[str, Any]]:
    types = {"n_items": "INT64", "is_member": "BOOL"}
    return [{"name": c, "shape": [4], "datatype": types.get(c, dtype),
             "data": [r[c] for r in ROWS]} for c in COLUMNS]


def binary_request(tensors: list[dict[str, Any]], **extra: Any) -> tuple[bytes, dict[str, str]]:
    """Every tensor's data moved after the JSON, as tritonclient does."""
    blobs, head = [], []
    for t in tensors:
        raw = np.asarray(t["data"], dtype=v2.DATATYPES[t["datatype"]][0]).tobytes()
        blobs.append(raw)
        head.append({k: v for k, v in t.items() if k != "data"}
                    | {"parameters": {"binary_data_size": len(raw)}})
    text = json.dumps({"inputs": head, **extra}).encode()
    return text + b"".join(blobs), {v2.HEADER_LENGTH: str(len(text)),
                                     "Content-Type": "application/octet-stream"}


# ---- the error body ---------------------------------------------------------------------
ERRORS = [
    ("GET", "/v2/models/other", None, {}, 404, "unknown_model"),
    ("GET", "/v2/models/clf/versions/2", None, {}, 404, "unknown_version"),
    ("GET", "/nowhere", None, {}, 404, "not_found"),
    ("POST", "/v1/models/clf:predict", b"{", {}, 400, "invalid_json"),
    ("POST", "/v2/models/clf/infer", b'{"inputs": []}', {}, 400, "empty_instances"),
    ("POST", "/v2/models/clf/infer", b"{}", {"Content-Encoding": "br"}, 415,
     "unsupported_encoding"),
    ("GET", "/v1/models/clf:predict", None, {}, 405, "http_405"),
]


@pytest.mark.parametrize("method,path,body,headers,status,code", ERRORS,
                         ids=[f"{e[4]}-{e[5]}" for e in ERRORS])
def test_every_error_body_holds_the_message_as_a_string(srv, method, path, body, headers,
                                                        status, code):
    """``{"error": "<message>"}`` as the v2 spec says; the code rides along beside it."""
    got, body_ = srv.call(method, path, raw=body, headers=headers)
    assert got == status
    assert isinstance(body_["error"], str) and body_["error"] and body_["code"] == code


# ---- routes ---------------------------------------------------------------------------
def test_server_metadata_v1_liveness_and_model_list(srv):
    assert srv.call("GET", "/v2") == (200, {"name": "jupyter-bighead",
                                             "version": jupyter_bighead.__version__,
                                             "extensions": ["binary_tensor_data"]})
    assert srv.call("GET", "/") == (200, {"status": "alive"})
    assert srv.call("GET", "/v1/models") == (200, {"models": ["clf"]})


def test_versioned_routes_answer_for_the_served_version_only(srv, want):
    assert srv.call("GET", "/v2/models/clf/versions/1")[1]["versions"] == ["1"]
    assert srv.call("GET", "/v2/models/clf/versions/1/ready")[0] == 200
    assert srv.call("GET", "/v2/models/clf/versions/2/ready")[0] == 404
    status, body = srv.call("POST", "/v2/models/clf/versions/1/infer",
                            {"inputs": column_tensors()})
    assert status == 200 and body["outputs"][0]["data"] == want
    status, body = srv.call("POST", "/v2/models/clf/versions/9/infer",
                            {"inputs": column_tensors()})
    assert status == 404 and body["code"] == "unknown_version"


def test_v1_inputs_may_be_a_list_of_rows(srv, want):
    as_lists = [[r[c] for c in COLUMNS] for r in ROWS]
    assert srv.call("POST", "/v1/models/clf:predict", {"inputs": as_lists}) == \
        (200, {"predictions": want})
    assert srv.call("POST", "/v1/models/clf:predict", {"inputs": ROWS}) == \
        (200, {"predictions": want})
    status, body = srv.call("POST", "/v1/models/clf:predict", {"inputs": [[1.0, 2.0]]})
    assert status == 400 and body["code"] == "wrong_shape" and body["field"] == "inputs"


# ---- datatypes, shapes and outputs --------------------------------------------------------
def tensor_case(i: int, **change: Any) -> dict[str, Any]:
    tensors = column_tensors()
    tensors[i] = {**tensors[i], **change}
    return {"inputs": tensors}


BAD_TENSORS = [
    ("unknown datatype", tensor_case(0, datatype="FP99"), "invalid_datatype", "f0"),
    ("INT32 carrying 0.1", tensor_case(3, datatype="INT32", data=[1, 2, 0.1, 3]),
     "wrong_type", "n_items"),
    ("INT8 out of range", tensor_case(3, datatype="INT8", data=[1, 2, 300, 3]),
     "wrong_type", "n_items"),
    ("shape product is not the data count", tensor_case(0, shape=[2, 3]), "wrong_shape", "f0"),
    ("shape [1, 3.0]", tensor_case(0, shape=[1, 3.0]), "wrong_shape", "f0"),
    ("shape of -1", tensor_case(0, shape=[-1]), "wrong_shape", "f0"),
    ("no shape", tensor_case(0, shape=None), "wrong_shape", "f0"),
    ("string in FP64", tensor_case(1, data=["a", 1.0, 2.0, 3.0]), "wrong_type", "f1"),
    ("number in BOOL", tensor_case(4, data=[1, 0, 1, 0]), "wrong_type", "is_member"),
    ("2 in a numeric bool column", tensor_case(4, datatype="FP32", data=[1, 0, 2, 0]),
     "wrong_type", "is_member"),
    ("both data and binary size", tensor_case(0, parameters={"binary_data_size": 32}),
     "invalid_request", "f0"),
    ("unknown output", {"inputs": column_tensors(), "outputs": [{"name": "proba"}]},
     "unknown_output", "outputs"),
    ("non-string id", {"inputs": column_tensors(), "id": 7}, "invalid_request", "id"),
    ("binary_data_output not a bool", {"inputs": column_tensors(),
                                       "parameters": {"binary_data_output": "yes"}},
     "invalid_request", "parameters"),
]


@pytest.mark.parametrize("case,body,code,field", BAD_TENSORS, ids=[b[0] for b in BAD_TENSORS])
def test_tensors_are_checked_against_their_datatype_and_shape(srv, case, body, code, field):
    status, got = srv.call("POST", "/v2/models/clf/infer", body)
    assert (status, got["code"], got["field"]) == (400, code, field), got
    assert isinstance(got["error"], str)


def test_a_numeric_tensor_feeds_a_bool_column_with_0_and_1(srv, want):
    body = tensor_case(4, datatype="FP32", data=[float(r["is_member"]) for r in ROWS])
    status, got = srv.call("POST", "/v2/models/clf/infer", body)
    assert status == 200 and got["outputs"][0]["data"] == want


# ---- the binary tensor extension --------------------------------------------------------
def test_binary_request_and_binary_response(srv, want):
    body, headers = binary_request(column_tensors("FP64"), id="b1",
                                   parameters={"binary_data_output": True})
    status, resp_headers, raw = post(srv, "/v2/models/clf/infer", body, headers)
    assert status == 200 and resp_headers["content-type"] == "application/octet-stream"
    n = int(resp_headers[v2.HEADER_LENGTH.lower()])
    head = json.loads(raw[:n])
    (out,) = head["outputs"]
    assert head["id"] == "b1" and "data" not in out
    assert out["parameters"] == {"binary_data_size": 4 * 8} and len(raw) == n + 32
    assert np.frombuffer(raw[n:], dtype="<f8").tolist() == want


def test_an_output_flag_overrides_the_request_wide_binary_output(srv, want):
    body, headers = binary_request(column_tensors("FP64"),
                                   parameters={"binary_data_output": True},
                                   outputs=[{"name": "predictions",
                                             "parameters": {"binary_data": False}}])
    status, resp_headers, raw = post(srv, "/v2/models/clf/infer", body, headers)
    assert status == 200 and v2.HEADER_LENGTH.lower() not in resp_headers
    assert json.loads(raw)["outputs"][0]["data"] == want


BAD_BINARY = [
    ("header length not a number", {v2.HEADER_LENGTH: "ten"}, 0),
    ("header length past the body", {v2.HEADER_LENGTH: "999999"}, 0),
    ("binary sizes do not add up", {}, 8),  # 8 stray bytes after the last tensor
]


@pytest.mark.parametrize("case,header,extra", BAD_BINARY, ids=[b[0] for b in BAD_BINARY])
def test_malformed_binary_bodies_are_400(srv, case, header, extra):
    body, headers = binary_request(column_tensors("FP64"))
    status, _h, raw = post(srv, "/v2/models/clf/infer", body + b"\0" * extra,
                           {**headers, **header})
    assert status == 400 and isinstance(json.loads(raw)["error"], str)


def test_binary_size_that_does_not_match_the_shape_is_400(srv):
    tensors = column_tensors("FP32")
    body, headers = binary_request(tensors)
    doc = json.loads(body[:int(headers[v2.HEADER_LENGTH])])
    doc["inputs"][0]["shape"] = [3]  # 4 FP32 values sent, the shape says 3
    text = json.dumps(doc).encode()
    rest = body[int(headers[v2.HEADER_LENGTH]):]
    status, _h, raw = post(srv, "/v2/models/clf/infer", text + rest,
                           {v2.HEADER_LENGTH: str(len(text))})
    got = json.loads(raw)
    assert status == 400 and got["field"] == "f0" and "binary_data_size is 16" in got["error"]


def test_bytes_tensors_are_length_prefixed_utf8():
    words = ["ab", "", "ünï"]
    blob = b"".join(struct.pack("<I", len(w.encode())) + w.encode() for w in words)
    head = json.dumps({"inputs": [{"name": "w", "shape": [3], "datatype": "BYTES",
                                   "parameters": {"binary_data_size": len(blob)}}]}).encode()
    request = v2.parse_request(head + blob, str(len(head)))
    assert request.inputs[0].data == words
    cut = blob[:-1]  # the last element's length prefix promises one byte more
    head = head.replace(b'"binary_data_size": 19', f'"binary_data_size": {len(cut)}'.encode())
    with pytest.raises(RequestError) as info:
        v2.parse_request(head + cut, str(len(head)))
    assert info.value.status == 400 and "truncated BYTES element" in str(info.value)
    body, n = v2.encode_response({"model_name": "m"}, [
        ({"name": "w", "datatype": "BYTES", "shape": [3]}, words, True)])
    assert n is not None and body[n:] == blob


# ---- compressed bodies ----------------------------------------------------------------
@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_compressed_bodies_are_decompressed(srv, want, coding):
    raw = json.dumps({"instances": ROWS}).encode()
    packed = gzip.compress(raw) if coding == "gzip" else zlib.compress(raw)
    status, _h, body = post(srv, "/v1/models/clf:predict", packed,
                            {"Content-Encoding": coding})
    assert status == 200 and json.loads(body) == {"predictions": want}
    bin_body, headers = binary_request(column_tensors("FP64"))
    packed = gzip.compress(bin_body) if coding == "gzip" else zlib.compress(bin_body)
    status, _h, body = post(srv, "/v2/models/clf/infer", packed,
                            {**headers, "Content-Encoding": coding})
    assert status == 200 and json.loads(body)["outputs"][0]["data"] == want


def test_the_body_limit_applies_after_decompression(srv):
    """A 2 KiB gzip body that inflates past the 64 KiB limit is a 413, and the server
    goes on serving."""
    bomb = json.dumps({"instances": ROWS, "pad": " " * 200_000}).encode()
    packed = gzip.compress(bomb)
    assert len(packed) < 64 * 1024 < len(bomb)
    status, _h, body = post(srv, "/v1/models/clf:predict", packed, {"Content-Encoding": "gzip"})
    assert status == 413 and json.loads(body)["code"] == "body_too_large"
    assert srv.call("POST", "/v1/models/clf:predict", {"instances": ROWS})[0] == 200


def test_decompression_stops_at_the_limit():
    """Inflating a 20 MB stream of zeros against a 10 kB limit allocates about the limit,
    not the 20 MB."""
    packed = gzip.compress(b"\0" * 20_000_000, compresslevel=1)
    tracemalloc.start()
    try:
        with pytest.raises(RequestError) as info:
            v2.decode_body(packed, "gzip", 10_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.value.status == 413 and peak < 1_000_000


@pytest.mark.parametrize("case,body", [
    ("corrupt", b"\x1f\x8b\x08\x00garbage-garbage"),
    ("truncated", gzip.compress(b'{"instances": []}')[:-6]),
])
def test_corrupt_or_truncated_gzip_is_400(srv, case, body):
    status, _h, raw = post(srv, "/v1/models/clf:predict", body, {"Content-Encoding": "gzip"})
    assert status == 400 and json.loads(raw)["code"] == "invalid_body"
