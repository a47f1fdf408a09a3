"""Inputs are bounded and checked: text sizes, names, ids, pages."""

from __future__ import annotations

import pytest

import jupyter_bighead.reviews.store as review_store
from jupyter_bighead import reviews
from jupyter_bighead.errors import Conflict, InvalidSpec, NotFound
from jupyter_bighead.reviews.domain import MAX_TEXT_CHARS, MAX_USER_CHARS


@pytest.fixture
def quick(world):
    world.reg.register("plain", world.model)  # no notebook, no data: quick to request
    return world


def test_text_and_names_are_bounded(quick):
    reg, store = quick.reg, quick.store
    with pytest.raises(InvalidSpec, match="note has"):
        reviews.request_review(reg, "plain:1", author="dana", note="x" * (MAX_TEXT_CHARS + 1),
                               store=store)
    with pytest.raises(InvalidSpec, match="author"):
        reviews.request_review(reg, "plain:1", author="d" * (MAX_USER_CHARS + 1), store=store)
    with pytest.raises(InvalidSpec, match="author"):
        reviews.request_review(reg, "plain:1", author="  ", store=store)
    r = reviews.request_review(reg, "plain:1", author="dana", note="x" * MAX_TEXT_CHARS,
                               store=store)
    with pytest.raises(InvalidSpec, match="at most"):
        reviews.comment(r.id, "vera", "y" * (MAX_TEXT_CHARS + 1), store=store)
    with pytest.raises(InvalidSpec, match="must not be empty"):
        reviews.comment(r.id, "vera", "", store=store)
    with pytest.raises(InvalidSpec, match="must be a string"):
        reviews.comment(r.id, "vera", 42, store=store)  # type: ignore[arg-type]
    with pytest.raises(InvalidSpec):
        reviews.approve(r.id, "rita", "z" * (MAX_TEXT_CHARS + 1), store=store)
    long = reviews.comment(r.id, "vera", "w" * MAX_TEXT_CHARS, store=store)
    assert len(long.comments[0]["text"]) == MAX_TEXT_CHARS
    assert len(long.events[-1]["text"]) <= review_store.PREVIEW_CHARS + 1  # history: a preview


def test_comments_per_review_are_bounded(quick, monkeypatch):
    monkeypatch.setattr(review_store, "MAX_COMMENTS", 3)
    r = reviews.request_review(quick.reg, "plain:1", author="dana", store=quick.store)
    for i in range(3):
        reviews.comment(r.id, "vera", f"comment {i}", store=quick.store)
    with pytest.raises(Conflict, match="3 comments"):
        reviews.comment(r.id, "vera", "one more", store=quick.store)


def test_ids_states_and_pages_are_checked(quick):
    store = quick.store
    for bad in ("../etc", "x", "", "20261130070700000000-zzzzzz"):
        with pytest.raises(InvalidSpec):
            reviews.get(bad, store=store)
    with pytest.raises(NotFound):
        reviews.get("20261130070700000000-abcdef", store=store)
    with pytest.raises(InvalidSpec, match="unknown review state"):
        reviews.list_reviews(state="merged", store=store)
    for limit in (0, 1001, True):
        with pytest.raises(InvalidSpec):
            reviews.list_reviews(limit=limit, store=store)
    with pytest.raises(InvalidSpec):
        reviews.list_reviews(offset=-1, store=store)
    with pytest.raises(InvalidSpec):
        reviews.list_reviews(model="../x", store=store)
    with pytest.raises(InvalidSpec):
        reviews.check_alias_move("plain", "production", 0, user="dana", store=store)


def test_listing_pages_newest_first(quick):
    reg, store = quick.reg, quick.store
    made = [reviews.request_review(reg, "plain:1", alias=a, author="dana", store=store).id
            for a in ("a1", "a2", "a3")]
    page = reviews.list_reviews(limit=2, offset=1, store=store)
    assert page.total == 3 and [r.id for r in page] == made[::-1][1:3]


def test_listing_by_author_keeps_only_their_reviews(quick):
    reg, store = quick.reg, quick.store
    mine = reviews.request_review(reg, "plain:1", alias="a1", author="dana", store=store)
    reviews.request_review(reg, "plain:1", alias="a2", author="dino", store=store)
    page = reviews.list_reviews(author="dana", store=store)
    assert (page.total, [r.id for r in page]) == (1, [mine.id])
    assert reviews.list_reviews(author="nobody", store=store).total == 0
    with pytest.raises(InvalidSpec):
        reviews.list_reviews(author="x" * 300, store=store)


def test_a_hand_written_record_does_not_break_the_listing(quick):
    r = reviews.request_review(quick.reg, "plain:1", author="dana", store=quick.store)
    junk = quick.store.root / "20200101000000000000-abcdef"
    junk.mkdir()
    (junk / "record.json").write_text('{"id": "x", "state": "merged"}')
    assert [x.id for x in reviews.list_reviews(store=quick.store)] == [r.id]


def test_record_move_refuses_an_event_of_another_move(quick):
    with pytest.raises(InvalidSpec, match="not the move"):
        reviews.record_move("churn", "production", 2, user="adam",
                            event={"name": "churn", "alias": "production", "to_version": 1},
                            store=quick.store)
    assert reviews.record_move("churn", "production", 2, user="adam",
                               store=quick.store) is None
