"""The inference server's routes: shapes, metadata, health, metrics, bad input, reload."""

from __future__ import annotations

import json
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from .conftest import COLUMNS, instances, start_server, training_frame

X, _y = training_frame()
ROWS = instances(X[:5])


def expected(registry, version, frame):
    return registry.load("clf", version).predict_proba(frame)[:, 1].tolist()


def test_v1_instances_and_columns_give_the_positive_class_probability(server, registry):
    status, body = server.call("POST", "/v1/models/clf:predict", {"instances": ROWS})
    assert status == 200
    assert body["predictions"] == expected(registry, 1, X[:5])
    columns = {c: [r[c] for r in ROWS] for c in COLUMNS}
    assert server.call("POST", "/v1/models/clf:predict", {"inputs": columns})[1] == body
    as_lists = [[r[c] for c in COLUMNS] for r in ROWS]
    assert server.call("POST", "/v1/models/clf:predict", {"instances": as_lists})[1] == body


def test_v2_infer_takes_tensors_by_name_or_one_matrix(server, registry):
    tensors = [{"name": c, "shape": [5], "datatype": "FP64", "data": [r[c] for r in ROWS]}
               for c in COLUMNS]
    status, body = server.call("POST", "/v2/models/clf/infer", {"id": "q1", "inputs": tensors})
    assert status == 200
    assert body["model_name"] == "clf" and body["model_version"] == "1" and body["id"] == "q1"
    (out,) = body["outputs"]
    assert out["name"] == "predictions" and out["shape"] == [5] and out["datatype"] == "FP64"
    assert out["data"] == expected(registry, 1, X[:5])
    matrix = {"name": "input-0", "shape": [5, 5], "datatype": "FP64",
              "data": [[r[c] for c in COLUMNS] for r in ROWS]}
    assert server.call("POST", "/v2/models/clf/infer",
                       {"inputs": [matrix]})[1]["outputs"][0]["data"] == out["data"]


def test_metadata_health_and_metrics(server):
    status, meta = server.call("GET", "/v2/models/clf")
    assert status == 200 and meta["versions"] == ["1"] and meta["platform"] == "lightgbm"
    assert [i["name"] for i in meta["inputs"]] == COLUMNS
    assert meta["parameters"]["input_schema"][3] == {"name": "n_items", "dtype": "int64",
                                                     "required": True}
    assert server.call("GET", "/v2/health/live") == (200, {"live": True})
    status, ready = server.call("GET", "/v2/health/ready")
    assert status == 200 and ready["version"] == 1
    server.call("POST", "/v1/models/clf:predict", {"instances": ROWS[:1]})
    server.call("POST", "/v1/models/clf:predict", {"instances": []})
    status, text = server.call("GET", "/metrics")
    assert status == 200
    assert 'bighead_model_info{model="clf",version="1"} 1' in text
    assert 'bighead_requests_total{model="clf",route="v1_predict",code="200"} 1' in text
    assert 'bighead_requests_total{model="clf",route="v1_predict",code="400"} 1' in text
    assert 'bighead_request_duration_seconds_bucket{model="clf",route="v1_predict",le="+Inf"} 2' \
        in text


