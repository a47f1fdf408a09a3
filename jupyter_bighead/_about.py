"""The package version, for modules inside the package (bottom layer).

``_version.py`` is written by the build; a raw source tree that was never built has
none, and reports ``0.0.0+unknown`` instead of failing to import.
"""

from __future__ import annotations

try:
    from ._version import __version__
except ImportError:  # pragma: no cover - only in a raw source tree that was never built
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
