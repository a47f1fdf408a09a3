"""Importing the feature store loads no pandas, DuckDB, pyarrow or scikit-learn."""

from __future__ import annotations

import json
import subprocess
import sys


def test_importing_features_defers_heavy_libraries():
    code = (
        "import sys, json; from jupyter_bighead.features import EventSource, Feature, FeatureRepo;"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    roots = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert not roots & {"pandas", "duckdb", "pyarrow", "sklearn", "polars"}