BAD = [
    ("invalid JSON", b'{"instances": [', 400, "invalid_json", "body"),
    ("not an object", b"[1, 2]", 400, "invalid_request", "body"),
    ("no instances", b'{"rows": []}', 400, "invalid_request", "instances"),
    ("empty instances", b'{"instances": []}', 400, "empty_instances", "instances"),
    ("missing features", json.dumps({"instances": [{"f0": 1.0}]}).encode(), 400,
     "missing_features", "f1"),
    ("unknown features", json.dumps({"instances": [{**ROWS[0], "zz": 1, "yy": 2}]}).encode(),
     400, "unknown_features", "zz"),
    ("string for a float", json.dumps({"instances": [{**ROWS[0], "f0": "1.5"}]}).encode(), 400,
     "wrong_type", "f0"),
    ("fraction for an int", json.dumps({"instances": [{**ROWS[0], "n_items": 1.5}]}).encode(),
     400, "wrong_type", "n_items"),
    ("number for a bool", json.dumps({"instances": [{**ROWS[0], "is_member": 3}]}).encode(), 400,
     "wrong_type", "is_member"),
    ("NaN for an int", b'{"instances": [{"f0": 1, "f1": 1, "f2": 1, "n_items": NaN, '
                       b'"is_member": true}]}', 400, "nan_not_allowed", "n_items"),
    ("null for a bool", json.dumps({"instances": [{**ROWS[0], "is_member": None}]}).encode(),
     400, "nan_not_allowed", "is_member"),
    ("huge int", json.dumps({"instances": [{**ROWS[0], "n_items": 10**30}]}).encode(), 400,
     "wrong_type", "n_items"),
    ("row of the wrong length", b'{"instances": [[1, 2]]}', 400, "wrong_shape", "instances"),
    ("ragged columns", json.dumps({"inputs": {"f0": [1, 2], "f1": [1], "f2": [1],
                                              "n_items": [1], "is_member": [True]}}).encode(),
     400, "ragged_columns", "inputs"),
    ("deep nesting", b"[" * 100_000, 400, "invalid_json", "body"),
    ("not UTF-8", b'{"instances": "\xff\xfe"}', 400, "invalid_json", "body"),
]


