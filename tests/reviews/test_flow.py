"""The review gate end to end on a real registry: request, comment, decide, move."""

from __future__ import annotations

import pytest

from jupyter_bighead import reviews
from jupyter_bighead.errors import Conflict, Forbidden, InvalidSpec, NotFound
from jupyter_bighead.roles import MissingRole, RoleMap

from .conftest import DS, REV


def test_author_requests_reviewer_approves_then_only_the_author_or_an_admin_moves(world):
    reg, store, roles = world.reg, world.store, world.roles
    r = reviews.request_review(reg, "churn:2", author="dana", note="more trees", roles=roles,
                               groups=DS, store=store)
    assert (r.name, r.version, r.alias, r.state) == ("churn", 2, "production", "pending")

    with pytest.raises(Forbidden, match=r"dana requested review .* may not approve"):
        reviews.approve(r.id, "dana", roles=roles, groups=DS, store=store)
    with pytest.raises(MissingRole, match=r"dave may not approve .* reviewer or admin"):
        reviews.approve(r.id, "dave", roles=roles, groups=DS, store=store)
    with pytest.raises(MissingRole, match=rf"review {r.id} .* is pending"):
        reviews.check_alias_move("churn", "production", 2, user="dana", groups=DS,
                                 roles=roles, store=store)

    reviews.comment(r.id, "vera", "why 50 trees?", roles=roles, store=store)
    reviews.comment(r.id, "dana", "the PR curve, see the card", roles=roles, groups=DS,
                    store=store)
    done = reviews.approve(r.id, "rita", "ok", roles=roles, groups=REV, store=store)
    assert done.state == "approved" and done.decision["by"] == "rita"
    assert [c["by"] for c in done.comments] == ["vera", "dana"]

    # The author passes the gate for exactly that version and alias.
    assert reviews.check_alias_move("churn", "production", 2, user="dana", groups=DS,
                                    roles=roles, store=store).id == r.id
    with pytest.raises(MissingRole):
        reviews.check_alias_move("churn", "production", 1, user="dana", groups=DS,
                                 roles=roles, store=store)
    # Another data scientist does not, nor does the reviewer.
    with pytest.raises(Forbidden, match="only dana or an admin"):
        reviews.check_alias_move("churn", "production", 2, user="dave", groups=DS,
                                 roles=roles, store=store)
    with pytest.raises(Forbidden):
        reviews.check_alias_move("churn", "production", 2, user="rita", groups=REV,
                                 roles=roles, store=store)
    # An admin always does, with or without a review, and may remove the alias.
    for version in (2, 1, None):
        assert reviews.check_alias_move("churn", "production", version, user="adam",
                                        roles=roles, store=store) is None
    with pytest.raises(MissingRole, match="remove the protected alias"):
        reviews.check_alias_move("churn", "production", None, user="dana", groups=DS,
                                 roles=roles, store=store)

    event = reg.set_alias("churn", "production", 2, user="dana")
    moved = reviews.record_move("churn", "production", 2, user="dana", event=event,
                                store=store)
    assert moved.applied and moved.moves[0]["alias_event"] == event.id
    assert moved.moves[0]["from_version"] == 1
    assert reg.aliases("churn")["production"] == 2

    with pytest.raises(Conflict, match=r"approved already .by rita"):
        reviews.approve(r.id, "rob", roles=roles, groups=REV, store=store)
    with pytest.raises(Conflict):
        reviews.reject(r.id, "rob", "too late", roles=roles, groups=REV, store=store)


def test_history_names_each_person_and_links_the_move_to_its_review(world):
    reg, store, roles = world.reg, world.store, world.roles
    r = reviews.request_review(reg, "churn:2", author="dana", store=store)
    reviews.comment(r.id, "vera", "looks fine", roles=roles, store=store)
    reviews.approve(r.id, "rita", roles=roles, groups=REV, store=store)
    event = reg.set_alias("churn", "production", 2, user="dana")
    reviews.record_move("churn", "production", 2, user="dana", event=event, store=store)

    steps = reviews.history("churn", reg, store=store)
    assert [(s["action"], s["by"]) for s in steps] == [
        ("moved", "dana"), ("approved", "rita"), ("commented", "vera"),
        ("requested", "dana"), ("alias_set", "adam")]
    assert all(s["at"] for s in steps)
    assert {s["review"] for s in steps[:4]} == {r.id} and steps[4]["review"] is None
    # The move under review is not listed twice (once from the registry's alias history).
    assert len([s for s in steps if s.get("alias_event") == event.id]) == 1
    assert [s["action"] for s in reviews.history("churn", store=store)] == [
        "moved", "approved", "commented", "requested"]


