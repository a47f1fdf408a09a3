"""The review gate as plain functions on the home's review store.

Each function takes ``store=`` (a :class:`~.store.ReviewStore`); without it, the store
under the home folder (``<home>/reviews``, see :meth:`ReviewStore.default`) is used,
which is the one a team's servers share.

``roles=None`` means the roles this process runs under (:func:`jupyter_bighead.roles.current_map`):
none in single-user mode; in a team's kernel (``$BIGHEAD_ROLES``) the caller's own, and
``by``/``author`` must then be the caller (:func:`jupyter_bighead.identity.current_user`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..errors import Conflict, Forbidden
from ..identity import current_user
from ..registry.domain import Page
from ..roles import RoleMap, current_groups, current_map
from . import gate
from .domain import APPROVED, REJECTED, Review
from .store import ReviewStore

if TYPE_CHECKING:
    from ..registry import AliasEvent, Registry


def _store(store: ReviewStore | None) -> ReviewStore:
    return store if store is not None else ReviewStore.default()


def _caller(who: str, roles: RoleMap | None,
            groups: Iterable[str]) -> tuple[RoleMap | None, tuple[str, ...]]:
    """The roles and groups to check ``who`` with: the explicit ones, else the team's
    (``$BIGHEAD_ROLES``), in which case ``who`` must be the caller."""
    if roles is not None:
        return roles, tuple(groups)
    team = current_map()
    if not team.configured:
        return None, tuple(groups)
    me = current_user()
    if who != me:
        raise Forbidden(f"{me} may not act as {who!r}: in a team, reviews are requested "
                        "and decided under one's own name")
    return team, current_groups()


def request_review(registry: Registry, model_ref: str, *, alias: str = "production",
                   author: str, notebook: str | os.PathLike[str] | None = None,
                   note: str = "", roles: RoleMap | None = None, groups: Iterable[str] = (),
                   store: ReviewStore | None = None) -> Review:
    """Ask reviewers to approve ``model_ref`` for ``alias``; see :meth:`ReviewStore.request`."""
    roles, groups = _caller(author, roles, groups)
    return _store(store).request(registry, model_ref, alias=alias, author=author,
                                 notebook=notebook, note=note, roles=roles, groups=groups)


def comment(review_id: str, by: str, text: str, *, roles: RoleMap | None = None,
            groups: Iterable[str] = (), store: ReviewStore | None = None) -> Review:
    """Comment on a review; see :meth:`ReviewStore.comment`."""
    roles, groups = _caller(by, roles, groups)
    return _store(store).comment(review_id, by, text, roles=roles, groups=groups)


def approve(review_id: str, by: str, text: str = "", *, roles: RoleMap | None = None,
            groups: Iterable[str] = (), store: ReviewStore | None = None) -> Review:
    """Approve a pending review; see :meth:`ReviewStore.decide` for who may."""
    roles, groups = _caller(by, roles, groups)
    return _store(store).decide(review_id, by, APPROVED, text, roles=roles, groups=groups)


def reject(review_id: str, by: str, text: str, *, roles: RoleMap | None = None,
           groups: Iterable[str] = (), store: ReviewStore | None = None) -> Review:
    """Reject a pending review, saying why; see :meth:`ReviewStore.decide`."""
    roles, groups = _caller(by, roles, groups)
    return _store(store).decide(review_id, by, REJECTED, text, roles=roles, groups=groups)


def withdraw(review_id: str, by: str, *, roles: RoleMap | None = None,
             groups: Iterable[str] = (), store: ReviewStore | None = None) -> Review:
    """Withdraw a pending or approved review; see :meth:`ReviewStore.withdraw`."""
    roles, groups = _caller(by, roles, groups)
    return _store(store).withdraw(review_id, by, roles=roles, groups=groups)


def move_alias(review_id: str, registry: Registry | None = None, *,
               store: ReviewStore | None = None) -> AliasEvent:
    """Move the alias an approved review is for to its version, as its author (or an
    admin), and link the move to the review (see :func:`record_move`).

    Raises
    ------
    Conflict
        The review is not approved (pending, rejected or withdrawn).
    jupyter_bighead.roles.MissingRole
        In a team, the caller is neither the review's author nor an admin.
    """
    st = _store(store)
    review = st.get(review_id)
    if review.state != APPROVED:
        raise Conflict(f"review {review.id} is {review.state}: only an approved review moves "
                       f"{review.alias!r} of {review.name!r}")
    if registry is None:
        from ..registry.default import default_registry

        registry = default_registry()
    event = registry.set_alias(review.name, review.alias, review.version, approval=review.id)
    gate.record_move(st, review.name, review.alias, review.version, user=event.by,
                     event=event)
    return event


def get(review_id: str, *, store: ReviewStore | None = None) -> Review:
    """One review (``NotFound`` if unknown)."""
    return _store(store).get(review_id)


def list_reviews(state: str | None = None, model: str | None = None, *, limit: int = 50,
                 offset: int = 0, author: str | None = None,
                 store: ReviewStore | None = None) -> Page[Review]:
    """Reviews newest first, filtered by ``state``, ``model`` and ``author``."""
    return _store(store).list_reviews(state=state, model=model, limit=limit, offset=offset,
                                      author=author)


def check_alias_move(name: str, alias: str, version: int | None, *, user: str,
                     groups: Iterable[str] = (), roles: RoleMap | None = None,
                     protected: Iterable[str] | None = None,
                     store: ReviewStore | None = None) -> Review | None:
    """The production gate; see :func:`.gate.check_alias_move`."""
    return gate.check_alias_move(_store(store), name, alias, version, user=user,
                                 groups=groups, roles=roles, protected=protected)


def record_move(name: str, alias: str, version: int, *, user: str, event: Any = None,
                store: ReviewStore | None = None) -> Review | None:
    """Link an alias move to the review that allowed it; see :func:`.gate.record_move`."""
    return gate.record_move(_store(store), name, alias, version, user=user, event=event)


def history(model: str, registry: Registry | None = None, *, limit: int | None = None,
            store: ReviewStore | None = None) -> list[dict[str, Any]]:
    """The audit trail of ``model``, newest first; see :func:`.gate.history`."""
    return gate.history(_store(store), model, registry, limit=limit)
