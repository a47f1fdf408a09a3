"""Where the embedded stores live.

The server and every kernel it starts must agree on one *home* folder. The
``BIGHEAD_HOME`` environment variable wins (kernels inherit it from the server);
otherwise the home is ``<jupyter data dir>/bighead``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "BIGHEAD_HOME"
#: Extra folders of pipeline block modules (os.pathsep-separated), see the Blocks catalog.
BLOCK_PATHS_ENV = "BIGHEAD_BLOCK_PATHS"


def default_home() -> Path:
    """Return the home folder: ``$BIGHEAD_HOME`` if set, else ``<jupyter data dir>/bighead``."""
    env = os.environ.get(HOME_ENV, "").strip()
    if env:
        return Path(env).expanduser().resolve()
    from jupyter_core.paths import jupyter_data_dir

    return (Path(jupyter_data_dir()) / "bighead").resolve()


@dataclass(frozen=True)
class BigheadHome:
    """The layout of the embedded (SQLite plus local files) stores under one folder.

    Nothing is created until :meth:`ensure` is called, so describing a home is free.
    """

    root: Path

    def __post_init__(self) -> None:
        # Accept a plain string too: BigheadHome("/data/bighead") is the natural call.
        object.__setattr__(self, "root", Path(self.root))

    @classmethod
    def resolve(cls, root: str | os.PathLike[str] | None = None) -> BigheadHome:
        """A home at ``root``, or at :func:`default_home` when ``root`` is empty."""
        return cls(Path(root).expanduser().resolve() if root else default_home())

    @property
    def registry_uri(self) -> str:
        return f"sqlite:///{self.root / 'registry.db'}"

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    @property
    def features(self) -> Path:
        return self.root / "features"

    @property
    def jobs(self) -> Path:
        return self.root / "jobs"

    def locations(self) -> dict[str, str]:
        """Each store's location as a string, for status reports."""
        return {
            "registry": self.registry_uri,
            "artifacts": str(self.artifacts),
            "features": str(self.features),
            "jobs": str(self.jobs),
        }

    def ensure(self) -> BigheadHome:
        """Create the folders of the embedded stores if they are missing; return ``self``."""
        for folder in (self.root, self.artifacts, self.features, self.jobs):
            folder.mkdir(parents=True, exist_ok=True)
        return self
