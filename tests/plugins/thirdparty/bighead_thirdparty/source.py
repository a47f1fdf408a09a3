"""A feature source for JSON-lines files: ``EventSource(..., format="jsonl")``."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from jupyter_bighead.errors import InvalidSpec, NotFound
from jupyter_bighead.features.sources import FeatureSource


class JsonLinesSource(FeatureSource):
    """One JSON object per line; every line has the same keys."""

    name = "jsonl"

    def _path(self, source: Any) -> str:
        path = str(source.path)
        if not os.path.isfile(path):
            raise NotFound(f"source {source.name!r}: file {path!r} does not exist")
        return path

    def read(self, source: Any, columns: list[str]) -> dict[str, Any]:
        import pandas as pd

        path = self._path(source)
        try:
            frame = pd.read_json(path, lines=True)
        except ValueError as exc:
            raise InvalidSpec(f"source {source.name!r}: cannot read {path!r}: {exc}") from exc
        lacking = [c for c in columns if c not in frame.columns]
        if lacking:
            raise InvalidSpec(f"source {source.name!r}: {path!r} lacks column "
                              f"{', '.join(map(repr, lacking))}")
        return {c: frame[c] for c in columns}

    def fingerprint(self, source: Any) -> str | None:
        with open(self._path(source), "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
