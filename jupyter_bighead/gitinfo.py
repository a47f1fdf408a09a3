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


#: Inherited variables kept: which user and system config to read (the user's choice).
_KEEP_ENV = ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM")


def _env() -> dict[str, str]:
    # No other inherited GIT_* (GIT_DIR, GIT_CONFIG_PARAMETERS, GIT_EXTERNAL_DIFF…); never
    # prompt, never take index.lock (a status may refresh the index). The user's and the
    # system's config stay: they are not the repository's, and hold safe.directory and
    # git-lfs's filter, without which LFS files would read as modified.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GIT_") or k in _KEEP_ENV}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", GIT_PAGER="cat",
               GIT_ASKPASS="", SSH_ASKPASS="")
    return env


def _run(folder: Path, config: list[str], args: tuple[str, ...]) -> tuple[int, str]:
    """Exit status and stripped output of ``git args`` (-1 when git cannot run)."""
    cmd = ["git", "--no-pager"]
    for item in config:
        cmd += ["-c", item]
    try:
        done = subprocess.run([*cmd, *args], cwd=folder, capture_output=True, text=True,
                              timeout=10, env=_env(), stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return -1, ""
    return done.returncode, done.stdout.strip()


def _call(folder: Path, config: list[str], args: tuple[str, ...]) -> str | None:
    code, out = _run(folder, config, args)
    return out if code == 0 else None


def _filter_overrides(folder: Path) -> list[str] | None:
    """``-c`` settings that empty every filter driver the repository's config touches.

    Filter drivers have names the repository chooses, so they are listed first (reading
    config runs nothing) and each program is set to the empty string, which git treats
    as "no filter"; ``required`` is turned off so the missing filter is not an error.
    A driver the repository's config (``.git/config``, its includes, worktree config)
    sets any key of is disabled; drivers only the user or the system defines (git-lfs)
    are trusted and keep working. None when a driver cannot be switched off this way
    (a name with ``=`` cannot be written as ``-c``): then git must not look at files.
    """
    query = ("--name-only", "--get-regexp", r"^filter\..*\.")
    code, names = _run(folder, list(SAFE_CONFIG), ("config", "--show-scope", *query))
    if code not in (0, 1):  # 1: no filter at all; else a git before 2.26: no scopes
        code, names = _run(folder, list(SAFE_CONFIG), ("config", *query))
        names = "\n".join(f"unknown\t{line}" for line in names.splitlines())
    drivers = set()
    for line in names.splitlines():
        scope, _tab, key = line.partition("\t")
        driver = key[len("filter."):].rpartition(".")[0]
        if scope not in ("global", "system") and key.startswith("filter.") and driver:
            drivers.add(driver)
    if any("=" in d for d in drivers):
        return None
    out = []
    for driver in sorted(drivers):
        out += [f"filter.{driver}.{key}=" for key in _FILTER_KEYS]
        out.append(f"filter.{driver}.required=false")
    return out


def run_git(folder: str | Path, *args: str) -> str | None:
    """Run ``git args`` in ``folder`` with nothing of the repository's executed.

    Returns the stripped standard output, or None when git is missing, fails or takes
    over 10 seconds. Diff-like commands should also pass ``--no-ext-diff --no-textconv``.
    """
    where = Path(folder)
    overrides = _filter_overrides(where)
    if overrides is None:
        return None
    return _call(where, [*SAFE_CONFIG, *overrides], args)


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
