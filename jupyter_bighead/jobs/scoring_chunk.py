"""The per-chunk half of batch scoring, shared by the single-process scorer
(:mod:`.scoring`) and the Dask one (:mod:`.scoring_dask`): finding the input's parquet
files, reading them in chunks, and turning one chunk into its scored rows.

Both scorers call :meth:`ChunkScorer.score` on every chunk, so a row's prediction is
the same whichever of them scored it (each row's prediction and feature lookup depends
on that row only).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Conflict, InvalidSpec
from ..models.predict import predict_frame
from ..refs import parse_feature_ref, reading_stored_refs

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ChunkScorer",
    "check_replaceable",
    "chunk_table",
    "data_format",
    "parquet_files",
    "part_name",
    "read_chunks",
    "remove_output",
]

_PARQUET = (".parquet", ".pq")
_PART = re.compile(r"part-\d{6}\.parquet")


def part_name(index: int) -> str:
    """The file name of a scored dataset's ``index``-th part (name order = row order)."""
    return f"part-{index:06d}.parquet"


def check_replaceable(target: Path) -> None:
    """Check that ``force`` may replace ``target``: a file, or a folder holding only the
    parts a Dask scorer writes (never any other folder).

    Raises
    ------
    Conflict
        If ``target`` is a folder with anything else in it.
    """
    if target.is_dir() and not target.is_symlink():
        other = [p.name for p in target.iterdir() if not _PART.fullmatch(p.name)]
        if other:
            raise Conflict(f"{target} is a folder but not a scored dataset (it holds "
                           f"{sorted(other)[:3]}); remove it yourself")


