"""The gauge ``bighead_drift_score{model,version,feature}`` on the server's ``/metrics``.

Monitor checks (scheduled monitors, ``jupyter bighead monitor``) keep each model's
latest PSI per feature and for the score in ``<home>/monitoring/latest/<model>.json``
(written by ``jupyter_bighead.monitoring.check``); jupyter_server's Prometheus endpoint
shows them through one collector per process, which reads those small files when
scraped. It imports nothing from the core, so a scrape never pulls pandas onto the
event loop.
"""

from __future__ import annotations

import json
import re
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

NAME = "bighead_drift_score"
HELP = ("PSI of a feature (or the score) in the model's latest monitor check against the "
        "version's reference.")
#: Most models one scrape reads.
MAX_MODELS = 10_000
_MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")

_LOCK = threading.Lock()
_HOMES: dict[int, Path] = {}
_REGISTERED = False


def _family(samples: list[tuple[list[str], float]]) -> Any:
    from prometheus_client.core import GaugeMetricFamily

    family = GaugeMetricFamily(NAME, HELP, labels=["model", "version", "feature"])
    for labels, value in samples:
        family.add_metric(labels, value)
    return family


def read_latest(home: Path) -> list[tuple[list[str], float]]:
    """The gauge's samples from one home's latest checks; unreadable files are skipped."""
    samples = []
    for path in sorted((home / "monitoring" / "latest").glob("*.json"))[:MAX_MODELS]:
        try:
            data = json.loads(path.read_text())
            model, version = str(data["model"]), str(int(data["version"]))
            drift = data.get("drift") or {}
            entries = list(drift.get("features") or [])
            if drift.get("score"):
                entries.append(drift["score"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        if not _MODEL.fullmatch(model):
            continue
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("psi"), (int, float)):
                samples.append(([model, version, str(entry.get("feature"))[:200]],
                                float(entry["psi"])))
    return samples


class _Collector:
    def describe(self) -> Iterator[Any]:
        yield _family([])

    def collect(self) -> Iterator[Any]:
        with _LOCK:
            homes = sorted(set(_HOMES.values()))
        samples: list[tuple[list[str], float]] = []
        for home in homes:
            samples += read_latest(home)
        yield _family(samples)


def attach(owner: object, home: Path) -> None:
    """Show ``home``'s latest checks on ``/metrics`` while ``owner`` (a service) lives
    (until :func:`detach`, or until it is collected)."""
    global _REGISTERED
    with _LOCK:
        _HOMES[id(owner)] = Path(home)
        weakref.finalize(owner, detach_id, id(owner))
        if not _REGISTERED:
            from prometheus_client import REGISTRY

            REGISTRY.register(_Collector())
            _REGISTERED = True


def detach(owner: object) -> None:
    detach_id(id(owner))


def detach_id(key: int) -> None:
    with _LOCK:
        _HOMES.pop(key, None)
