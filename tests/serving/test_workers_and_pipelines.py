"""``--workers N`` (forked processes sharing the port) and pipeline-style models."""

from __future__ import annotations

import http.client
import json
import os
import signal
import time

import numpy as np
import pandas as pd
import psutil
import pytest

from jupyter_bighead.serving.runtime.model import ServedModel
from jupyter_bighead.serving.runtime.schema import Schema, fields_from
from jupyter_bighead.serving.runtime.workers import HAS_REUSEPORT

from .conftest import instances, serve_process, training_frame


def _get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path)
    resp = conn.getresponse()
    return resp.status, json.loads(resp.read())


def _post(port, body):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("POST", "/v1/models/clf:predict", body=json.dumps(body))
    resp = conn.getresponse()
    return resp.status, json.loads(resp.read())


def _until(check, timeout=90, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    output = log.read_text(errors="replace")[-3000:] if log is not None else ""
    raise AssertionError(f"condition not reached in {timeout} s; server output:\n{output}")


def test_workers_share_the_port_restart_and_reload_together(registry, tmp_path):
    X, _y = training_frame()
    rows = instances(X[:2])
    env = {**os.environ, "BIGHEAD_SERVE_ADMIN_TOKEN": "t0k"}
    log = tmp_path / "log"
    proc, port = serve_process(["clf@production", "--registry", registry.store.uri,
                                "--workers", "2"], log, env=env)
    try:
        _until(lambda: len(psutil.Process(proc.pid).children()) == 2, log=log)
        _until(lambda: all(_get(port, "/v2/health/ready")[0] == 200 for _ in range(6)), log=log)
        assert _post(port, {"instances": rows})[1]["predictions"] == \
            registry.load("clf", 1).predict_proba(X[:2])[:, 1].tolist()
        first, second = psutil.Process(proc.pid).children()
        first.kill()  # the parent replaces a dead worker
        _until(lambda: len(psutil.Process(proc.pid).children()) == 2 and
               first.pid not in [c.pid for c in psutil.Process(proc.pid).children()], log=log)
        registry.set_alias("clf", "production", 2)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/admin/reload", headers={"Authorization": "Bearer t0k"})
        assert conn.getresponse().status == 200
        # Every worker (not only the one that answered) now serves v2.
        _until(lambda: {_get(port, "/v2/health/ready")[1].get("version")
                        for _ in range(12)} == {2}, log=log)
        assert second.is_running()
    finally:
        registry.set_alias("clf", "production", 1)
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    assert proc.returncode == 0


@pytest.mark.skipif(not HAS_REUSEPORT, reason="the platform has no SO_REUSEPORT")
def test_two_workers_listen_on_sockets_of_their_own_and_both_get_connections(
        registry, tmp_path):
    X, _y = training_frame()
    body = json.dumps({"instances": instances(X[:1])})
    log = tmp_path / "log"
    proc, port = serve_process(["clf@production", "--registry", registry.store.uri,
                                "--workers", "2"], log)
    conns = []
    try:
        _until(lambda: len(psutil.Process(proc.pid).children()) == 2, log=log)
        workers = psutil.Process(proc.pid).children()
        _until(lambda: all(_listening(w.pid, port) for w in workers), log=log)
        # One listening socket per worker (the kernel balances between them), not one
        # socket inherited by both; the parent's reserved socket never listens.
        inodes = [_listening(w.pid, port) for w in workers]
        assert len(inodes[0] | inodes[1]) == 2 and not inodes[0] & inodes[1]
        assert not _listening(proc.pid, port)
        for _ in range(24):  # 24 connections held open at once: each lands on a worker
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/v1/models/clf:predict", body=body)
            assert conn.getresponse().read() and conn.sock is not None
            conns.append(conn)
        per_worker = [sum(1 for c in w.net_connections(kind="tcp")
                          if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port)
                      for w in workers]
        assert sum(per_worker) == 24 and min(per_worker) >= 3, per_worker
    finally:
        for conn in conns:
            conn.close()
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    assert proc.returncode == 0


@pytest.mark.skipif(not HAS_REUSEPORT, reason="the platform has no SO_REUSEPORT")
def test_a_starting_worker_takes_no_connection_before_its_model_is_loaded(registry,
                                                                          tmp_path):
    X, _y = training_frame()
    body = json.dumps({"instances": instances(X[:1])})
    log = tmp_path / "log"
    proc, port = serve_process(["clf@production", "--registry", registry.store.uri,
                                "--workers", "2"], log)
    statuses = []
    try:
        deadline = time.monotonic() + 90
        while statuses.count(200) < 40 and time.monotonic() < deadline:
            try:  # from the moment the port is known: refused, then answered, never 503
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("POST", "/v1/models/clf:predict", body=body)
                statuses.append(conn.getresponse().status)
                conn.close()
            except ConnectionRefusedError:
                time.sleep(0.005)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    assert statuses.count(200) == 40 and set(statuses) == {200}, statuses[:20]


def _listening(pid, port):
    """Inodes of the sockets ``pid`` listens on at ``port``."""
    found = set()
    for c in psutil.Process(pid).net_connections(kind="tcp"):
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port:
            found.add(os.stat(f"/proc/{pid}/fd/{c.fd}").st_ino)
    return found


class FakePipeline:
    """What the server relies on from jupyter_bighead.pipeline.Pipeline, and no more."""

    def input_spec(self):
        return [{"name": "user_id", "dtype": "int64", "required": True},
                {"name": "ts", "dtype": "datetime64[ns]", "required": False}]

    def predict_proba(self, df):
        assert list(df.columns) == (["user_id", "ts"] if "ts" in df else ["user_id"])
        p = (df.user_id.to_numpy() % 10) / 10.0
        return np.column_stack([1 - p, p])

    def predict(self, df):
        return self.predict_proba(df)[:, 1] > 0.5

    def resources(self):
        return {"cpu": "2", "memory": "4Gi", "gpu": 0}


def test_a_pipeline_gets_its_raw_columns_and_may_omit_optional_ones():
    model = FakePipeline()
    schema = Schema(fields_from(model.input_spec(), ()))

    class MV:  # the registry's record, reduced to what serving reads
        name, version, task, flavor, model_class = "p", 1, "binary", "pipeline", "Pipeline"
        input_schema = ()

    served = ServedModel("p", 1, None, MV(), model, schema, "bighead-pipeline")  # type: ignore
    assert served._fast is None
    rows = schema.rows_from_instances([{"user_id": 13}, {"user_id": 27}])
    assert served.predict_rows(rows) == [0.3, 0.7]
    rows = schema.rows_from_instances([{"user_id": 4, "ts": "2026-01-02T03:04:05"}])
    frame = served.frame(rows)
    assert frame.ts.dtype == "datetime64[ns]" and served.predict_rows(rows) == [0.4]
    assert served.resources() == {"cpu": "2", "memory": "4Gi", "gpu": 0}
    assert [i["parameters"]["required"] for i in served.metadata()["inputs"]] == [True, False]
    assert isinstance(pd.Timestamp(frame.ts[0]), pd.Timestamp)
