"""The materialization cache: one verified file per (feature definition, source, spine).

Layout under the repo folder::

    cache/v1/<key[:2]>/<key>.bhc

where ``key`` is the SHA-256 of the engine version, the feature's definition hash,
the source fingerprint and the spine hash. A file is::

    b"BHFC1\\n" | 8-byte little-endian header length | header JSON | payload

The header records the key, the row count and the SHA-256 of the payload (one
Arrow IPC stream holding a single column ``v``). A file whose magic, header, key,
length or checksum is off is *stale or corrupt*: :meth:`ResultCache.get` deletes it
and reports a miss, so the caller recomputes. Files are written atomically.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_write_bytes

ENGINE_VERSION = "1"
_MAGIC = b"BHFC1\n"


def cache_key(definition_hash: str, source_fp: str, spine_hash: str) -> str:
    """The cache key of one feature column for one spine."""
    blob = f"{ENGINE_VERSION}\0{definition_hash}\0{source_fp}\0{spine_hash}"
    return hashlib.sha256(blob.encode()).hexdigest()


def spine_hash(entity: Any, t_ns: np.ndarray) -> str:
    """Hash the only spine inputs that shape results: entity ids and query times (ns)."""
    import pandas as pd
    from pandas.util import hash_array

    digest = hashlib.sha256()
    values = entity.to_numpy() if isinstance(entity, pd.Series) else np.asarray(entity)
    if values.dtype.kind in "iub":
        digest.update(b"int" + values.astype(np.int64, copy=False).tobytes())
    elif values.dtype.kind == "f":
        digest.update(b"float" + values.tobytes())
    else:
        digest.update(b"obj" + hash_array(values.astype(object), categorize=False).tobytes())
    digest.update(b"\0t" + np.ascontiguousarray(t_ns, dtype=np.int64).tobytes())
    return digest.hexdigest()


class ResultCache:
    """Verified, atomically written feature columns under ``root``.

    Parameters
    ----------
    root
        The cache folder (``<repo>/cache``). Created on first write.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.folder = self.root / f"v{ENGINE_VERSION}"

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.bhc"

    def get(self, key: str, rows: int) -> Any | None:
        """The cached column for ``key`` with ``rows`` values, or ``None`` on a miss.

        A corrupt or stale file is removed and counts as a miss: it is never returned.
        """
        path = self.path(key)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError:
            return None
        column = _decode(blob, key, rows)
        if column is None:
            path.unlink(missing_ok=True)
        return column

    def put(self, key: str, column: Any, meta: dict[str, Any] | None = None) -> None:
        """Store ``column`` (a numpy array or pandas array-like) under ``key`` atomically."""
        import pyarrow as pa

        if isinstance(column, np.ndarray) and column.dtype.kind in "iuf":
            array = pa.array(column)  # keeps NaN as NaN, not null
        else:
            array = pa.array(column, from_pandas=True)
        table = pa.table({"v": array})
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        payload = memoryview(sink.getvalue())  # no copies: Arrow's buffer, hashed and written
        header = dict(meta or {})
        header.update(
            key=key,
            rows=len(array),
            sha256=hashlib.sha256(payload).hexdigest(),
            engine=ENGINE_VERSION,
        )
        head = json.dumps(header, sort_keys=True).encode()
        # no fsync: get() verifies the checksum, so a file torn by a crash is a miss
        parts = (_MAGIC + struct.pack("<Q", len(head)) + head, payload)
        atomic_write_bytes(self.path(key), parts, durable=False)

    def writer(self) -> CacheWriter:
        """A :class:`CacheWriter` that stores columns in background threads."""
        return CacheWriter(self)

    def clear(self) -> None:
        """Delete every cached result."""
        shutil.rmtree(self.root, ignore_errors=True)


class CacheWriter:
    """Writes columns to a :class:`ResultCache` in background threads.

    Serializing, hashing and writing release the GIL for most of their time, so the
    writes overlap the computation of the next columns. :meth:`close` waits for every
    write and raises the first error.
    """

    def __init__(self, cache: ResultCache) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._cache = cache
        # two threads: the second one finishes the backlog while the caller waits in close()
        self._pool = ThreadPoolExecutor(2, thread_name_prefix="bighead-cache")
        self._pending: list[Any] = []

    def put(self, key: str, column: Any, meta: dict[str, Any] | None = None) -> None:
        self._pending.append(self._pool.submit(self._cache.put, key, column, meta))

    def close(self) -> None:
        try:
            for future in self._pending:
                future.result()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pending = []

    def __enter__(self) -> CacheWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _decode(blob: bytes, key: str, rows: int) -> Any | None:
    import pyarrow as pa

    if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + 8:
        return None
    start = len(_MAGIC) + 8
    (size,) = struct.unpack("<Q", blob[len(_MAGIC) : start])
    try:
        header = json.loads(blob[start : start + size])
    except ValueError:
        return None
    payload = blob[start + size :]
    if (
        not isinstance(header, dict)
        or header.get("key") != key
        or header.get("rows") != rows
        or header.get("engine") != ENGINE_VERSION
        or header.get("sha256") != hashlib.sha256(payload).hexdigest()
    ):
        return None
    try:
        table = pa.ipc.open_stream(payload).read_all()
    except (pa.ArrowException, ValueError):
        return None
    if table.num_rows != rows or table.column_names != ["v"]:
        return None
    column = table.column("v")
    if column.null_count == 0 and (
        pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
    ):
        return column.to_numpy()
    return column.to_pandas().array
