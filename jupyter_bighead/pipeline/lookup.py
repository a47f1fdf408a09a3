"""``FeatureLookup``: join feature-store features by entity and timestamp.

With the timestamp column present (training, batch scoring) the block calls
:meth:`FeatureRepo.materialize` on the (entity, timestamp) rows: point-in-time
values. Without it (an online request) it calls :meth:`FeatureRepo.online`, which
runs that same ``materialize`` on a spine stamped *now*. One engine, one code
path, so training, batch and serving values agree by construction.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from ..errors import BlockInputError, InvalidSpec
from ..refs import parse_feature_ref, reading_stored_refs, stored_feature_ref
from .base import Block, Columns
from .times import first_line, refuse_relative_times

_REPOS: dict[str, Any] = {}
_LOCK = threading.Lock()


def _open_repo(path: str | None) -> Any:
    """One ``FeatureRepo`` per folder per process: opening the catalog costs more than a
    one-row lookup."""
    from ..features import FeatureRepo

    key = path or ""
    with _LOCK:
        if key not in _REPOS:
            _REPOS[key] = FeatureRepo(path) if path else FeatureRepo()
        return _REPOS[key]


class FeatureLookup(Block):
    """Add feature-store features for each row's entity, as of the row's timestamp.

    Parameters
    ----------
    features
        Feature references (``name`` or ``name:N``, see :mod:`jupyter_bighead.refs`).
        Fitting pins each to the version that was current then, so a later feature
        version never changes a fitted model.
    entity
        The column holding entity ids (must be non-null).
    timestamp
        The column holding the time each row is asked about. It may be absent from
        online requests: the lookup then uses the current time.
    repo
        The feature repository folder; ``None`` is the Bighead home's repository.
    keep_keys
        Keep the entity and timestamp columns in the output (default: drop them).

    Output columns are named after the features (without the version).
    """

    input_kind = "any"
    resources: ClassVar[dict[str, Any]] = {"cpu": "1", "memory": "2Gi", "gpu": 0}
    _array_dtype = None

    def __init__(self, features: Sequence[str] = (), entity: str = "entity_id",
                 timestamp: str = "ts", repo: str | None = None,
                 keep_keys: bool = False) -> None:
        self.features = features
        self.entity = entity
        self.timestamp = timestamp
        self.repo = repo
        self.keep_keys = keep_keys

    @property
    def columns(self) -> list[str]:  # type: ignore[override]
        return [self.entity, self.timestamp]

    def _optional_columns(self) -> set[str]:
        return {self.timestamp}

    def _non_null_columns(self) -> list[str]:
        return [self.entity]

    def _repo(self) -> Any:
        if hasattr(self.repo, "materialize"):  # a FeatureRepo object
            return self.repo
        return _open_repo(None if self.repo is None else str(self.repo))

    def _stored_params(self) -> dict[str, Any]:
        params = super()._stored_params()
        repo: Any = self.repo
        if hasattr(repo, "materialize"):
            params["repo"] = str(repo.path)
        return params

    def _fit(self, cols: Columns, y: Any) -> None:
        if isinstance(self.features, str) or not self.features:
            raise InvalidSpec("FeatureLookup: features must be a non-empty list of references")
        repo = self._repo()
        pinned = []
        for ref in self.features:
            feature = repo.get(ref)
            pinned.append(stored_feature_ref(feature.name, feature.version))
        names = [parse_feature_ref(r, warn=False).name for r in pinned]
        if len(set(names)) != len(names):
            raise InvalidSpec(f"FeatureLookup: features {list(self.features)} name one "
                              "feature twice")
        self.refs_ = pinned
        self.feature_columns_ = names

    def _names_for(self, routed: list[str]) -> list[str]:
        keys = [c for c in routed] if self.keep_keys else []
        return keys + list(self.feature_columns_)

    def _apply(self, cols: Columns) -> Columns:
        import pandas as pd

        repo = self._repo()
        ents = cols[self.entity]
        if self.timestamp in cols:
            ts = cols[self.timestamp]
            if getattr(ts, "dtype", np.dtype("O")).kind in "OUS":  # CSV / JSON: text
                refuse_relative_times(self.block_name, self.timestamp, ts)
                try:
                    ts = pd.to_datetime(pd.Series(ts), format="ISO8601").to_numpy()
                except (ValueError, TypeError) as exc:
                    raise BlockInputError(self.block_name, self.timestamp, "ISO 8601 text",
                                          f"holds text that is not a date-time "
                                          f"({first_line(exc)})") from None
            missing = pd.isna(ts)
            if missing.any():  # else materialize would name its internal column
                row = int(np.flatnonzero(missing)[0])
                raise BlockInputError(self.block_name, self.timestamp,
                                      "a timestamp in every row, or the column left out "
                                      "(features looked up now)", f"is null at row {row}")
            spine = pd.DataFrame({"__entity": ents, "__ts": ts}, copy=False)
            with reading_stored_refs():  # pinned in the stored form: no deprecation noise
                got = repo.materialize(spine, self.refs_, entity="__entity", timestamp="__ts")
        else:
            with reading_stored_refs():
                got = repo.online(list(np.asarray(ents, dtype=object).tolist()), self.refs_)
        out: Columns = {}
        if self.keep_keys:
            out.update({c: v for c, v in cols.items()})
        for ref, name in zip(self.refs_, self.feature_columns_, strict=True):
            out[name] = got[ref].to_numpy()
        return out