@pytest.mark.parametrize("case,raw,status,code,field", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_a_400_naming_the_field(server, case, raw, status, code, field):
    got, body = server.call("POST", "/v1/models/clf:predict", raw=raw)
    assert (got, body["code"], body.get("field")) == (status, code, field)
    assert "Traceback" not in json.dumps(body)


def test_missing_and_unknown_features_are_all_listed(server):
    _s, body = server.call("POST", "/v1/models/clf:predict", {"instances": [{"f0": 1}]})
    assert body["features"] == ["f1", "f2", "n_items", "is_member"]
    _s, body = server.call("POST", "/v1/models/clf:predict",
                           {"instances": [{**ROWS[0], "zz": 1, "yy": 2}]})
    assert body["features"] == ["zz", "yy"]


def test_refusals_never_echo_unbounded_request_text(server):
    long_name = "x" * 200_000
    names = {f"extra_{i}": 1 for i in range(5000)}
    status, body = server.call("POST", "/v1/models/clf:predict",
                               {"instances": [{**ROWS[0], long_name: 1, **names}]})
    assert status == 400 and body["code"] == "unknown_features"
    text = json.dumps(body)
    assert len(text) < 20_000, len(text)
    assert "characters)" in text and "in all)" in text  # says what was cut


def test_extra_features_can_be_ignored_instead(registry):
    srv = start_server(registry, extra_features="ignore")
    try:
        status, body = srv.call("POST", "/v1/models/clf:predict",
                                {"instances": [{**ROWS[0], "zz": "anything"}]})
        assert status == 200 and body["predictions"] == expected(registry, 1, X[:1])
    finally:
        srv.close()


def test_null_floats_are_missing_values_unless_forbidden(registry, server):
    row = {**ROWS[0], "f2": None}
    frame = X[:1].copy()
    frame["f2"] = np.nan
    status, body = server.call("POST", "/v1/models/clf:predict", {"instances": [row]})
    assert status == 200 and body["predictions"] == expected(registry, 1, frame)
    strict = start_server(registry, allow_missing=False)
    try:
        status, body = strict.call("POST", "/v1/models/clf:predict", {"instances": [row]})
        assert status == 400 and body["code"] == "nan_not_allowed"
        assert body["field"] == "f2"
    finally:
        strict.close()


def test_body_over_the_limit_is_413(registry):
    srv = start_server(registry, max_body_bytes=1000)
    try:
        big = {"instances": ROWS * 20}
        status, body = srv.call("POST", "/v1/models/clf:predict", big)
        assert status == 413 and body["code"] == "body_too_large"
        headers = {"Transfer-Encoding": "chunked"}  # no Content-Length: counted as it comes
        status, body = srv.call("POST", "/v1/models/clf:predict",
                                raw=iter([json.dumps(big).encode()]), headers=headers)
        assert status == 413
        assert srv.call("POST", "/v1/models/clf:predict", {"instances": ROWS[:1]})[0] == 200
    finally:
        srv.close()


def test_unknown_model_and_route_are_404(server):
    status, body = server.call("POST", "/v1/models/other:predict", {"instances": ROWS})
    assert status == 404 and body["code"] == "unknown_model"
    assert server.call("GET", "/v2/models/other")[0] == 404
    assert server.call("GET", "/nowhere")[0] == 404
    assert server.call("GET", "/v1/models/clf:predict")[0] == 405


def test_a_model_that_fails_to_load_is_not_ready_but_live(registry, tmp_path):
    srv = start_server(registry, ref="clf@staging")  # no such alias
    try:
        assert srv.call("GET", "/v2/health/live") == (200, {"live": True})
        status, body = srv.call("GET", "/v2/health/ready")
        assert status == 503 and "has no alias 'staging'" in body["reason"]
        status, body = srv.call("POST", "/v1/models/clf:predict", {"instances": ROWS})
        assert status == 503 and body["code"] == "not_ready"
        registry.set_alias("clf", "staging", 2)
        srv.holder.reload()
        assert srv.call("GET", "/v2/health/ready")[0] == 200
    finally:
        srv.close()
        registry.delete_alias("clf", "staging")


def test_reload_needs_the_admin_token(server, registry):
    assert server.call("POST", "/admin/reload")[0] == 401
    bad = {"Authorization": "Bearer nope"}
    assert server.call("POST", "/admin/reload", headers=bad)[0] == 401
    ok = {"Authorization": "Bearer s3cret"}
    status, body = server.call("POST", "/admin/reload", headers=ok)
    assert status == 200 and body["reloaded"] is False and body["version"] == 1
    off = start_server(registry)
    try:
        assert off.call("POST", "/admin/reload", headers=ok)[0] == 403
    finally:
        off.close()


def test_hot_swap_drops_no_request(server, registry):
    """Requests run from 8 threads while the alias moves and the server reloads."""
    body = {"instances": ROWS[:1]}
    v1, v2 = expected(registry, 1, X[:1]), expected(registry, 2, X[:1])
    assert v1 != v2
    results: list[tuple[int, list[float]]] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            status, got = server.call("POST", "/v1/models/clf:predict", body)
            results.append((status, got.get("predictions")))

    with ThreadPoolExecutor(8) as pool:
        for _ in range(8):
            pool.submit(hammer)
        time.sleep(0.3)
        registry.set_alias("clf", "production", 2)
        status, swap = server.call("POST", "/admin/reload",
                                   headers={"Authorization": "Bearer s3cret"})
        time.sleep(0.3)
        stop.set()
    assert status == 200 and swap == {"model": "clf", "reloaded": True, "version": 2,
                                      "previous": 1}
    assert results and all(s == 200 for s, _p in results)
    assert {tuple(p) for _s, p in results} <= {tuple(v1), tuple(v2)}
    assert tuple(results[-1][1]) == tuple(v2)
    assert server.call("GET", "/v2/health/ready")[1]["version"] == 2


def test_polling_follows_a_moved_alias(registry):
    from jupyter_bighead.serving.runtime.server import ModelHolder, ServeOptions

    holder = ModelHolder(ServeOptions("clf@production", poll_seconds=0.1), registry=registry)
    assert holder.reload()["version"] == 1
    registry.set_alias("clf", "production", 2)
    try:
        assert holder.reload() == {"reloaded": True, "version": 2, "previous": 1}
        assert holder.reload()["reloaded"] is False
    finally:
        registry.set_alias("clf", "production", 1)


def test_regressor_predictions_are_predict(registry):
    srv = start_server(registry, ref="reg")
    try:
        _s, body = srv.call("POST", "/v1/models/reg:predict", {"instances": ROWS})
        assert body["predictions"] == registry.load("reg").predict(X[:5]).tolist()
        assert all(not math.isnan(p) for p in body["predictions"])
    finally:
        srv.close()
