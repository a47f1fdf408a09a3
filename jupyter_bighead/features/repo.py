"""``FeatureRepo``: the catalog, the engine and the cache behind one folder.

Layout of a repo folder::

    catalog.db            SQLite (WAL) catalog of every feature version
    cache/v1/ab/<key>.bhc one verified result column per (definition, source, spine)

Nothing is computed at :meth:`FeatureRepo.apply`. :meth:`FeatureRepo.materialize`
computes only the feature columns missing from the cache; :meth:`FeatureRepo.online`
runs the very same code on a spine of ``(entity, at)`` rows.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import jupyter_bighead.features.engine as engine

from ..errors import InvalidSpec
from ..identity import current_user
from ..roles import require_current
from .cache import ResultCache, cache_key, spine_hash
from .catalog import Catalog
from .compute import add_columns, base_columns, compute_columns, prepare_events
from .distributed import ClusterRun
from .frames import as_frame, check_refs, result_column, shared_column, with_columns
from .leakage import check_leakage, guard
from .sources import (
    check_zones,
    content_fingerprint,
    fingerprint,
    read_columns,
    release_arrow_memory,
    to_ticks,
)
from .spec import EventSource, Feature

if TYPE_CHECKING:
    import pandas as pd

Progress = Callable[[int, int, str], None]
"""``progress(done, total, message)``: called as each feature column is ready."""


@dataclass
class MaterializeStats:
    """What the last :meth:`FeatureRepo.materialize` call did (for tests and the UI)."""

    rows: int = 0
    cache_hits: list[str] = field(default_factory=list)
    computed: list[str] = field(default_factory=list)
    sources_read: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _default_owner() -> str:
    """The JupyterHub user, else the OS user (:func:`jupyter_bighead.identity.current_user`)."""
    return current_user()


class FeatureRepo:
    """A feature repository in a folder (created if missing).

    Parameters
    ----------
    path
        The folder; defaults to the ``features`` folder of the Bighead home.
    owner
        Recorded on applied features that name no owner; defaults to the login name.
    keep_sources
        How many sorted sources to keep in memory between calls (0 keeps none).
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        owner: str | None = None,
        keep_sources: int = 2,
    ) -> None:
        if path is None:
            from ..config import BigheadHome

            path = BigheadHome.resolve().features
        self.path = Path(path).expanduser().resolve()
        self.path.mkdir(parents=True, exist_ok=True)
        self.catalog = Catalog(self.path / "catalog.db")
        self.cache = ResultCache(self.path / "cache")
        self.owner = owner or _default_owner()
        self.keep_sources = keep_sources
        self.last_stats: MaterializeStats | None = None
        self._prepared: OrderedDict[str, engine.Prepared] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FeatureRepo({str(self.path)!r})"

    # -- catalog -----------------------------------------------------------------------
    def apply(self, features: Iterable[Feature]) -> list[dict[str, Any]]:
        """Register definitions; nothing is computed.

        Re-applying an identical definition is a no-op (its metadata is refreshed). A
        changed definition needs a higher ``version=``; older versions stay usable.

        Returns
        -------
        list of dict
            ``{"name", "version", "status"}`` per feature, status ``"created"`` or
            ``"unchanged"``.

        Raises
        ------
        InvalidSpec
            If a name appears twice in ``features`` or an item is not a Feature.
        Conflict
            If a definition changed without a version bump.
        MissingRole
            In a team, for a user without ``write`` (see :mod:`jupyter_bighead.roles`).
        """
        if isinstance(features, Feature):
            features = [features]
        require_current("write", doing="define features")
        return self.catalog.apply(list(features), owner=self.owner)

    def get(self, ref: str) -> Feature:
        """The definition that ``ref`` (``name`` or ``name:N``) selects.

        Raises
        ------
        NotFound
            If it is unknown (the message suggests close names).
        """
        return self.catalog.resolve(ref)[0]

    def list_features(
        self, search: str | None = None, *, tag: str | None = None, owner: str | None = None
    ) -> list[dict[str, Any]]:
        """Latest versions matching a text (name, description, tag, owner), tag and owner."""
        return self.catalog.search(search, tag=tag, owner=owner)

    def describe(self, name: str) -> dict[str, Any]:
        """A feature with every version (oldest first) and the diff of each to the previous.

        Raises
        ------
        NotFound
            If the feature is unknown.
        """
        versions = self.catalog.versions(name)
        for prev, cur in itertools.pairwise(versions):
            cur["changes"] = self.catalog.diff(name, prev["version"], cur["version"])
        if versions:
            versions[0]["changes"] = []
        return {"name": name, "latest": versions[-1], "versions": versions}

    def diff(self, name: str, a: int, b: int) -> list[dict[str, Any]]:
        """Changed fields from version ``a`` to ``b``: ``[{"field", "old", "new"}]``."""
        return self.catalog.diff(name, a, b)

    def clear_cache(self) -> None:
        """Drop every cached result and every source kept in memory."""
        self.cache.clear()
        with self._lock:
            self._prepared.clear()

    def check_leakage(
        self, df: pd.DataFrame, label: str, columns: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """Flag single columns whose AUC alone exceeds 0.98; see :func:`.leakage.check_leakage`."""
        return check_leakage(df, label, columns)

    # -- computing ---------------------------------------------------------------------
    def materialize(
        self,
        spine: Any,
        refs: str | Sequence[str],
        entity: str | None = None,
        timestamp: str | None = None,
        *,
        label_timestamp: str | None = None,
        strict: bool = True,
        cache: bool = True,
        progress: Progress | None = None,
        cluster: Any = None,
        partitions: int | None = None,
        verbose: bool = False,
    ) -> pd.DataFrame:
        """Point-in-time feature values for every spine row.

        Row ``i`` gets, for each reference, the aggregate of the events of entity
        ``spine[entity][i]`` with ``t - window <= vis < t`` where ``t`` is
        ``spine[timestamp][i]`` and ``vis = max(ts, created_at)`` (just ``ts`` when the
        source has no ``created_at``). Empty windows and unknown entities give
        ``count = 0``, ``sum = 0.0`` and NaN for the other aggregations; null values
        are ignored. ``last``/``first`` take the latest/earliest ``vis``, ties going to
        the later/earlier source row.

        Parameters
        ----------
        spine
            A DataFrame (or anything with ``to_pandas()``); it is not modified.
        refs
            Feature references: ``name`` (latest version) or ``name:N`` (see
            :mod:`jupyter_bighead.refs`; the old ``name@N`` still works, with a
            ``DeprecationWarning``). A result column is named by the feature's name
            for ``name`` and ``name:N`` (``bookings_7d_sum``, what FeatureLookup and
            batch scoring use); the old ``name@N`` keeps its column name ``name@N``.
        entity, timestamp
            Spine columns; default to the sources' column names when they all agree.
            Timestamps are datetime64 of any unit (naive or tz-aware) or integer
            epoch milliseconds.
        label_timestamp
            A spine column with each row's label time: rows queried after it could
            leak, which raises :class:`.LeakageError` (or warns when ``strict=False``).
        cache
            Read and write the result cache (one column per feature).
        progress
            ``progress(done, total, message)``, called after each feature column (and,
            on a cluster, as partitions finish).
        cluster
            Where to compute: ``None`` (``$BIGHEAD_DASK``, else this process), ``"none"``,
            ``"local"``, a scheduler address, a ``distributed.Client`` or a cluster; see
            :mod:`jupyter_bighead.cluster`. On a cluster, the events of parquet sources
            and the spine are partitioned by a stable hash of the entity and each
            partition runs this same engine on a worker: the result is identical, bit
            for bit (see :mod:`.distributed` for the one exception, and which sources
            stay in this process).
        partitions, verbose
            On a cluster: how many entity partitions (default: from the events' size
            and the workers), and whether to show Dask's progress bar.

        Returns
        -------
        pandas.DataFrame
            The spine's columns (same order, index and duplicates) plus one column per
            reference, named exactly as given.

        Raises
        ------
        InvalidSpec
            On a missing spine column, a bad timestamp type or null, zone mixing,
            duplicate references or ones clashing with spine columns.
        NotFound
            On an unknown feature or version, or a missing source file.
        """
        started = time.perf_counter()
        stats = MaterializeStats()
        frame = as_frame(spine)
        refs = [refs] if isinstance(refs, str) else list(refs)
        check_refs(refs, frame)
        resolved = [
            (ref, feature, digest)
            for ref, (feature, digest, _) in zip(refs, self.catalog.resolve_many(refs), strict=True)
        ]
        entity = entity or shared_column([f.source.entity for _, f, _ in resolved], "entity")
        timestamp = timestamp or shared_column([f.source.timestamp for _, f, _ in resolved],
                                               "timestamp")
        for role, name in (("entity", entity), ("timestamp", timestamp)):
            if name not in frame.columns:
                raise InvalidSpec(
                    f"the spine has no {role} column {name!r}; it has "
                    f"{', '.join(map(repr, map(str, frame.columns)))}"
                )
        what = f"spine column {timestamp!r}"
        ticks = to_ticks(frame[timestamp], what)
        if ticks.valid is not None:
            row = int(np.flatnonzero(~ticks.valid)[0])
            raise InvalidSpec(f"{what} has a null timestamp at row {row}")
        t_ns = ticks.to_unit(1)
        if label_timestamp is not None:
            self._guard(frame, label_timestamp, ticks.zone, what, t_ns, timestamp, refs, strict)
        run = ClusterRun(cluster, partitions=partitions, verbose=verbose)
        ents = frame[entity]
        n = len(frame)
        stats.rows = n
        s_hash = spine_hash(ents, t_ns) if cache else ""
        groups: dict[str, list[tuple[str, Feature, str]]] = {}
        for item in resolved:
            key = json.dumps(item[1].source.semantic_key(), sort_keys=True)
            groups.setdefault(key, []).append(item)
        outputs: dict[str, Any] = {}
        total = len(resolved)

        def report(message: str) -> None:
            if progress is not None:
                progress(len(outputs), total, message)

        report("starting")
        writer = self.cache.writer() if cache else None
        try:
            for items in groups.values():
                source = items[0][1].source
                fp = fingerprint(source)
                pending = items
                if cache and fp is not None:
                    pending = self._from_cache(items, fp, s_hash, n, outputs, stats, report)
                if not pending:
                    continue
                columns: Iterable[Any]
                if fp is not None and run.takes(source):  # parquet on a cluster
                    columns = run.compute(source, [f for _, f, _ in pending], ents, t_ns,
                                          ticks.zone, what, entity, report)
                    stats.sources_read.append(source.name)
                else:
                    prep, fp = self._prepare(source, fp, [f for _, f, _ in pending], stats)
                    if cache:  # SQL sources learn their fingerprint only now
                        pending = self._from_cache(pending, fp, s_hash, n, outputs, stats, report)
                    if not pending:
                        continue
                    columns = compute_columns(prep, [f for _, f, _ in pending], ents, t_ns,
                                              ticks.zone, what, f"spine column {entity!r}")
                for (ref, _, digest), out in zip(pending, columns, strict=True):
                    outputs[ref] = out
                    stats.computed.append(ref)
                    if writer is not None:
                        writer.put(
                            cache_key(digest, fp, s_hash),
                            out,
                            {"feature": ref, "def_hash": digest, "source": fp, "spine": s_hash},
                        )
                    report(f"computed {ref}")
            result = with_columns(frame, {result_column(ref): outputs[ref] for ref in refs})
        finally:  # wait for the background cache writes (they overlap the work above)
            run.close()
            if writer is not None:
                writer.close()
        stats.seconds = time.perf_counter() - started
        self.last_stats = stats
        return result

    def online(
        self,
        entities: Any,
        refs: str | Sequence[str],
        at: Any = None,
        *,
        progress: Progress | None = None,
    ) -> pd.DataFrame:
        """Current (or as-of ``at``) feature values for a few entities.

        Runs :meth:`materialize` (without the cache, always in this process) on a spine
        with columns ``entity`` and ``at``, so online and offline values agree by
        construction.
        ``at=None`` means now (epoch milliseconds, compatible with naive and aware
        sources; the output ``at`` column is then a UTC timestamp). A datetime or
        ``pd.Timestamp`` is used as given; an integer is epoch milliseconds; a string
        must be ISO 8601 of at most 64 characters (InvalidSpec otherwise).

        Returns
        -------
        pandas.DataFrame
            Columns ``entity``, ``at`` and one per reference (named as by
            :meth:`materialize`), one row per entity.
        """
        import pandas as pd

        if isinstance(entities, str | bytes) or not isinstance(entities, Iterable):
            entities = [entities]
        ents = pd.Series(list(entities))
        if at is None:
            now = time.time_ns() // 1_000_000
            spine = pd.DataFrame({"entity": ents, "at": np.full(len(ents), now, dtype=np.int64)})
        elif isinstance(at, int | np.integer) and not isinstance(at, bool):
            spine = pd.DataFrame(
                {"entity": ents, "at": np.full(len(ents), int(at), dtype=np.int64)}
            )
        else:
            if isinstance(at, str):
                from .timestamps import parse_timestamp

                stamp = parse_timestamp(at, "at")
            else:
                stamp = pd.Timestamp(at)
            spine = pd.DataFrame(
                {"entity": ents, "at": pd.Series([stamp] * len(ents), dtype=object)}
            )
            spine["at"] = pd.to_datetime(spine["at"])
        out = self.materialize(spine, refs, entity="entity", timestamp="at", cache=False,
                               progress=progress, cluster="none")
        if at is None:
            out["at"] = pd.to_datetime(out["at"], unit="ms", utc=True)
        return out

    # -- internals ---------------------------------------------------------------------
    def _guard(
        self,
        frame: pd.DataFrame,
        label: str,
        zone: str,
        what: str,
        t_ns: np.ndarray,
        timestamp: str,
        refs: Sequence[str],
        strict: bool,
    ) -> None:
        if label not in frame.columns:
            raise InvalidSpec(f"the spine has no label_timestamp column {label!r}")
        label_what = f"spine column {label!r}"
        lab = to_ticks(frame[label], label_what)
        check_zones(zone, what, lab.zone, label_what)
        guard(
            t_ns,
            lab.to_unit(1),
            lab.valid,
            timestamp=timestamp,
            label_timestamp=label,
            refs=refs,
            strict=strict,
        )

    def _from_cache(
        self,
        items: list[tuple[str, Feature, str]],
        fp: str,
        s_hash: str,
        n: int,
        outputs: dict[str, Any],
        stats: MaterializeStats,
        report: Callable[[str], None],
    ) -> list[tuple[str, Feature, str]]:
        pending = []
        for ref, feature, digest in items:
            hit = self.cache.get(cache_key(digest, fp, s_hash), n)
            if hit is None:
                pending.append((ref, feature, digest))
            else:
                outputs[ref] = hit
                stats.cache_hits.append(ref)
                report(f"cached {ref}")
        return pending

    def _prepare(
        self, source: EventSource, fp: str | None, features: list[Feature], stats: MaterializeStats
    ) -> tuple[engine.Prepared, str]:
        """The sorted events of ``source`` holding every column ``features`` need."""
        needed = list(dict.fromkeys(f.column for f in features if f.column))
        with self._lock:
            prep = self._prepared.get(fp) if fp is not None else None
            if prep is not None:
                self._prepared.move_to_end(str(fp))
        if prep is None:
            data = read_columns(source, base_columns(source) + needed)
            stats.sources_read.append(source.name)
            if fp is None:
                fp = content_fingerprint(source, data)
            prep = prepare_events(source, data, features)
        else:
            missing = [c for c in needed if c not in prep.columns]
            data = read_columns(source, missing) if missing else {}
            add_columns(prep, source, features, data)
        if data:
            data.clear()  # the raw columns, possibly Arrow's buffers: hand them back now
            release_arrow_memory()
        assert fp is not None
        if self.keep_sources > 0:
            with self._lock:
                self._prepared[fp] = prep
                self._prepared.move_to_end(fp)
                while len(self._prepared) > self.keep_sources:
                    self._prepared.popitem(last=False)
        return prep, fp
