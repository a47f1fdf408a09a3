"""LightGBM's thread count is process-wide: concurrent predictions with different
``num_threads`` crash it (SIGSEGV). The server's predictions must all agree."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np

from jupyter_bighead.registry import Registry
from jupyter_bighead.serving.runtime import model as served_model
from jupyter_bighead.serving.runtime.model import ServedModel

from .conftest import instances, training_frame

# Small (the old one-thread fast path) and big batches predicted at once from four
# threads, in a child process so that a crash is a return code and not a dead test run.
MIXED_BATCHES = textwrap.dedent("""
    import sys, threading, time
    import lightgbm as lgb
    import numpy as np
    import pandas as pd
    from jupyter_bighead.registry import Registry
    from jupyter_bighead.serving.runtime.model import ServedModel

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(5000, 5)), columns=[f"f{i}" for i in range(5)])
    y = (X.f0 + rng.normal(size=5000) > 0).astype(int)
    reg = Registry(sys.argv[1])
    reg.register("m", lgb.LGBMClassifier(n_estimators=40, verbose=-1).fit(X, y),
                 X_valid=X[:300], y_valid=y[:300])
    served = ServedModel.load(reg, "m")
    assert served._fast is not None  # the numpy fast path
    rows = served.schema.rows_from_instances(X.to_dict(orient="records"))
    end = time.monotonic() + float(sys.argv[2])
    def hammer(n):
        while time.monotonic() < end:
            served.predict_rows(rows[:n])
    threads = [threading.Thread(target=hammer, args=(n,)) for n in (50, 50, 1000, 1000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("alive")
""")


def test_mixed_batch_sizes_predicted_concurrently_never_crash_lightgbm(tmp_path):
    proc = subprocess.run([sys.executable, "-c", MIXED_BATCHES, str(tmp_path / "reg"), "8"],
                          capture_output=True, text=True, timeout=300)
    # The old fast path (num_threads=1 up to 64 rows, LightGBM's default above) died
    # with SIGSEGV (return code -11) within a few seconds on a machine with 2 cores.
    assert (proc.returncode, proc.stdout.strip()) == (0, "alive"), proc.stderr[-2000:]


def test_every_fast_path_prediction_asks_lightgbm_for_the_same_thread_count(tmp_path,
                                                                         monkeypatch):
    # The deterministic half of the crash test above: record what each batch size
    # passes to the real Booster.predict.
    import lightgbm as lgb

    X, y = training_frame(rows=6000, seed=2)
    reg = Registry(tmp_path / "reg")
    reg.register("m", lgb.LGBMClassifier(n_estimators=10, verbose=-1).fit(X, y),
                 X_valid=X[:300], y_valid=y[:300])
    asked: list[object] = []
    real = lgb.Booster.predict

    def recording(self, data, *args, **kwargs):
        asked.append(kwargs.get("num_threads"))
        return real(self, data, *args, **kwargs)

    monkeypatch.setattr(lgb.Booster, "predict", recording)
    served = ServedModel.load(reg, "m")
    rows = served.schema.rows_from_instances(instances(X))
    for n in (1, 50, 64, 65, 1000, 5000):
        served.predict_rows(rows[:n])
    assert len(asked) >= 6 and set(asked) == {1}, asked


def test_a_batch_split_across_threads_predicts_exactly_what_one_call_does(tmp_path, monkeypatch):
    import lightgbm as lgb

    X, y = training_frame(rows=3000, seed=5)
    reg = Registry(tmp_path / "reg")
    reg.register("m", lgb.LGBMClassifier(n_estimators=30, verbose=-1).fit(X, y),
                 X_valid=X[:300], y_valid=y[:300])
    served = ServedModel.load(reg, "m")
    monkeypatch.setattr(served_model, "_cores", lambda: 3)  # three chunks even on 1 core
    rows = served.schema.rows_from_instances(instances(X))
    assert len(rows) > 2 * served_model.CHUNK_ROWS
    expected = reg.load("m").predict_proba(X)[:, 1]
    np.testing.assert_array_equal(np.asarray(served.predict_rows(rows)), expected)
    np.testing.assert_array_equal(np.asarray(served.predict_rows(rows[:7])), expected[:7])


def test_the_serving_process_caps_lightgbm_at_one_thread():
    # Run in a child: the cap is process-wide and must not slow this test process down.
    code = ("from jupyter_bighead.serving.runtime.model import pin_lightgbm_threads; "
            "print(pin_lightgbm_threads())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == "True", out.stderr[-2000:]
