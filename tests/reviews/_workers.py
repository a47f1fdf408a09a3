"""Run in a separate process by test_concurrency (spawned: imports only what it needs)."""

from __future__ import annotations

from typing import Any


def approve_in_process(root: str, review_id: str, by: str, barrier: Any, results: Any) -> None:
    from jupyter_bighead.errors import Conflict
    from jupyter_bighead.reviews import ReviewStore, approve

    store = ReviewStore(root)  # its own thread lock: only the file lock is shared
    barrier.wait(timeout=60)
    try:
        approve(review_id, by, f"approved by {by}", store=store)
        results.put((by, "approved"))
    except Conflict:
        results.put((by, "conflict"))
