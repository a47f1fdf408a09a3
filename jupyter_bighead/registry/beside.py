"""Run a registration's waiting work beside its evaluation.

Evaluating a LightGBM model spends nearly all its time inside ``booster.predict``, which
releases the GIL. Part of the rest of a registration mostly waits: on git (subprocesses)
and on package metadata, and the data fingerprint hashes the rows. :func:`beside` runs
that part in a thread meanwhile; nothing it computes depends on the evaluation, so the
version recorded is the same as when the two run one after the other. (The artifact
files are written after the evaluation: the reference profile among them needs its
scores.)
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
S = TypeVar("S")


def beside(main: Callable[[], T], side: Callable[[], S],
           undo: Callable[[S], Any]) -> tuple[T, S]:
    """``(main(), side())`` with ``side`` run in a thread while ``main`` runs here.

    Errors keep the sequential order: an error of ``main`` wins (after ``side``
    finished, whose result is then passed to ``undo``, e.g. to discard written files);
    otherwise ``side``'s error, if any, is raised.
    """
    with ThreadPoolExecutor(1, thread_name_prefix="bighead-register") as pool:
        pending = pool.submit(side)
        try:
            result = main()
        except BaseException:
            try:
                done = pending.result()
            except BaseException:  # main's error is the one to report
                pass
            else:
                undo(done)
            raise
        return result, pending.result()
