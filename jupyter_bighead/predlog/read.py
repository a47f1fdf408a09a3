"""The read side of prediction logs: a time window of logged rows, bounded and robust.

:func:`read_window` reads the parts of ``<root>/<model>/<version>/date=YYYY-MM-DD/``
whose day can hold rows of the window, one part at a time:

- a part that cannot be read (truncated, not parquet, without a time column) is
  skipped, counted in :attr:`LogWindow.skipped` with the reason and logged as a
  warning: one bad file never hides the rest of the log;
- with ``max_rows``, at most that many rows are kept: when the parts' row counts
  (read from their footers, without their data) exceed it, each row of the window is
  kept with probability ``max_rows / rows`` (a Bernoulli draw from a generator seeded
  by ``seed`` and the part's path, so the same log gives the same sample), and a
  seeded cut removes any excess. :attr:`LogWindow.sampled` says so. Memory is then
  bounded by ``max_rows`` rows plus one part.

:func:`read_predictions` is the plain DataFrame of :func:`read_window`.
"""

from __future__ import annotations

import logging
import os
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

log = logging.getLogger("jupyter_bighead.predlog")

REQUEST_ID, TS, ENTITY, SCORE = "_request_id", "_ts", "_entity", "_score"
META_COLUMNS = (REQUEST_ID, TS, ENTITY, SCORE)
_DATE_DIR = re.compile(r"date=(\d{4}-\d{2}-\d{2})")

__all__ = ["ENTITY", "META_COLUMNS", "REQUEST_ID", "SCORE", "TS", "LogWindow",
           "feature_columns", "read_predictions", "read_window"]


@dataclass(frozen=True)
class LogWindow:
    """A window of logged rows: ``frame`` (sorted by time), the ``parts`` read, the
    ``skipped`` parts (``"<version>/date=.../part-....parquet: <why>"``), ``rows_seen``
    (rows in the window among the parts read, before any sampling) and whether the rows
    were ``sampled`` down to ``max_rows``."""

    frame: Any
    parts: int
    skipped: tuple[str, ...]
    rows_seen: int
    sampled: bool
    max_rows: int | None


def _as_utc(value: Any) -> datetime | None:
    if value is None:
        return None
    import pandas as pd

    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.to_pydatetime()


def _parts(root: Path, model: str, version: int | str | None, lo: datetime | None,
           hi: datetime | None) -> list[tuple[str, Path]]:
    base = root / str(model)
    versions = [base / str(version)] if version is not None else sorted(
        p for p in base.glob("*") if p.is_dir())
    out: list[tuple[str, Path]] = []
    for vdir in versions:
        for ddir in sorted(vdir.glob("date=*")):
            m = _DATE_DIR.fullmatch(ddir.name)
            if not m:
                continue
            day = datetime.strptime(m.group(1), "%Y-%m-%d").replace(tzinfo=UTC)
            if (hi is not None and day >= hi) or (lo is not None and day + timedelta(days=1) <= lo):
                continue
            out.extend((vdir.name, part) for part in sorted(ddir.glob("part-*.parquet")))
    return out


def read_window(root: str | os.PathLike[str], model: str, version: int | str | None = None,
                *, start: Any = None, end: Any = None, max_rows: int | None = None,
                seed: int = 0) -> LogWindow:
    """The logged rows of ``model`` (one ``version``, or all) with ``start <= ts < end``
    (either bound may be ``None``; naive times are UTC), at most about ``max_rows`` of
    them (see the module), sorted by time, with a ``_version`` column. Only the date
    partitions that can hold such rows are read; parts being written are not seen;
    unreadable parts are skipped and named. An empty frame (with the reserved columns)
    when nothing was logged.

    Raises ``ValueError`` for a ``max_rows`` below 1."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    if max_rows is not None and int(max_rows) < 1:
        raise ValueError("max_rows must be at least 1")
    lo, hi = _as_utc(start), _as_utc(end)
    found = _parts(Path(root), model, version, lo, hi)
    skipped: list[str] = []
    counts: list[int] = []
    readable: list[tuple[str, Path]] = []
    for vname, part in found:  # the footers only: how many rows there are to sample from
        try:
            counts.append(int(pq.read_metadata(part).num_rows))
            readable.append((vname, part))
        except (OSError, ValueError, pa.ArrowException) as exc:
            skipped.append(_why(vname, part, exc))
    total = sum(counts)
    share = 1.0 if max_rows is None or total <= max_rows else max_rows / total
    frames = []
    seen = 0
    for vname, part in readable:
        try:
            table = pq.read_table(part)
            stamps = pd.to_datetime(table.column(TS).to_pandas(), utc=True)
            keep = np.ones(len(stamps), dtype=bool)
            if lo is not None:
                keep &= (stamps >= lo).to_numpy()
            if hi is not None:
                keep &= (stamps < hi).to_numpy()
            seen += int(keep.sum())
            if share < 1.0:
                rng = np.random.default_rng([seed, zlib.crc32(f"{vname}/{part.name}".encode())])
                keep &= rng.random(len(keep)) < share
            # ints with nulls stay ints (an entity id read back as 7.0 would not match 7)
            frame = table.filter(pa.array(keep)).to_pandas(integer_object_nulls=True)
        except (OSError, ValueError, KeyError, TypeError, pa.ArrowException) as exc:
            skipped.append(_why(vname, part, exc))
            continue
        frame.insert(0, "_version", vname)
        frames.append(frame)
    if skipped:
        log.warning("prediction log of %s: skipped %d unreadable part(s), e.g. %s",
                    model, len(skipped), skipped[0])
    if not frames:
        empty = pd.DataFrame({c: [] for c in ("_version", *META_COLUMNS)})
        return LogWindow(empty, len(readable), tuple(skipped), seen, False, max_rows)
    data = pd.concat(frames, ignore_index=True)
    data[TS] = pd.to_datetime(data[TS], utc=True)
    sampled = share < 1.0
    if max_rows is not None and len(data) > max_rows:  # the draw's excess: a seeded cut
        rng = np.random.default_rng(seed)
        data = data.iloc[np.sort(rng.choice(len(data), size=max_rows, replace=False))]
        sampled = True
    data = data.sort_values(TS, kind="stable").reset_index(drop=True)
    return LogWindow(data, len(readable), tuple(skipped), seen, sampled, max_rows)


def _why(version: str, part: Path, exc: BaseException) -> str:
    return f"{version}/{part.parent.name}/{part.name}: {type(exc).__name__}: {exc}"[:300]


def read_predictions(root: str | os.PathLike[str], model: str, version: int | str | None = None,
                     *, start: Any = None, end: Any = None, max_rows: int | None = None,
                     seed: int = 0) -> Any:
    """The DataFrame of :func:`read_window` (unreadable parts skipped, with a warning
    in the log)."""
    return read_window(root, model, version, start=start, end=end, max_rows=max_rows,
                       seed=seed).frame


def feature_columns(frame: Any) -> list[str]:
    """The feature columns of a frame :func:`read_predictions` returned."""
    return [c for c in frame.columns if c not in META_COLUMNS and c != "_version"]
