"""``/bighead/api/reviews``: the review gate for production, over REST.

Who may do what (the route's permission is in ..authz; the object's checks are here and
in :class:`jupyter_bighead.reviews.ReviewStore`):

- list, read, and read the report: anyone who may ``read``;
- request: ``write`` (a data scientist or an admin); the author is the request's user;
- comment: the review's author, or anyone who may ``review`` (reviewers, admins); a
  viewer, or a data scientist on someone else's review, only reads;
- approve or reject: ``review``, and never the review's author (403 saying so);
- withdraw: the author, or an admin.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_bighead.errors import NotFound

from ..threads import in_thread
from .base import BigheadHandler

#: The most reviews one listing returns.
MAX_LIMIT = 200
#: A report page's own policy: its inline scripts (Plotly) run, but in a sandbox with an
#: opaque origin (no ``allow-same-origin``), so they can never reach the lab or the
#: server with the user's credentials, and nothing is fetched from anywhere.
REPORT_CSP = ("frame-ancestors 'self'; sandbox allow-scripts; default-src 'none'; "
              "script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
              "img-src data:; font-src data:")


def summary(review: Any) -> dict[str, Any]:
    """A review as the API shows it: the record and a summary of its material (the
    report's status, not its HTML; the code diff as unified text, not as HTML)."""
    out: dict[str, Any] = review.to_dict()
    material = dict(out.get("material") or {})
    report = dict(material.get("report") or {})
    report.pop("file", None)
    report["available"] = report.get("status") == "rendered"
    material["report"] = report
    diff = dict(material.get("diff") or {})
    if isinstance(diff.get("code"), dict):
        diff["code"] = {k: v for k, v in diff["code"].items() if k != "html"}
    material["diff"] = diff
    out["material"] = material
    return out


class _ReviewsBase(BigheadHandler):
    def store(self) -> Any:
        return self.bighead.reviews()

    def text(self, key: str = "text") -> str:
        value = self.get_json_object().get(key)
        return "" if value is None else str(value)  # the schema: a bounded string


class ReviewsHandler(_ReviewsBase):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        """``?state=&model=&author=&limit=&offset=``: reviews, newest first."""
        limit = self.int_argument("limit", 50)
        if limit is not None:
            limit = min(limit, MAX_LIMIT)  # below 1: the store's 400
        page = await in_thread(
            self.store().list_reviews, state=self.get_argument("state", None) or None,
            model=self.get_argument("model", None) or None,
            author=self.get_argument("author", None) or None,
            limit=limit, offset=self.int_argument("offset", 0))
        self.write_json(page.to_dict())

    @web.authenticated
    @authorized
    async def post(self) -> None:
        """Body ``{"model_ref", "alias"?, "text"?}``: ask for a review; the author is
        the request's user, who needs ``write``."""
        body = self.get_json_object()
        user, groups = self.username(), self.groups()

        def request() -> Any:
            from jupyter_bighead.reviews.material import confined_notebook

            registry = self.bighead.registry()
            mv = registry.get(body["model_ref"])  # once: the notebook and the review agree
            # The lineage notebook is read only inside this server's root, as every path
            # a request names is; outside it the material says so.
            notebook = confined_notebook(
                mv, lambda p: self.bighead.paths.contents_path(p) is not None)
            return self.store().request(
                registry, f"{mv.name}:{mv.version}", alias=body.get("alias") or "production",
                author=user, notebook=notebook, note=body.get("text") or "",
                roles=self.bighead.roles, groups=groups)

        review = await in_thread(request)
        self.write_json(summary(review), status=201)


class ReviewHandler(_ReviewsBase):
    @web.authenticated
    @authorized
    async def get(self, review_id: str) -> None:
        """One review: its record, events, comments and a summary of its material."""
        self.write_json(summary(await in_thread(self.store().get, review_id)))


class ReviewReportHandler(_ReviewsBase):
    @property
    def content_security_policy(self) -> str:
        return REPORT_CSP

    @web.authenticated
    @authorized
    async def get(self, review_id: str) -> None:
        """The rendered reviewer report (HTML), served in a sandbox (see REPORT_CSP)."""
        store = self.store()
        path = await in_thread(store.report_path, review_id)
        if path is None:
            review = await in_thread(store.get, review_id)
            message = (review.material.get("report") or {}).get("message") or ""
            raise NotFound(f"review {review_id} has no reviewer report"
                           + (f": {message}" if message else ""))
        html = await in_thread(path.read_bytes)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-store")
        self.finish(html, set_content_type="text/html; charset=utf-8")


class ReviewCommentHandler(_ReviewsBase):
    @web.authenticated
    @authorized
    async def post(self, review_id: str) -> None:
        """Body ``{"text"}``: comment; the author, or anyone who may review."""
        text = self.text()
        store = self.store()
        review = await in_thread(store.get, review_id)
        if review.author != self.username():
            self.require("review", doing=f"comment on review {review_id} (its author "
                                          f"{review.author} or a reviewer may)")
        review = await in_thread(store.comment, review_id, self.username(), text,
                                 roles=self.bighead.roles, groups=self.groups())
        self.write_json(summary(review))


class _DecisionHandler(_ReviewsBase):
    state = ""

    @web.authenticated
    @authorized
    async def post(self, review_id: str) -> None:
        """Body ``{"text"?}``: decide a pending review (never one's own)."""
        review = await in_thread(self.store().decide, review_id, self.username(), self.state,
                                 self.text(), roles=self.bighead.roles, groups=self.groups())
        self.write_json(summary(review))


class ReviewApproveHandler(_DecisionHandler):
    state = "approved"


class ReviewRejectHandler(_DecisionHandler):
    state = "rejected"


class ReviewWithdrawHandler(_ReviewsBase):
    @web.authenticated
    @authorized
    async def post(self, review_id: str) -> None:
        """Withdraw a pending or approved review: its author, or an admin."""
        review = await in_thread(self.store().withdraw, review_id, self.username(),
                                 roles=self.bighead.roles, groups=self.groups())
        self.write_json(summary(review))
