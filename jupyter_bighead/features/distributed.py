"""Feature materialization on a Dask cluster: the same engine, one entity partition each.

For a parquet source (a file or a folder) the events and the spine are split into
``P`` partitions by a stable hash of the entity (:func:`entity_buckets`, the same on
every machine, unlike Python's salted ``hash``):

1. each *input* part (a run of row groups of one file, about :data:`INPUT_ROWS` rows) is
   read on a worker, only the columns needed, and cut into ``P`` pieces by bucket;
2. partition ``p`` concatenates its pieces in source order (so ties between an
   entity's events keep their source row order), converts the columns exactly as the
   single-process reader does, and runs :mod:`.compute` (the single-process engine) on
   them and on the spine rows of bucket ``p``;
3. the client puts each partition's values back in spine order.

All events of an entity land in one partition and the engine treats entities
independently (window sums restart at each entity's first event, so a float sum does
not depend on the other entities a partition holds), so the values are those of one
process: same dtypes, same order, bit for bit.

No step collects the events on the client: it reads only parquet footers. A partition
must fit in a worker's memory (pick more ``partitions``); Dask spills finished pieces
to disk under memory pressure. Other sources (CSV, SQL, third-party readers) are
computed in this process as before. Every file must be readable at the same path by the
client and the workers.
"""

from __future__ import annotations

import contextlib
import math
import operator
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..cluster import ClusterSetting, open_client, resolve
from ..errors import InvalidSpec
from .compute import base_columns, compute_columns, prepare_events
from .sources import _missing, _parquet_files, _to_series
from .spec import EventSource, Feature

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from distributed import Client, Future

__all__ = ["INPUT_ROWS", "PARTITION_ROWS", "ClusterRun", "entity_buckets"]

INPUT_ROWS = 1_000_000
"""Events per input part (whole row groups, so a part may hold more)."""

PARTITION_ROWS = 4_000_000
"""Events per entity partition aimed at by the default partition count."""

MAX_PARTITIONS = 4096


def entity_buckets(entity: pd.Series, buckets: int) -> np.ndarray:
    """The partition (``0 <= b < buckets``) of each entity id, the same in every process.

    Ids that the engine matches to each other get the same bucket: numbers hash by their
    float64 value (an ``int64`` 7 in the spine and a ``float64`` 7.0 in events whose ids
    have nulls), everything else by its value as an object (strings by their text).
    """
    import pandas as pd

    dtype = entity.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        values: np.ndarray = entity.to_numpy(dtype=np.float64, na_value=np.nan) + 0.0  # -0.0
    else:
        values = entity.to_numpy(dtype=object)
    hashed = pd.util.hash_array(values, categorize=False)
    return (hashed % np.uint64(buckets)).astype(np.int64)


def _split(
    path: str, groups: list[int], columns: list[str], entity: str, buckets: int
) -> list[pa.Table]:
    """Read row groups ``groups`` of one file and cut them into ``buckets`` tables."""
    import pyarrow.parquet as pq

    table = pq.ParquetFile(path).read_row_groups(groups, columns=columns, use_threads=False)
    codes = entity_buckets(_to_series(table.column(entity)), buckets)
    order = np.argsort(codes, kind="stable")
    edges = np.zeros(buckets + 1, dtype=np.int64)
    np.cumsum(np.bincount(codes, minlength=buckets), out=edges[1:])
    # take() copies each piece into buffers of its own: a slice would ship the whole table
    return [table.take(order[edges[b] : edges[b + 1]]) for b in range(buckets)]


def _run_partition(
    pieces: list[pa.Table],
    spine: list[Any],
    source: EventSource,
    features: list[Feature],
    zone: str,
    what: str,
    entity_what: str,
) -> list[Any]:
    """The engine on one partition: its events (pieces in source order) and its spine
    rows ``[entity ids, query times in ns]``."""
    import pyarrow as pa

    ents, t_ns = spine
    table = pa.concat_tables(pieces, promote_options="default")
    del pieces
    data = {name: _to_series(table.column(name)) for name in table.column_names}
    del table
    prep = prepare_events(source, data, features)
    data.clear()
    return list(compute_columns(prep, features, ents, t_ns, zone, what, entity_what))


