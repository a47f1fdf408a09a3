"""Small file helpers: atomic writes and safe path joins."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .errors import Forbidden


def atomic_write_bytes(
    path: str | os.PathLike[str],
    data: bytes | memoryview | Sequence[bytes | memoryview],
    *,
    durable: bool = True,
) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    ``data`` is bytes, or a sequence of byte buffers written one after the other.

    The bytes go to a temporary file in the same folder, are flushed to disk (unless
    ``durable`` is false: for files whose readers verify a checksum and can rebuild
    them, a crash may then leave a torn file but never a wrong one), and the
    temporary file is renamed over ``path``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates 0600 files; keep an existing file's mode, else use a readable 0644.
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            for part in (data,) if isinstance(data, bytes | memoryview) else data:
                fh.write(part)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Atomically write UTF-8 text; see :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))


#: Longest relative path :func:`safe_join` accepts (Linux's PATH_MAX), in characters.
MAX_PATH_CHARS = 4096


def safe_join(root: str | os.PathLike[str], relative: str) -> Path:
    """Join ``relative`` under ``root``, refusing anything that would land outside it.

    The check is linear in the length of the path, and paths longer than
    :data:`MAX_PATH_CHARS` are refused before any file system call.

    Raises
    ------
    Forbidden
        If ``relative`` is absolute, too long, or climbs out of ``root`` (``..``, symlinks).
    """
    base = Path(root).resolve()
    if not isinstance(relative, str) or not relative:
        raise Forbidden("path must be a non-empty relative path inside the root")
    if len(relative) > MAX_PATH_CHARS:
        raise Forbidden(f"path is {len(relative)} characters long; at most "
                        f"{MAX_PATH_CHARS} are allowed")
    if Path(relative).is_absolute() or "\x00" in relative:
        raise Forbidden(f"path {relative!r} must be a relative path inside {base}")
    candidate = (base / relative).resolve()
    if not is_within(candidate, base):
        raise Forbidden(f"path {relative!r} resolves outside {base}")
    return candidate


def is_within(path: Path, root: Path) -> bool:
    """Whether the resolved ``path`` is ``root`` or below it (both already resolved).

    A string prefix test on whole components: linear, unlike walking ``path.parents``.
    """
    inner, outer = str(path), str(root)
    if inner == outer:
        return True
    prefix = outer if outer.endswith(os.sep) else outer + os.sep
    return inner.startswith(prefix)
