"""``/bighead/api/models``: models, versions (with evaluation and figures), compare, aliases."""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_bighead.errors import InvalidSpec

from .. import views
from ..threads import in_thread
from .base import BigheadHandler


class _ModelsBase(BigheadHandler):
    def registry(self) -> Any:
        return self.bighead.registry()

    def check_alias_move(self, name: str, alias: str, version: int | None) -> Any:
        """A protected alias (c.BigheadApp.protected_aliases) moves for an admin, or for
        the author of an approved review of exactly this version and alias; it is
        removed or rolled back (``version`` None) by an admin only. Single-user mode
        allows it. Reads the review store: call it in a thread."""
        from jupyter_bighead.registry.protect import protected_aliases
        from jupyter_bighead.reviews.gate import check_alias_move

        return check_alias_move(self.bighead.reviews(), name, alias, version,
                                user=self.username(), groups=self.groups(),
                                roles=self.bighead.roles, protected=protected_aliases())

    def record_move(self, event: Any) -> None:
        """Link a protected alias's move to its review (the audit trail)."""
        from jupyter_bighead.registry.protect import protected_aliases
        from jupyter_bighead.reviews.gate import record_move

        if event.alias in protected_aliases() and event.to_version is not None:
            record_move(self.bighead.reviews(), event.name, event.alias, event.to_version,
                        user=self.username(), event=event)

    def page_args(self) -> dict[str, Any]:
        return {"limit": self.int_argument("limit", 50), "offset": self.int_argument("offset", 0),
                "cursor": self.get_argument("cursor", None) or None}


class ModelsHandler(_ModelsBase):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        """``?limit=&offset=&cursor=&prefix=``: a page of models."""
        args = self.page_args()
        page = await in_thread(self.registry().models,
                               prefix=self.get_argument("prefix", None) or None, **args)
        self.write_json(page.to_dict())


class ModelHandler(_ModelsBase):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        """One model: latest version and aliases."""
        self.write_json((await in_thread(self.registry().model, name)).to_dict())


class VersionsHandler(_ModelsBase):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        """``?limit=&offset=&cursor=``: a page of versions, newest first."""
        page = await in_thread(self.registry().versions, name, **self.page_args())
        self.write_json(page.to_dict())


class VersionHandler(_ModelsBase):
    @web.authenticated
    @authorized
    async def get(self, name: str, version: str) -> None:
        """A version: metrics, params, lineage, evaluation data and Plotly figures."""
        from jupyter_bighead.registry.api import parse_version, version_view

        view = await in_thread(version_view, self.registry(), name,
                               parse_version(version))
        self.write_json(views.version_view(view, self.bighead.paths))


class TrendHandler(_ModelsBase):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        """``?metric=roc_auc``: the metric across versions (data and figure)."""
        from jupyter_bighead.registry.api import trend_view

        metric = self.get_argument("metric", "roc_auc")
        self.write_json(await in_thread(trend_view, self.registry(), name, metric))


class CompareHandler(_ModelsBase):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        """``?a=1&b=2``: metric deltas and param, feature and schema differences."""
        from jupyter_bighead.registry.api import parse_version

        a, b = self.get_argument("a", None), self.get_argument("b", None)
        if a is None or b is None:
            raise InvalidSpec("pass the two versions to compare as ?a=N&b=M")
        result = await in_thread(self.registry().compare, name,
                                 parse_version(a, "a"), parse_version(b, "b"))
        self.write_json(result)


class AliasHandler(_ModelsBase):
    @web.authenticated
    @authorized
    async def put(self, name: str, alias: str) -> None:
        """Body ``{"version": N}``: point the alias at version N (audited)."""
        version = int(self.get_json_object()["version"])  # the schema: an integer >= 1
        await in_thread(self.check_alias_move, name, alias, version)
        event = await in_thread(self.registry().set_alias, name, alias, version,
                                user=self.username())
        await in_thread(self.record_move, event)
        self.write_json(event.to_dict())

    @web.authenticated
    @authorized
    async def delete(self, name: str, alias: str) -> None:
        """Remove the alias (audited)."""
        await in_thread(self.check_alias_move, name, alias, None)
        event = await in_thread(self.registry().delete_alias, name, alias,
                                user=self.username())
        self.write_json(event.to_dict())


class AliasRollbackHandler(_ModelsBase):
    @web.authenticated
    @authorized
    async def post(self, name: str, alias: str) -> None:
        """Undo the alias's last move."""
        await in_thread(self.check_alias_move, name, alias, None)
        event = await in_thread(self.registry().rollback, name, alias, user=self.username())
        await in_thread(self.record_move, event)
        self.write_json(event.to_dict())


class AliasHistoryHandler(_ModelsBase):
    @web.authenticated
    @authorized
    async def get(self, name: str, alias: str) -> None:
        """``?limit=&offset=``: every move of the alias, newest first."""
        page = await in_thread(
            self.registry().alias_history, name, alias,
            limit=self.int_argument("limit", 50), offset=self.int_argument("offset", 0) or 0,
        )
        self.write_json(page.to_dict())
