"""Deciding at once: exactly one decision lands, from threads and from processes."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor

from jupyter_bighead import reviews
from jupyter_bighead.errors import Conflict
from jupyter_bighead.reviews import ReviewStore

from ._workers import approve_in_process
from .conftest import REV


def _race(n: int, work):
    barrier = threading.Barrier(n)

    def run(i: int):
        barrier.wait(timeout=30)
        try:
            return ("ok", work(i))
        except Conflict as exc:
            return ("conflict", exc)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def test_two_reviewers_approving_at_once_from_threads_one_wins(world):
    reg, store, roles = world.reg, world.store, world.roles
    for alias in ("production", "champion", "gold", "blue"):
        r = reviews.request_review(reg, "churn:2", alias=alias, author="dana", store=store)
        people = ["rita", "rob", "ruth"]
        out = _race(3, lambda i, r=r, people=people: reviews.approve(
            r.id, people[i], roles=roles, groups=REV, store=store))
        wins = [review for status, review in out if status == "ok"]
        assert len(wins) == 1 and sum(s == "conflict" for s, _ in out) == 2
        stored = reviews.get(r.id, store=store)
        assert stored.decision["by"] == wins[0].decision["by"]
        assert [e["action"] for e in stored.events] == ["requested", "approved"]


def test_approve_and_reject_at_once_from_processes_exactly_one_decides(world):
    reg, store = world.reg, world.store
    r = reviews.request_review(reg, "churn:2", author="dana", store=store)
    ctx = multiprocessing.get_context("spawn")
    people = ["rita", "rob", "ruth", "rosa"]
    barrier, results = ctx.Barrier(len(people)), ctx.Queue()
    procs = [ctx.Process(target=approve_in_process,
                         args=(str(store.root), r.id, who, barrier, results))
             for who in people]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert all(p.exitcode == 0 for p in procs)
    got = dict(results.get(timeout=5) for _ in people)
    winners = [who for who, status in got.items() if status == "approved"]
    assert len(winners) == 1 and sorted(got) == sorted(people)
    stored = ReviewStore(store.root).get(r.id)
    assert stored.state == "approved" and stored.decision["by"] == winners[0]
    assert [e["action"] for e in stored.events] == ["requested", "approved"]


def test_two_requests_of_the_same_move_at_once_make_one_review(world):
    reg, store = world.reg, world.store
    reg.register("plain", world.model)  # no notebook, no data: quick to request
    out = _race(2, lambda i: reviews.request_review(
        reg, "plain:1", author=["dana", "dave"][i], store=store))
    assert sorted(s for s, _ in out) == ["conflict", "ok"]
    assert reviews.list_reviews(model="plain", store=store).total == 1
    # The loser's folder is gone too.
    assert len([p for p in store.root.iterdir() if p.is_dir()]) == 1
