"""A pipeline block: flip the sign of numeric columns."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from jupyter_bighead.pipeline import Block


class Negate(Block):
    """Multiply each routed column by -1 (``scale`` times)."""

    def __init__(self, columns: Sequence[str] | None = None, scale: float = 1.0) -> None:
        self.columns = columns
        self.scale = scale

    def _fit(self, cols, y):
        self.n_seen_ = len(next(iter(cols.values()))) if cols else 0

    def _apply(self, cols):
        return {c: -self.scale * np.asarray(v, dtype=np.float64) for c, v in cols.items()}
