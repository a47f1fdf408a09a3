"""Pipeline benchmark: transform overhead and one-row latency vs scikit-learn.

    python bench/pipeline/run.py [--rows 1000000] [--repeat 3] [--calls 2000]

The same six-step preprocessing (see ``workload.py``) as a Bighead ``Pipeline`` and
as the equivalent scikit-learn ``ColumnTransformer``, both fitted on the same frame
and run in this process one after the other. Batch: best of ``--repeat`` transforms
of ``--rows`` x 20 columns (target: ours at most 1.5x sklearn's time). One row: the
median of ``--calls`` transforms of a one-row DataFrame (target: 10x lower than
sklearn's); our transform of a one-row dict (what a JSON request is) is reported too.
Outputs are checked to agree before anything is timed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.pipeline import workload  # noqa: E402


def check_agreement(ours_out, theirs_out) -> None:
    np.testing.assert_allclose(workload.as_matrix(ours_out), np.asarray(theirs_out, float),
                               rtol=1e-9, atol=1e-12)


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _median_latency(fn, calls: int) -> float:
    for _ in range(min(50, calls)):
        fn()
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()

    X = workload.make_frame(args.rows)
    ours = workload.ours().fit(X)
    theirs = workload.sklearn_pipeline().fit(X)
    check_agreement(ours.transform(X.iloc[:5000]), theirs.transform(X.iloc[:5000]))

    batch_theirs = _best(lambda: theirs.transform(X), args.repeat)
    batch_ours = _best(lambda: ours.transform(X), args.repeat)

    one = X.iloc[[7]]
    record = one.iloc[0].to_dict()
    check_agreement(ours.transform(one), theirs.transform(one))
    row_theirs = _median_latency(lambda: theirs.transform(one), args.calls)
    row_ours = _median_latency(lambda: ours.transform(one), args.calls)
    row_ours_dict = _median_latency(lambda: ours.transform(record), args.calls)

    result = {
        "rows": args.rows, "columns": X.shape[1], "blocks": len(ours.steps),
        "batch_sklearn_s": round(batch_theirs, 3), "batch_ours_s": round(batch_ours, 3),
        "batch_ratio": round(batch_ours / batch_theirs, 3),
        "row_sklearn_us": round(row_theirs * 1e6, 1), "row_ours_us": round(row_ours * 1e6, 1),
        "row_ours_dict_us": round(row_ours_dict * 1e6, 1),
        "row_speedup": round(row_theirs / row_ours, 2),
        "row_speedup_dict": round(row_theirs / row_ours_dict, 2),
    }
    print(json.dumps(result, indent=2))
    print(f"batch transform = {result['batch_ratio']:.2f}x sklearn's time (target <= 1.5): "
          f"{'PASS' if result['batch_ratio'] <= 1.5 else 'FAIL'}")
    print(f"one-row transform {result['row_speedup']:.1f}x faster than sklearn (DataFrame in), "
          f"{result['row_speedup_dict']:.1f}x (dict in) (target >= 10): "
          f"{'PASS' if result['row_speedup'] >= 10 else 'FAIL'}")


if __name__ == "__main__":
    main()
