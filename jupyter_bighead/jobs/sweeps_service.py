"""Sweeps run in the background for the REST API, with their progress on disk.

Each sweep is ``BIGHEAD_HOME/sweeps/<id>.json``, rewritten atomically as trials finish,
so the Jobs panel can show it and it survives the page (not the server: a sweep whose
server stopped is marked interrupted when read).
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import BigheadError, InvalidSpec
from ..recordstore import RecordStore
from .executor import Executor
from .spec import MAX_SPEC_BYTES, JobSpec, check_json_values, check_within_profile
from .sweep import Trial, sweep, trial_dict, trial_parameters

_ID = re.compile(r"sweep-[0-9]{14}-[0-9a-f]{6}\Z")
_ALIVE: set[str] = set()  # sweeps running in this process


class SweepService:
    def __init__(self, root: Path, executor: Executor) -> None:
        self.root = root
        self.executor = executor
        self.records = RecordStore(root, kind="sweep", id_pattern=_ID, layout="file")

    def start(self, spec: JobSpec, body: dict[str, Any], user: str) -> dict[str, Any]:
        """Validate and start a sweep in a background thread; return its first state."""
        # Refuse what every trial would trip over, before any job starts.
        spec = self.executor._resolve_notebook(spec)
        check_within_profile(spec, self.executor.profile(spec.profile))
        keys = ("strategy", "n", "max_parallel", "metric", "mode", "model", "alias", "seed")
        options: dict[str, Any] = {k: body[k] for k in keys if k in body}
        space = body.get("space")
        if not isinstance(space, dict):
            raise InvalidSpec("'space' must be an object of parameter -> values")
        # JSON has no tuples: a random range comes as {"low": a, "high": b}.
        # Stored with the sweep and shown by every listing: plain, finite, bounded JSON.
        check_json_values({"space": space, "options": options}, "the space and options",
                          MAX_SPEC_BYTES)
        space = {k: (v["low"], v["high"]) if isinstance(v, dict) and {"low", "high"} <= set(v)
                 else v for k, v in space.items()}
        _check_options(options)
        total = len(trial_parameters(space, options.get("strategy", "grid"), options.get("n"),
                                     options.get("seed", 0)))
        sweep_id = f"sweep-{datetime.now(UTC).strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(3)}"
        state: dict[str, Any] = {
            "id": sweep_id, "user": user, "state": "running", "created": _now(),
            "spec": spec.to_dict(), "space": space, "options": options, "total": total,
            "trials": [], "best": None, "registered": None, "error": None,
        }
        self._save(state)
        lock = threading.Lock()

        def on_trial(trial: Trial, _total: int) -> None:
            with lock:
                state["trials"].append(trial_dict(trial))
                self._save(state)

        def run() -> None:
            _ALIVE.add(sweep_id)
            try:
                result = sweep(spec, space, executor=self.executor, on_trial=on_trial,
                               sweep_id=sweep_id, **options)
                state.update(result.to_dict(), state="finished")
            except BigheadError as exc:
                state.update(state="failed", error=exc.message)
            except Exception as exc:  # report, never lose the sweep record
                state.update(state="failed", error=f"{type(exc).__name__}: {exc}")
            finally:
                state["finished"] = _now()
                with lock:
                    self._save(state)
                _ALIVE.discard(sweep_id)

        threading.Thread(target=run, name=sweep_id, daemon=True).start()
        return state

    def get(self, sweep_id: str) -> dict[str, Any]:
        return _shown(sweep_id, self.records.read(sweep_id))

    def list(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Sweeps, newest first: ``limit`` of them from ``offset`` on (unreadable
        records are left out)."""
        return [_shown(i, state) for i, state in self.records.page(limit, offset)]

    def _save(self, state: dict[str, Any]) -> None:
        self.records.write(state["id"], state, default=str)


def _shown(sweep_id: str, state: dict[str, Any]) -> dict[str, Any]:
    if state.get("state") == "running" and sweep_id not in _ALIVE:
        state["state"] = "interrupted"  # its server stopped before it finished
    return state


def _check_options(options: Mapping[str, Any]) -> None:
    """Refuse options of the wrong type up front (the sweep thread would only log them)."""
    if options.get("mode", "max") not in ("max", "min"):
        raise InvalidSpec("mode must be 'max' or 'min'")
    parallel = options.get("max_parallel", 2)
    if isinstance(parallel, bool) or not isinstance(parallel, int) or not 1 <= parallel <= 100:
        raise InvalidSpec("max_parallel must be a whole number from 1 to 100")
    for key in ("strategy", "metric", "model", "alias"):
        value = options.get(key)
        if value is not None and (not isinstance(value, str) or not value or len(value) > 200):
            raise InvalidSpec(f"{key!r} must be a non-empty string")
    if options.get("model") is not None:
        from ..registry.names import check_alias, check_name

        check_name(options["model"])
        check_alias(options.get("alias", "best"))


def _now() -> str:
    return datetime.now(UTC).isoformat()
