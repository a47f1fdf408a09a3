"""The admin-managed settings store: compute profiles, kernel images and quotas.

One JSON record, ``<home>/admin/settings.json``, shared by every server and kernel that
uses the home (a team's servers share it). It is:

- **seeded once** from the server's config (``c.BigheadApp.profiles`` and
  ``kernel_images``) when it does not exist yet; from then on **the store wins**: later
  config changes do not overwrite an admin's edits (delete the file to seed again);
- **validated**: every edit goes through :func:`~.profiles.validate_profile`,
  :meth:`~.quotas.Quota.from_dict` and the kernelspec/image checks, and raises
  ``InvalidSpec`` before anything is written;
- **versioned and audited**: each edit bumps ``version`` and appends one line to
  ``<home>/admin/audit.jsonl`` (who, when, what, before and after), written under the
  same cross-process lock as the record (see :class:`~jupyter_bighead.recordstore.RecordStore`);
- **cheap to read**: the parsed record is cached against the file's inode, size and
  mtime, so every request sees the latest edit without a restart and without parsing.

Nothing here creates a file on a read: a home without the store reads as the built-in
``default`` profile, no kernel images and no quotas.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..config import BigheadHome
from ..errors import Conflict, InvalidSpec, NotFound
from ..recordstore import RecordStore, load_json
from ..roles import check_acting_as, require_current
from .profiles import DEFAULT_PROFILES, ComputeProfile, check_image_reference, validate_profile
from .quotas import DEFAULT_USER, Quota, check_user_name, effective_quota

#: A kernelspec name as jupyter_client allows it (no path separators).
KERNEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")
MAX_IMAGE_CHARS = 300
#: How many profiles, kernel images and quota overrides the store holds at most.
MAX_ENTRIES = 500
_RECORD = "settings"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class AdminSettings:
    """The settings store of one home (see the module docstring)."""

    def __init__(self, home: BigheadHome | str | os.PathLike[str]) -> None:
        root = home.root if isinstance(home, BigheadHome) else Path(home)
        self.folder = root / "admin"
        self.path = self.folder / f"{_RECORD}.json"
        self.audit_path = self.folder / "audit.jsonl"
        self._store: RecordStore | None = None
        self._cache: tuple[tuple[int, int, int], dict[str, Any]] | None = None
        self._cache_lock = threading.Lock()
        #: The profiles parsed from the cached record (parsed once per version of the file).
        self._parsed: tuple[int, dict[str, ComputeProfile]] | None = None

    @classmethod
    def open(cls, home: BigheadHome | str | os.PathLike[str], *,
             seed_profiles: Mapping[str, Mapping[str, Any]] | None = None,
             seed_kernel_images: Mapping[str, str] | None = None,
             by: str = "config") -> AdminSettings:
        """The store of ``home``, seeded from the config if it has never been (see
        :meth:`seed`)."""
        settings = cls(home)
        settings.seed(seed_profiles, seed_kernel_images, by=by)
        return settings

    # -- reading ---------------------------------------------------------------------
    def data(self) -> dict[str, Any]:
        """The whole record: ``version``, ``profiles`` (name -> dict), ``kernel_images``,
        ``quotas`` (user or ``"*"`` -> dict), ``updated`` and ``updated_by``. Cached
        until the file changes; callers must not modify what they get."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return self._empty()
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        with self._cache_lock:
            if self._cache is not None and self._cache[0] == key:
                return self._cache[1]
        try:
            data = load_json(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return self._empty()
        if not isinstance(data, dict):
            return self._empty()
        data = {**self._empty(), **data}
        with self._cache_lock:
            self._cache = (key, data)
        return data

    @staticmethod
    def _empty() -> dict[str, Any]:
        return {"version": 0, "profiles": {}, "kernel_images": {}, "quotas": {},
                "updated": None, "updated_by": None}

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    @property
    def version(self) -> int:
        return int(self.data().get("version") or 0)

    def profiles(self) -> dict[str, ComputeProfile]:
        """The compute profiles (the built-in ``default`` when the store has none).
        A stored entry that no longer validates (edited by hand) is left out."""
        data = self.data()
        parsed = self._parsed
        if parsed is not None and parsed[0] == id(data) and data is self._cached_data():
            return dict(parsed[1])
        out: dict[str, ComputeProfile] = {}
        for name, spec in (data.get("profiles") or {}).items():
            try:
                out[name] = ComputeProfile.from_dict(
                    name, {k: v for k, v in spec.items() if k != "name"})
            except (InvalidSpec, TypeError, AttributeError):
                continue
        out = out or dict(DEFAULT_PROFILES)
        if data is self._cached_data():
            self._parsed = (id(data), out)
        return dict(out)

    def _cached_data(self) -> dict[str, Any] | None:
        cache = self._cache
        return cache[1] if cache is not None else None

    def kernel_images(self) -> dict[str, str]:
        """Kernelspec name -> container image."""
        return {str(k): str(v) for k, v in (self.data().get("kernel_images") or {}).items()}

    def quotas(self) -> dict[str, Quota]:
        """The default quota (``"*"``) and per-user overrides."""
        out: dict[str, Quota] = {}
        for user, spec in (self.data().get("quotas") or {}).items():
            try:
                out[user] = Quota.from_dict(spec, user)
            except InvalidSpec:
                continue
        return out

    def quota_for(self, user: str) -> Quota:
        """The quota that holds for ``user``: their override over the default."""
        return effective_quota(self.quotas(), user)

    def view(self) -> dict[str, Any]:
        """Everything, as the REST API and the lab show it."""
        data = self.data()
        return {"version": self.version, "updated": data.get("updated"),
                "updated_by": data.get("updated_by"),
                "profiles": [p.to_dict() for p in self.profiles().values()],
                "kernel_images": self.kernel_images(),
                "quotas": {u: q.to_dict() for u, q in self.quotas().items()}}

    def audit(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """Audit entries, newest first: ``version``, ``at``, ``user``, ``action``,
        ``target``, ``before`` and ``after``."""
        try:
            lines = self.audit_path.read_text("utf-8").splitlines()
        except FileNotFoundError:
            return []
        out: list[dict[str, Any]] = []
        for line in reversed(lines):
            try:
                entry = load_json(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                out.append(entry)
            if len(out) >= offset + limit:
                break
        return out[offset:offset + limit]

    # -- writing ---------------------------------------------------------------------
    def seed(self, profiles: Mapping[str, Mapping[str, Any]] | None = None,
             kernel_images: Mapping[str, str] | None = None, *, by: str = "config") -> bool:
        """Create the store from the config's profiles (none: the built-in ``default``)
        and kernel images, unless it exists. Returns whether it seeded. The config's
        values were validated when the config loaded; a bad one raises InvalidSpec."""
        checked = {n: ComputeProfile.from_dict(n, p).to_dict()
                   for n, p in (profiles or {}).items()}
        if not checked:
            checked = {n: p.to_dict() for n, p in DEFAULT_PROFILES.items()}
        images = {_check_kernel(k): _check_image(k, v) for k, v in (kernel_images or {}).items()}
        store = self._records()
        with store.locked(_RECORD):
            if store.exists(_RECORD):
                return False
            after = {**self._empty(), "version": 1, "profiles": checked,
                     "kernel_images": images, "updated": _now(), "updated_by": by}
            store.write(_RECORD, after)
            self._append_audit({"version": 1, "at": after["updated"], "user": by,
                                "action": "seed", "target": "settings", "before": None,
                                "after": {k: after[k] for k in ("profiles", "kernel_images")}})
        return True

    def put_profile(self, name: str, spec: Mapping[str, Any], user: str) -> ComputeProfile:
        """Add or replace profile ``name``. Raises InvalidSpec for a bad profile."""
        profile = validate_profile(name, spec)
        self._edit(user, "put_profile", f"profile:{name}",
                   lambda d: _set(d, "profiles", name, profile.to_dict()))
        return profile

    def delete_profile(self, name: str, user: str) -> None:
        """Remove profile ``name``.

        Raises
        ------
        NotFound
            No such profile.
        Conflict
            It is the last one (jobs need a profile).
        """

        def change(data: dict[str, Any]) -> tuple[Any, Any]:
            profiles = dict(data.get("profiles") or {})
            if name not in profiles:
                raise NotFound(f"compute profile {str(name)[:80]!r} does not exist")
            if len(profiles) == 1:
                raise Conflict(f"profile {name!r} is the last one; add another before "
                               "deleting it")
            return _set(data, "profiles", name, None)

        self._edit(user, "delete_profile", f"profile:{name}", change)

    def put_kernel_image(self, kernelspec: str, image: str | None, user: str) -> None:
        """Map ``kernelspec`` to ``image`` (``None`` or ``""``: remove the mapping)."""
        _check_kernel(kernelspec)
        value = _check_image(kernelspec, image) if image else None
        self._edit(user, "put_kernel_image", f"kernel_image:{kernelspec}",
                   lambda d: _set(d, "kernel_images", kernelspec, value))

    def put_quota(self, who: str, spec: Mapping[str, Any], user: str) -> Quota:
        """Set the quota of user ``who`` (``"*"``: the default). An override whose
        values are all null is removed (the user gets the default)."""
        check_user_name(who)
        quota = Quota.from_dict(spec, who)
        value = None if quota.empty and who != DEFAULT_USER else quota.to_dict()
        self._edit(user, "put_quota", f"quota:{who}", lambda d: _set(d, "quotas", who, value))
        return quota

    # -- internals -------------------------------------------------------------------
    def _records(self) -> RecordStore:
        if self._store is None:
            self._store = RecordStore(self.folder, kind="admin settings",
                                      id_pattern=re.compile(_RECORD))
        return self._store

    def _edit(self, user: str, action: str, target: str,
              change: Callable[[dict[str, Any]], tuple[Any, Any]]) -> None:
        """Apply ``change`` (which returns the target's before and after, mutating the
        record) under the store's lock; bump the version; audit it. Under a team's roles
        a kernel of a user without the admin role is refused (MissingRole)."""
        require_current("admin", doing="change the admin settings")
        check_acting_as(user)  # the audit names who really did it
        store = self._records()
        with store.locked(_RECORD):
            data = {**self._empty(), **(store.read(_RECORD) if store.exists(_RECORD) else
                                        {"profiles": {n: p.to_dict() for n, p in
                                                      DEFAULT_PROFILES.items()}})}
            before, after = change(data)
            data["version"] = int(data.get("version") or 0) + 1
            data["updated"], data["updated_by"] = _now(), user
            store.write(_RECORD, data)
            self._append_audit({"version": data["version"], "at": data["updated"],
                                "user": user, "action": action, "target": target,
                                "before": before, "after": after})

    def _append_audit(self, entry: Mapping[str, Any]) -> None:
        line = json.dumps(dict(entry), default=str, allow_nan=False) + "\n"
        with self.audit_path.open("a", encoding="utf-8") as fh:
            fh.write(line)


def _set(data: dict[str, Any], section: str, key: str, value: Any) -> tuple[Any, Any]:
    """Set (or, for ``None``, remove) ``data[section][key]``; return before and after."""
    entries = dict(data.get(section) or {})
    before = entries.get(key)
    if value is None:
        entries.pop(key, None)
    else:
        if key not in entries and len(entries) >= MAX_ENTRIES:
            raise InvalidSpec(f"the store holds at most {MAX_ENTRIES} {section}")
        entries[key] = value
    data[section] = entries
    return before, value


def _check_kernel(name: Any) -> str:
    if not isinstance(name, str) or not KERNEL_NAME.match(name):
        raise InvalidSpec(f"{str(name)[:80]!r} is not a kernelspec name (letters, digits, "
                          "'.', '_' or '-', at most 128)")
    return name


def _check_image(kernelspec: str, image: Any) -> str:
    return check_image_reference(image, f"the image for kernel {kernelspec!r}")
