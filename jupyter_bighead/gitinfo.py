"""The git state of the repository holding a file: commit and dirty flag."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GitState:
    commit: str | None
    dirty: bool | None
    root: str | None

    def to_dict(self) -> dict[str, object]:
        return {"commit": self.commit, "dirty": self.dirty, "root": self.root}


NO_GIT = GitState(None, None, None)


def git_state(path: str | Path) -> GitState:
    """Commit and dirty flag of the git work tree containing ``path``; all None outside git."""
    where = Path(path).resolve()
    folder = where if where.is_dir() else where.parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=folder, capture_output=True,
                                  text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    root = git("rev-parse", "--show-toplevel")
    if root is None:
        return NO_GIT
    commit = git("rev-parse", "HEAD")  # None in a repository without commits
    status = git("status", "--porcelain", "--untracked-files=no")
    return GitState(commit, bool(status) if status is not None else None, root)
