"""A home with a monitored model: registered, its reference attached, and two days of
logged traffic up to now in which ``amount`` shifts halfway (the REST and browser tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from jupyter_bighead import predlog
from jupyter_bighead.config import BigheadHome
from jupyter_bighead.evaluation import profiles as P
from jupyter_bighead.monitoring import attach_reference, simulate
from jupyter_bighead.registry import Registry

NUMERIC = list(simulate.NUMERIC)


def seed_monitored_model(home_root: Path, name: str = "shop", *, n: int = 2000,
                         bare: str | None = "bare") -> dict[str, Any]:
    """Register ``name`` v1 (reference attached, traffic logged: ``amount`` shifted in
    the last day) and, when ``bare`` is given, a model of that name without a
    reference. Returns the registry, the version and the traffic."""
    import lightgbm

    home = BigheadHome(home_root).ensure()
    reg = Registry(home.registry_uri, artifacts=home.artifacts)
    reference = simulate.reference_frame(3000, seed=0)[NUMERIC]
    y = (np.random.default_rng(0).random(len(reference)) < simulate.true_probability(
        simulate.reference_frame(3000, seed=0))).astype(int)
    model = lightgbm.LGBMClassifier(n_estimators=10, verbose=-1).fit(reference, y)
    mv = reg.register(name, model, alias="production")
    start = pd.Timestamp.now(tz="UTC").floor("h") - pd.Timedelta("2D")
    traffic = simulate.shifted_traffic(n, shifted=("amount",), start=start, span="2D", seed=1)
    scores = model.predict_proba(traffic[NUMERIC])[:, 1]
    with predlog.PredictionLog(home.root / "predictions", name, mv.version,
                               max_rows_per_second=None) as log:
        log.log(traffic[NUMERIC], scores, entity=traffic["entity"], timestamps=traffic["ts"])
    attach_reference(reg, f"{name}:{mv.version}",
                     P.profile_for_model(model, reference, task="binary"),
                     monitor_root=home.root / "monitoring")
    if bare:
        reg.register(bare, model)
    return {"reg": reg, "mv": mv, "traffic": traffic, "model": model}
