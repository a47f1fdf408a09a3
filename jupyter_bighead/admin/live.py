"""Live views of the admin store for the layers above (executors, the hub)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from .profiles import ComputeProfile
from .settings import AdminSettings


class LiveProfiles(Mapping[str, ComputeProfile]):
    """The store's compute profiles as a read-only mapping that is read again (cheaply:
    the store caches against the file's mtime) on every lookup, so a profile an admin
    adds is usable by the next submit of an executor that has run for days.

    An executor built with ``profiles=LiveProfiles(...)`` (or with no ``profiles``,
    over its home's store) keeps this object; one built with a plain mapping keeps a
    copy of that mapping, as before.
    """

    def __init__(self, settings: AdminSettings) -> None:
        self.settings = settings

    def _now(self) -> dict[str, ComputeProfile]:
        return self.settings.profiles()

    def __getitem__(self, name: str) -> ComputeProfile:
        return self._now()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._now())

    def __len__(self) -> int:
        return len(self._now())

    def __repr__(self) -> str:
        return f"LiveProfiles({str(self.settings.path)!r})"
