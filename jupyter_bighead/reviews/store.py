"""Reviews on disk: one folder per review: ``record.json`` (the review's state, small),
``material.json`` (what the reviewer reads, written once) and ``report.html``.

The folder is ``<home>/reviews`` by default, beside ``jobs/``: every server of a team
shares it the way they share job records. Writes go through
:class:`~jupyter_bighead.recordstore.RecordStore`, whose update holds one lock across
threads and processes, so of two reviewers deciding at once exactly one decision lands
and the other gets :class:`~jupyter_bighead.errors.Conflict`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jupyter_bighead.recordstore as recordstore

from .._io import atomic_write_text
from ..errors import Conflict, Forbidden, InvalidSpec
from ..registry.domain import Page
from ..registry.names import check_alias, check_name
from ..roles import RoleMap
from .domain import (
    APPROVED,
    MAX_COMMENTS,
    PENDING,
    REJECTED,
    STATES,
    WITHDRAWN,
    Review,
    check_text,
    check_user,
    now,
)
from .material import REPORT_FILE, gather

#: What the reviewer reads, beside the record: written once, so that listings and the
#: gate read only the small records.
MATERIAL_FILE = "material.json"

if TYPE_CHECKING:
    from ..registry import Registry

_ID = re.compile(r"\d{20}-[0-9a-f]{6}\Z")
#: How much of a comment the audit history repeats (the review keeps all of it).
PREVIEW_CHARS = 200
MAX_PAGE = 1000


def new_review_id() -> str:
    """A new id: the time (so ids sort oldest first) and six random hex digits."""
    return f"{datetime.now(UTC).strftime('%Y%m%d%H%M%S%f')}-{secrets.token_hex(3)}"


def _event(action: str, by: str, at: str, text: str = "", **extra: Any) -> dict[str, Any]:
    short = text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…"
    return {"action": action, "by": by, "at": at, "text": short, **extra}


#: The stores this process opened, where :func:`read_approval` looks for a review.
_OPENED: dict[str, ReviewStore] = {}


def read_approval(review_id: str) -> Review | None:
    """The review ``review_id`` as stored (the home's store first, then the others this
    process opened), or ``None``: what an approval handed to the registry is checked
    against (see :func:`jupyter_bighead.registry.protect.check_team_move`)."""
    stores: list[ReviewStore] = []
    try:
        stores.append(ReviewStore.default())
    except Exception:  # no home: only the stores opened explicitly
        pass
    stores.extend(_OPENED.values())
    for store in stores:
        try:
            return store.get(review_id)
        except Exception:
            continue
    return None


class ReviewStore:
    """Reviews of model versions for an alias, under ``root``.

    Parameters
    ----------
    root
        The folder (created if missing); :meth:`default` is ``<home>/reviews``.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        _OPENED[str(self.root.resolve())] = self
        self.records = recordstore.RecordStore(
            self.root, kind="review", id_pattern=_ID, layout="folder",
            bad_id="{id!r} is not a review id")

    @classmethod
    def default(cls) -> ReviewStore:
        """The store under the home folder (see :class:`~jupyter_bighead.config.BigheadHome`)."""
        from ..config import BigheadHome

        return cls(BigheadHome.resolve().root / "reviews")

    def __repr__(self) -> str:
        return f"ReviewStore({str(self.root)!r})"

    # -- reading ----------------------------------------------------------------------
    def get(self, review_id: str) -> Review:
        """One review with its material. Raises ``NotFound`` (unknown id) or
        ``InvalidSpec`` (not an id)."""
        return self._with_material(Review.from_dict(self.records.read(review_id)))

    def _with_material(self, review: Review) -> Review:
        try:
            material = recordstore.load_json(
                (self.records.folder(review.id) / MATERIAL_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            material = {}
        return replace(review, material=material if isinstance(material, dict) else {})

    def report_path(self, review_id: str) -> Path | None:
        """The reviewer report's HTML file, or ``None`` when the review has none."""
        review = self.get(review_id)
        if (review.material.get("report") or {}).get("file") != REPORT_FILE:
            return None
        path = self.records.folder(review_id) / REPORT_FILE
        return path if path.is_file() else None

    def all(self, model: str | None = None) -> list[Review]:
        """Every readable review (of ``model``, if given), newest first, without its
        material (:meth:`get` reads that)."""
        out = []
        for _, data in self.records.records(sorted(self.records.ids(), reverse=True)):
            try:
                review = Review.from_dict(data)
            except (InvalidSpec, TypeError, ValueError):
                continue  # a record written by hand is not a review
            if model is None or review.name == model:
                out.append(review)
        return out

    def list_reviews(self, *, state: str | None = None, model: str | None = None, limit: int = 50,
                     offset: int = 0, author: str | None = None) -> Page[Review]:
        """Reviews newest first, optionally only those in ``state``, of ``model`` or
        requested by ``author``; without their material (:meth:`get` reads that)."""
        if state is not None and state not in STATES:
            raise InvalidSpec(f"unknown review state {state!r}; known: {', '.join(STATES)}")
        if model is not None:
            check_name(model)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
            raise InvalidSpec(f"limit must be an integer from 1 to {MAX_PAGE}")
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise InvalidSpec("offset must be a non-negative integer")
        if author is not None:
            author = check_user(author, "author")
        found = [r for r in self.all(model) if (state is None or r.state == state)
                 and (author is None or r.author == author)]
        return Page(tuple(found[offset:offset + limit]), len(found), None)

    def approved_for(self, name: str, version: int, alias: str) -> list[Review]:
        """The approved reviews of exactly ``name`` v``version`` for ``alias``, newest first."""
        return [r for r in self.all(name) if r.state == APPROVED and
                (r.version, r.alias) == (version, alias)]

    def _open_clash(self, name: str, version: int, alias: str, author: str) -> Review | None:
        for r in self.all(name):
            if (r.version, r.alias) != (version, alias):
                continue
            if r.state == PENDING or (r.state == APPROVED and r.author == author):
                return r
        return None

    # -- writing ----------------------------------------------------------------------
    def request(self, registry: Registry, model_ref: str, *, alias: str = "production",
                author: str, notebook: str | os.PathLike[str] | None = None, note: str = "",
                roles: RoleMap | None = None, groups: Iterable[str] = ()) -> Review:
        """Ask for ``model_ref`` (``NAME``, ``NAME:N``, ``NAME@ALIAS``) to become ``alias``.

        The version is resolved now and the review is for exactly that version. What
        the reviewer reads is gathered now (see :mod:`.material`); ``notebook`` replaces
        the source notebook the version's lineage names. With ``roles``, ``author``
        needs the ``write`` permission.

        Raises
        ------
        NotFound
            Unknown model, version or alias.
        InvalidSpec
            A bad reference, alias, author or note (longer than the bound).
        MissingRole
            With ``roles``, an author who may not write.
        Conflict
            ``alias`` already points at the version; a review of the same version for
            the same alias is pending, or this author's is approved already.
        """
        author = check_user(author, "author")
        note = check_text(note, "note")
        check_alias(alias)
        if roles is not None:
            roles.require(author, "write", groups, doing="request a review")
        mv = registry.get(model_ref)
        if registry.aliases(mv.name).get(alias) == mv.version:
            raise Conflict(f"{alias!r} of {mv.name!r} already points at v{mv.version}")
        self._refuse_clash(mv.name, mv.version, alias, author)
        rid = new_review_id()
        folder = self.records.folder(rid)
        folder.mkdir(parents=True)
        try:
            material = gather(registry, mv, alias, folder, notebook)  # slow: outside the lock
            at = now()
            review = Review(id=rid, name=mv.name, version=mv.version, alias=alias,
                            author=author, created=at, note=note, material=material,
                            events=(_event("requested", author, at, note),))
            atomic_write_text(folder / MATERIAL_FILE, json.dumps(material))
            with self.records.locked(rid):
                self._refuse_clash(mv.name, mv.version, alias, author)  # one of two racers
                self.records.create(rid, {**review.to_dict(), "material": {}})
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return review

    def _refuse_clash(self, name: str, version: int, alias: str, author: str) -> None:
        clash = self._open_clash(name, version, alias, author)
        if clash is None:
            return
        if clash.state == PENDING:
            raise Conflict(f"review {clash.id} of {name} v{version} for {alias!r} (requested "
                           f"by {clash.author}) is pending: comment there or withdraw it first")
        raise Conflict(f"review {clash.id} of {name} v{version} for {alias!r} is approved "
                       f"already: {author} may move the alias")

    def _change(self, review_id: str, change: Callable[[Review], Mapping[str, Any]]) -> Review:
        def apply(data: dict[str, Any]) -> Mapping[str, Any]:
            review = Review.from_dict(data)
            return {**review.to_dict(), **change(review), "material": {}}

        return self._with_material(Review.from_dict(self.records.update(review_id, apply)))

    def comment(self, review_id: str, by: str, text: str, *, roles: RoleMap | None = None,
                groups: Iterable[str] = ()) -> Review:
        """Add a comment (any state). With ``roles``, ``by`` needs ``read``.

        Raises ``NotFound``, ``InvalidSpec`` (empty or too long), ``MissingRole``, or
        ``Conflict`` when the review holds :data:`~.domain.MAX_COMMENTS` comments.
        """
        by, text = check_user(by, "by"), check_text(text, "a comment", required=True)
        if roles is not None:
            roles.require(by, "read", groups, doing=f"comment on review {review_id}")

        def change(review: Review) -> dict[str, Any]:
            if len(review.comments) >= MAX_COMMENTS:
                raise Conflict(f"review {review_id} has {MAX_COMMENTS} comments, the most "
                               "one review keeps")
            at = now()
            return {"comments": [*review.comments, {"by": by, "at": at, "text": text}],
                    "events": [*review.events, _event("commented", by, at, text)]}

        return self._change(review_id, change)

    def decide(self, review_id: str, by: str, state: str, text: str = "", *,
               roles: RoleMap | None = None, groups: Iterable[str] = ()) -> Review:
        """Approve (``state="approved"``) or reject (``"rejected"``, ``text`` required).

        ``by`` needs the ``review`` permission (``roles``; ``None`` is single-user mode,
        where everyone holds every role) and must not be the review's author, in any
        mode. Exactly one decision is ever recorded.

        Raises
        ------
        MissingRole
            ``by`` may not review.
        Forbidden
            ``by`` requested the review.
        Conflict
            The review is decided or withdrawn already (also for the loser of two
            reviewers deciding at once).
        NotFound, InvalidSpec
            Unknown review; a bad user name or text.
        """
        if state not in (APPROVED, REJECTED):
            raise InvalidSpec("a decision is 'approved' or 'rejected'")
        verb = "approve" if state == APPROVED else "reject"
        by = check_user(by, "by")
        text = check_text(text, "the reason for a rejection" if state == REJECTED
                          else "the approval's text", required=state == REJECTED)
        if self.get(review_id).author == by:  # first: it is the reason, whatever the roles
            raise Forbidden(f"{by} requested review {review_id} and may not {verb} it: "
                            "another reviewer must decide it")
        (roles or RoleMap()).require(by, "review", groups, doing=f"{verb} review {review_id}")

        def change(review: Review) -> dict[str, Any]:
            if review.state != PENDING:
                raise Conflict(f"review {review_id} is {review.state} already"
                               + _by_whom(review))
            at = now()
            return {"state": state, "decision": {"by": by, "at": at, "text": text,
                                                 "state": state},
                    "events": [*review.events, _event(state, by, at, text)]}

        return self._change(review_id, change)

    def withdraw(self, review_id: str, by: str, *, roles: RoleMap | None = None,
                 groups: Iterable[str] = ()) -> Review:
        """The author (or, with ``roles``, an admin) withdraws a pending or approved
        review; an approved one no longer lets anyone move the alias.

        Raises ``Forbidden`` for anyone else, ``Conflict`` for a rejected, withdrawn or
        applied review.
        """
        by = check_user(by, "by")
        admin = roles is not None and roles.configured and roles.allows(by, "admin", groups)

        def change(review: Review) -> dict[str, Any]:
            if by != review.author and not admin:
                raise Forbidden(f"{by} may not withdraw review {review_id}: only its author "
                                f"({review.author}) or an admin may")
            if review.state not in (PENDING, APPROVED) or review.applied:
                what = "applied" if review.applied else review.state
                raise Conflict(f"review {review_id} is {what} already" + _by_whom(review))
            at = now()
            return {"state": WITHDRAWN,
                    "events": [*review.events, _event("withdrawn", by, at)]}

        return self._change(review_id, change)

    def add_move(self, review_id: str, by: str, *, from_version: int | None,
                 alias_event: int | None) -> Review:
        """Record that ``by`` moved the alias under this (approved) review."""
        def change(review: Review) -> dict[str, Any]:
            if review.state != APPROVED:
                raise Conflict(f"review {review_id} is {review.state}, not approved")
            at = now()
            move = {"by": by, "at": at, "from_version": from_version,
                    "alias_event": alias_event}
            return {"moves": [*review.moves, move],
                    "events": [*review.events, _event(
                        "moved", by, at, f"{review.alias} -> v{review.version}",
                        from_version=from_version, alias_event=alias_event)]}

        return self._change(review_id, change)


def _by_whom(review: Review) -> str:
    d = review.decision
    if d:
        return f" (by {d.get('by')} at {d.get('at')})"
    last = review.events[-1] if review.events else {}
    return f" (by {last.get('by')} at {last.get('at')})" if last else ""
