"""Requests that cost the server far more than they cost the client are refused cheaply:
gzip bodies of many tiny members, repeated outputs or inputs, odd header digits."""

from __future__ import annotations

import gzip
import json
import os
import time
import zlib

import pytest

from jupyter_bighead.serving.runtime import v2
from jupyter_bighead.serving.runtime.schema import RequestError
from jupyter_bighead.serving.runtime.v2 import MAX_GZIP_MEMBERS, decode_body

from .conftest import COLUMNS, training_frame

LIMIT = 10 * 1024 * 1024


def test_many_empty_gzip_members_are_refused_at_once():
    empty = gzip.compress(b"")
    body = empty * (10_000_000 // len(empty))  # the review's 10 MB body: 154 s of CPU
    started = time.process_time()
    with pytest.raises(RequestError) as info:
        decode_body(body, "gzip", LIMIT)
    assert time.process_time() - started < 1.0
    assert info.value.status == 400 and info.value.code == "invalid_body"
    assert f"more than {MAX_GZIP_MEMBERS} members" in str(info.value)


def test_gzip_members_decode_in_linear_time(monkeypatch):
    # Without the member cap: 150,000 empty members (3 MB) took 5 s of CPU when the rest
    # of the body was copied once per member (quadratic); fed in pieces, 0.2 s.
    monkeypatch.setattr(v2, "MAX_GZIP_MEMBERS", 10**9)
    body = gzip.compress(b"") * 150_000
    started = time.process_time()
    assert decode_body(body, "gzip", LIMIT) == b""
    assert time.process_time() - started < 1.5


def test_real_multi_member_and_single_member_bodies_still_decode():
    data = os.urandom(1_500_000)
    blocks = b"".join(gzip.compress(data[i:i + 65536]) for i in range(0, len(data), 65536))
    assert decode_body(blocks, "gzip", LIMIT) == data  # bgzip-style: one member per block
    assert decode_body(gzip.compress(b"x" * 9_000_000), "x-gzip", LIMIT) == b"x" * 9_000_000
    assert decode_body(gzip.compress(b"ab") * MAX_GZIP_MEMBERS, "gzip", LIMIT) == (
        b"ab" * MAX_GZIP_MEMBERS)
    assert decode_body(zlib.compress(b"hello"), "deflate", LIMIT) == b"hello"


@pytest.mark.parametrize("body, code, status", [
    (gzip.compress(b"x" * 101), "body_too_large", 413),
    (gzip.compress(b"x" * 50) * 3, "body_too_large", 413),  # over the limit across members
    (gzip.compress(b"abc")[:-3], "invalid_body", 400),
    (gzip.compress(b"abc") + b"junk", "invalid_body", 400),
    (gzip.compress(b"abc") + gzip.compress(b"abc")[:10], "invalid_body", 400),
])
def test_oversized_corrupt_and_truncated_gzip_bodies_are_still_refused(body, code, status):
    with pytest.raises(RequestError) as info:
        decode_body(body, "gzip", 100)
    assert (info.value.code, info.value.status) == (code, status)


def _binary_matrix(rows: int) -> tuple[bytes, int]:
    X, _ = training_frame(rows)
    raw = X[COLUMNS].astype("float32").to_numpy().tobytes()
    return raw, len(raw)


def test_a_repeated_output_is_a_400_not_a_multiplied_response(server):
    raw, size = _binary_matrix(500)
    head = {"inputs": [{"name": "x", "shape": [500, len(COLUMNS)], "datatype": "FP32",
                        "parameters": {"binary_data_size": size}}],
            "outputs": [{"name": "predictions"}] * 4000}
    text = json.dumps(head).encode()
    status, body = server.call("POST", "/v2/models/clf/infer", raw=text + raw,
                               headers={v2.HEADER_LENGTH: str(len(text))})
    assert status == 400, str(body)[:300]
    assert body["code"] == "duplicate_output" and "'predictions'" in body["error"]
    head["outputs"] = [{"name": "predictions"}]
    text = json.dumps(head).encode()
    status, body = server.call("POST", "/v2/models/clf/infer", raw=text + raw,
                               headers={v2.HEADER_LENGTH: str(len(text))})
    assert status == 200, body
    assert [(o["name"], len(o["data"])) for o in body["outputs"]] == [("predictions", 500)]


def test_an_input_tensor_given_twice_is_a_400_not_last_one_wins(server):
    X, _ = training_frame(3)
    tensors = [{"name": c, "shape": [3], "datatype": "FP64",
                "data": X[c].astype(float).fillna(0).tolist()} for c in COLUMNS]
    status, body = server.call("POST", "/v2/models/clf/infer", {"inputs": tensors})
    assert status == 200, body
    twice = [*tensors, {**tensors[0], "data": [9.0, 9.0, 9.0]}]
    status, body = server.call("POST", "/v2/models/clf/infer", {"inputs": twice})
    assert status == 400 and body["code"] == "duplicate_input"
    assert body["field"] == COLUMNS[0]


@pytest.mark.parametrize("value", ["\u00b2", "1\u00b2", "\u00b9\u00b3"])
def test_a_non_ascii_digit_header_length_is_a_400(server, value):
    assert value.isdigit()  # what Python says; int() refuses "²" (a 500 before)
    # http.client sends header values as latin-1, and tornado reads them back the same way.
    status, answer = server.call("POST", "/v2/models/clf/infer", raw=b'{"inputs": []}',
                                 headers={v2.HEADER_LENGTH: value})
    assert status == 400, answer
    assert answer["code"] == "invalid_request" and answer["field"] == v2.HEADER_LENGTH
