"""Reading event sources and turning timestamps into integer ticks.

A source is read column by column into pandas Series. Timestamps become ``int64``
ticks in a known unit (``unit_ns`` nanoseconds per tick) with a *zone kind*:

- ``"naive"``: a tz-naive datetime column, read as UTC wall time;
- ``"aware"``: a tz-aware datetime column, converted to UTC;
- ``"epoch"``: integer milliseconds since the Unix epoch, which is UTC by definition
  and so compatible with both of the others.

Mixing a naive with an aware datetime (spine against source, or ``ts`` against
``created_at``) raises :class:`~jupyter_bighead.errors.InvalidSpec` naming the columns,
because guessing a zone silently moves events across window bounds.

Each kind of source is read by a :class:`FeatureSource`, found by the source's kind
through :mod:`jupyter_bighead.plugins` (family ``"feature_source"``): the built-ins
``parquet`` (a file or a folder), ``csv`` and ``sql``, and whatever packages declare
under the entry-point group ``jupyter_bighead.feature_sources``.
"""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

import jupyter_bighead.plugins as plugins

from ..errors import InvalidSpec, NotFound
from .spec import EventSource

if TYPE_CHECKING:
    import pandas as pd

NS_PER_MS = 1_000_000
_EDGE = 256 * 1024
_NAT = np.iinfo(np.int64).min
_UNIT_NS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}


