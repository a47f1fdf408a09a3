"""Batch scoring on a Dask cluster (issue #15).

The parquet input (a file or a folder of files) is split into its row groups, one task
each. A worker loads the model from the registry itself (once per process and version;
the client never pickles it), reads its row group in chunks and scores every chunk with
:meth:`.ChunkScorer.score`, the code the single-process scorer runs, then writes one
part file. The parts go to a fresh hidden folder beside the output, which is renamed
into place only when every task succeeded; on any failure the folder is removed after
the other tasks finished, so no partial output is ever visible.

The output is a folder of ``part-NNNNNN.parquet`` files; read in name order (as
``pandas.read_parquet`` and Dask read a folder), their rows are the single-process
scorer's output, same columns, dtypes, values and order.

The workers must see the input, the output's folder, the registry and the feature
repository at the same paths (true for a ``LocalCluster``; a remote cluster needs
shared storage). A registry that needs ``store_options`` (e.g. a password not in its
URI) cannot be opened on the workers.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .scoring_chunk import (
    ChunkScorer,
    chunk_table,
    parquet_files,
    part_name,
    read_chunks,
    remove_output,
)

if TYPE_CHECKING:
    from ..cluster import ClusterSetting
    from ..registry import ModelVersion, Registry

__all__ = ["Part", "first_schema", "partitions", "score_on_cluster", "score_part"]


@dataclass(frozen=True)
class Part:
    """One task: a row group of a parquet file, and the part file it becomes."""

    index: int
    path: str
    row_group: int
    rows: int


def partitions(source: Path) -> list[Part]:
    """``source``'s row groups in dataset order (files in sorted path order)."""
    import pyarrow.parquet as pq

    files = parquet_files(source) if source.is_dir() else [source]
    parts: list[Part] = []
    for path in files:
        meta = pq.read_metadata(path)
        for rg in range(meta.num_row_groups):
            parts.append(Part(len(parts), str(path), rg, int(meta.row_group(rg).num_rows)))
    return parts


# ---- on the workers -------------------------------------------------------------------

#: Written into the temporary folder when a task failed: the others stop early.
ABORT = "_abort"

_MODELS: dict[tuple[str, str, str, int], tuple[Any, Any]] = {}
_MODELS_LOCK = threading.Lock()
_MAX_MODELS = 4


def _worker_model(uri: str, artifacts: str, name: str, version: int) -> tuple[Any, Any]:
    """The model and its version record, loaded from the registry once per process."""
    key = (uri, artifacts, name, version)
    with _MODELS_LOCK:
        if key in _MODELS:
            return _MODELS[key]
        from ..registry import Registry

        registry = Registry(uri, artifacts=artifacts, create=False)
        try:
            loaded = (registry.load(name, version), registry.get(name, version))
        finally:
            registry.close()
        if len(_MODELS) >= _MAX_MODELS:
            _MODELS.pop(next(iter(_MODELS)))
        _MODELS[key] = loaded
        return loaded


def first_schema(model_at: tuple[str, str, str, int], scorer: ChunkScorer, path: str,
                 chunk_size: int) -> Any:
    """The arrow schema of the single-process scorer's first chunk: the first
    ``chunk_size`` rows of ``path`` (the first file with rows), scored. Runs on a worker.
    """
    model, mv = _worker_model(*model_at)
    chunk = next(read_chunks(Path(path), chunk_size))
    out, _fetched = scorer.score(chunk, model, mv)
    return chunk_table(out).schema


def score_part(model_at: tuple[str, str, str, int], scorer: ChunkScorer, part: Part,
               chunk_size: int, schema: Any, folder: str) -> tuple[int, tuple[str, ...]]:
    """Score one row group into ``folder``/part-N.parquet with ``schema`` (the first
    chunk's, as the single-process scorer writes every chunk); nothing for no rows.

    Returns the rows written and the feature references fetched. Runs on a worker.
    """
    import pyarrow.parquet as pq

    model, mv = _worker_model(*model_at)
    rows = 0
    fetched: tuple[str, ...] = ()
    writer = None
    log = scorer.open_log(mv)  # each part logs on its worker (its own part files)
    try:
        for number, chunk in enumerate(read_chunks(Path(part.path), chunk_size,
                                                   row_groups=[part.row_group])):
            if (Path(folder) / ABORT).exists():  # another task failed: stop early
                break
            out, got = scorer.score(chunk, model, mv)
            scorer.log_chunk(log, out, f"batch-{Path(folder).name}-{part.index}-{number}")
            fetched = got or fetched
            if writer is None:
                writer = pq.ParquetWriter(Path(folder) / part_name(part.index), schema)
            writer.write_table(chunk_table(out, schema))
            rows += len(out)
    finally:
        if log is not None:
            log.close()
        if writer is not None:
            writer.close()
    return rows, fetched