def _input_parts(
    source: EventSource, columns: list[str]
) -> tuple[list[tuple[str, list[int]]], int]:
    """``(file, row groups)`` per input part, in the single-process reader's row order,
    and the number of rows; reads only the files' footers.

    Raises
    ------
    InvalidSpec
        If a wanted column is missing (the same message as the reader's).
    """
    import pyarrow.parquet as pq

    path = Path(str(source.path))
    folder = source.kind == "parquet_dir"
    files = sorted(_parquet_files(path, source)) if folder else [path]
    parts: list[tuple[str, list[int]]] = []
    rows = 0
    try:
        for i, file in enumerate(files):
            meta = pq.read_metadata(file)
            if i == 0:
                names = list(meta.schema.to_arrow_schema().names)
                where = f"folder {str(path)!r}" if folder else f"file {str(path)!r}"
                _missing(source, names, columns, where)
            run: list[int] = []
            run_rows = 0
            for g in range(meta.num_row_groups):
                run.append(g)
                run_rows += meta.row_group(g).num_rows
                if run_rows >= INPUT_ROWS:
                    parts.append((str(file), run))
                    run, run_rows = [], 0
            if run or not parts or parts[-1][0] != str(file):
                parts.append((str(file), run))
            rows += meta.num_rows
    except (OSError, ValueError) as exc:
        if isinstance(exc, InvalidSpec):
            raise
        raise InvalidSpec(f"source {source.name!r}: cannot read {str(path)!r}: {exc}") from exc
    return parts, rows


def _concat(parts: list[Any]) -> Any:
    if all(isinstance(p, np.ndarray) for p in parts):
        return np.concatenate(parts)
    import pandas as pd

    return pd.concat([pd.Series(p, copy=False) for p in parts], ignore_index=True).array


def _in_dask_worker() -> bool:
    from distributed import get_worker

    try:
        get_worker()
    except ValueError:
        return False
    return True


def _show_progress(client: Client, futures: list[Future]) -> None:
    """Dask's progress bar: a widget in a notebook (shown at once), else text that ends
    when the partitions are done."""
    from distributed.diagnostics.progressbar import progress

    bar = progress(futures, scheduler=client.scheduler_info()["address"])
    if bar is not None:  # a widget: a notebook shows only what is displayed
        from IPython.display import display

        display(bar)