def test_a_rejection_needs_a_reason_and_closes_the_gate(world):
    reg, store, roles = world.reg, world.store, world.roles
    r = reviews.request_review(reg, "churn", author="dana", store=store)  # latest: v2
    assert r.version == 2
    with pytest.raises(InvalidSpec, match="must not be empty"):
        reviews.reject(r.id, "rob", "  ", roles=roles, groups=REV, store=store)
    done = reviews.reject(r.id, "rob", "calibration got worse", roles=roles, groups=REV,
                          store=store)
    assert done.state == "rejected" and done.decision["text"] == "calibration got worse"
    with pytest.raises(Conflict, match="rejected already"):
        reviews.approve(r.id, "rita", roles=roles, groups=REV, store=store)
    with pytest.raises(MissingRole):
        reviews.check_alias_move("churn", "production", 2, user="dana", groups=DS,
                                 roles=roles, store=store)
    # After a rejection the author may ask again.
    again = reviews.request_review(reg, "churn:2", author="dana", store=store)
    assert again.id != r.id and again.state == "pending"
    states = [x.state for x in reviews.list_reviews(model="churn", store=store)]
    assert states == ["pending", "rejected"]
    assert [x.id for x in reviews.list_reviews(state="rejected", store=store)] == [r.id]


def test_withdrawing_an_approved_review_revokes_it(world):
    reg, store, roles = world.reg, world.store, world.roles
    r = reviews.request_review(reg, "churn:2", author="dana", store=store)
    with pytest.raises(Conflict, match="pending"):
        reviews.request_review(reg, "churn:2", author="dave", store=store)
    reviews.approve(r.id, "rita", roles=roles, groups=REV, store=store)
    with pytest.raises(Conflict, match="approved already"):
        reviews.request_review(reg, "churn:2", author="dana", store=store)
    with pytest.raises(Forbidden, match="only its author"):
        reviews.withdraw(r.id, "dave", roles=roles, groups=DS, store=store)
    assert reviews.withdraw(r.id, "dana", store=store).state == "withdrawn"
    with pytest.raises(MissingRole):
        reviews.check_alias_move("churn", "production", 2, user="dana", groups=DS,
                                 roles=roles, store=store)
    with pytest.raises(Conflict, match="withdrawn already"):
        reviews.withdraw(r.id, "dana", store=store)
    # An admin may withdraw anyone's.
    other = reviews.request_review(reg, "churn:2", author="dave", store=store)
    assert reviews.withdraw(other.id, "adam", roles=roles, store=store).state == "withdrawn"


def test_single_user_mode_gates_nothing_but_still_refuses_self_approval(world):
    reg, store = world.reg, world.store
    solo = RoleMap()
    assert reviews.check_alias_move("churn", "production", 2, user="me", roles=solo,
                                    store=store) is None
    assert reviews.check_alias_move("churn", "production", None, user="me",
                                    store=store) is None  # roles=None: single-user too
    r = reviews.request_review(reg, "churn:2", author="me", store=store)
    with pytest.raises(Forbidden, match="me requested review"):
        reviews.approve(r.id, "me", store=store)
    assert reviews.approve(r.id, "colleague", store=store).state == "approved"


def test_only_protected_aliases_are_gated(world):
    roles, store = world.roles, world.store
    assert reviews.check_alias_move("churn", "staging", 2, user="dana", groups=DS,
                                    roles=roles, store=store) is None
    with pytest.raises(MissingRole):
        reviews.check_alias_move("churn", "champion", 2, user="dana", groups=DS,
                                 roles=roles, protected=["production", "champion"],
                                 store=store)
    assert reviews.check_alias_move("churn", "production", 2, user="dana", groups=DS,
                                    roles=roles, protected=[], store=store) is None


def test_an_author_who_lost_write_no_longer_passes(world):
    reg, store, roles = world.reg, world.store, world.roles
    r = reviews.request_review(reg, "churn:2", author="dana", store=store)
    reviews.approve(r.id, "rita", roles=roles, groups=REV, store=store)
    with pytest.raises(MissingRole, match="data_scientist"):
        reviews.check_alias_move("churn", "production", 2, user="dana", groups=(),
                                 roles=roles, store=store)


def test_requests_are_checked(world):
    reg, store, roles = world.reg, world.store, world.roles
    with pytest.raises(MissingRole, match="vera may not request a review"):
        reviews.request_review(reg, "churn:2", author="vera", roles=roles, store=store)
    with pytest.raises(NotFound):
        reviews.request_review(reg, "churn:9", author="dana", store=store)
    with pytest.raises(NotFound):
        reviews.request_review(reg, "nope", author="dana", store=store)
    with pytest.raises(Conflict, match="already points at v1"):
        reviews.request_review(reg, "churn@production", author="dana", store=store)
    with pytest.raises(InvalidSpec):
        reviews.request_review(reg, "churn:2", alias="9bad", author="dana", store=store)
    assert reviews.list_reviews(store=store).total == 0
    assert list(store.root.iterdir()) == [store.root / ".records.lock"] or \
        not any(p.is_dir() for p in store.root.iterdir())


def test_the_default_store_lives_under_the_home(world, tmp_path):
    r = reviews.request_review(world.reg, "churn:2", author="dana")
    assert (tmp_path / "home" / "reviews" / r.id / "record.json").is_file()
    assert reviews.get(r.id).author == "dana"