# ---- on the client --------------------------------------------------------------------

def score_on_cluster(setting: ClusterSetting, registry: Registry, mv: ModelVersion,
                     scorer: ChunkScorer, source: Path, target: Path, *, chunk_size: int,
                     progress: Callable[[int, int | None], None] | None = None,
                     ) -> tuple[int, tuple[str, ...]]:
    """Score ``source``'s row groups on the cluster into the folder ``target``.

    Returns the rows scored and the feature references fetched. ``target`` is replaced
    (the caller checked ``force``) only when every task succeeded.

    Raises
    ------
    InvalidSpec, NotFound, ...
        The error a task raised (e.g. chunks whose dtypes cannot be converted to the
        first chunk's, where the single-process scorer fails too), re-raised here.
    Unavailable
        No scheduler answers at the configured address.
    """
    import pandas as pd

    parts = partitions(source)
    total = sum(p.rows for p in parts)
    model_at = (registry.store.uri, str(registry.artifacts.root), mv.name, mv.version)
    # A fresh folder (mkdir fails on anything already there, a planted link included).
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.partial")
    tmp.mkdir()
    try:
        results = _run(setting, model_at, scorer, parts, chunk_size, str(tmp), total,
                       progress)
        done = sum(rows for rows, _f in results)
        fetched: tuple[str, ...] = ()
        for _rows, got in results:
            fetched = got or fetched
        if done == 0:  # an empty input still gives a well-formed, empty output
            pd.DataFrame({"prediction": pd.Series([], dtype="float64")}).to_parquet(
                tmp / part_name(0))
        _move_into_place(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done, fetched


def _run(setting: ClusterSetting, model_at: tuple[str, str, str, int],
         scorer: ChunkScorer, parts: list[Part], chunk_size: int, folder: str, total: int,
         progress: Callable[[int, int | None], None] | None) -> list[Any]:
    """Every part's result, in part order; the first task error after all finished."""
    from distributed import as_completed

    from ..cluster import open_client

    with open_client(setting) as client:
        assert client is not None  # the caller scores single-process for "none"
        token = secrets.token_hex(4)
        first = next((p for p in parts if p.rows), None)
        if first is None:
            return []
        # Every chunk is written with the types of the single-process scorer's first
        # chunk; one worker finds them first (the model never comes to the client).
        schema = client.submit(first_schema, model_at, scorer, first.path, chunk_size,
                               key=f"bighead-score-{token}-schema", pure=False).result()
        futures = [client.submit(score_part, model_at, scorer, part, chunk_size, schema,
                                 folder, key=f"bighead-score-{token}-{part.index}",
                                 pure=False)
                   for part in parts if part.rows]
        order = {future.key: i for i, future in enumerate(futures)}
        results: dict[int, Any] = {}
        error: BaseException | None = None
        done = 0
        try:
            for future in as_completed(futures, loop=client.loop):
                index = order[future.key]
                if future.status == "error":
                    error = error or future.exception()
                    continue
                results[index] = future.result()
                done += results[index][0]
                if progress and error is None:
                    progress(done, total)
        except BaseException:
            error = error or RuntimeError("interrupted")
            raise
        finally:
            # Wait for every task, even after a failure (or an interrupt): one still
            # running would otherwise write into the folder while it is being removed.
            # The abort mark makes the others stop at their next chunk. (Cancelling a
            # future does not stop a task that already runs.)
            if error is not None:
                (Path(folder) / ABORT).touch()
            while not all(f.done() for f in futures):
                time.sleep(0.05)
        if error is not None:
            raise error
        return [results[i] for i in range(len(futures))]


def _move_into_place(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target``, replacing what is there (a file or scored folder)."""
    if not (target.exists() or target.is_symlink()):
        os.replace(tmp, target)
        return
    # A folder cannot be renamed over another (non-empty) one: move the old one aside
    # first, then remove it. Between the two renames ``target`` is briefly absent.
    old = target.with_name(f".{target.name}.{secrets.token_hex(6)}.old")
    os.replace(target, old)
    try:
        os.replace(tmp, target)
    except OSError:
        os.replace(old, target)
        raise
    remove_output(old)
