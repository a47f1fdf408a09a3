"""Jobs benchmarks: batch-scoring throughput vs raw ``booster.predict``, and submit latency.

    python bench/jobs/run.py [--rows 1000000] [--trees 500]

Batch scoring (``jupyter_bighead.jobs.scoring.score``: parquet in, chunks, predict,
parquet out) is compared with LightGBM's own ``booster.predict`` on the same rows
already in memory as one float64 array. Both run in this process, one after the other,
best of ``--repeat``. Target: scoring throughput at least 0.8x of raw predict.
Submit latency: local executor, time from ``submit`` until the record says running
(the worker process is started; kernel start is excluded). Target: under 2 s.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--trees", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import lightgbm as lgb

    from jupyter_bighead.config import BigheadHome
    from jupyter_bighead.jobs import JobSpec
    from jupyter_bighead.jobs.local import LocalExecutor
    from jupyter_bighead.jobs.scoring import score
    from jupyter_bighead.registry import Registry

    rng = np.random.default_rng(0)
    cols = [f"f{i}" for i in range(args.features)]
    X = pd.DataFrame(rng.normal(size=(args.rows, args.features)), columns=cols)
    w = rng.normal(size=args.features)
    y = ((X.to_numpy() @ w + rng.normal(size=args.rows)) > 0).astype(int)
    train = slice(0, min(100_000, args.rows))
    model = lgb.LGBMClassifier(n_estimators=args.trees, num_leaves=31, verbose=-1)
    model.fit(X.iloc[train], y[train])

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        home = BigheadHome(root / "home").ensure()
        reg = Registry(home.registry_uri, artifacts=home.artifacts)
        reg.register("bench_model", model)
        X.to_parquet(root / "in.parquet", row_group_size=200_000)
        array = X.to_numpy()
        booster = model.booster_

        raw, ours = [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            booster.predict(array)
            raw.append(time.perf_counter() - t)
            t = time.perf_counter()
            score("bench_model", root / "in.parquet", root / "out.parquet", registry=reg,
                  force=True, fetch_features=False)
            ours.append(time.perf_counter() - t)

        nb = root / "nb.ipynb"
        import nbformat
        from nbformat.v4 import new_code_cell, new_notebook

        nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), nb)
        ex = LocalExecutor(home=home)
        latencies = []
        for _ in range(5):
            t = time.perf_counter()
            record = ex.submit(JobSpec(notebook=str(nb)))
            while ex.status(record.id).state == "queued":
                time.sleep(0.001)
            latencies.append(time.perf_counter() - t)
            ex.wait(record.id, 120)

    best_raw, best_ours = min(raw), min(ours)
    result = {
        "rows": args.rows, "features": args.features, "trees": args.trees,
        "raw_predict_s": round(best_raw, 3), "batch_score_s": round(best_ours, 3),
        "raw_rows_per_s": round(args.rows / best_raw),
        "score_rows_per_s": round(args.rows / best_ours),
        "throughput_ratio": round(best_raw / best_ours, 3),
        "submit_to_running_s_max": round(max(latencies), 3),
    }
    print(json.dumps(result, indent=2))
    print(f"batch scoring throughput = {result['throughput_ratio']:.2f}x raw booster.predict "
          f"(target >= 0.8): {'PASS' if result['throughput_ratio'] >= 0.8 else 'FAIL'}")
    print(f"submit-to-running max {result['submit_to_running_s_max']:.3f} s (target < 2 s): "
          f"{'PASS' if result['submit_to_running_s_max'] < 2 else 'FAIL'}")


if __name__ == "__main__":
    main()
