"""Reading a window of the prediction log: an unreadable part is skipped and named, and a
row cap samples every part evenly, the same way each time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead import predlog


def _log(root, parts: int, rows: int, start="2024-03-01"):
    stamps = pd.date_range(start, periods=parts * rows, freq="1s", tz="UTC")
    for p in range(parts):  # one part per log: parts of their own
        with predlog.PredictionLog(root, "m", 1, columns=["x", "part"],
                                   max_rows_per_second=None) as log:
            sl = slice(p * rows, (p + 1) * rows)
            log.log([[float(i), p] for i in range(p * rows, (p + 1) * rows)],
                    np.full(rows, 0.5), timestamps=stamps[sl])
    return stamps


def test_an_unreadable_part_is_skipped_counted_and_the_rest_is_read(tmp_path, caplog):
    _log(tmp_path, parts=3, rows=10)
    day = tmp_path / "m" / "1" / "date=2024-03-01"
    good = sorted(day.glob("part-*.parquet"))
    (day / "part-0-garbage.parquet").write_bytes(b"not a parquet file")
    truncated = day / "part-1-truncated.parquet"
    truncated.write_bytes(good[0].read_bytes()[:-40])
    got = predlog.read_window(tmp_path, "m", 1)
    assert len(got.frame) == 30 and got.parts == 3
    assert len(got.skipped) == 2
    assert any("part-0-garbage.parquet" in s for s in got.skipped)
    assert "skipped 2 unreadable part(s)" in caplog.text
    assert len(predlog.read_predictions(tmp_path, "m", 1)) == 30  # no ArrowInvalid


def test_a_row_cap_samples_every_part_evenly_and_reproducibly(tmp_path):
    stamps = _log(tmp_path, parts=20, rows=250)
    full = predlog.read_window(tmp_path, "m", 1)
    assert len(full.frame) == 5000 and not full.sampled and full.rows_seen == 5000
    got = predlog.read_window(tmp_path, "m", 1, max_rows=1000)
    assert got.sampled and got.rows_seen == 5000 and 850 <= len(got.frame) <= 1000
    per_part = got.frame["part"].value_counts()
    assert len(per_part) == 20 and per_part.min() >= 25 and per_part.max() <= 80
    assert got.frame[predlog.TS].is_monotonic_increasing
    again = predlog.read_window(tmp_path, "m", 1, max_rows=1000)
    assert again.frame.equals(got.frame)
    other = predlog.read_window(tmp_path, "m", 1, max_rows=1000, seed=1)
    assert not other.frame["x"].equals(got.frame["x"])
    assert set(got.frame["x"]) <= set(full.frame["x"])
    window = predlog.read_window(tmp_path, "m", 1, start=stamps[1000], end=stamps[2000],
                                 max_rows=10)
    assert len(window.frame) <= 10 and window.rows_seen == 1000 and window.sampled
    assert window.frame[predlog.TS].between(stamps[1000], stamps[1999]).all()
    with pytest.raises(ValueError):
        predlog.read_window(tmp_path, "m", 1, max_rows=0)
