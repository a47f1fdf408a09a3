"""Sorting the events of a source by ``(entity code, vis)``, in parallel parts.

Rows are first split into up to 255 parts of contiguous entity-code ranges with one
8-bit radix pass; each part (about :data:`PART_SIZE` rows) is then sorted with the row
number packed into the key's low bits, so a plain ``np.sort`` yields a stable order.
Parts sort in threads (numpy releases the GIL) for large sources.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np

PARALLEL_MIN_EVENTS = 1_000_000
"""Sources with at least this many events are sorted in parallel threads."""

PART_SIZE = 1 << 13
"""Target number of keys per sorted part: small enough to sort inside the CPU caches."""


def _workers() -> int:
    return max(1, min(os.cpu_count() or 1, 16))


_POOL: Any = None
_POOL_LOCK = threading.Lock()


def pool() -> Any:
    """The feature engine's thread pool: created once, on first use, and kept.

    Every parallel phase of a materialization (sorting parts, gathering columns,
    searching and summing windows) runs its tasks here, so no phase pays for starting
    threads, and neither do the many small calls of online lookups. Tasks never submit
    to this pool themselves (no nesting, so no deadlock); concurrent materializations
    share it.
    """
    global _POOL
    if _POOL is None:
        with _POOL_LOCK:
            if _POOL is None:
                from concurrent.futures import ThreadPoolExecutor

                _POOL = ThreadPoolExecutor(_workers(), thread_name_prefix="bighead-features")
    return _POOL


def partition(codes: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group rows into parts of contiguous code ranges, about :data:`PART_SIZE` rows each.

    Returns ``(order, bounds)``: the rows of part ``i`` are ``order[bounds[i]:bounds[i+1]]``,
    in increasing row order (one O(n) radix pass over 8-bit part numbers).
    """
    n = len(codes)
    parts = min(n // PART_SIZE, 255, len(counts))
    if parts <= 1:
        return np.arange(n, dtype=np.int64), np.array([0, n], dtype=np.int64)
    before = np.cumsum(counts) - counts  # rows with a smaller code
    part_of_code = (before * parts // n).astype(np.uint8)
    del before
    bucket = part_of_code[codes]
    bounds = np.zeros(parts + 1, dtype=np.int64)
    if n < PARALLEL_MIN_EVENTS or _workers() < 2:
        np.cumsum(np.bincount(bucket, minlength=parts), out=bounds[1:])
        return np.argsort(bucket, kind="stable"), bounds  # radix sort for 8-bit keys
    # Two halves, each radix-sorted in a thread (half the rows stay in the caches, so
    # each half takes about a fifth of the whole), then each part's rows of the first
    # half are placed before those of the second: the same order as one stable sort.
    half = n // 2
    first = np.bincount(bucket[:half], minlength=parts)
    np.cumsum(first + np.bincount(bucket[half:], minlength=parts), out=bounds[1:])
    order = np.empty(n, dtype=np.int64)

    def place(lo: int, hi: int, at: np.ndarray) -> None:
        rows = np.argsort(bucket[lo:hi], kind="stable")
        if lo:
            rows += lo
        sizes = (first if lo == 0 else bounds[1:] - bounds[:-1] - first).tolist()
        taken = 0
        for start, c in zip(at.tolist(), sizes, strict=True):
            order[start : start + c] = rows[taken : taken + c]
            taken += c

    list(pool().map(place, (0, half), (half, n), (bounds[:-1], bounds[:-1] + first)))
    return order, bounds


def sort_parts(key: np.ndarray, order: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Sort each part of :func:`partition` by ``key``; return the sorted keys.

    ``order`` becomes the permutation, in place: ``key[order]`` is the returned array.
    Because parts hold contiguous code ranges and ``key``'s high part is the code, the
    concatenated parts are globally sorted. Ties keep row order (the sort is stable).
    Large inputs sort their parts in threads (NumPy releases the GIL while sorting).
    """
    keys = np.empty_like(key)
    parts = len(bounds) - 1

    def work(first: int, last: int) -> None:
        for i in range(first, last):
            lo, hi = int(bounds[i]), int(bounds[i + 1])
            if hi > lo:
                rows = order[lo:hi]
                local, keys[lo:hi] = _sort_small(key[rows])
                order[lo:hi] = rows[local]

    workers = _workers()
    if workers == 1 or len(key) < PARALLEL_MIN_EVENTS or parts < 2:
        work(0, parts)
        return keys
    chunks = min(parts, 8 * workers)
    edges = [parts * j // chunks for j in range(chunks + 1)]
    list(pool().map(work, edges[:-1], edges[1:]))
    return keys


def _sort_small(k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(local, k[local])`` with ``k[local]`` ascending and ties in index order.

    When ``key - min`` and the index fit together in 63 bits, the index is packed into
    the key's low bits and one plain sort (much faster than ``argsort``) gives both.
    """
    m = len(k)
    if m == 0:
        return np.zeros(0, dtype=np.int64), k.copy()
    base = int(k.min())
    span = int(k.max()) - base
    bits = max(m - 1, 1).bit_length()
    if span.bit_length() + bits <= 63:
        packed = k - base
        packed <<= bits
        packed |= np.arange(m, dtype=np.int64)
        packed.sort()
        local = packed & ((1 << bits) - 1)
        packed >>= bits
        packed += base
        return local, packed
    local = np.argsort(k, kind="stable")
    return local, k[local]


def sort_keys(key: np.ndarray, codes: np.ndarray, n_codes: int) -> tuple[np.ndarray, np.ndarray]:
    """``(perm, key[perm])`` with ``key[perm]`` ascending and ties in row order.

    ``key``'s high part must be ``codes`` (as in ``code * stride + offset``).
    """
    order, bounds = partition(codes, np.bincount(codes, minlength=n_codes))
    return order, sort_parts(key, order, bounds)


def _run(work: Any, tasks: list[Any], size: int) -> None:
    """``work(task)`` for every task: in a thread pool when ``size`` events are many."""
    workers = _workers()
    if workers == 1 or size < PARALLEL_MIN_EVENTS or len(tasks) < 2:
        for task in tasks:
            work(task)
        return
    list(pool().map(work, tasks))
