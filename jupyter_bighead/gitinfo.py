"""The git state of the repository holding a file: commit and dirty flag.

The repository is the user's (or anyone's: a shared folder, an unpacked archive), and
its ``.git/config`` can name programs git runs on its own: ``core.fsmonitor`` (run by
``git status``), clean filters (run to compare stat-dirty files), hooks, external diff
and textconv drivers, credential helpers, a pager. Every git call here goes through
:func:`run_git`, which switches all of them off, so looking at a repository never
executes anything it brought along.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

#: ``-c`` settings that override whatever the repository's config says.
SAFE_CONFIG = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "core.askPass=",
    "core.sshCommand=",
    "core.gitProxy=",
    "credential.helper=",
    "diff.external=",
    "protocol.allow=never",
    "submodule.recurse=false",
)
#: Per-driver keys of ``filter.<driver>.*`` that name a program (or make its absence fatal).
_FILTER_KEYS = ("clean", "smudge", "process")


def _env() -> dict[str, str]:
    # No inherited GIT_* (GIT_DIR, GIT_CONFIG_PARAMETERS, GIT_EXTERNAL_DIFF…) and no
    # system config; never prompt, never take index.lock (a status may refresh the index).
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0",
               GIT_PAGER="cat", GIT_ASKPASS="", SSH_ASKPASS="")
    return env


def _call(folder: Path, config: list[str], args: tuple[str, ...]) -> str | None:
    cmd = ["git", "--no-pager"]
    for item in config:
        cmd += ["-c", item]
    try:
        done = subprocess.run([*cmd, *args], cwd=folder, capture_output=True, text=True,
                              timeout=10, env=_env(), stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _filter_overrides(folder: Path) -> list[str]:
    """``-c`` settings that empty every filter driver the repository configures.

    Filter drivers have names the repository chooses, so they are listed first (reading
    config runs nothing) and each program is set to the empty string, which git treats
    as "no filter"; ``required`` is turned off so the missing filter is not an error.
    """
    names = _call(folder, list(SAFE_CONFIG),
                  ("config", "--name-only", "--get-regexp", r"^filter\..*\.")) or ""
    drivers = {line[len("filter."):].rpartition(".")[0]
               for line in names.splitlines() if line.startswith("filter.")}
    out = []
    for driver in sorted(d for d in drivers if d and "=" not in d):
        out += [f"filter.{driver}.{key}=" for key in _FILTER_KEYS]
        out.append(f"filter.{driver}.required=false")
    return out


def run_git(folder: str | Path, *args: str) -> str | None:
    """Run ``git args`` in ``folder`` with nothing of the repository's executed.

    Returns the stripped standard output, or None when git is missing, fails or takes
    over 10 seconds. Diff-like commands should also pass ``--no-ext-diff --no-textconv``.
    """
    where = Path(folder)
    return _call(where, [*SAFE_CONFIG, *_filter_overrides(where)], args)


@dataclass(frozen=True)
class GitState:
    commit: str | None
    dirty: bool | None
    root: str | None

    def to_dict(self) -> dict[str, object]:
        return {"commit": self.commit, "dirty": self.dirty, "root": self.root}


NO_GIT = GitState(None, None, None)


def git_state(path: str | Path) -> GitState:
    """Commit and dirty flag of the git work tree containing ``path``; all None outside git.

    Safe on a hostile repository: see :func:`run_git`.
    """
    where = Path(path).resolve()
    folder = where if where.is_dir() else where.parent
    if not folder.is_dir():
        return NO_GIT
    root = _call(folder, list(SAFE_CONFIG), ("rev-parse", "--show-toplevel"))
    if root is None:
        return NO_GIT
    # rev-parse reads refs only; status reads the work tree, so it gets the filter overrides.
    commit = _call(folder, list(SAFE_CONFIG), ("rev-parse", "--verify", "-q", "HEAD"))
    status = run_git(folder, "status", "--porcelain", "--untracked-files=no",
                     "--ignore-submodules=all", "--no-renames")
    return GitState(commit, bool(status) if status is not None else None, root)
