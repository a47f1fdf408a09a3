"""Synthetic traffic whose distribution shifts halfway, for tests and the demo.

:func:`reference_frame` draws the validation data a model is registered with;
:func:`shifted_traffic` draws live traffic from the same distribution until
``shift_at`` of the rows have gone by, after which the features named in ``shifted``
change (a numeric one moves its mean by ``1.5`` standard deviations and gains nulls;
a categorical one changes its mix and sees a category the reference never had), and
the others stay as they were. :func:`late_labels` gives that traffic outcomes that
arrive hours to days later.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..errors import InvalidSpec

if TYPE_CHECKING:
    import numpy as np

NUMERIC = ("amount", "sessions", "tenure_days")
CATEGORICAL = ("channel", "device")
FEATURES = NUMERIC + CATEGORICAL
_CHANNELS = ("search", "email", "social", "direct")
_DEVICES = ("mobile", "desktop", "tablet")


def _draw(rng: np.random.Generator, n: int, shifted: frozenset[str]) -> dict[str, Any]:
    import numpy as np
    amount = rng.lognormal(4.0, 0.5, size=n)
    sessions = rng.poisson(5.0, size=n).astype(np.float64)
    tenure = rng.gamma(2.0, 200.0, size=n)
    channel = np.array(_CHANNELS)[rng.choice(4, size=n, p=[0.4, 0.2, 0.15, 0.25])]
    device = np.array(_DEVICES)[rng.choice(3, size=n, p=[0.55, 0.35, 0.10])]
    if "amount" in shifted:
        amount = amount * np.exp(0.75)  # the log-mean moves by 1.5 sd
        amount[rng.random(n) < 0.1] = np.nan
    if "sessions" in shifted:
        sessions = rng.poisson(9.0, size=n).astype(np.float64)
    if "tenure_days" in shifted:
        tenure = rng.gamma(2.0, 500.0, size=n)
    if "channel" in shifted:
        channel = np.array(["search", "email", "social", "direct", "partner"])[
            rng.choice(5, size=n, p=[0.15, 0.15, 0.2, 0.2, 0.3])]
    if "device" in shifted:
        device = np.array(_DEVICES)[rng.choice(3, size=n, p=[0.2, 0.3, 0.5])]
    return {"amount": amount, "sessions": sessions, "tenure_days": tenure,
            "channel": channel.astype(object), "device": device.astype(object)}


def reference_frame(n: int = 5000, seed: int = 0) -> Any:
    """Validation rows from the reference distribution (a DataFrame of :data:`FEATURES`)."""
    import numpy as np
    import pandas as pd

    return pd.DataFrame(_draw(np.random.default_rng(seed), n, frozenset()))


def shifted_traffic(n: int = 4000, *, shifted: Iterable[str] = ("amount", "channel"),
                    shift_at: float = 0.5, start: Any = "2024-03-01", span: Any = "2D",
                    n_entities: int = 500, seed: int = 1) -> Any:
    """``n`` requests spread evenly over ``span`` from ``start`` (UTC): the features,
    ``entity`` (ids ``1..n_entities``) and ``ts``; rows from ``shift_at`` of the way on
    have ``shifted`` features drawn from the shifted distribution.

    Raises ``InvalidSpec`` for an unknown feature or ``shift_at`` outside ``[0, 1]``."""
    import numpy as np
    import pandas as pd

    moved = frozenset(shifted)
    unknown = sorted(moved - set(FEATURES))
    if unknown:
        raise InvalidSpec(f"unknown features {unknown}; the simulator has {list(FEATURES)}")
    if not 0.0 <= shift_at <= 1.0:
        raise InvalidSpec("shift_at must be in [0, 1]")
    rng = np.random.default_rng(seed)
    cut = round(n * shift_at)
    before, after = _draw(rng, cut, frozenset()), _draw(rng, n - cut, moved)
    frame = pd.DataFrame({k: np.concatenate([before[k], after[k]]) for k in FEATURES})
    t0 = pd.Timestamp(start)
    t0 = t0.tz_localize("UTC") if t0.tzinfo is None else t0.tz_convert("UTC")
    step = pd.Timedelta(span) / max(n, 1)
    frame["ts"] = t0 + step * np.arange(n)
    frame["entity"] = rng.integers(1, n_entities + 1, size=n).astype(np.int64)
    return frame


def true_probability(frame: Any) -> Any:
    """The chance of a positive outcome the simulator draws labels from."""
    import numpy as np
    amount = np.log(np.nan_to_num(frame["amount"].to_numpy(dtype=np.float64), nan=55.0))
    logit = (0.8 * (amount - 4.0) + 0.15 * (frame["sessions"].to_numpy(dtype=np.float64) - 5.0)
             + 0.6 * (frame["channel"].to_numpy() == "email") - 1.0)
    return 1.0 / (1.0 + np.exp(-logit))


def late_labels(traffic: Any, *, seed: int = 2, late_share: float = 0.2,
                delay: Any = "1h", late_delay: Any = "3D") -> Any:
    """Outcomes of ``traffic``'s requests: ``entity``, ``ts`` (the request's time),
    ``label`` (0/1 drawn from :func:`true_probability`) and ``arrived_at``: ``delay``
    after the request, or ``late_delay`` for ``late_share`` of them."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = len(traffic)
    label = (rng.random(n) < true_probability(traffic)).astype(np.int64)
    late = rng.random(n) < late_share
    lag = np.where(late, pd.Timedelta(late_delay).value, pd.Timedelta(delay).value)
    ts = pd.to_datetime(traffic["ts"], utc=True).reset_index(drop=True)
    return pd.DataFrame({"entity": traffic["entity"].to_numpy(), "ts": ts, "label": label,
                         "arrived_at": ts + pd.to_timedelta(lag, unit="ns")})
