"""The review gate for production: reviews of a model version for an alias.

A data scientist requests a review of a version for ``production`` (or any protected
alias); the review carries what the reviewer reads (the source notebook's reviewer
report, the model card, the evaluation, the diff against the version the alias points
at now). A reviewer comments, approves or rejects; the author never decides their own.
Once approved, its author (or an admin) moves the alias with :func:`move_alias`; the
server's routes call :func:`check_alias_move`, move it, then :func:`record_move`, which
links the move to the review. :func:`history` lists every step with who and when.

>>> from jupyter_bighead import reviews
>>> r = reviews.request_review(reg, "churn:3", author="dana")
>>> reviews.approve(r.id, "rita", "looks right", roles=role_map)
>>> reviews.move_alias(r.id, reg)   # as dana
"""

from __future__ import annotations

from ..registry import protect as _protect
from .api import (
    approve,
    check_alias_move,
    comment,
    get,
    history,
    list_reviews,
    move_alias,
    record_move,
    reject,
    request_review,
    withdraw,
)
from .domain import APPROVED, PENDING, REJECTED, STATES, WITHDRAWN, Review
from .store import ReviewStore, read_approval

_protect.set_approval_reader(read_approval)

__all__ = [
    "APPROVED",
    "PENDING",
    "REJECTED",
    "STATES",
    "WITHDRAWN",
    "Review",
    "ReviewStore",
    "approve",
    "check_alias_move",
    "comment",
    "get",
    "history",
    "list_reviews",
    "move_alias",
    "record_move",
    "reject",
    "request_review",
    "withdraw",
]
