"""The one place API paths and filesystem paths meet.

Request bodies name notebooks and files relative to the server's contents root; the
core wants real paths; responses give contents paths back so the lab can open them.
Every conversion goes through :class:`ContentsPaths`, which keeps them inside the root.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_bighead._io import is_within, safe_join
from jupyter_bighead.errors import Forbidden, InvalidSpec


@dataclass(frozen=True)
class ContentsPaths:
    """Paths under ``root`` (the server's ``root_dir``), as the contents API names them."""

    root: Path

    def resolve(self, path: Any, name: str = "path") -> Path:
        """A contents path (relative to the root) as a real path.

        Raises
        ------
        InvalidSpec
            ``path`` is not a non-empty string.
        Forbidden
            It leads outside the root (``..``, an absolute path, a symlink).
        """
        if not isinstance(path, str) or not path.strip():
            raise InvalidSpec(f"'{name}' must be a non-empty string relative to the server "
                              "root")
        return safe_join(self.root, path.strip())

    def join(self, relative: str) -> Path:
        """``relative`` (a path the server made, taken as is) under the root.

        Raises
        ------
        Forbidden
            It leads outside the root.
        """
        return safe_join(self.root, relative)

    def resolve_stored(self, path: str, what: str) -> Path:
        """A path an earlier run stored (absolute or relative), refused outside the root.

        Raises
        ------
        Forbidden
            It lies outside the root; ``what`` names it in the message.
        """
        if Path(path).is_absolute():
            resolved = Path(path).resolve()
            if not is_within(resolved, self.root.resolve()):
                raise Forbidden(f"{what} is outside the server root")
            return resolved
        return self.resolve(path)

    def check_inside(self, path: str | Path, what: str) -> Path:
        """``path`` resolved; :class:`Forbidden` naming ``what`` when outside the root."""
        resolved = Path(path).resolve()
        if not is_within(resolved, self.root.resolve()):
            raise Forbidden(f"{what} is outside the server root")
        return resolved

    def relative(self, path: Path | str) -> str:
        """The contents path of ``path``; ValueError when it is outside the root."""
        return Path(path).resolve().relative_to(self.root.resolve()).as_posix()

    def contents_path(self, path: Path | str | None) -> str | None:
        """The contents path of ``path``, or None when it is outside the root (or None)."""
        if path is None:
            return None
        try:
            return self.relative(path)
        except (ValueError, TypeError):
            return None

    def relative_unresolved(self, path: Path) -> str:
        """``path`` (under the resolved root, last part not followed) relative to it."""
        return path.relative_to(self.root.resolve()).as_posix()

    def production_dir(self, source: Path) -> Path:
        """``<stem>_production/`` beside ``source``, refused (before anything is written)
        when it is a symlink or anything else that leads outside the root."""
        folder = source.parent / f"{source.stem}_production"
        return safe_join(self.root, self.relative_unresolved(folder))
