"""The ``kserve`` Python SDK's REST client (v1 and v2) against ``jupyter bighead serve``.

kserve pins pandas < 3, psutil < 6 and python-dateutil < 3; installed beside the package
it would downgrade the environment the whole suite runs in (and that users get). So the SDK
lives in its own virtual environment, ``<venv>/kserve-sdk`` (``scripts/test`` makes it:
``pip install kserve``, ``pip check`` clean there), and ``kserve_driver.py`` runs in it as a
client process, as a real client would: the server is in this process on a loopback port.
``$BIGHEAD_KSERVE_PYTHON`` names another interpreter with kserve installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from .conftest import COLUMNS, start_server, training_frame

X, _y = training_frame()
N = 6
FRAME = X[:N].reset_index(drop=True)
DRIVER = Path(__file__).with_name("kserve_driver.py")


def kserve_python() -> str:
    python = os.environ.get("BIGHEAD_KSERVE_PYTHON") or str(
        Path(sys.prefix) / "kserve-sdk" / "bin" / "python")
    if not Path(python).exists():
        pytest.fail(f"{python} is missing: run scripts/test, which makes the kserve SDK's "
                    "environment (python3 -m venv .venv/kserve-sdk && "
                    ".venv/kserve-sdk/bin/pip install kserve)")
    return python


@pytest.fixture(scope="module")
def results(registry) -> dict[str, Any]:
    srv = start_server(registry)
    columns = {c: FRAME[c].tolist() for c in COLUMNS}
    try:
        done = subprocess.run([kserve_python(), str(DRIVER), srv.url], input=json.dumps(columns),
                              capture_output=True, text=True, timeout=180)
    finally:
        srv.close()
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def expected(registry, dtype: str) -> list[float]:
    frame = FRAME.copy()
    for c in ("f0", "f1", "f2"):
        frame[c] = frame[c].astype(np.float32 if dtype == "FP32" else np.float64)
        frame[c] = frame[c].astype(np.float64)
    return registry.load("clf", 1).predict_proba(pd.DataFrame(frame))[:, 1].tolist()


def test_health_and_readiness_v1_and_v2(results):
    assert results["v2_live"] is True and results["v2_ready"] is True
    assert results["v2_model_ready"] is True and results["v2_other_ready"] is False
    assert results["v1_live"] is True and results["v1_model_ready"] is True


@pytest.mark.parametrize("dtype", ["FP32", "FP64"])
@pytest.mark.parametrize("form", ["columns", "matrix"])
@pytest.mark.parametrize("wire", ["json", "binary"])
def test_v2_infer_json_and_binary_tensors(results, registry, dtype, form, wire):
    got = results[f"{form}-{dtype}-{wire}"]
    assert got["id"] == f"{form}-{dtype}-{wire}"  # the request id comes back
    assert got["name"] == "predictions" and got["datatype"] == "FP64"
    assert got["data"] == expected(registry, dtype)


def test_v1_instances_and_row_list_inputs(results, registry):
    want = expected(registry, "FP64")
    assert results["v1_instances"] == {"predictions": want}
    assert results["v1_inputs_rows"] == {"predictions": want}


def test_refusals_show_the_server_message(results):
    """kserve puts the body's ``error`` string in the exception's text."""
    for key, status, message in [
        ("v2_missing", 400, "missing features: f2, n_items, is_member"),
        ("v2_unknown_output", 400, "unknown outputs: 'proba'"),
        ("v1_missing", 400, "missing features: f1, f2, n_items, is_member"),
    ]:
        assert results[key]["status"] == status
        assert results[key]["text"].startswith(message), results[key]["text"]
