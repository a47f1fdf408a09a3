"""Artifact files on a local (or mounted) file system, written atomically.

A registration writes its files into ``<root>/.staging/<uid>/`` (each file fsynced),
then renames that folder to ``<root>/<name>/<uid>/`` in one ``rename``, and only
then commits the version row. So:

- a crash before the rename leaves a staging folder that nothing refers to;
- a crash after the rename but before the commit leaves an unreferenced folder;
- readers only ever reach files through a committed row, so neither is visible.

:meth:`ArtifactStore.collect_garbage` removes such leftovers. Folders are keyed by a
random uid rather than the version number because the number is only allocated
inside the committing transaction.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

from .._io import safe_join
from ..errors import Forbidden, IntegrityError, InvalidSpec
from ._hooks import crash_point
from .domain import ArtifactFile
from .names import check_name

STAGING = ".staging"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ArtifactStore:
    """The files of model versions under ``root``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, relative: str) -> Path:
        try:
            return safe_join(self.root, relative)
        except Forbidden as exc:
            raise InvalidSpec(exc.message) from exc

    def publish(
        self, name: str, files: Mapping[str, bytes]
    ) -> tuple[str, tuple[ArtifactFile, ...]]:
        """Write ``files`` (relative path to bytes) for model ``name`` and return the
        folder (relative to the root) and each file's sha256 and size."""
        check_name(name)
        uid = uuid.uuid4().hex
        staging = self._path(f"{STAGING}/{uid}")
        final_rel = f"{name}/{uid}"
        final = self._path(final_rel)
        staging.mkdir(parents=True)
        try:
            recorded = []
            for rel, data in sorted(files.items()):
                target = safe_join(staging, rel)
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                recorded.append(ArtifactFile(rel, sha256_bytes(data), len(data)))
            _fsync_dir(staging)
            crash_point("staged")
            final.parent.mkdir(parents=True, exist_ok=True)
            os.rename(staging, final)
            _fsync_dir(final.parent)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        crash_point("published")
        return final_rel, tuple(recorded)

    def read(self, folder: str, artifact: ArtifactFile) -> bytes:
        """The bytes of one recorded file, verified against its sha256.

        Raises
        ------
        IntegrityError
            If the file is missing or its sha256 differs from the recorded one.
        """
        path = self._path(f"{folder}/{artifact.path}")
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise IntegrityError(
                f"artifact {artifact.path!r} is missing from {path.parent}; the registry "
                "recorded it, so the artifact store was changed outside the registry"
            ) from None
        digest = sha256_bytes(data)
        if digest != artifact.sha256:
            raise IntegrityError(
                f"artifact {artifact.path!r} in {path.parent} was modified: sha256 is "
                f"{digest}, the registry recorded {artifact.sha256}; refusing to load it"
            )
        return data

    def discard(self, folder: str) -> None:
        """Remove a published folder whose commit failed (best effort)."""
        shutil.rmtree(self._path(folder), ignore_errors=True)

    def collect_garbage(self, referenced: Iterable[str], older_than_s: float = 3600.0) -> list[str]:
        """Remove staging and model folders no committed version refers to.

        Only folders older than ``older_than_s`` go, so registrations in flight keep
        theirs. Returns the removed folders relative to the root.
        """
        keep = set(referenced)
        cutoff = time.time() - older_than_s
        removed = []
        for model_dir in sorted(p for p in self.root.iterdir() if p.is_dir()):
            for folder in sorted(p for p in model_dir.iterdir() if p.is_dir()):
                rel = f"{model_dir.name}/{folder.name}"
                if rel in keep or folder.stat().st_mtime > cutoff:
                    continue
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(rel)
        return removed
