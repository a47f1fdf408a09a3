"""Crash points for the atomicity tests.

When ``BIGHEAD_REGISTRY_CRASH_AT`` names a point, the process dies right there with
``os._exit`` (no cleanup, no ``finally``), which is what a ``kill -9`` or an OOM kill
does to a registration. Unset in normal use, so each point costs one dict lookup.
"""

from __future__ import annotations

import os

CRASH_ENV = "BIGHEAD_REGISTRY_CRASH_AT"
#: The points, in the order a registration passes them.
POINTS = ("staged", "published", "allocated", "inserted")


def crash_point(point: str) -> None:
    """Die here if the crash-test variable names ``point``."""
    if os.environ.get(CRASH_ENV) == point:
        os._exit(77)
