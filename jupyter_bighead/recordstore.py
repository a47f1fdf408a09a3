"""One way to keep JSON records in a folder: jobs, schedules, sweeps and deployments use it.

A :class:`RecordStore` holds one record per id, either as ``<root>/<id>/record.json``
(``layout="folder"``: the folder also holds the run's other files) or as
``<root>/<id>.json`` (``layout="file"``). Writes are atomic (readers see the old
record or the new one, never half); :meth:`RecordStore.update` is a read-modify-write
under a lock held across threads and processes; listing skips records that cannot be
read (a half-created folder, a file written by hand) instead of failing for everyone.
The on-disk format is plain JSON, the same the stores wrote before they shared this.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from ._io import atomic_write_text
from .errors import Conflict, InvalidSpec, NotFound


def _nonfinite_as_none(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else None


def load_json(text: str) -> Any:
    """Parse a stored record, reading NaN, Infinity and out-of-range numbers as null.

    Such values are refused on the way in; a record written by an older version (or by
    hand) must still never make a listing fail for everyone.
    """
    return json.loads(text, parse_constant=lambda _name: None, parse_float=_nonfinite_as_none)


class RecordStore:
    """JSON records by id under ``root``.

    Parameters
    ----------
    root
        The folder (created if missing).
    kind
        What a record is, for messages: ``"job"`` gives "job 'x' does not exist".
    id_pattern
        The ids this store accepts (a full match); others raise ``InvalidSpec``.
    layout
        ``"folder"`` (``<id>/record.json``) or ``"file"`` (``<id>.json``).
    bad_id
        The ``InvalidSpec`` message for a refused id, with ``{id!r}`` in it.
    loads
        How a record's text is parsed: :func:`load_json` (NaN and infinities read as
        null) unless the store's records may hold them on purpose (deployments keep
        ``json.loads``, as they always did).
    """

    def __init__(self, root: str | os.PathLike[str], *, kind: str, id_pattern: re.Pattern[str],
                 layout: Literal["folder", "file"] = "file", bad_id: str | None = None,
                 loads: Callable[[str], Any] = load_json) -> None:
        if layout not in ("folder", "file"):
            raise InvalidSpec(f"layout must be 'folder' or 'file', not {layout!r}")
        self.root = Path(root)
        self.kind = kind
        self.id_pattern = id_pattern
        self.layout = layout
        self.bad_id = bad_id or "{id!r} is not a " + kind + " id"
        self.loads = loads
        self._lock = threading.RLock()
        self._depth = 0  # how deep the thread holding _lock is inside locked()
        self.root.mkdir(parents=True, exist_ok=True)

    # -- where -----------------------------------------------------------------------
    def check_id(self, rid: str) -> str:
        """``rid`` if this store accepts it, else ``InvalidSpec``."""
        if not isinstance(rid, str) or not self.id_pattern.fullmatch(rid):
            raise InvalidSpec(self.bad_id.format(id=rid))
        return rid

    def folder(self, rid: str) -> Path:
        """The record's folder (``layout="folder"`` only)."""
        if self.layout != "folder":
            raise InvalidSpec(f"{self.kind} records are files, not folders")
        return self.root / self.check_id(rid)

    def path(self, rid: str) -> Path:
        """The record's JSON file."""
        if self.layout == "folder":
            return self.folder(rid) / "record.json"
        return self.root / f"{self.check_id(rid)}.json"

    # -- one record ------------------------------------------------------------------
    def exists(self, rid: str) -> bool:
        return self.path(rid).is_file()

    def read(self, rid: str) -> dict[str, Any]:
        """The record ``rid``.

        Raises
        ------
        NotFound
            If there is none, or it is not a JSON object.
        InvalidSpec
            For an id this store does not accept.
        """
        path = self.path(rid)
        try:
            data = self.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise NotFound(f"{self.kind} {rid!r} does not exist") from None
        if not isinstance(data, dict):
            raise NotFound(f"{self.kind} {rid!r} has no readable record")
        return data

    def write(self, rid: str, data: Mapping[str, Any],
              default: Callable[[Any], Any] | None = None) -> None:
        """Write record ``rid`` atomically (``default`` as for ``json.dumps``)."""
        path = self.path(rid)
        text = json.dumps(dict(data), indent=2, default=default)
        with self._lock:
            atomic_write_text(path, text)

    def create(self, rid: str, data: Mapping[str, Any]) -> None:
        """Write a new record ``rid``; ``Conflict`` if it exists."""
        with self.locked(rid):
            if self.exists(rid):
                raise Conflict(f"{self.kind} {rid!r} exists")
            self.write(rid, data)

    def update(self, rid: str, change: Callable[[dict[str, Any]], Mapping[str, Any]],
               default: Callable[[Any], Any] | None = None) -> dict[str, Any]:
        """Read ``rid``, write ``change(record)`` back and return it, holding the
        record's lock throughout so no other writer's change is lost."""
        with self.locked(rid):
            new = dict(change(self.read(rid)))
            self.write(rid, new, default)
            return new

    def delete(self, rid: str) -> None:
        """Remove record ``rid`` (its file; a folder's other files stay). ``NotFound``
        if there is none; a refused or missing id changes nothing on disk."""
        missing = NotFound(f"{self.kind} {rid!r} does not exist")
        if not self.exists(rid):
            raise missing
        with self.locked(rid):
            try:
                self.path(rid).unlink()
            except FileNotFoundError:
                raise missing from None

    @contextmanager
    def locked(self, rid: str) -> Iterator[None]:
        """Hold the lock for writing record ``rid``: this process's threads and, on
        POSIX, other processes using the same root (an advisory lock on the store's
        ``.records.lock``: one file, however many records come and go). Re-entrant:
        a thread already holding it may take it again (for any id)."""
        self.check_id(rid)
        with self._lock:
            if self._depth:  # this thread holds the file lock already
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            try:
                import fcntl
            except ImportError:  # pragma: no cover - not POSIX: the thread lock alone
                yield
                return
            with (self.root / ".records.lock").open("a") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                self._depth = 1
                try:
                    yield
                finally:
                    self._depth = 0
                    fcntl.flock(fh, fcntl.LOCK_UN)

    # -- many records ----------------------------------------------------------------
    def ids(self) -> list[str]:
        """The ids of every stored record, sorted."""
        if self.layout == "folder":
            found = (p.parent.name for p in self.root.glob("*/record.json"))
        else:
            found = (p.stem for p in self.root.glob("*.json") if not p.name.startswith("."))
        return sorted(i for i in found if self.id_pattern.fullmatch(i))

    def records(self, ids: list[str] | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(id, record)`` for each of ``ids`` (default: all) that can be read."""
        for rid in self.ids() if ids is None else ids:
            try:
                yield rid, self.read(rid)
            except (OSError, ValueError, NotFound, InvalidSpec):
                continue

    def page(self, limit: int = 50, offset: int = 0, *,
             newest_first: bool = True) -> list[tuple[str, dict[str, Any]]]:
        """``limit`` readable records from ``offset`` on, in id order (newest first for
        ids that start with a timestamp); only the records on the page are read."""
        ids = sorted(self.ids(), reverse=newest_first)
        out: list[tuple[str, dict[str, Any]]] = []
        for item in self.records(ids[offset:]):
            if len(out) >= limit:
                break
            out.append(item)
        return out
