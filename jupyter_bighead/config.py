"""Where the embedded stores live.

The server and every kernel it starts must agree on one *home* folder. It is found
the way git finds ``.git``: the ``BIGHEAD_HOME`` environment variable wins (kernels and
jobs inherit it from the server); otherwise a ``.bighead/`` folder in the working
directory or the nearest parent that has one (what ``jupyter bighead demo`` creates);
otherwise ``<jupyter data dir>/bighead``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "BIGHEAD_HOME"
#: A shared registry's URI (e.g. ``postgresql://...``) that every process of a team uses
#: instead of the home's SQLite file; the server exports c.BigheadApp.registry_url as it.
REGISTRY_ENV = "BIGHEAD_REGISTRY"
#: Extra folders of pipeline block modules (os.pathsep-separated), see the Blocks catalog.
BLOCK_PATHS_ENV = "BIGHEAD_BLOCK_PATHS"


#: The folder name that marks a workspace's home, like ``.git`` marks a repository.
HOME_DIR_NAME = ".bighead"


@dataclass(frozen=True)
class HomeChoice:
    """Which home was chosen and why, for the one line the CLI prints."""

    path: Path
    reason: str

    def describe(self) -> str:
        return f"bighead home: {self.path} ({self.reason})"


def find_home(explicit: str | os.PathLike[str] | None = None,
              start: str | os.PathLike[str] | None = None) -> HomeChoice:
    """Find the home folder: ``explicit`` (e.g. ``--home``), else ``$BIGHEAD_HOME``, else a
    ``.bighead/`` folder in ``start`` (default: the working directory) or its nearest
    parent that has one, else ``<jupyter data dir>/bighead``. Nothing is created."""
    if explicit:
        return HomeChoice(Path(explicit).expanduser().resolve(), "from --home")
    env = os.environ.get(HOME_ENV, "").strip()
    if env:
        return HomeChoice(Path(env).expanduser().resolve(), f"from ${HOME_ENV}")
    here = Path(start or Path.cwd()).expanduser().resolve()
    for folder in (here, *here.parents):
        if (folder / HOME_DIR_NAME).is_dir():
            return HomeChoice(folder / HOME_DIR_NAME, f"found {HOME_DIR_NAME}/ in {folder}")
    from jupyter_core.paths import jupyter_data_dir

    return HomeChoice((Path(jupyter_data_dir()) / "bighead").resolve(),
                      f"the default: no ${HOME_ENV} and no {HOME_DIR_NAME}/ in {here} "
                      "or its parents")


def default_home() -> Path:
    """Return the home folder :func:`find_home` picks for the working directory."""
    return find_home().path


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
        """``$BIGHEAD_REGISTRY`` (a team's shared registry) if set, else the home's SQLite."""
        shared = os.environ.get(REGISTRY_ENV, "").strip()
        return shared or f"sqlite:///{self.root / 'registry.db'}"

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
