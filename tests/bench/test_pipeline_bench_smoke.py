"""Smoke test of the pipeline benchmark's harness: correctness only, never timings.

Both contenders must compute the same numbers on the benchmark's data (so that a
timing compares equal work), including one-row and dict inputs, and the runner must
run end to end at a tiny size.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.pipeline import workload  # noqa: E402
from bench.pipeline.run import check_agreement  # noqa: E402


def test_ours_and_sklearn_agree_on_the_benchmark_data():
    X = workload.make_frame(3000, seed=1)
    ours = workload.ours().fit(X)
    theirs = workload.sklearn_pipeline().fit(X)
    check_agreement(ours.transform(X), theirs.transform(X))
    one = X.iloc[[11]]
    check_agreement(ours.transform(one), theirs.transform(one))
    check_agreement(ours.transform(one.iloc[0].to_dict()), theirs.transform(one))
    # the one-row path and the batch path give the same bits
    np.testing.assert_array_equal(workload.as_matrix(ours.transform(one)),
                                  workload.as_matrix(ours.transform(X)).take([11], axis=0))


def test_the_runner_runs_at_a_tiny_size():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "pipeline" / "run.py"),
                          "--rows", "2000", "--repeat", "1", "--calls", "20"],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    assert '"batch_ratio"' in out and "one-row transform" in out


def test_one_row_prediction_contenders_give_the_same_probabilities():
    # five blocks + LGBMClassifier vs ColumnTransformer + the same LGBMClassifier
    from bench.pipeline.predict_row import TOLERANCE, check_agreement, fit_both

    ours, theirs = fit_both(3000, seed=2)
    held_out = workload.make_frame(500, seed=9)
    assert check_agreement(ours, theirs, held_out) <= TOLERANCE
    assert len(ours.steps) == 5
    assert set(workload.CAT) <= set(ours.steps[3].columns_)  # a categorical column
    assert ours.steps[4].columns_ == workload.TS  # and a date column


def test_the_prediction_runner_runs_at_a_tiny_size():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "pipeline" / "predict_row.py"),
                          "--train-rows", "2000", "--rounds", "1", "--calls", "5"],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    assert '"ratio_ours_vs_sklearn"' in out and "one-row predict_proba" in out
