"""The :class:`Registry`: register, load, alias and compare model versions.

A registry is a metadata :class:`~.store.Store` (SQLite or PostgreSQL) plus an
:class:`~.artifacts.ArtifactStore` folder. This class holds the logic both share:
validation, evaluation, lineage, the write order that makes registration atomic,
and sha256 verification on load.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jupyter_bighead.plugins as plugins

from .._json import json_safe
from ..errors import Conflict, Forbidden, IntegrityError, InvalidSpec, NotFound
from ..identity import current_user
from ..roles import check_acting_as, require_current
from .artifacts import ArtifactStore
from .domain import AliasEvent, ModelSummary, ModelVersion, Page
from .evaluated import evaluated
from .names import (
    MAX_VERSION,
    check_alias,
    check_name,
    check_page,
    check_tags,
    check_version,
    decode_cursor,
    encode_cursor,
    feature_refs,
    split_reference,
)
from .protect import ProtectedAliasWarning, check_alias_move, check_team_move
from .store import NewVersion, Store, open_store, store_scheme

PG_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _check_metrics(metrics: Mapping[str, Any] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in (metrics or {}).items():
        if not isinstance(key, str) or isinstance(value, bool):
            raise InvalidSpec(f"metric {key!r} must be a str name with a number value")
        try:
            out[key] = float(value)
        except (TypeError, ValueError):
            raise InvalidSpec(f"metric {key!r} must be a number, not {value!r}") from None
        if out[key] != out[key]:
            raise InvalidSpec(f"metric {key!r} is NaN")
    return out


class Registry:
    """Numbered, verifiable model versions with aliases and lineage.

    Parameters
    ----------
    location
        A folder (the embedded store: ``registry.db`` in SQLite WAL mode plus an
        ``artifacts/`` folder inside), a ``sqlite:///path.db`` URI, a
        ``postgresql://`` URI, or a URI whose scheme an installed registry store
        declares (entry-point group ``jupyter_bighead.registry_stores``).
    artifacts
        Where artifact files go. Required with PostgreSQL and third-party stores;
        defaults to ``artifacts/`` next to the SQLite database.
    create
        Create an embedded (SQLite) registry that does not exist yet (the default).
        Commands that only read pass ``False``, so a mistyped path is an error rather
        than a new, empty registry.
    store_options
        Keyword arguments for the store class (the server's
        ``c.BigheadApp.registry_store_options``).

    Raises
    ------
    InvalidSpec
        For a PostgreSQL or third-party URI without ``artifacts``, an unsupported URI
        scheme, or options the store does not take.
    NotFound
        With ``create=False``, for a SQLite registry whose database does not exist.
    """

    def __init__(self, location: str | os.PathLike[str],
                 artifacts: str | os.PathLike[str] | None = None, *,
                 create: bool = True,
                 store_options: Mapping[str, Any] | None = None) -> None:
        loc = os.fspath(location)
        if loc.startswith(PG_SCHEMES):
            if artifacts is None:
                raise InvalidSpec("a postgresql:// registry needs artifacts=DIR for its files")
            uri = loc
        elif loc.startswith("sqlite:///"):
            uri = loc
            db = Path(loc[len("sqlite:///"):])
            if not create and not db.is_file():
                raise NotFound(f"no registry at {db} (no such database)")
            if artifacts is None:
                artifacts = db.resolve().parent / "artifacts"
        elif "://" in loc:
            scheme = store_scheme(loc)
            if scheme == "sqlite" or scheme not in plugins.names("registry_store"):
                open_store(loc)  # raises InvalidSpec naming the supported schemes
                raise AssertionError("unreachable")
            # A third-party store (entry point ``jupyter_bighead.registry_stores``): like
            # PostgreSQL, it keeps records only; files go to an artifacts folder.
            if artifacts is None:
                raise InvalidSpec(f"a {scheme}:// registry needs artifacts=DIR for its files")
            uri = loc
        else:
            root = Path(loc).expanduser().resolve()
            if not create and not (root / "registry.db").is_file():
                raise NotFound(f"no registry at {root} (no registry.db there)")
            root.mkdir(parents=True, exist_ok=True)
            uri = f"sqlite:///{root / 'registry.db'}"
            if artifacts is None:
                artifacts = root / "artifacts"
        self.store: Store = open_store(uri, **dict(store_options or {}))
        self.artifacts = ArtifactStore(artifacts)

    @classmethod
    def default(cls) -> Registry:
        """The registry under ``$BIGHEAD_HOME`` (see :class:`~..config.BigheadHome`)."""
        from ..config import BigheadHome

        home = BigheadHome.resolve()
        return cls(home.registry_uri, artifacts=home.artifacts)

    def __repr__(self) -> str:
        return f"Registry({self.store.uri!r}, artifacts={str(self.artifacts.root)!r})"

    def close(self) -> None:
        self.store.close()

    # ---- registering ----------------------------------------------------------------

    def register(
        self,
        name: str,
        model: Any,
        X_valid: Any = None,
        y_valid: Any = None,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        features: Iterable[Any] | None = None,
        *,
        metrics: Mapping[str, float] | None = None,
        description: str = "",
        notebook: str | os.PathLike[str] | None = None,
        user: str | None = None,
        evaluation: Any = None,
        alias: str | None = None,
        force_protected: bool = False,
        shap_rows: int | None = None,
    ) -> ModelVersion:
        """Store ``model`` as the next version of ``name`` and return that version.

        With ``X_valid`` and ``y_valid`` the model is evaluated (see
        :func:`jupyter_bighead.evaluation.evaluate`): the headline metrics join
        ``metrics`` and the full report is stored for :meth:`evaluation`. ``params``
        are added to the model's own parameters. ``features`` are references like
        ``"bookings_7d_sum:1"`` (recorded as ``"bookings_7d_sum@1"``, the stored
        form). ``notebook`` is the source notebook (default: the
        kernel's notebook, when Jupyter says which); the git state of its folder (or
        of the working directory) is recorded. ``evaluation`` is the report
        :func:`~jupyter_bighead.evaluation.evaluate` already computed for this model on
        these ``X_valid``/``y_valid`` (what the notebook's evaluation view holds): it is
        stored as is instead of evaluating again, which makes the Register click quick;
        one made in this process must have evaluated this very model on these very rows.
        ``shap_rows`` sizes the evaluation's SHAP sample (see
        :func:`~jupyter_bighead.evaluation.evaluate`).
        ``alias`` is then pointed at the new version; inside a job a protected alias
        (``production`` by default, see :mod:`.protect`) is left where it is, with a
        :class:`~.protect.ProtectedAliasWarning`, unless ``force_protected=True``: the
        version is registered either way.

        Raises
        ------
        InvalidSpec
            For an invalid name, tag, feature reference or metric; ``X_valid``
            without ``y_valid`` (or the reverse); columns that differ from the
            model's features; labels a classifier cannot be evaluated on; an
            ``evaluation`` of other rows or another model; or a model type that
            cannot be stored (the message lists the supported ones).
        """
        import jupyter_bighead.registry.lineage as L

        from ..models import WRAPPER, dump_model, flavor_for, wrapper_bytes

        check_name(name)
        require_current("write", doing=f"register a version of {name!r}")
        check_acting_as(user)
        tag_map = check_tags(tags)
        refs = feature_refs(features)
        # A pipeline knows the (pinned) features it looks up: record them as well.
        own = getattr(model, "feature_refs", None)
        if callable(own):
            refs = tuple(dict.fromkeys([*refs, *feature_refs(own(), warn=False)]))
        user_metrics = _check_metrics(metrics)
        if params is not None and not isinstance(params, Mapping):
            raise InvalidSpec(f"params must be a mapping, not {type(params).__name__}")
        if not isinstance(description, str):
            raise InvalidSpec("description must be a string")
        if (X_valid is None) != (y_valid is None):
            raise InvalidSpec("pass X_valid and y_valid together (or neither)")
        if alias is not None:
            check_alias(alias)

        flavor = flavor_for(model)
        info = flavor.info(model)
        if X_valid is not None and hasattr(X_valid, "columns"):
            cols = [str(c) for c in X_valid.columns]
            default = [f"Column_{i}" for i in range(len(info.feature_names))]
            if list(info.feature_names) not in (cols, default):
                raise InvalidSpec(
                    f"X_valid columns {cols[:10]} differ from the model's features "
                    f"{list(info.feature_names)[:10]}"
                )

        dumped = dump_model(model)
        files = {**dumped.files, WRAPPER: wrapper_bytes(dumped.wrapper)}
        all_params = {**info.params, **json_safe(dict(params or {}), style="params")}
        schema = L.input_schema(X_valid, info.feature_names)

        report, profile, lineage, dataset = evaluated(
            model, info.task, X_valid, y_valid, evaluation, notebook,
            model_digest=dumped.digest(), shap_rows=shap_rows)
        files.update(profile)
        # Files first, then the row: a crash in between leaves only an unreferenced
        # folder, which no reader can reach (see artifacts.py).
        folder, recorded = self.artifacts.publish(name, files)
        new = NewVersion(
            name=name,
            created_at=_now(),
            created_by=user or current_user(),
            flavor=info.flavor,
            model_class=info.model_class,
            task=info.task,
            params=all_params,
            metrics={**(dict(report.metrics) if report else {}), **user_metrics},
            tags=tag_map,
            features=refs,
            input_schema=schema,
            dataset=dataset,
            lineage=lineage,
            description=description,
            evaluation=None if report is None else report.to_dict(),
            artifact_dir=folder,
            artifacts=recorded,
        )
        try:
            mv = self.store.create_version(new)
        except BaseException:
            self.artifacts.discard(folder)
            raise
        if alias is not None:
            try:
                self.set_alias(name, alias, mv.version, user=user,
                               force_protected=force_protected)
            except Forbidden as exc:  # the job's registration stands; the alias stays
                warnings.warn(f"registered {name} v{mv.version} without moving it: "
                              f"{exc.message}", ProtectedAliasWarning, stacklevel=2)
        return mv

    # ---- reading --------------------------------------------------------------------

    def _resolve(self, name: str, version: int | str | None, alias: str | None
                 ) -> tuple[str, int]:
        """``(name, version)`` that ``name`` (a name or a reference, see
        :mod:`jupyter_bighead.refs`), ``version`` and ``alias`` select."""
        name, version, alias = split_reference(name, version, alias)
        check_name(name)
        if version is not None and alias is not None:
            raise InvalidSpec("pass version or alias, not both")
        if alias is not None:
            check_alias(alias)
            found = self.store.aliases(name)
            if alias not in found:
                raise NotFound(f"model {name!r} has no alias {alias!r}")
            return name, found[alias]
        if version is not None:
            return name, check_version(version)
        return name, self.store.get_model(name).latest_version

    def get(self, name: str, version: int | None = None, *, alias: str | None = None
            ) -> ModelVersion:
        """One version (by number or alias; the latest when neither is given).

        ``name`` may be a reference instead (``"churn:3"``, ``"churn@production"``),
        as everywhere models are named; given with ``version`` or ``alias``, the two
        must say the same.

        Raises ``NotFound`` for an unknown name, version or alias, ``InvalidSpec`` for
        a reference that disagrees with ``version`` or ``alias``.
        """
        return self.store.get_version(*self._resolve(name, version, alias))

    def load(self, name: str, version: int | None = None, *, alias: str | None = None) -> Any:
        """The model of a version, ready to ``predict``; the latest when neither
        ``version`` nor ``alias`` is given. ``name`` may be a reference (``"churn:3"``,
        ``"churn@production"``), as in :meth:`get`.

        Every file is checked against the sha256 recorded at registration.

        Raises
        ------
        NotFound
            For an unknown name, version or alias.
        IntegrityError
            If an artifact is missing or was modified.
        """
        from ..models import load_model

        wrapper, read = self._wrapper(name, version, alias)
        return load_model(wrapper, read)

    def wrapper(self, name: str, version: int | None = None, *, alias: str | None = None
                ) -> dict[str, Any]:
        """The model's wrapper (``bighead_model.json``: flavor, format and the flavor's
        plain data, e.g. a pipeline's graph), checked against its sha256; no model code
        is loaded. Raises ``NotFound`` or ``IntegrityError`` like :meth:`load`."""
        return self._wrapper(name, version, alias)[0]

    def _wrapper(self, name: str, version: int | None, alias: str | None
                 ) -> tuple[dict[str, Any], Callable[[str], bytes]]:
        from ..models import WRAPPER

        mv = self.get(name, version, alias=alias)
        folder = self.store.get_artifact_dir(mv.name, mv.version)
        recorded = {a.path: a for a in mv.artifacts}

        def read(path: str) -> bytes:
            if path not in recorded:
                raise IntegrityError(f"{mv.name} v{mv.version} has no recorded artifact {path!r}")
            return self.artifacts.read(folder, recorded[path])

        try:
            wrapper = json.loads(read(WRAPPER))
        except ValueError as exc:
            raise IntegrityError(f"{mv.name} v{mv.version}: unreadable model wrapper") from exc
        if not isinstance(wrapper, dict):
            raise IntegrityError(f"{mv.name} v{mv.version}: the model wrapper is not an object")
        return wrapper, read

    def evaluation(self, name: str, version: int | None = None, *, alias: str | None = None
                   ) -> Any:
        """The :class:`~jupyter_bighead.evaluation.EvaluationReport` stored with a
        version, or ``None`` if it was registered without validation data. ``name``
        may be a reference, as in :meth:`get`."""
        from ..evaluation.report import EvaluationReport

        data = self.store.get_evaluation(*self._resolve(name, version, alias))
        return None if data is None else EvaluationReport.from_dict(data)

    def versions(self, name: str, *, limit: int | None = None, offset: int = 0,
                 cursor: str | None = None) -> Page[ModelVersion]:
        """Versions of ``name``, newest first. ``limit=None`` returns all of them.

        Page with ``offset`` or, better for long listings, with the ``cursor``
        returned as ``next_cursor`` by the previous page.
        """
        check_name(name)
        limit, offset = check_page(limit, offset)
        before = None
        if cursor is not None:
            before = decode_cursor(cursor).get("before") if cursor else None
            if isinstance(before, bool) or not isinstance(before, int) \
                    or not 1 <= before <= MAX_VERSION + 1:
                raise InvalidSpec(f"invalid page cursor {cursor!r}")
        items, total = self.store.list_versions(
            name, limit=None if limit is None else limit + 1, offset=offset, before=before)
        more = limit is not None and len(items) > limit
        items = items[:limit] if limit is not None else items
        nxt = encode_cursor({"before": items[-1].version}) if more else None
        return Page(tuple(items), total, nxt)

    def model(self, name: str) -> ModelSummary:
        """One model's summary (latest version, aliases). Raises ``NotFound``."""
        return self.store.get_model(check_name(name))

    def models(self, *, limit: int | None = None, offset: int = 0, cursor: str | None = None,
               prefix: str | None = None) -> Page[ModelSummary]:
        """Registered models by name, optionally only names starting with ``prefix``."""
        limit, offset = check_page(limit, offset)
        if prefix:
            check_name(prefix)
        after = None
        if cursor is not None:
            after = decode_cursor(cursor).get("after") if cursor else None
            if not isinstance(after, str) or len(after) > 200:
                raise InvalidSpec(f"invalid page cursor {cursor!r}")
        items, total = self.store.list_models(
            limit=None if limit is None else limit + 1, offset=offset, after=after,
            prefix=prefix)
        more = limit is not None and len(items) > limit
        items = items[:limit] if limit is not None else items
        return Page(tuple(items), total, encode_cursor({"after": items[-1].name}) if more else None)

    # ---- aliases --------------------------------------------------------------------

    def set_alias(self, name: str, alias: str, version: int, *, user: str | None = None,
                  force_protected: bool = False, approval: Any = None) -> AliasEvent:
        """Point ``alias`` at ``version``; the move is kept in :meth:`alias_history`.

        Raises ``Forbidden`` inside a job for a protected alias (see :mod:`.protect`)
        unless ``force_protected=True``; in a team, :class:`~jupyter_bighead.roles.MissingRole`
        without ``write``, or for a protected alias without ``admin`` or an ``approval``
        (see :func:`jupyter_bighead.reviews.move_alias`).
        """

        check_alias_move(name, alias, force=force_protected)
        check_team_move(name, alias, version, approval=approval)
        check_acting_as(user)
        return self.store.set_alias(check_name(name), check_alias(alias), check_version(version),
                                    by=user or current_user(), at=_now())

    def delete_alias(self, name: str, alias: str, *, user: str | None = None,
                     force_protected: bool = False) -> AliasEvent:
        """Remove ``alias``. Raises ``NotFound`` if it is not set, ``Forbidden`` like
        :meth:`set_alias`."""

        check_alias_move(name, alias, force=force_protected)
        check_team_move(name, alias, None)
        check_acting_as(user)
        return self.store.set_alias(check_name(name), check_alias(alias), None,
                                    by=user or current_user(), at=_now(), action="delete")

    def aliases(self, name: str) -> dict[str, int]:
        """Current aliases of ``name`` and the versions they point at."""
        return self.store.aliases(check_name(name))

    def alias_history(self, name: str, alias: str | None = None, *, limit: int | None = None,
                      offset: int = 0) -> Page[AliasEvent]:
        """Every alias move of ``name`` (or of one ``alias``), newest first."""
        check_name(name)
        if alias is not None:
            check_alias(alias)
        limit, offset = check_page(limit, offset)
        items, total = self.store.alias_history(name, alias, limit=limit, offset=offset)
        more = limit is not None and offset + len(items) < total
        return Page(tuple(items), total, encode_cursor({"offset": offset + len(items)})
                    if more else None)

    def rollback(self, name: str, alias: str, *, user: str | None = None,
                 force_protected: bool = False) -> AliasEvent:
        """Undo the last move of ``alias``: point it back where it pointed before.

        Repeated rollbacks keep walking back (a rollback undoes one ``set``, it is not
        itself undone by the next rollback). Rolling back the first ``set`` removes
        the alias.

        Raises
        ------
        NotFound
            If ``alias`` has never been set.
        Conflict
            If there is nothing left to roll back, or the alias moved meanwhile.
        Forbidden
            Like :meth:`set_alias`.
        """

        check_name(name)
        check_alias(alias)
        check_alias_move(name, alias, force=force_protected)
        check_team_move(name, alias, None)
        check_acting_as(user)
        events, _ = self.store.alias_history(name, alias, limit=None, offset=0)
        if not events:
            raise NotFound(f"model {name!r} has no alias {alias!r}")
        stack: list[int | None] = [None]  # before its first set, the alias did not exist
        for ev in reversed(events):  # oldest first
            if ev.action == "rollback":
                if len(stack) > 1:
                    stack.pop()
            else:
                stack.append(ev.to_version)
        if len(stack) < 2:
            raise Conflict(f"alias {alias!r} of {name!r} has no earlier version to roll back to")
        return self.store.set_alias(name, alias, stack[-2], by=user or current_user(), at=_now(),
                                    action="rollback", expected=stack[-1])

    # ---- comparing and housekeeping ---------------------------------------------------

    def compare(self, name: str, a: int, b: int) -> dict[str, Any]:
        """Differences between versions ``a`` and ``b`` of ``name``, as plain data.

        ``metrics`` maps each metric to ``{"a", "b", "delta"}`` (``delta = b - a``,
        ``None`` where one side lacks it); ``params`` lists ``changed``, ``added`` and
        ``removed`` keys; ``features`` lists references ``added``, ``removed`` and
        ``changed`` (same feature, other version); ``input_schema`` and ``dataset``
        say what changed in the inputs; ``lineage`` sets both sides' commits side by side.
        """
        from .compare import compare_versions

        check_name(name)
        return compare_versions(self.get(name, a), self.get(name, b))

    def collect_garbage(self, older_than_s: float = 3600.0) -> list[str]:
        """Delete artifact folders left by crashed registrations; returns them."""
        return self.artifacts.collect_garbage(self.store.artifact_dirs(), older_than_s)

