"""One-row prediction: our pipeline vs scikit-learn's ``ColumnTransformer``, same learner.

    python bench/pipeline/predict_row.py [--train-rows 20000] [--rounds 5] [--calls 400]

Both contenders (``workload.ours_model`` and ``workload.sklearn_model``: five
preprocessing steps over 20 columns, one of them categorical text and one a timestamp,
then the same ``LGBMClassifier``) are fitted on the same frame, and must give the same
probabilities (within 1e-12) on held-out rows before anything is timed; our array path
must also give the bits of LightGBM's own DataFrame path. Then ``predict_proba`` of a
one-row DataFrame is timed round-robin: each round runs every contender for ``--calls``
calls (cycling over 16 rows) and records its median. Reported: the median over rounds
and the range, and the ratio ours / sklearn from each round (target: at most 0.1 in
every round); CPU time per call is reported beside wall time, as the part of the
figure a loaded machine does not inflate. Also timed, for where the time goes: a
one-row dict (a JSON request), the serving rule (``models.predict.predict_frame``, what
the model server calls), and the DataFrame path our pipeline took before
(``transform`` then the learner's ``predict_proba``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.pipeline import workload  # noqa: E402

#: Ours / sklearn, one-row predict_proba: the target.
TARGET = 0.1
#: How close the two contenders' probabilities must be.
TOLERANCE = 1e-12


class _Spec:
    """What the serving rule reads from a registered version."""

    task = "binary"
    input_schema = ()


def fit_both(train_rows: int, seed: int = 0) -> tuple[Any, Any]:
    X = workload.make_frame(train_rows, seed=seed)
    y = workload.make_target(X, seed=seed + 1)
    ours = workload.ours_model().fit(X, y)
    theirs = workload.sklearn_model().fit(X, y, **workload.sklearn_fit_params())
    return ours, theirs


def check_agreement(ours: Any, theirs: Any, X: Any) -> float:
    """The largest difference between the contenders' probabilities on ``X`` (and on
    each of its first rows alone); raises AssertionError above :data:`TOLERANCE`, or
    when our array path and LightGBM's DataFrame path differ in a single bit."""
    worst = 0.0
    ours_p = ours.predict_proba(X)
    worst = max(worst, float(np.max(np.abs(ours_p - theirs.predict_proba(X)))))
    reference = ours.learner.predict_proba(ours.transform(X))
    assert np.array_equal(ours_p, reference), "array path != LightGBM's DataFrame path"
    for i in range(min(len(X), 32)):
        one = X.iloc[[i]]
        mine = ours.predict_proba(one)
        assert np.array_equal(mine, ours_p[[i]]), "one-row bits != batch bits"
        assert np.array_equal(mine, ours.predict_proba(one.iloc[0].to_dict()))
        worst = max(worst, float(np.max(np.abs(mine - theirs.predict_proba(one)))))
    assert worst <= TOLERANCE, f"ours and sklearn differ by {worst:g}"
    return worst


def _median_call(fn: Callable[[Any], Any], inputs: list[Any], calls: int
                 ) -> tuple[float, float]:
    """Median wall time and median CPU time of this process per call. On a loaded
    machine a call's wall time includes waits for a core; its CPU time does not."""
    for i in range(min(20, calls)):
        fn(inputs[i % len(inputs)])
    wall, cpu = [], []
    for i in range(calls):
        x = inputs[i % len(inputs)]
        c = time.process_time()
        t = time.perf_counter()
        fn(x)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def versions() -> dict[str, str]:
    import lightgbm
    import pandas as pd
    import sklearn

    return {"python": platform.python_version(), "numpy": np.__version__,
            "pandas": pd.__version__, "scikit-learn": sklearn.__version__,
            "lightgbm": lightgbm.__version__}


def run(train_rows: int, rounds: int, calls: int) -> dict[str, Any]:
    from jupyter_bighead.models.predict import predict_frame

    ours, theirs = fit_both(train_rows)
    held_out = workload.make_frame(2000, seed=7)
    worst = check_agreement(ours, theirs, held_out)
    rows = [held_out.iloc[[i]] for i in range(16)]
    records = [r.iloc[0].to_dict() for r in rows]
    contenders: dict[str, tuple[Callable[[Any], Any], list[Any]]] = {
        "sklearn": (theirs.predict_proba, rows),
        "ours": (ours.predict_proba, rows),
        "ours_dict": (ours.predict_proba, records),
        "ours_serving_rule": (lambda x: predict_frame(ours, _Spec(), x), rows),
        "ours_dataframe_path": (lambda x: ours.learner.predict_proba(ours.transform(x)), rows),
    }
    per_round: dict[str, list[float]] = {name: [] for name in contenders}
    cpu_round: dict[str, list[float]] = {name: [] for name in contenders}
    load_before = os.getloadavg()
    for _ in range(rounds):
        for name, (fn, inputs) in contenders.items():
            wall, cpu = _median_call(fn, inputs, calls)
            per_round[name].append(wall)
            cpu_round[name].append(cpu)
    load_after = os.getloadavg()
    ratios = [o / s for o, s in zip(per_round["ours"], per_round["sklearn"], strict=True)]
    cpu_ratios = [o / s for o, s in zip(cpu_round["ours"], cpu_round["sklearn"], strict=True)]

    def summary(rounds_s: dict[str, list[float]]) -> dict[str, Any]:
        return {name: {"median": round(statistics.median(t) * 1e6, 1),
                       "range": [round(min(t) * 1e6, 1), round(max(t) * 1e6, 1)]}
                for name, t in rounds_s.items()}
    return {
        "train_rows": train_rows, "rounds": rounds, "calls_per_round": calls,
        "blocks": len(ours.steps), "columns": held_out.shape[1],
        "max_abs_diff_vs_sklearn": worst,
        "one_row_predict_proba_us": summary(per_round),
        "one_row_predict_proba_cpu_us": summary(cpu_round),
        "ratio_ours_vs_sklearn": round(statistics.median(ratios), 4),
        "ratio_per_round": [round(r, 4) for r in ratios],
        "cpu_ratio_per_round": [round(r, 4) for r in cpu_ratios],
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
        "versions": versions(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train-rows", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=400)
    args = parser.parse_args()
    result = run(args.train_rows, args.rounds, args.calls)
    print(json.dumps(result, indent=2))
    worst = max(result["ratio_per_round"])
    print(f"one-row predict_proba: ours = {result['ratio_ours_vs_sklearn']:.3f}x sklearn's time "
          f"(rounds {min(result['ratio_per_round']):.3f}..{worst:.3f}; target <= {TARGET} "
          f"in every round): {'PASS' if worst <= TARGET else 'FAIL'}")
    cpu = result["cpu_ratio_per_round"]
    print(f"  in CPU time (no waits for a core): rounds {min(cpu):.3f}..{max(cpu):.3f}x")


if __name__ == "__main__":
    main()
