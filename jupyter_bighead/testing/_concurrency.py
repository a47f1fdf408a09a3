"""The registry store contract's concurrency checks: many writers at once lose nothing.

Mixed into :class:`~jupyter_bighead.testing.RegistryStoreContract`. Threads always (a
server serves requests from several threads); other processes too when the store
declares ``shared``; and when it declares ``transactions``, concurrent alias moves must
each see the move before them, so the audit trail is one unbroken chain.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

import jupyter_bighead.plugins as plugins

#: How many writers race (threads, and registrations spread over processes).
WRITERS = 8
#: Alias moves each thread makes.
MOVES = 5


def race(work: Callable[[int], Any], n: int = WRITERS) -> tuple[list[Any], list[str]]:
    """Run ``work(i)`` for ``i < n`` in ``n`` threads released together; the results
    and the errors (as text)."""
    gate = threading.Barrier(n)
    results: list[Any] = []
    errors: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            gate.wait(30)
            out = work(i)
        except Exception as exc:  # reported by the test, with the others'
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}"[:300])
            return
        with lock:
            results.append(out)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    # Switch threads every microsecond, not every 5 ms: a read-then-write that is not
    # one transaction is then interleaved with the others' almost surely.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
    finally:
        sys.setswitchinterval(interval)
    return results, errors


def _register_in_process(uri: str, artifacts: str, options: Mapping[str, Any], count: int,
                         out: Any) -> None:
    """A child process: register ``count`` versions of ``m``, put the numbers on ``out``."""
    from ._registry import _models, open_registry

    reg = open_registry(uri, Path(artifacts), options)
    try:
        out.put([reg.register("m", _models()["booster"]).version for _ in range(count)])
    except Exception as exc:
        out.put(f"{type(exc).__name__}: {exc}"[:300])
    finally:
        reg.close()


class ConcurrencyChecks:
    """Registrations and alias moves from many threads (and processes, for a ``shared``
    store) at once."""

    # Uses the contract's fixtures: store_uri, store_options, artifacts_dir, reg, booster.

    def test_registrations_from_many_threads_get_distinct_versions(
            self, reg, booster, store_uri, store_options, artifacts_dir):
        from ._registry import open_registry

        reg.register("m", booster)  # the store exists before the race
        # One registry each (as servers have), opened before the race starts.
        own = [open_registry(store_uri, artifacts_dir, store_options) for _ in range(WRITERS)]
        try:
            versions, errors = race(lambda i: int(own[i].register("m", booster).version))
        finally:
            for r in own:
                r.close()
        assert errors == [], errors[:3]
        assert sorted(versions) == list(range(2, WRITERS + 2))
        assert [v.version for v in reg.versions("m")] == list(range(WRITERS + 1, 0, -1))

    def test_alias_moves_from_many_threads_form_one_audited_chain(
            self, reg, booster, store_uri, store_options, artifacts_dir):
        from ._registry import open_registry

        if not plugins.has_capability(reg.store, "transactions"):
            pytest.skip("the store declares no transactions")
        for _ in range(WRITERS):
            reg.register("m", booster)

        own = [open_registry(store_uri, artifacts_dir, store_options) for _ in range(WRITERS)]
        try:
            _, errors = race(lambda i: [own[i].set_alias("m", "production", (i + k) % WRITERS + 1,
                                                         user=f"u{i}") for k in range(MOVES)])
        finally:
            for r in own:
                r.close()
        assert errors == [], errors[:3]
        history = list(reg.alias_history("m", "production"))[::-1]  # oldest first
        assert len(history) == WRITERS * MOVES
        for before, after in zip([None, *history], history, strict=False):
            assert after.from_version == (before.to_version if before else None), history
        assert reg.aliases("m")["production"] == history[-1].to_version

    def test_registrations_from_several_processes_get_distinct_versions(
            self, reg, booster, store_uri, store_options, artifacts_dir):
        if not plugins.has_capability(reg.store, "shared"):
            pytest.skip("the store does not declare 'shared'")
        reg.register("m", booster)
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        per, procs = 3, 3
        children = [ctx.Process(target=_register_in_process,
                                args=(store_uri, str(artifacts_dir), dict(store_options), per,
                                      out)) for _ in range(procs)]
        for child in children:
            child.start()
        got = [out.get(timeout=300) for _ in children]
        for child in children:
            child.join(60)
        errors = [g for g in got if isinstance(g, str)]
        assert errors == [], errors
        versions = sorted(v for g in got for v in g)
        assert versions == list(range(2, per * procs + 2)), (
            f"the processes registered versions {versions}: a 'shared' store must number "
            "them across processes")
        assert len(reg.versions("m")) == per * procs + 1
