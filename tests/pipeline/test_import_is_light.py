"""Importing the pipeline package (and hence listing the catalog) never pulls in
lightgbm, the server stack or Pillow; the learner and ImageResize bring their own."""

from __future__ import annotations

import json
import subprocess
import sys


def test_importing_the_pipeline_package_and_listing_blocks_stays_light():
    code = ("import jupyter_bighead.pipeline as p, json, sys; p.catalog.list_blocks([]); "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    roots = set(json.loads(out.strip().splitlines()[-1]))
    assert not roots & {"lightgbm", "jupyter_server", "tornado", "kubernetes", "PIL"}


def test_a_pipeline_clones_and_refits_like_a_scikit_learn_estimator(fitted, frame):
    from sklearn.base import clone

    X, y = frame
    twin = clone(fitted).fit(X, y)
    assert not hasattr(clone(fitted).steps[0], "columns_")
    assert (twin.predict_proba(X) == fitted.predict_proba(X)).all()
