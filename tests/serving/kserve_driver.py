"""Drives the ``kserve`` SDK's REST client (v1 and v2) against a running server.

Runs in the SDK's own virtual environment (``.venv/kserve-sdk``, made by ``scripts/test``):
kserve pins pandas < 3, psutil < 6 and python-dateutil < 3, which would downgrade the
suite's own environment. ``test_conformance_kserve.py`` starts it with the server's URL
and the rows on stdin, and checks the JSON it prints. Not a test module itself.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import httpx
import numpy as np
from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig
from kserve.protocol.infer_type import RequestedOutput

MODEL = "clf"


def column_inputs(columns: dict[str, list[Any]], dtype: str, binary: bool) -> list[InferInput]:
    inputs = []
    for name, values in columns.items():
        if name == "n_items":
            arr, datatype = np.asarray(values, dtype=np.int64), "INT64"
        elif name == "is_member":
            arr, datatype = np.asarray(values, dtype=bool), "BOOL"
        else:
            arr = np.asarray(values, dtype=np.float32 if dtype == "FP32" else np.float64)
            datatype = dtype
        tensor = InferInput(name, [len(values)], datatype)
        tensor.set_data_from_numpy(arr, binary_data=binary)
        inputs.append(tensor)
    return inputs


def matrix_input(columns: dict[str, list[Any]], dtype: str, binary: bool) -> InferInput:
    matrix = np.asarray([np.asarray(v, dtype=np.float64) for v in columns.values()]).T
    matrix = matrix.astype(np.float32 if dtype == "FP32" else np.float64)
    tensor = InferInput("input-0", list(matrix.shape), dtype)
    tensor.set_data_from_numpy(np.ascontiguousarray(matrix), binary_data=binary)
    return tensor


def answer(response: Any) -> dict[str, Any]:
    (out,) = response.outputs
    return {"id": response.id, "name": out.name, "datatype": out.datatype,
            "data": out.as_numpy().tolist()}


async def refused(call: Any) -> dict[str, Any]:
    try:
        await call
    except httpx.HTTPStatusError as exc:
        return {"status": exc.response.status_code, "text": str(exc)}
    return {"status": 200, "text": ""}


async def main(url: str, columns: dict[str, list[Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    config = RESTConfig(protocol="v2", retries=0, timeout=30)
    async with InferenceRESTClient(config) as client:
        out["v2_live"] = await client.is_server_live(url)
        out["v2_ready"] = await client.is_server_ready(url)
        out["v2_model_ready"] = await client.is_model_ready(url, MODEL)
        out["v2_other_ready"] = await client.is_model_ready(url, "other")
        for dtype in ("FP32", "FP64"):
            for binary in (False, True):
                tag = f"{dtype}-{'binary' if binary else 'json'}"
                params = {"binary_data_output": True} if binary else None
                req = InferRequest(MODEL, column_inputs(columns, dtype, binary),
                                   request_id=f"columns-{tag}", parameters=params)
                out[f"columns-{tag}"] = answer(await client.infer(url, req, model_name=MODEL))
                req = InferRequest(MODEL, [matrix_input(columns, dtype, binary)],
                                   request_id=f"matrix-{tag}", parameters=params)
                out[f"matrix-{tag}"] = answer(await client.infer(url, req, model_name=MODEL))
        two = column_inputs(columns, "FP64", False)[:2]
        out["v2_missing"] = await refused(
            client.infer(url, InferRequest(MODEL, two), model_name=MODEL))
        out["v2_unknown_output"] = await refused(client.infer(
            url, InferRequest(MODEL, column_inputs(columns, "FP64", True),
                              request_outputs=[RequestedOutput("proba")]), model_name=MODEL))
    config = RESTConfig(protocol="v1", retries=0, timeout=30)
    rows = [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(),
                                                                          strict=True)]
    async with InferenceRESTClient(config) as client:
        out["v1_live"] = await client.is_server_live(url)
        out["v1_model_ready"] = await client.is_model_ready(url, MODEL)
        out["v1_instances"] = await client.infer(url, {"instances": rows}, model_name=MODEL)
        out["v1_inputs_rows"] = await client.infer(
            url, {"inputs": [list(r.values()) for r in rows]}, model_name=MODEL)
        out["v1_missing"] = await refused(
            client.infer(url, {"instances": [{"f0": 1.0}]}, model_name=MODEL))
    return out


if __name__ == "__main__":
    result = asyncio.run(main(sys.argv[1], json.load(sys.stdin)))
    print(json.dumps(result))
