"""Fixtures of the serving tests: small registered models and real servers on loopback."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.registry import Registry
from jupyter_bighead.serving.runtime.server import ModelHolder, ServeOptions, make_http_server

COLUMNS = ["f0", "f1", "f2", "n_items", "is_member"]


def training_frame(rows: int = 2000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Float, int and bool columns, so dtype handling is exercised."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "f0": rng.normal(size=rows), "f1": rng.normal(size=rows), "f2": rng.normal(size=rows),
        "n_items": rng.integers(0, 20, size=rows).astype("int64"),
        "is_member": rng.random(rows) > 0.5,
    })
    X.loc[X.index[::17], "f2"] = np.nan  # LightGBM's missing values
    y = ((X.f0 + 0.1 * X.n_items - X.is_member + rng.normal(size=rows)) > 0.5).astype(int)
    return X, y.to_numpy()


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Registry:
    """A registry with ``clf`` v1 and v2 (alias ``production`` on v1) and ``reg`` v1."""
    import lightgbm as lgb

    reg = Registry(tmp_path_factory.mktemp("serving") / "registry")
    X, y = training_frame()
    v1 = lgb.LGBMClassifier(n_estimators=20, verbose=-1).fit(X, y)
    v2 = lgb.LGBMClassifier(n_estimators=40, num_leaves=7, verbose=-1).fit(X, y)
    reg.register("clf", v1, X_valid=X[:300], y_valid=y[:300])
    reg.register("clf", v2, X_valid=X[:300], y_valid=y[:300])
    reg.set_alias("clf", "production", 1)
    target = X.f0 * 2 + X.n_items
    reg.register("reg", lgb.LGBMRegressor(n_estimators=20, verbose=-1).fit(X, target),
                 X_valid=X[:300], y_valid=target[:300])
    return reg


class Server:
    """A serving app on a free loopback port, its loop in a thread."""

    def __init__(self, holder: ModelHolder) -> None:
        from tornado.netutil import bind_sockets

        self.holder = holder
        self.sockets = bind_sockets(0, "127.0.0.1")
        self.port = self.sockets[0].getsockname()[1]
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            server = make_http_server(holder)
            server.add_sockets(self.sockets)
            ready.set()
            self.loop.run_forever()
            server.stop()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
             raw: bytes | None = None) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            data = raw if raw is not None else (None if body is None else json.dumps(body))
            chunked = (headers or {}).get("Transfer-Encoding") == "chunked"
            conn.request(method, path, body=data, headers=headers or {}, encode_chunked=chunked)
            resp = conn.getresponse()
            payload = resp.read()
        finally:
            conn.close()
        ctype = resp.getheader("Content-Type") or ""
        return resp.status, json.loads(payload) if "json" in ctype else payload.decode()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def start_server(registry: Registry, ref: str = "clf@production", **options: Any) -> Server:
    opts = replace(ServeOptions(model_ref=ref), **options)
    holder = ModelHolder(opts, registry=registry)
    holder.reload(force=True)
    return Server(holder)


@pytest.fixture
def server(registry):
    srv = start_server(registry, admin_token="s3cret")
    yield srv
    srv.close()
    registry.set_alias("clf", "production", 1)


def instances(X: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (NaN stays NaN: Python's json writes it as NaN)."""
    out = []
    for row in X.to_dict(orient="records"):
        out.append({k: (bool(v) if isinstance(v, (bool, np.bool_)) else
                        int(v) if isinstance(v, (np.integer,)) else float(v))
                    for k, v in row.items()})
    return out


def serve_process(args: list[str], log_path: Any, env: dict[str, str] | None = None,
                  timeout: float = 120) -> tuple[Any, int]:
    """``jupyter bighead serve ARGS --port 0`` as a child process, and the port it bound.

    The server picks its own free port and prints it; nothing here picks a port and hands
    it over later (another process could take it in between).
    """
    import re
    import subprocess
    import sys
    import time
    from pathlib import Path

    log = Path(log_path)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_bighead.cli", "serve", *args, "--port", "0"],
            stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        found = re.search(rb"\[bighead serve\] .* on http://[^:]+:(\d+)", log.read_bytes())
        if found:
            return proc, int(found.group(1))
        time.sleep(0.1)
    proc.kill()
    proc.wait(10)
    raise AssertionError("the server did not start:\n" +
                         log.read_bytes().decode(errors="replace")[-3000:])
