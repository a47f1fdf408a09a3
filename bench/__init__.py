"""Benchmarks that run the competitors in the same run and print ratios (not part of the wheel).

Every benchmark runs offline: the only network here is the package registries, and no
benchmark may try to reach any other host. Competitors that phone home by default
(MLflow's telemetry, Feast's usage reports) are switched off with :data:`OFFLINE_ENV`:
a harness builds each subprocess's environment with :func:`offline_env`, and calls
:func:`go_offline` before it imports such a package in its own process.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

#: Variables that turn off the competitors' telemetry. MLflow reads
#: ``MLFLOW_DISABLE_TELEMETRY`` (its own ``DO_NOT_TRACK`` check wants the word "true");
#: ``DO_NOT_TRACK=1`` is the cross-tool convention, for anything else they pull in.
OFFLINE_ENV: dict[str, str] = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "1",
    "FEAST_USAGE": "False",
}


def offline_env(extra: Mapping[str, str] | None = None,
                base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a benchmark subprocess: ``base`` (default ``os.environ``),
    then ``extra``, then :data:`OFFLINE_ENV`, which nothing can override."""
    return {**(os.environ if base is None else base), **(extra or {}), **OFFLINE_ENV}


def go_offline() -> None:
    """Set :data:`OFFLINE_ENV` in this process (call it before importing MLflow here)."""
    os.environ.update(OFFLINE_ENV)
