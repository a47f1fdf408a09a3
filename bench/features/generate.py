"""Deterministic event and spine generator for the point-in-time feature benchmark.

Events are ``entity_id`` (int64, sparse ids, mild Zipf-like popularity skew), ``ts`` (int64
milliseconds spread over 365 days, unsorted) and ``value`` (float64, lognormal so magnitudes
span several orders). ``(entity_id, ts)`` is unique so that ``last`` has one right answer.

The spine mixes random query times with the cases that catch boundary bugs: exact event
timestamps (the event must not count), exact window boundaries ``event.ts + window`` (the
event must count, the lower bound is closed), one millisecond either side of a boundary,
unknown entities and duplicated rows. Spine rows are shuffled.

Scale XL (100M events) is generated and written in chunks (:func:`write_events_chunked`),
so it needs a few hundred MiB whatever the scale; the smaller scales keep their one-shot
generator and so their data.

Usage: ``python bench/features/generate.py --scale S`` writes ``bench/.data/S-seed0-v<N>/``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bench.features.workload import DAY_MS, WINDOWS_MS

T0_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
SPAN_MS = 365 * DAY_MS
DATA_DIR = Path(__file__).resolve().parents[1] / ".data"
# Bump when the generated data changes, so stale caches under bench/.data are not reused.
GENERATOR_VERSION = 1


@dataclass(frozen=True)
class Scale:
    name: str
    events: int
    queries: int
    entities: int
    chunked: bool = False
    """Generated and written in chunks (:func:`write_events_chunked`) instead of in one go."""


SCALES = {
    "T": Scale("T", 5_000, 1_000, 100),  # tiny: the smoke test
    "S": Scale("S", 100_000, 10_000, 1_000),
    "M": Scale("M", 1_000_000, 100_000, 10_000),
    "L": Scale("L", 10_000_000, 1_000_000, 100_000),
    # out of core (issue 15): 2.4 GB of events in memory; written chunk by chunk
    "XL": Scale("XL", 100_000_000, 10_000_000, 1_000_000, chunked=True),
}

CHUNK_EVENTS = 4_000_000
"""Events per generated chunk of a chunked scale (about 100 MiB of columns)."""

ROW_GROUP = 1_000_000
"""Rows per parquet row group of a chunked scale (what the Dask reader takes per part)."""


def generate_events(scale: Scale, seed: int = 0) -> pd.DataFrame:
    """Return ``scale.events`` unsorted events with unique ``(entity_id, ts)``."""
    rng = np.random.default_rng(seed)
    # Sparse ids: drawn from a 2**40 range so no engine can index an array by id.
    ids = rng.choice(2**40, size=scale.entities, replace=False).astype(np.int64)
    # Mild skew: weight ~ rank**-0.6 (the most popular entity gets well under 1% at L).
    weights = np.arange(1, scale.entities + 1, dtype=np.float64) ** -0.6
    weights /= weights.sum()
    # Draw a few more than needed, then drop duplicate (entity, ts) pairs and trim.
    n = scale.events + scale.events // 100 + 10
    entity = ids[rng.choice(scale.entities, size=n, p=weights)]
    ts = T0_MS + rng.integers(0, SPAN_MS, size=n, dtype=np.int64)
    value = rng.lognormal(mean=3.0, sigma=1.5, size=n)
    df = pd.DataFrame({"entity_id": entity, "ts": ts, "value": value})
    df = df.drop_duplicates(["entity_id", "ts"]).iloc[: scale.events].reset_index(drop=True)
    assert len(df) == scale.events
    return df


def generate_spine(events: pd.DataFrame, scale: Scale, seed: int = 0) -> pd.DataFrame:
    """Return ``scale.queries`` shuffled ``(entity_id, ts)`` query rows over ``events``."""
    rng = np.random.default_rng(seed + 1)
    q = scale.queries
    n_random = int(q * 0.40)
    n_exact = int(q * 0.20)
    n_boundary = int(q * 0.20)
    n_near = int(q * 0.10)
    n_unknown = int(q * 0.05)
    n_dup = q - n_random - n_exact - n_boundary - n_near - n_unknown

    ev_entity = events["entity_id"].to_numpy()
    ev_ts = events["ts"].to_numpy()
    windows = np.array(list(WINDOWS_MS.values()), dtype=np.int64)
    parts_e: list[np.ndarray] = []
    parts_t: list[np.ndarray] = []

    # Random times for entities drawn with the events' popularity; the range runs past the
    # last event so windows empty out at the end.
    pick = rng.integers(0, len(events), size=n_random)
    parts_e.append(ev_entity[pick])
    parts_t.append(T0_MS + rng.integers(0, SPAN_MS + 31 * DAY_MS, size=n_random, dtype=np.int64))
    # Exactly at an event: that event must not count (open upper bound).
    pick = rng.integers(0, len(events), size=n_exact)
    parts_e.append(ev_entity[pick])
    parts_t.append(ev_ts[pick])
    # Exactly at event + window: that event must count (closed lower bound).
    pick = rng.integers(0, len(events), size=n_boundary)
    parts_e.append(ev_entity[pick])
    parts_t.append(ev_ts[pick] + rng.choice(windows, size=n_boundary))
    # One millisecond either side of a boundary.
    pick = rng.integers(0, len(events), size=n_near)
    parts_e.append(ev_entity[pick])
    parts_t.append(
        ev_ts[pick] + rng.choice(windows, size=n_near) + rng.choice([-1, 1], size=n_near)
    )
    # Entities that have no events at all (ids outside the range events draw from).
    unknown = rng.integers(2**40, 2**41, size=n_unknown, dtype=np.int64)
    parts_e.append(unknown)
    parts_t.append(T0_MS + rng.integers(0, SPAN_MS, size=n_unknown, dtype=np.int64))

    entity = np.concatenate(parts_e)
    ts = np.concatenate(parts_t)
    # Duplicated rows must come back duplicated, in spine order.
    dup = rng.integers(0, len(entity), size=n_dup)
    entity = np.concatenate([entity, entity[dup]])
    ts = np.concatenate([ts, ts[dup]])
    order = rng.permutation(len(entity))
    return pd.DataFrame({"entity_id": entity[order], "ts": ts[order]})


def _chunk_sizes(total: int, chunk: int) -> list[int]:
    return [min(chunk, total - start) for start in range(0, total, chunk)]


def generate_events_chunks(
    scale: Scale, seed: int = 0, chunk: int = CHUNK_EVENTS
) -> Iterator[pd.DataFrame]:
    """Yield ``scale.events`` events in chunks; ``(entity_id, ts)`` is unique over all.

    The same distributions as :func:`generate_events`. Chunk ``k`` of ``K`` draws only
    times with ``ts % K == k`` (a uniform lattice; all chunks together cover every
    millisecond), so no two chunks can share an ``(entity, ts)`` and each chunk removes
    its own duplicates, without any global set of keys.
    """
    rng = np.random.default_rng(seed)
    ids = rng.choice(2**40, size=scale.entities, replace=False).astype(np.int64)
    weights = np.arange(1, scale.entities + 1, dtype=np.float64) ** -0.6
    weights /= weights.sum()
    sizes = _chunk_sizes(scale.events, chunk)
    stride = len(sizes)
    for k, size in enumerate(sizes):
        n = size + size // 100 + 10
        entity = ids[rng.choice(scale.entities, size=n, p=weights)]
        ts = T0_MS + k + stride * rng.integers(0, SPAN_MS // stride, size=n, dtype=np.int64)
        value = rng.lognormal(mean=3.0, sigma=1.5, size=n)
        df = pd.DataFrame({"entity_id": entity, "ts": ts, "value": value})
        df = df.drop_duplicates(["entity_id", "ts"]).iloc[:size].reset_index(drop=True)
        assert len(df) == size
        yield df


class _Picker:
    """Rows at given global positions of a stream of chunks (what the spine samples)."""

    def __init__(self, picks: np.ndarray):
        self.order = np.argsort(picks, kind="stable")
        self.sorted = picks[self.order]
        self.entity = np.empty(len(picks), dtype=np.int64)
        self.ts = np.empty(len(picks), dtype=np.int64)
        self.start = 0

    def take(self, chunk: pd.DataFrame) -> None:
        lo, hi = np.searchsorted(self.sorted, [self.start, self.start + len(chunk)])
        local = self.sorted[lo:hi] - self.start
        self.entity[self.order[lo:hi]] = chunk["entity_id"].to_numpy()[local]
        self.ts[self.order[lo:hi]] = chunk["ts"].to_numpy()[local]
        self.start += len(chunk)


def write_events_chunked(
    scale: Scale, events_path: Path, seed: int = 0, chunk: int = CHUNK_EVENTS
) -> pd.DataFrame:
    """Write the events of a chunked scale to ``events_path`` chunk by chunk and return
    its spine (the same recipe as :func:`generate_spine`, sampling events as they pass)."""
    rng = np.random.default_rng(seed + 1)
    q = scale.queries
    n_random, n_exact, n_boundary, n_near, n_unknown = (
        int(q * 0.40), int(q * 0.20), int(q * 0.20), int(q * 0.10), int(q * 0.05)
    )
    n_dup = q - n_random - n_exact - n_boundary - n_near - n_unknown
    kinds = [n_random, n_exact, n_boundary, n_near]
    picker = _Picker(rng.integers(0, scale.events, size=sum(kinds)))
    schema = pa.schema([("entity_id", pa.int64()), ("ts", pa.int64()), ("value", pa.float64())])
    with pq.ParquetWriter(events_path, schema) as writer:
        for df in generate_events_chunks(scale, seed, chunk):
            picker.take(df)
            writer.write_table(
                pa.Table.from_pandas(df, schema=schema, preserve_index=False),
                row_group_size=ROW_GROUP,
            )
    windows = np.array(list(WINDOWS_MS.values()), dtype=np.int64)
    cut = np.cumsum(kinds)[:-1]
    ents = np.split(picker.entity, cut)
    times = np.split(picker.ts, cut)
    parts_t = [
        T0_MS + rng.integers(0, SPAN_MS + 31 * DAY_MS, size=n_random, dtype=np.int64),
        times[1],
        times[2] + rng.choice(windows, size=n_boundary),
        times[3] + rng.choice(windows, size=n_near) + rng.choice([-1, 1], size=n_near),
        T0_MS + rng.integers(0, SPAN_MS, size=n_unknown, dtype=np.int64),
    ]
    parts_e = [*ents, rng.integers(2**40, 2**41, size=n_unknown, dtype=np.int64)]
    entity = np.concatenate(parts_e)
    ts = np.concatenate(parts_t)
    dup = rng.integers(0, len(entity), size=n_dup)
    entity = np.concatenate([entity, entity[dup]])
    ts = np.concatenate([ts, ts[dup]])
    order = rng.permutation(len(entity))
    return pd.DataFrame({"entity_id": entity[order], "ts": ts[order]})


def data_dir(scale: str, root: Path = DATA_DIR, seed: int = 0) -> Path:
    return root / f"{scale}-seed{seed}-v{GENERATOR_VERSION}"


def ensure(scale: str, root: Path = DATA_DIR, seed: int = 0) -> tuple[Path, Path]:
    """Generate the scale's data once; return ``(events_path, spine_path)`` (parquet)."""
    out = data_dir(scale, root, seed)
    events_path, spine_path = out / "events.parquet", out / "spine.parquet"
    if events_path.exists() and spine_path.exists():
        return events_path, spine_path
    out.mkdir(parents=True, exist_ok=True)
    sc = SCALES[scale]
    # Write under a temporary name first so an interrupted run never leaves half a dataset.
    if sc.chunked:
        spine = write_events_chunked(sc, out / "events.tmp.parquet", seed)
    else:
        events = generate_events(sc, seed)
        spine = generate_spine(events, sc, seed)
        events.to_parquet(out / "events.tmp.parquet", index=False)
        del events
    spine.to_parquet(out / "spine.tmp.parquet", index=False)
    (out / "events.tmp.parquet").rename(events_path)
    (out / "spine.tmp.parquet").rename(spine_path)
    return events_path, spine_path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate the feature benchmark data.")
    parser.add_argument("--scale", choices=sorted(SCALES), default="S")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for path in ensure(args.scale, seed=args.seed):
        print(path)


if __name__ == "__main__":
    main()