@dataclass(frozen=True)
class Ticks:
    """Integer timestamps: ``values[i]`` ticks of ``unit_ns`` ns each, valid where ``valid``."""

    values: np.ndarray
    valid: np.ndarray | None
    unit_ns: int
    zone: str

    def to_unit(self, unit_ns: int) -> np.ndarray:
        """The values in a finer (or equal) unit; ``unit_ns`` must divide ``self.unit_ns``."""
        if unit_ns == self.unit_ns:
            return self.values
        return self.values * (self.unit_ns // unit_ns)


def check_zones(a_zone: str, a_what: str, b_zone: str, b_what: str) -> None:
    """Raise if a tz-naive and a tz-aware timestamp column are combined."""
    if {a_zone, b_zone} == {"naive", "aware"}:
        naive, aware = (a_what, b_what) if a_zone == "naive" else (b_what, a_what)
        raise InvalidSpec(
            f"{naive} is tz-naive but {aware} is tz-aware: localize the naive column "
            "(e.g. .dt.tz_localize('UTC')) or drop the zone of the aware one"
        )


def to_ticks(series: pd.Series, what: str, *, parse_lines: bool = False) -> Ticks:
    """Convert a timestamp column to :class:`Ticks`.

    Accepts datetime64 of any unit (naive or tz-aware) and integers (epoch ms). With
    ``parse_lines`` (CSV sources), strings are parsed as ISO 8601 and a bad value is
    reported with its file line number.

    Raises
    ------
    InvalidSpec
        If the column has another type, or (CSV) a value does not parse.
    """
    import pandas as pd

    dtype = series.dtype
    if parse_lines and (dtype.kind == "O" or pd.api.types.is_string_dtype(dtype)):
        parsed = pd.to_datetime(series, errors="coerce", format="ISO8601")
        bad = parsed.isna().to_numpy() & series.notna().to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InvalidSpec(
                f"{what}: cannot parse {series.iloc[row]!r} as a timestamp on line {row + 2}"
            )
        series, dtype = parsed, parsed.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        naive = series.dt.tz_convert(None)
        return _from_datetime(naive.to_numpy(), "aware")
    if dtype.kind == "M":
        return _from_datetime(series.to_numpy(), "naive")
    if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        if series.hasnans:
            valid = series.notna().to_numpy()
            values = series.to_numpy(dtype=np.int64, na_value=0)
            return Ticks(values, valid, NS_PER_MS, "epoch")
        return Ticks(series.to_numpy(dtype=np.int64), None, NS_PER_MS, "epoch")
    if dtype.kind == "f":  # integer ms with nulls often arrive as floats (parquet, CSV)
        floats = series.to_numpy(dtype=np.float64, na_value=np.nan)
        ok = ~np.isnan(floats)
        if np.array_equal(floats[ok], np.floor(floats[ok])):
            values = np.where(ok, floats, 0).astype(np.int64)
            return Ticks(values, None if ok.all() else ok, NS_PER_MS, "epoch")
    raise InvalidSpec(
        f"{what} has type {dtype}; a timestamp must be datetime64 (naive or tz-aware) "
        "or integer milliseconds since the epoch"
    )


def _from_datetime(values: np.ndarray, zone: str) -> Ticks:
    unit, count = np.datetime_data(values.dtype)
    unit_ns = _UNIT_NS[unit] * count
    ints = values.view(np.int64)
    invalid = ints == _NAT
    return Ticks(ints, ~invalid if invalid.any() else None, unit_ns, zone)


class FeatureSource(ABC):
    """Reads one kind of event source (a :class:`~.spec.EventSource` whose kind names it).

    Built with no arguments; keep no per-source state (one instance may read many
    sources, from several threads).
    """

    #: The kind it reads, as :attr:`EventSource.kind` (``"parquet"``, ``"csv"``, ...).
    name: ClassVar[str] = "abstract"
    capabilities: ClassVar[frozenset[str]] = frozenset()

    @abstractmethod
    def read(self, source: EventSource, columns: list[str]) -> dict[str, pd.Series]:
        """``columns`` (distinct names) of ``source`` as pandas Series, in the source's
        row order.

        Raises
        ------
        NotFound
            If the data is missing (no such file).
        InvalidSpec
            If a column is missing (naming it and the source) or the data cannot be read.
        """

    def fingerprint(self, source: EventSource) -> str | None:
        """A cheap fingerprint that changes when the data does, without reading it; or
        ``None`` (the default), and the engine hashes the data it read instead.

        Raises
        ------
        NotFound
            If the data is missing.
        """
        return None


class ParquetSource(FeatureSource):
    """A parquet file, or a folder of parquet files read in sorted file-name order."""

    name = "parquet"

    def read(self, source: EventSource, columns: list[str]) -> dict[str, pd.Series]:
        if source.kind == "parquet_dir":
            table = _read_parquet(source, columns, folder=True)
            return {name: _to_series(table.column(name)) for name in columns}
        return _read_parquet_file(source, columns)

    def fingerprint(self, source: EventSource) -> str | None:
        return _file_fingerprint(source)


class CsvSource(FeatureSource):
    """A CSV file (its timestamps are parsed line by line, naming a bad line)."""

    name = "csv"

    def read(self, source: EventSource, columns: list[str]) -> dict[str, pd.Series]:
        return _read_csv(source, columns)

    def fingerprint(self, source: EventSource) -> str | None:
        return _file_fingerprint(source)


class SqlSource(FeatureSource):
    """A SQL query run by DuckDB (imported only when the query runs); rows in the order
    DuckDB returns them (add ORDER BY to make ties deterministic)."""

    name = "sql"

    def read(self, source: EventSource, columns: list[str]) -> dict[str, pd.Series]:
        table = _read_sql(source, columns)
        return {name: _to_series(table.column(name)) for name in columns}


def source_reader(source: EventSource) -> FeatureSource:
    """The :class:`FeatureSource` that reads ``source``'s kind.

    Raises
    ------
    InvalidSpec
        If no installed feature source reads that kind.
    """
    kind = "parquet" if source.kind == "parquet_dir" else source.kind
    reader: FeatureSource = plugins.create("feature_source", kind)
    return reader


def fingerprint(source: EventSource) -> str | None:
    """A cheap fingerprint of a source's content (a file source's paths, sizes, mtimes
    and edges), or ``None`` where it can only be fingerprinted after reading (SQL; see
    :func:`content_fingerprint`).

    Raises
    ------
    NotFound
        If the file or folder does not exist.
    """
    return source_reader(source).fingerprint(source)


def _file_fingerprint(source: EventSource) -> str:
    path = Path(str(source.path))
    if not path.exists():
        raise NotFound(f"source {source.name!r}: file {str(path)!r} does not exist")
    files = sorted(_parquet_files(path, source)) if path.is_dir() else [path]
    digest = hashlib.sha256(repr(sorted(source.semantic_key().items())).encode())
    for file in files:
        st = file.stat()
        digest.update(f"{file}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\n".encode())
        # mtimes are only as fine as the kernel's clock tick, so a same-size rewrite can
        # keep its stat; hash the edges too (a parquet footer holds column statistics)
        with open(file, "rb") as fh:
            if st.st_size <= 2 * _EDGE:
                digest.update(fh.read())
            else:
                digest.update(fh.read(_EDGE))
                fh.seek(-_EDGE, os.SEEK_END)
                digest.update(fh.read(_EDGE))
    return digest.hexdigest()


def content_fingerprint(source: EventSource, columns: dict[str, pd.Series]) -> str:
    """Fingerprint a source from the data it returned (used for SQL sources)."""
    from pandas.util import hash_pandas_object

    digest = hashlib.sha256(repr(sorted(source.semantic_key().items())).encode())
    for name in sorted(columns):
        digest.update(name.encode() + b"\0")
        digest.update(hash_pandas_object(columns[name], index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _parquet_files(path: Path, source: EventSource) -> list[Path]:
    files = [p for p in path.rglob("*") if p.is_file() and p.suffix in (".parquet", ".pq")]
    if not files:
        raise NotFound(f"source {source.name!r}: folder {str(path)!r} holds no parquet files")
    return files


def read_columns(source: EventSource, columns: list[str]) -> dict[str, pd.Series]:
    """Read ``columns`` of ``source`` as pandas Series, in the source's row order.

    A folder of parquet files is read in sorted file-name order; a SQL source in the
    order DuckDB returns (add ORDER BY to make ties deterministic).

    Raises
    ------
    NotFound
        If a file or folder is missing.
    InvalidSpec
        If a column is missing (the message names it and the source), a file cannot
        be read, or DuckDB is needed but not installed.
    """
    wanted = list(dict.fromkeys(columns))
    data = source_reader(source).read(source, wanted)
    lacking = [name for name in wanted if name not in data]
    if lacking:  # a third-party reader that forgot one: say so rather than KeyError later
        raise InvalidSpec(f"source {source.name!r}: the {source.kind} reader returned no "
                          f"column {', '.join(map(repr, lacking))}")
    return data


def _to_series(column: Any) -> pd.Series:
    """An Arrow column as a pandas Series, without a copy for plain numeric data."""
    import pandas as pd
    import pyarrow as pa

    if column.null_count == 0 and (
        pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
    ):
        chunks = column.chunks
        values = chunks[0].to_numpy(zero_copy_only=False) if len(chunks) == 1 else column.to_numpy()
        return pd.Series(values, copy=False)
    return column.to_pandas()


def _missing(source: EventSource, available: list[str], wanted: list[str], where: str) -> None:
    missing = [c for c in wanted if c not in available]
    if missing:
        import difflib

        hints = []
        for col in missing:
            close = difflib.get_close_matches(col, available, n=1)
            hints.append(f"{col!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise InvalidSpec(
            f"source {source.name!r}: {where} lacks column {', '.join(hints)}; "
            f"it has {', '.join(map(repr, available))}"
        )


def _read_parquet(source: EventSource, wanted: list[str], *, folder: bool) -> Any:
    import pyarrow.parquet as pq

    path = Path(str(source.path))
    if not path.exists():
        raise NotFound(f"source {source.name!r}: file {str(path)!r} does not exist")
    try:
        if folder:
            files = sorted(_parquet_files(path, source))
            schema = pq.read_schema(files[0])
            _missing(source, list(schema.names), wanted, f"folder {str(path)!r}")
            import pyarrow as pa

            tables = [pq.read_table(f, columns=wanted) for f in files]
            return pa.concat_tables(tables, promote_options="default")
        schema = pq.read_schema(path)
        _missing(source, list(schema.names), wanted, f"file {str(path)!r}")
        return pq.read_table(path, columns=wanted)
    except (OSError, ValueError) as exc:
        if isinstance(exc, InvalidSpec | NotFound):
            raise
        raise InvalidSpec(f"source {source.name!r}: cannot read {str(path)!r}: {exc}") from exc


def _read_parquet_file(source: EventSource, wanted: list[str]) -> dict[str, pd.Series]:
    """Read one parquet file's columns, row group by row group, in threads.

    Integer and float columns without nulls are decoded straight into one preallocated
    NumPy array each, so no Arrow table of the whole file and no second copy is ever
    alive (Arrow's memory pool then returns what it cached to the system); a file of
    one row group is used without any copy. Other columns take the general path
    through pandas. The file is memory-mapped while it is decoded (the decoded
    columns are copies, never views of the map): in a fresh process that halves the
    read of a 1M-row file, which no longer copies the compressed pages into new
    memory first.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(str(source.path))
    if not path.exists():
        raise NotFound(f"source {source.name!r}: file {str(path)!r} does not exist")
    try:
        meta = pq.read_metadata(path)
        schema = meta.schema.to_arrow_schema()
        _missing(source, list(schema.names), wanted, f"file {str(path)!r}")
        n_groups = meta.num_row_groups
        starts = np.zeros(n_groups + 1, dtype=np.int64)
        for i in range(n_groups):
            starts[i + 1] = starts[i] + meta.row_group(i).num_rows
        numeric = [
            name
            for name in wanted
            if pa.types.is_integer(schema.field(name).type)
            or pa.types.is_floating(schema.field(name).type)
        ]
        slow = {name for name in wanted if name not in numeric}  # read whole, through pandas
        fast: dict[str, np.ndarray] = {}
        workers = max(1, min(os.cpu_count() or 1, 8))
        big = starts[-1] >= 1_000_000
        if numeric and n_groups == 1:  # zero copy: the arrays keep Arrow's buffers alive
            table = pq.ParquetFile(path, memory_map=True).read_row_group(
                0, columns=numeric, use_threads=big)
            for name in numeric:
                column = table.column(name)
                if column.null_count or column.num_chunks != 1:
                    slow.add(name)
                else:
                    fast[name] = column.chunk(0).to_numpy(zero_copy_only=False)
            del table
            pa.default_memory_pool().release_unused()  # decompression buffers
        elif numeric:
            for name in numeric:
                dtype = schema.field(name).type.to_pandas_dtype()
                fast[name] = np.empty(int(starts[-1]), dtype=dtype)

            def read_group(i: int) -> None:
                file = pq.ParquetFile(path, memory_map=True)
                table = file.read_row_group(i, columns=numeric, use_threads=False)
                for name in numeric:
                    column = table.column(name)
                    if column.null_count:
                        slow.add(name)
                        continue
                    at = int(starts[i])
                    for chunk in column.chunks:
                        fast[name][at : at + len(chunk)] = chunk.to_numpy(zero_copy_only=False)
                        at += len(chunk)

            if big and workers > 1:
                from concurrent.futures import ThreadPoolExecutor

                with ThreadPoolExecutor(min(workers, n_groups)) as pool:
                    list(pool.map(read_group, range(n_groups)))
            else:
                for i in range(n_groups):
                    read_group(i)
            pa.default_memory_pool().release_unused()
        out: dict[str, pd.Series] = {}
        for name in wanted:
            if name in slow:
                fast.pop(name, None)
                out[name] = _to_series(pq.read_table(path, columns=[name]).column(name))
            else:
                out[name] = pd.Series(fast[name], copy=False)
        return out
    except (OSError, ValueError) as exc:
        if isinstance(exc, InvalidSpec | NotFound):
            raise
        raise InvalidSpec(f"source {source.name!r}: cannot read {str(path)!r}: {exc}") from exc


def release_arrow_memory() -> None:
    """Return the memory Arrow's pool keeps cached to the system (if pyarrow is loaded)."""
    import sys

    pa = sys.modules.get("pyarrow")
    if pa is not None:
        pa.default_memory_pool().release_unused()


def _read_csv(source: EventSource, wanted: list[str]) -> dict[str, pd.Series]:
    import pandas as pd

    path = str(source.path)
    if not os.path.isfile(path):
        raise NotFound(f"source {source.name!r}: file {path!r} does not exist")
    try:
        header = list(pd.read_csv(path, nrows=0).columns)
        _missing(source, header, wanted, f"file {path!r}")
        frame = pd.read_csv(path, usecols=wanted)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        if isinstance(exc, InvalidSpec):
            raise
        raise InvalidSpec(f"source {source.name!r}: cannot read {path!r}: {exc}") from exc
    return {name: frame[name] for name in wanted}


def _read_sql(source: EventSource, wanted: list[str]) -> Any:
    try:
        import duckdb
    except ImportError as exc:
        raise InvalidSpec(
            f"source {source.name!r} is a SQL query, which needs duckdb: pip install duckdb"
        ) from exc
    con = duckdb.connect()
    try:
        try:
            rel = con.sql(str(source.query))
        except duckdb.Error as exc:
            raise InvalidSpec(f"source {source.name!r}: the SQL query failed: {exc}") from exc
        if rel is None:
            raise InvalidSpec(f"source {source.name!r}: the SQL query returns no rows")
        _missing(source, list(rel.columns), wanted, "the SQL query")
        return rel.select(*[duckdb.ColumnExpression(c) for c in wanted]).to_arrow_table()
    finally:
        con.close()


def value_column_line_error(source: EventSource, column: str, series: pd.Series) -> InvalidSpec:
    """An error for a non-numeric value in a CSV column, naming the first bad line."""
    import pandas as pd

    coerced = pd.to_numeric(series, errors="coerce")
    bad = coerced.isna().to_numpy() & series.notna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        return InvalidSpec(
            f"source {source.name!r}: column {column!r} has non-numeric value "
            f"{series.iloc[row]!r} on line {row + 2}"
        )
    return InvalidSpec(f"source {source.name!r}: column {column!r} is not numeric ({series.dtype})")