def remove_output(path: Path) -> None:
    """Remove a replaced output: a file, or a scored dataset's folder."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def data_format(path: Path) -> str:
    """``"parquet"`` or ``"csv"`` from ``path``'s suffix.

    Raises
    ------
    InvalidSpec
        For any other suffix.
    """
    suffix = path.suffix.lower()
    if suffix in _PARQUET:
        return "parquet"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise InvalidSpec(f"{path.name}: use a .parquet or .csv file")


def parquet_files(folder: Path) -> list[Path]:
    """The parquet files of a partitioned dataset ``folder``, in dataset order.

    That order is the sorted relative paths, as pyarrow and Dask read a folder. Hidden
    and bookkeeping files (``.x``, ``_SUCCESS``, ``_metadata``) and symbolic links are
    left out. Folder names such as ``day=1`` are not turned into columns.

    Raises
    ------
    InvalidSpec
        If the folder holds no parquet file.
    """
    found = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if any(part.startswith((".", "_")) for part in rel.parts):
            continue
        if path.suffix.lower() in _PARQUET and path.is_file() and not path.is_symlink():
            found.append(rel)
    if not found:
        raise InvalidSpec(f"{folder} holds no .parquet file")
    return [folder / rel for rel in sorted(found, key=lambda r: r.parts)]


def chunk_table(out: pd.DataFrame, schema: Any = None) -> Any:
    """A scored chunk as an arrow table with ``schema``, the first chunk's (``None``:
    its own).

    pandas infers each chunk's arrow types from its values (a text column with only
    nulls in one chunk is of type null), so a chunk may need converting to the first
    chunk's types; both scorers convert exactly so.

    Raises
    ------
    InvalidSpec
        If the chunk has other columns, or values the first chunk's types cannot hold.
    """
    import pyarrow as pa

    table = pa.Table.from_pandas(out, preserve_index=False)
    if schema is None or table.schema.equals(schema, check_metadata=False):
        return table
    try:
        return table.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError, TypeError) as exc:
        raise InvalidSpec(f"a scored chunk's columns or dtypes differ from the first "
                          f"chunk's and cannot be converted ({exc}); make the input's "
                          f"dtypes agree across its files") from exc


def read_chunks(path: Path, chunk_size: int,
                row_groups: Sequence[int] | None = None) -> Iterator[pd.DataFrame]:
    """``path`` (one parquet or CSV file) as DataFrames of at most ``chunk_size`` rows;
    only ``row_groups`` of a parquet file when given."""
    import pandas as pd

    if data_format(path) == "parquet":
        import pyarrow.parquet as pq

        with pq.ParquetFile(path) as file:
            for batch in file.iter_batches(batch_size=chunk_size, row_groups=row_groups):
                yield batch.to_pandas()
    else:
        yield from pd.read_csv(path, chunksize=chunk_size)


@dataclass(frozen=True)
class ChunkScorer:
    """What scoring one chunk needs besides the model: plain values, so that it travels
    to Dask workers as it is.

    Attributes
    ----------
    inputs
        The model's input columns (its recorded schema).
    features
        The model's stored feature references (``name@N``).
    fetch_features
        Whether to fetch the model's features the chunk lacks from the feature store.
    entity, timestamp
        The chunk's entity and timestamp columns for those lookups (``None``: the
        features' own).
    features_path
        The feature repository's folder (``None``: the Bighead home's).
    """

    inputs: tuple[str, ...]
    features: tuple[str, ...]
    fetch_features: bool = True
    entity: str | None = None
    timestamp: str | None = None
    features_path: str | None = None
    #: Folder of prediction logs (see :mod:`jupyter_bighead.predlog`); ``None``: no log.
    log_root: str | None = None
    log_sample_rate: float = 1.0

    def open_log(self, spec: Any) -> Any:
        """A prediction log for ``spec``'s model version, or ``None`` without one.

        Batch scoring logs every chunk it scored (sampled at ``log_sample_rate``, no rate
        cap) and waits for each to be written, so memory stays one chunk.
        """
        if self.log_root is None:
            return None
        from ..predlog import PredictionLog

        return PredictionLog(self.log_root, spec.name, spec.version, columns=list(self.inputs),
                             sample_rate=self.log_sample_rate, max_rows_per_second=None,
                             max_queue=4)

    def log_chunk(self, log: Any, out: pd.DataFrame, request_id: str) -> None:
        """Log a scored chunk: the model's inputs (after any feature fetch), the score,
        and the entity and timestamp columns when the chunk has them."""
        if log is None or len(out) == 0:
            return
        entity = out[self.entity] if self.entity and self.entity in out.columns else None
        ts = (out[self.timestamp] if self.timestamp and self.timestamp in out.columns
              else None)
        log.log(out[list(self.inputs)], out["prediction"].to_numpy(), request_id,
                entity=entity, timestamps=ts)
        log.flush()

    def score(self, chunk: pd.DataFrame, model: Any,
              spec: Any) -> tuple[pd.DataFrame, tuple[str, ...]]:
        """``chunk``'s columns plus ``prediction``, and the feature references fetched
        for it (empty when the chunk carried the model's columns).

        Raises
        ------
        InvalidSpec
            The chunk lacks the model's columns and they cannot be fetched, or its
            timestamp column is not a date-time.
        """
        fetched: tuple[str, ...] = ()
        absent = [n for n in self.inputs if n not in chunk.columns]
        if absent and self.fetch_features and self.features:
            chunk, fetched = self._fetch(chunk, absent)
        out = chunk.copy()
        out["prediction"] = predict_frame(model, spec, chunk)
        return out, fetched

    def _fetch(self, chunk: pd.DataFrame,
               absent: list[str]) -> tuple[pd.DataFrame, tuple[str, ...]]:
        import pandas as pd

        from ..features import FeatureRepo

        # The features are stored references (the old name@N form): read quietly.
        # A model's column for a stored ref name@N: the feature's name (materialize of name
        # or name:N, FeatureLookup) or, for models trained on the old form's columns,
        # name@N itself.
        names = {r: r if r in absent else parse_feature_ref(r, warn=False).name
                 for r in self.features}
        refs = [r for r in self.features if names[r] in absent]
        if not refs:
            return chunk, ()
        repo = FeatureRepo(self.features_path)
        with reading_stored_refs():
            ts_col = self.timestamp or repo.get(refs[0]).source.timestamp
        if ts_col in chunk.columns and (chunk[ts_col].dtype == object or
                                        pd.api.types.is_string_dtype(chunk[ts_col])):
            # CSV input: timestamps arrive as text.
            try:
                chunk[ts_col] = pd.to_datetime(chunk[ts_col])
            except (ValueError, TypeError) as exc:
                raise InvalidSpec(f"input column {ts_col!r} is not a date-time: "
                                  f"{exc}") from exc
        with reading_stored_refs():
            chunk = repo.materialize(chunk, refs, entity=self.entity,
                                     timestamp=self.timestamp)
        return chunk.rename(columns={r: names[r] for r in refs}), tuple(refs)
