"""``bh.register`` and friends use the registry under BIGHEAD_HOME and stay light."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np


def test_bh_register_load_and_evaluate_use_bighead_home(tmp_path, monkeypatch, classifier, data):
    import jupyter_bighead as bh
    from jupyter_bighead.registry import Registry

    X, y = data
    monkeypatch.setenv("BIGHEAD_HOME", str(tmp_path / "home"))
    mv = bh.register("booking_model", classifier, X_valid=X, y_valid=y)
    assert (mv.name, mv.version) == ("booking_model", 1)
    assert (tmp_path / "home" / "registry.db").exists()
    assert np.array_equal(bh.load("booking_model", 1).predict(X), classifier.predict(X))
    assert Registry(tmp_path / "home").get("booking_model", 1) == mv
    assert bh.evaluate(classifier, X, y).metrics == mv.metrics | {}
    assert bh.default_registry() is bh.default_registry()


def test_importing_the_registry_and_evaluation_packages_stays_light():
    code = ("import jupyter_bighead, jupyter_bighead.registry, jupyter_bighead.evaluation, "
            "sys, json; print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    roots = {m.split(".")[0] for m in json.loads(out)}
    assert not roots & {"lightgbm", "pandas", "sklearn", "numpy", "plotly", "psycopg",
                        "tornado", "jupyter_server"}
