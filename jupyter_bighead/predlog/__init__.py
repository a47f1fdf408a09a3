"""Prediction logs: what a served version was asked and what it answered.

:class:`PredictionLog` takes batches of request features and scores from the serving
path and writes them, from one background thread, as parquet files partitioned by UTC
date::

    <root>/<model>/<version>/date=YYYY-MM-DD/part-<ns>-<uid>.parquet

Each part is written to a hidden temporary file and renamed into place, so a reader
sees whole parts only. :meth:`PredictionLog.log` never blocks beyond a sampling draw, a
rate check and an append to a bounded queue, and never raises for I/O: when the queue
is full or over the rate cap the batch is dropped and counted, and a write that fails
(full disk, unwritable folder) is counted, logged and remembered in :meth:`stats`,
which the model server reports in ``/metrics``.

Rows carry the reserved columns :data:`META_COLUMNS` (request id, timestamp, entity,
score) next to the feature columns, which keep their names; a feature may therefore
not be named like a reserved column. :func:`read_predictions` loads a time window
(:mod:`.read`: the read side, re-exported here).
"""

from __future__ import annotations

import atexit
import logging
import os
import random
import re
import threading
import time
import uuid
import weakref
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._io import atomic_write_bytes
from ..errors import InvalidSpec
from .read import (
    ENTITY,
    META_COLUMNS,
    REQUEST_ID,
    SCORE,
    TS,
    LogWindow,
    feature_columns,
    read_predictions,
    read_window,
)

log = logging.getLogger("jupyter_bighead.predlog")

