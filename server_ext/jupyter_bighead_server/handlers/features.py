"""``/bighead/api/features``: the catalog, one feature, version diffs, online preview."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_bighead.errors import InvalidSpec

from .. import views
from ..threads import in_thread
from .base import BigheadHandler


class FeaturesHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        """``?search=&tag=&owner=&limit=&offset=``: a page of the catalog."""
        from jupyter_bighead.features.api import list_catalog

        result = await in_thread(
            list_catalog, self.bighead.feature_repo(),
            search=self.get_argument("search", None), tag=self.get_argument("tag", None),
            owner=self.get_argument("owner", None), limit=self.int_argument("limit", 100) or 100,
            offset=self.int_argument("offset", 0) or 0,
        )
        self.write_json(result)


class FeatureHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        """One feature: every version, its definition and what changed."""
        from jupyter_bighead.features.api import describe

        self.write_json(await in_thread(describe, self.bighead.feature_repo(), name))


class FeatureDiffHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        """``?a=1&b=2``: the fields that differ between two versions."""
        a, b = self.int_argument("a", None), self.int_argument("b", None)
        if a is None or b is None:
            raise InvalidSpec("pass the two versions to compare as ?a=N&b=M")
        diff = await in_thread(self.bighead.feature_repo().diff, name, a, b)
        self.write_json(views.feature_diff_view(name, a, b, diff))


class FeaturePreviewHandler(BigheadHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        """Body ``{"features": [...], "entities": [...], "at": ISO|null}``: online values."""
        from jupyter_bighead.features.api import preview

        body = self.get_json_object()  # features and entities lists, at a string or null
        result = await in_thread(preview, self.bighead.feature_repo(), body["features"],
                                 body["entities"], body.get("at"))
        self.write_json(result)
