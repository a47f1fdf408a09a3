"""MLflow's side of the registry benchmark, run by ``bench/.venv-mlflow``'s Python.

    python mlflow_worker.py DATA_DIR

A long-lived process, so MLflow is timed warm, the same way as ours: it loads the
model and the validation rows from DATA_DIR once, registers once untimed, then answers
one command per line on stdin with one JSON line on stdout:

* ``plain``: ``mlflow.lightgbm.log_model(..., registered_model_name=...)`` plus the
  three headline metrics on the validation rows (its requirements inferred, as a user
  calling it bare gets);
* ``pip``: the same given ``pip_requirements`` (no inference);
* ``load``: ``mlflow.lightgbm.load_model`` of the latest version;
* ``quit``.

Nothing here imports jupyter_bighead: this runs in MLflow's own environment.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import tempfile
import time
import warnings

if os.environ.get("MLFLOW_DISABLE_TELEMETRY") != "true":
    raise SystemExit("run through bench.offline_env: MLflow's telemetry must be off")

warnings.filterwarnings("ignore")

import lightgbm as lgb  # noqa: E402
import mlflow  # noqa: E402
import mlflow.lightgbm  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score  # noqa: E402


def main() -> None:
    data = sys.argv[1]
    Xv = pd.read_parquet(f"{data}/valid.parquet")
    yv = Xv.pop("label")
    try:
        with open(f"{data}/model.pkl", "rb") as fh:
            model = pickle.load(fh)
    except Exception:  # other library versions: fit the same model here
        X = pd.read_parquet(f"{data}/train.parquet")
        y = X.pop("label")
        trees = int(json.loads(open(f"{data}/meta.json").read())["trees"])
        model = lgb.LGBMClassifier(n_estimators=trees, verbose=-1).fit(X, y)
    tmp = tempfile.mkdtemp()
    mlflow.set_tracking_uri("sqlite:///" + tmp + "/mlflow.db")
    mlflow.set_experiment("bench")
    pins = [f"lightgbm=={lgb.__version__}", f"scikit-learn=={sklearn.__version__}",
            f"pandas=={pd.__version__}", f"numpy=={np.__version__}",
            f"mlflow=={mlflow.__version__}"]
    latest = {"version": 0}

    def register(given: bool) -> float:
        t = time.perf_counter()
        with mlflow.start_run():
            extra = {"pip_requirements": pins} if given else {}
            mlflow.lightgbm.log_model(model, name="model", registered_model_name="bench",
                                      **extra)
            p = model.predict_proba(Xv)[:, 1]
            mlflow.log_metrics({"roc_auc": roc_auc_score(yv, p),
                                "pr_auc": average_precision_score(yv, p),
                                "log_loss": log_loss(yv, p)})
        latest["version"] += 1
        return time.perf_counter() - t

    register(False)  # warm: imports, database schema, first artifact folder
    print(json.dumps({"ready": True, "mlflow": mlflow.__version__}), flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "quit":
            break
        if cmd in ("plain", "pip"):
            out = {"s": register(cmd == "pip")}
        elif cmd == "load":
            t = time.perf_counter()
            mlflow.lightgbm.load_model(f"models:/bench/{latest['version']}")
            out = {"s": time.perf_counter() - t}
        else:
            out = {"error": f"unknown command {cmd!r}"}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
