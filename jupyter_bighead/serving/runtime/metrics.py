"""Prometheus text exposition for the inference server, written by hand (no dependency).

Per process: with ``--workers N`` each worker counts its own requests, and a scrape
sees the worker that answered it (Prometheus sums over scrapes of replicas the same way).
"""

from __future__ import annotations

import threading
from collections import defaultdict

#: Latency histogram bucket bounds, in seconds.
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def _label(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Metrics:
    """Request counts by route and status code, and a latency histogram per route."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: defaultdict[tuple[str, int], int] = defaultdict(int)
        self.buckets: defaultdict[str, list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self.sums: defaultdict[str, float] = defaultdict(float)
        self.counts: defaultdict[str, int] = defaultdict(int)
        self.reloads: defaultdict[str, int] = defaultdict(int)

    def observe(self, route: str, code: int, seconds: float) -> None:
        with self._lock:
            self.requests[(route, code)] += 1
            counts = self.buckets[route]
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
                    break
            self.sums[route] += seconds
            self.counts[route] += 1

    def reloaded(self, outcome: str) -> None:
        with self._lock:
            self.reloads[outcome] += 1

    def render(self, model: str, version: int | None, ready: bool) -> str:
        """The exposition text (``text/plain; version=0.0.4``)."""
        m = f'model="{_label(model)}"'
        lines = [
            "# HELP bighead_model_info The model version being served.",
            "# TYPE bighead_model_info gauge",
            f'bighead_model_info{{{m},version="{version if version is not None else ""}"}} 1',
            "# HELP bighead_model_ready 1 when a model is loaded and serving.",
            "# TYPE bighead_model_ready gauge",
            f"bighead_model_ready{{{m}}} {1 if ready else 0}",
            "# HELP bighead_requests_total Requests by route and HTTP status code.",
            "# TYPE bighead_requests_total counter",
        ]
        with self._lock:
            for (route, code), n in sorted(self.requests.items()):
                lines.append(f'bighead_requests_total{{{m},route="{route}",code="{code}"}} {n}')
            lines += ["# HELP bighead_request_duration_seconds Request latency by route.",
                      "# TYPE bighead_request_duration_seconds histogram"]
            for route in sorted(self.counts):
                running = 0
                for bound, n in zip(BUCKETS, self.buckets[route], strict=True):
                    running += n
                    lines.append(f'bighead_request_duration_seconds_bucket{{{m},route="{route}",'
                                 f'le="{bound}"}} {running}')
                lines.append(f'bighead_request_duration_seconds_bucket{{{m},route="{route}",'
                             f'le="+Inf"}} {self.counts[route]}')
                lines.append(f'bighead_request_duration_seconds_sum{{{m},route="{route}"}} '
                             f"{self.sums[route]:.6f}")
                lines.append(f'bighead_request_duration_seconds_count{{{m},route="{route}"}} '
                             f"{self.counts[route]}")
            lines += ["# HELP bighead_reloads_total Model reloads by outcome.",
                      "# TYPE bighead_reloads_total counter"]
            for outcome, n in sorted(self.reloads.items()):
                lines.append(f'bighead_reloads_total{{{m},outcome="{outcome}"}} {n}')
        return "\n".join(lines) + "\n"
