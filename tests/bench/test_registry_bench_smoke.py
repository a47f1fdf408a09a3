"""Smoke test of the registry benchmark's harness: behaviour only, never timings.

A tiny model and no MLflow: ours and the floor run round-robin, the floor and the
difference are reported. MLflow's worker is always started offline (telemetry off).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import OFFLINE_ENV  # noqa: E402
from bench.registry.run import MLFLOW_PY, MLFLOW_WORKER, MlflowWorker, main  # noqa: E402


def test_the_harness_times_ours_and_the_floor_round_robin(tmp_path, capsys):
    r = main(["--trees", "5", "--rows", "2000", "--rounds", "2", "--versions", "0",
              "--no-mlflow", "--json", str(tmp_path / "r.json")])
    assert set(r["register"]) == {"ours", "floor"}
    for x in r["register"].values():
        assert 0 < x["best"] == x["min"] <= x["max"]
    assert r["above_floor_s"] == pytest.approx(r["register"]["ours"]["best"]
                                               - r["register"]["floor"]["best"], abs=1e-3)
    assert len(r["above_floor_per_round_s"]) == 2
    assert r["where"]["SHAP (pred_contrib on the sample)"] > 0
    assert r["load"]["ours"]["best"] > 0
    out = capsys.readouterr().out
    assert "floor (booster.predict of the validation rows)" in out and "difference" in out
    assert json.loads((tmp_path / "r.json").read_text())["rounds"] == 2


def test_the_mlflow_worker_always_runs_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "false")
    script = tmp_path / "worker.py"
    script.write_text("import json, os, sys\nprint(json.dumps(dict(os.environ)), flush=True)\n"
                      "sys.stdin.read()\n")
    worker = MlflowWorker(Path(sys.executable), tmp_path, tmp_path, script=script)
    worker.close()
    for key, value in OFFLINE_ENV.items():
        assert worker.hello[key] == value
    # The real worker refuses to import MLflow without them.
    refused = subprocess.run([sys.executable, str(MLFLOW_WORKER), str(tmp_path)],
                             capture_output=True, text=True, timeout=60,
                             env={"PATH": "/usr/bin:/bin"})
    assert refused.returncode != 0 and "telemetry must be off" in refused.stderr


@pytest.mark.skipif(not MLFLOW_PY.exists(), reason="bench/.venv-mlflow is not installed")
def test_mlflow_registers_and_loads_through_the_worker(tmp_path):
    import lightgbm as lgb
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(400, 3)), columns=["a", "b", "c"])
    y = (X["a"] > 0).astype(int)
    model = lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(X, y)
    X.assign(label=y).to_parquet(tmp_path / "valid.parquet")
    import pickle

    (tmp_path / "model.pkl").write_bytes(pickle.dumps(model))
    worker = MlflowWorker(MLFLOW_PY, tmp_path, tmp_path)
    try:
        assert worker.ask("plain") > 0 and worker.ask("pip") > 0 and worker.ask("load") > 0
    finally:
        worker.close()