__all__ = ["ENTITY", "META_COLUMNS", "REQUEST_ID", "SCORE", "TS", "LogWindow", "PredictionLog",
           "feature_columns", "looked_up_features", "read_predictions", "read_window"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


#: One queued request: (rows, scores, request_ids, entity, timestamps, time.time()).
_Batch = tuple[Any, Any, Any, Any, Any, float]
_STOP = object()


class PredictionLog:
    """Buffered, sampled, rate-capped parquet log of one model version's predictions.

    Parameters
    ----------
    root
        The folder of all prediction logs (e.g. ``<home>/predictions``).
    model, version
        Whose predictions these are.
    columns
        The feature names of rows given as lists (a DataFrame or dicts name their own).
    sample_rate
        The share of :meth:`log` calls kept (a call is one request: its rows are kept
        or dropped together).
    max_rows_per_second
        A cap on logged rows per second (a token bucket holding one second's worth);
        rows over it are dropped and counted. ``None``: no cap.
    max_queue
        About how many requests may wait for the writer; one arriving when that many
        wait is dropped and counted.
    flush_rows, flush_seconds
        The writer writes a part when this many rows wait, or this long after the
        oldest waiting one arrived.

    Raises
    ------
    InvalidSpec
        For a bad model name or version, a rate outside ``[0, 1]``, or a column named
        like a reserved column.
    """

    def __init__(self, root: str | os.PathLike[str], model: str, version: int | str, *,
                 columns: Sequence[str] | None = None, sample_rate: float = 1.0,
                 max_rows_per_second: float | None = 10_000.0, max_queue: int = 100_000,
                 flush_rows: int = 50_000, flush_seconds: float = 5.0) -> None:
        if not _NAME.fullmatch(str(model)) or not _NAME.fullmatch(str(version)):
            raise InvalidSpec(f"cannot log predictions of {model!r} version {version!r}")
        if not 0.0 <= sample_rate <= 1.0:
            raise InvalidSpec(f"sample_rate must be in [0, 1], not {sample_rate!r}")
        if max_rows_per_second is not None and max_rows_per_second <= 0:
            raise InvalidSpec("max_rows_per_second must be positive (or None)")
        _check_columns(columns)
        # The writer's imports, here rather than in the writer: a process that exits
        # while the writer is still importing pandas would refuse its atexit hooks.
        import pandas  # noqa: F401
        import pyarrow.parquet  # noqa: F401

        self.folder = Path(root) / str(model) / str(version)
        self.model, self.version = str(model), str(version)
        self.columns = list(columns) if columns is not None else None
        self.sample_rate = float(sample_rate)
        self.max_rows_per_second = max_rows_per_second
        self.max_queue = int(max_queue)
        self.flush_rows, self.flush_seconds = int(flush_rows), float(flush_seconds)
        # A deque: append and popleft are atomic and far cheaper than queue.Queue's
        # condition variable; the writer polls it (and is woken early by flush/close).
        self._queue: deque[Any] = deque()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._tokens = float(max_rows_per_second or 0.0)
        self._refilled = time.monotonic()
        self._counts = {"logged": 0, "written": 0, "sampled_out": 0, "rate_limited": 0,
                        "dropped_full": 0, "write_errors": 0, "parts": 0}
        self._prefix = uuid.uuid4().hex[:16]  # default request ids: <prefix>-<row number>
        self._seq = 0
        self.last_error: str | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"predlog-{model}-{version}",
                                        daemon=True)
        self._thread.start()
        # Rows still waiting when the process exits normally are written (a weak
        # reference: an unused log can still be collected).
        atexit.register(_close_at_exit, weakref.ref(self))

    # -- the caller's side: cheap, never raises for I/O ------------------------------
    def log(self, rows: Any, scores: Any, request_ids: Any = None, entity: Any = None,
            timestamps: Any = None) -> bool:
        """Queue one request's ``rows`` (a DataFrame, row lists or a 2-D array in
        ``columns`` order, or dicts) with their ``scores``. ``request_ids`` (one per
        row, or one string for all rows: suffixed ``-<row>`` when there are several;
        default: the log's random prefix and a row number), ``entity`` (one per row)
        and ``timestamps`` (one per row, default now) are optional. Returns whether the
        batch was queued; a dropped one is counted in :meth:`stats`. The objects are
        kept until written: do not change them afterwards.
        """
        if self._closed:
            return False
        n = len(rows)
        if n == 0:
            return True
        if self.sample_rate < 1.0 and random.random() >= self.sample_rate:
            self._count("sampled_out", n)
            return False
        if self.max_rows_per_second is not None:
            with self._lock:
                tick = time.monotonic()
                cap = self.max_rows_per_second
                self._tokens = min(cap, self._tokens + (tick - self._refilled) * cap)
                self._refilled = tick
                if n > self._tokens:
                    self._counts["rate_limited"] += n
                    return False
                self._tokens -= n
        if len(self._queue) >= self.max_queue:
            self._count("dropped_full", n)
            return False
        self._queue.append((rows, scores, request_ids, entity, timestamps, time.time()))
        return True

    def _count(self, key: str, n: int) -> None:
        with self._lock:
            self._counts[key] += n

    def stats(self) -> dict[str, Any]:
        """Row counts (logged: taken by the writer, written, sampled_out, rate_limited,
        dropped_full), write_errors, parts written, and the last write error (``None``
        if none)."""
        with self._lock:
            return {**self._counts, "last_error": self.last_error}

    def prometheus(self) -> list[str]:
        """The counters of :meth:`stats` as Prometheus exposition lines (for a model
        server's ``/metrics``): ``bighead_prediction_log_rows_total`` by outcome and
        ``bighead_prediction_log_write_errors_total``."""
        stats = self.stats()
        who = f'model="{_label(self.model)}",version="{_label(self.version)}"'
        lines = ["# HELP bighead_prediction_log_rows_total Prediction-log rows by outcome.",
                 "# TYPE bighead_prediction_log_rows_total counter"]
        lines += [f'bighead_prediction_log_rows_total{{{who},outcome="{key}"}} {stats[key]}'
                  for key in ("logged", "written", "sampled_out", "rate_limited",
                              "dropped_full")]
        lines += ["# HELP bighead_prediction_log_write_errors_total Prediction-log parts "
                  "that could not be written (full disk, unwritable folder).",
                  "# TYPE bighead_prediction_log_write_errors_total counter",
                  f"bighead_prediction_log_write_errors_total{{{who}}} {stats['write_errors']}"]
        return lines

    def flush(self, timeout: float = 30.0) -> bool:
        """Write everything queued before this call; ``False`` on timeout."""
        if not self._thread.is_alive():
            return not self._queue
        done = threading.Event()
        self._queue.append(done)
        self._wake.set()
        return done.wait(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Flush and stop the writer; later :meth:`log` calls are ignored."""
        if self._closed:
            return
        self._closed = True
        self._queue.append(_STOP)
        self._wake.set()
        self._thread.join(timeout)

    def __enter__(self) -> PredictionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the writer thread ------------------------------------------------------------
    def _run(self) -> None:
        pending: list[_Batch] = []
        rows = 0
        oldest = 0.0
        poll = min(0.05, self.flush_seconds)
        while True:
            self._wake.wait(poll)
            self._wake.clear()
            markers: list[Any] = []
            while True:
                try:
                    item = self._queue.popleft()
                except IndexError:
                    break
                if isinstance(item, tuple):
                    if not pending:
                        oldest = time.monotonic()
                    pending.append(item)
                    rows += len(item[0])
                    continue
                markers.append(item)
                break  # write what came before the marker first
            if pending and (markers or rows >= self.flush_rows
                            or time.monotonic() - oldest >= self.flush_seconds):
                self._write(pending)
                pending, rows = [], 0
            for marker in markers:
                if marker is _STOP:
                    return
                marker.set()
            if markers:
                self._wake.set()  # more may wait behind the marker

    def _write(self, batches: list[_Batch]) -> None:
        if not batches:
            return
        with self._lock:
            self._counts["logged"] += sum(len(b[0]) for b in batches)
        import numpy as np

        simple: list[_Batch] = []
        matrices: list[_Batch] = []
        other: list[_Batch] = []
        lists = self.columns is not None
        for b in batches:  # row lists or matrices, default times, no single string id:
            if lists and b[4] is None and not isinstance(b[2], str):  # serving's
                if type(b[0]) is list and not isinstance(b[0][0], dict):
                    simple.append(b)
                    continue
                if isinstance(b[0], np.ndarray) and b[0].ndim == 2:
                    matrices.append(b)
                    continue
            other.append(b)
        tables: list[Any] = []
        if simple:
            tables += self._rows_table(simple)
        if matrices:
            tables += self._rows_table(matrices, matrix=True)
        frames: list[Any] = []
        for b in other:  # a batch that does not fit is dropped alone
            try:
                frames.append(self._batch_frame(b))
            except Exception as exc:
                self._failed(len(b[0]), exc)
        if frames:
            import pandas as pd
            import pyarrow as pa

            frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
            try:
                tables.append(pa.Table.from_pandas(frame, preserve_index=False))
            except Exception as exc:
                self._failed(len(frame), exc)
        for table in tables:
            try:
                self._write_days(table)
            except Exception as exc:  # never into the caller; counted and reported
                self._failed(table.num_rows, exc)
                continue
            self._count("written", table.num_rows)

    def _write_days(self, table: Any) -> None:
        """One part per UTC day of the rows' timestamps."""
        import numpy as np

        micros = table.column(TS).cast("int64").to_numpy(zero_copy_only=False)
        days = micros // 86_400_000_000
        for day in np.unique(days):
            part = table if days[0] == days[-1] == day else table.take(
                np.flatnonzero(days == day))
            stamp = np.datetime64(int(day), "D").astype(str)
            self._write_part(stamp, part)

    def _failed(self, n: int, exc: Exception) -> None:
        with self._lock:
            self._counts["write_errors"] += 1
            self.last_error = f"{type(exc).__name__}: {exc}"
        log.warning("prediction log of %s v%s: %d rows not written: %s",
                    self.model, self.version, n, self.last_error)

    def _write_part(self, day: str, table: Any) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        name = f"part-{time.time_ns()}-{uuid.uuid4().hex[:8]}.parquet"
        atomic_write_bytes(self.folder / f"date={day}" / name, sink.getvalue().to_pybytes(),
                           durable=False)
        self._count("parts", 1)

    # -- turning batches into frames (writer thread only) -------------------------------
    def _ids(self, n: int) -> list[str]:
        first, self._seq = self._seq, self._seq + n
        return [f"{self._prefix}-{i}" for i in range(first, first + n)]

    def _rows_table(self, batches: list[_Batch], matrix: bool = False) -> list[Any]:
        """Many requests' row lists (or, with ``matrix``, 2-D arrays) as one Arrow
        table (a batch that does not fit is dropped alone). Per request this only checks
        lengths; each column is built once for all of them, in C (no pandas here)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        assert self.columns is not None
        width = len(self.columns)
        rows: list[Any] = []
        scores: list[Any] = []
        ids: list[Any] = []  # per batch: its ids, or how many to make
        entity: list[Any] = []
        nows: list[float] = []
        counts: list[int] = []
        any_ids = any_entity = False
        if matrix and _plain_matrices(batches, width):  # serving's: one pass per field
            rows = [b[0] for b in batches]
            counts = [len(m) for m in rows]
            scores = [b[1] for b in batches]
            nows = [b[5] for b in batches]
            batches = []  # checked: nothing left for the loop below
        for b in batches:
            got, score, rid, ent, _stamps, now = b
            n = len(got)
            try:
                if len(score) != n or (rid is not None and len(rid) != n) or (
                        ent is not None and len(ent) != n):
                    raise InvalidSpec(f"{n} rows with {len(score)} scores, "
                                      f"{'no' if rid is None else len(rid)} ids, "
                                      f"{'no' if ent is None else len(ent)} entities")
                if (got.shape[1] != width) if matrix else (len(got[0]) != width) if n == 1 \
                        else any(len(r) != width for r in got):
                    raise InvalidSpec(f"a row without the log's {width} columns")
            except Exception as exc:
                self._failed(n, exc)
                continue
            any_ids = any_ids or rid is not None
            any_entity = any_entity or ent is not None
            if matrix:
                rows.append(got)
            else:
                rows.extend(got)
            scores.append(score)
            ids.append(rid if rid is not None else n)
            entity.append(ent if ent is not None else n)
            nows.append(now)
            counts.append(n)
        total = sum(counts)
        if not total:
            return []
        try:
            if matrix:  # one concatenation; each column a contiguous copy (NaN: null)
                X = np.concatenate(rows) if len(rows) > 1 else rows[0]
                columns: Any = np.ascontiguousarray(X.T)
            else:
                columns = zip(*rows, strict=True)
            data = {name: pa.array(col, from_pandas=True)
                    for name, col in zip(self.columns, columns, strict=True)}
            if any_ids:
                data[REQUEST_ID] = pa.array([str(i) for part in ids for i in (
                    self._ids(part) if isinstance(part, int) else part)], pa.string())
            else:
                first, self._seq = self._seq, self._seq + total
                data[REQUEST_ID] = pc.binary_join_element_wise(
                    pa.scalar(self._prefix), pc.cast(pa.array(np.arange(first, first + total)),
                                                     pa.string()), "-")
            micros = (np.repeat(np.asarray(nows), counts) * 1e6).astype(np.int64)
            data[TS] = pa.array(micros, pa.timestamp("us", tz="UTC"))
            data[ENTITY] = pa.array([e for part in entity for e in (
                [None] * part if isinstance(part, int) else part)], from_pandas=True) \
                if any_entity else pa.nulls(total)
            try:  # 1-d arrays or lists: one C loop
                joined = np.concatenate(scores)
            except ValueError:  # mixed shapes, e.g. (n, 1) arrays
                joined = np.concatenate([np.ravel(s) for s in scores])
            data[SCORE] = pa.array(joined.astype(np.float64).reshape(-1))
            return [pa.table(data)]
        except Exception as exc:  # e.g. a column mixing numbers and text
            self._failed(total, exc)
            return []

    def _batch_frame(self, b: _Batch) -> Any:
        """One batch of another kind (a DataFrame, dicts, own times) as a DataFrame.

        Raises ``InvalidSpec`` when its parts do not fit together."""
        import pandas as pd

        rows, scores, request_ids, entity, timestamps, now = b
        n = len(rows)
        if isinstance(rows, pd.DataFrame):
            features = rows.reset_index(drop=True).copy()
            features.columns = [str(c) for c in features.columns]
        elif isinstance(rows[0], dict):
            features = pd.DataFrame.from_records(list(rows))
        else:
            if self.columns is None:
                raise InvalidSpec("rows given as lists need the log's columns")
            features = pd.DataFrame.from_records(list(rows), columns=list(self.columns))
        _check_columns(list(features.columns))
        if request_ids is None:
            ids = self._ids(n)
        elif isinstance(request_ids, str):
            ids = [request_ids if n == 1 else f"{request_ids}-{i}" for i in range(n)]
        else:
            ids = [str(i) for i in _per_row(request_ids, n, "request ids")]
        if timestamps is None:
            ts = pd.Series(pd.Timestamp(now, unit="s", tz="UTC"), index=range(n))
        else:
            ts = pd.to_datetime(pd.Series(_per_row(timestamps, n, "timestamps")), utc=True)
        features[REQUEST_ID] = ids
        features[TS] = ts.reset_index(drop=True).dt.as_unit("us")
        features[ENTITY] = None if entity is None else _per_row(entity, n, "entities")
        features[SCORE] = pd.Series(_per_row(scores, n, "scores"), dtype="float64").to_numpy()
        return features


def _plain_matrices(batches: list[_Batch], width: int) -> bool:
    """Whether every batch is a ``width``-column matrix with one score per row and no
    ids or entities (the model server's), checked a field at a time."""
    return (all(b[2] is None and b[3] is None for b in batches)
            and {b[0].shape[1] for b in batches} == {width}
            and [len(b[1]) for b in batches] == [len(b[0]) for b in batches])


def looked_up_features(model: Any, fields: Sequence[str] = ()) -> tuple[str, ...]:
    """The features a fitted pipeline looks up (its steps' ``feature_columns_``, e.g.
    a ``FeatureLookup``'s) that reach its learner, other than ``fields`` (the request's
    columns) and the reserved columns: what a log holds beside a request's columns, and
    what a reference profile should hold too. ``()`` for any other model."""
    steps = getattr(model, "steps", None)
    learner_inputs = getattr(model, "feature_names_out_", None)
    if getattr(model, "learner", None) is None or not steps or learner_inputs is None:
        return ()
    reaching = {str(c) for c in learner_inputs}
    skip = {*map(str, fields), *META_COLUMNS}
    names = [str(c) for step in steps for c in (getattr(step, "feature_columns_", None) or ())]
    return tuple(dict.fromkeys(n for n in names if n in reaching and n not in skip))


def _close_at_exit(ref: weakref.ref[PredictionLog]) -> None:
    log = ref()
    if log is not None:
        log.close(timeout=10.0)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _check_columns(columns: Sequence[str] | None) -> None:
    if columns is not None:
        clash = sorted(set(map(str, columns)) & set(META_COLUMNS))
        if clash:
            raise InvalidSpec(f"feature columns may not be named {clash}: reserved for the log")


def _per_row(value: Any, n: int, what: str) -> list[Any]:
    values = list(value)
    if len(values) != n:
        raise InvalidSpec(f"{len(values)} {what} for {n} rows")
    return values