class ClusterRun:
    """The cluster side of one :meth:`.FeatureRepo.materialize` call.

    Built at the start of the call (a bad setting or ``partitions`` fails at once); the
    client is opened on first use and closed by :meth:`close`.

    Raises
    ------
    InvalidSpec
        On a bad cluster setting or a ``partitions`` that is not a positive integer.
    """

    def __init__(self, cluster: Any, *, partitions: int | None = None, verbose: bool = False):
        self.setting: ClusterSetting = resolve(cluster)
        if self.setting.distributed and self.setting.source == "env" and _in_dask_worker():
            # code already running on a worker (a scoring chunk, a pipeline's lookup)
            # inherits $BIGHEAD_DASK: it computes in place rather than nest a cluster
            self.setting = ClusterSetting("none", source="env")
        if partitions is not None and (
            isinstance(partitions, bool)
            or not isinstance(partitions, int | np.integer)
            or not 1 <= partitions <= MAX_PARTITIONS
        ):
            raise InvalidSpec(
                f"partitions must be an integer from 1 to {MAX_PARTITIONS}, not {partitions!r}"
            )
        self.partitions = None if partitions is None else int(partitions)
        self.verbose = verbose
        self._stack = contextlib.ExitStack()
        self._client: Client | None = None

    def takes(self, source: EventSource) -> bool:
        """Whether ``source`` is computed on the cluster (parquet sources, when one is set)."""
        return self.setting.distributed and source.kind in ("parquet", "parquet_dir")

    def client(self) -> Client:
        if self._client is None:
            client = self._stack.enter_context(open_client(self.setting))
            assert client is not None  # takes() is False for the "none" setting
            self._client = client
        return self._client

    def close(self) -> None:
        """Close the client (and a cluster) this run opened; a given one is left running."""
        self._client = None
        self._stack.close()

    def compute(
        self,
        source: EventSource,
        features: list[Feature],
        ents: pd.Series,
        t_ns: np.ndarray,
        zone: str,
        what: str,
        entity: str,
        report: Callable[[str], None],
    ) -> list[Any]:
        """Each feature's values for the whole spine, computed partition by partition.

        Raises
        ------
        InvalidSpec, NotFound
            As the single-process engine does (errors raised on workers come back as is).
        Unavailable
            If the cluster's scheduler cannot be reached.
        """
        needed = list(dict.fromkeys(base_columns(source) + [f.column for f in features
                                                             if f.column]))
        inputs, rows = _input_parts(source, needed)
        client = self.client()
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        buckets = self.partitions or min(
            MAX_PARTITIONS, max(n_workers, math.ceil(rows / PARTITION_ROWS))
        )
        spine_bucket = entity_buckets(ents, buckets)
        order = np.argsort(spine_bucket, kind="stable")
        edges = np.zeros(buckets + 1, dtype=np.int64)
        np.cumsum(np.bincount(spine_bucket, minlength=buckets), out=edges[1:])
        # partitions without spine rows need no work; with an empty spine, one runs (dtypes)
        wanted = [b for b in range(buckets) if edges[b + 1] > edges[b]] or [0]
        tag = uuid.uuid4().hex[:8]
        splits = [
            client.submit(_split, path, groups, needed, source.entity, buckets, pure=False,
                          key=f"bighead-split-{tag}-{i}")
            for i, (path, groups) in enumerate(inputs)
        ]
        futures: list[Future] = []
        for b in wanted:
            rows_b = order[edges[b] : edges[b + 1]]
            pieces = [client.submit(operator.getitem, s, b, pure=False) for s in splits]
            # in the task itself, not scattered: a worker that dies (out of memory) takes
            # scattered data with it, while a task can be run again elsewhere
            spine_part = [ents.iloc[rows_b].reset_index(drop=True), t_ns[rows_b]]
            futures.append(client.submit(
                _run_partition, pieces, spine_part, source, features, zone, what,
                f"spine column {entity!r}", pure=False, key=f"bighead-partition-{tag}-{b}",
            ))
        del splits  # each piece keeps its input part alive only until it is taken
        return self._gather(client, futures, wanted, order, edges, len(features), report,
                            source.name)

    def _gather(
        self,
        client: Client,
        futures: list[Future],
        wanted: list[int],
        order: np.ndarray,
        edges: np.ndarray,
        n_features: int,
        report: Callable[[str], None],
        name: str,
    ) -> list[Any]:
        from distributed import as_completed

        if self.verbose:
            _show_progress(client, futures)
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[list[Any] | None] = [None] * len(futures)
        try:
            for done, future in enumerate(as_completed(futures, loop=client.loop), start=1):
                results[index[future.key]] = future.result()
                report(f"source {name!r}: {done}/{len(futures)} partitions")
        except BaseException:
            client.cancel(futures)
            raise
        positions = np.concatenate([order[edges[b] : edges[b + 1]] for b in wanted])
        out: list[Any] = []
        for j in range(n_features):
            combined = _concat([r[j] for r in results if r is not None])
            if isinstance(combined, np.ndarray):
                values = np.empty_like(combined)
                values[positions] = combined
            else:
                inverse = np.empty_like(positions)
                inverse[positions] = np.arange(len(positions))
                values = combined.take(inverse)
            out.append(values)
        return out
