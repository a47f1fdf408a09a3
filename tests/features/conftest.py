"""Helpers for the feature store tests: small event tables written to real files."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))

HOUR_MS = 3_600_000
_counter = itertools.count()


def write_parquet(folder: Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` to a fresh parquet file (a new name each time: no stat reuse)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"events-{next(_counter)}.parquet"
    frame.to_parquet(path, index=False)
    return path


def fresh(folder: Path, prefix: str = "repo") -> Path:
    """A new, unused path under ``folder`` (hypothesis reuses one tmp_path per test)."""
    return folder / f"{prefix}-{next(_counter)}"


def assert_columns_match(actual: pd.DataFrame, expected: pd.DataFrame, names: list[str]) -> None:
    """Equal row by row: exact for counts, 1e-9 relative for floats, NaN equal to NaN."""
    for name in names:
        a = actual[name].to_numpy()
        b = expected[name].to_numpy()
        if a.dtype.kind in "iu":
            np.testing.assert_array_equal(a, b.astype(np.int64), err_msg=name)
        else:
            np.testing.assert_allclose(
                a.astype(float),
                b.astype(float),
                rtol=1e-9,
                atol=1e-12,
                equal_nan=True,
                err_msg=name,
            )


@pytest.fixture
def events() -> pd.DataFrame:
    """A small hand-made booking log: user 1 and 2, hourly timestamps in epoch ms."""
    return pd.DataFrame(
        {
            "user_id": [1, 1, 1, 2, 1, 2],
            "ts": [0, HOUR_MS, 2 * HOUR_MS, 2 * HOUR_MS, 24 * HOUR_MS, 30 * HOUR_MS],
            "amount": [10.0, 20.0, np.nan, 5.0, 40.0, 7.0],
        }
    )
