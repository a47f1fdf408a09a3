"""Deployments: records on disk, the :class:`DeployTarget` ABC, and the service.

A deployment is one registered model (a fixed version, or an alias it follows) served
by one target. Targets are found by name through :mod:`jupyter_bighead.plugins` (family
``"deploy_target"``), like executors: the built-ins (``local``, ``kubernetes``) and any
registered under the entry-point group ``jupyter_bighead.deploy_targets``. What a target
can do beyond the ABC (place resources, follow an alias, ...) it declares in
``capabilities``.

Records live in ``BIGHEAD_HOME/deployments/<id>/record.json`` (written atomically),
next to the local server's ``serve.log``. The REST handlers call
:class:`DeploymentService`; a kernel can call it too.
"""

from __future__ import annotations

import builtins
import json
import os
import re
import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import jupyter_bighead.admin as admin
import jupyter_bighead.plugins as plugins
import jupyter_bighead.roles as roles

from ..config import BigheadHome
from ..errors import Conflict, ExecutionFailed, InvalidSpec
from ..identity import current_user
from ..recordstore import RecordStore
from ..refs import parse_model_ref

# The environment variable that hands a server its admin token (the runtime reads it).
from .runtime.holder import ADMIN_TOKEN_ENV as ADMIN_TOKEN_ENV

ENTRY_POINT_GROUP = plugins.FAMILIES["deploy_target"].group
_ID = re.compile(r"[a-z0-9][a-z0-9-]{2,62}\Z")
STATUSES = ("starting", "running", "unhealthy", "restarting", "failed", "stopped")


def now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class Deployment:
    """Everything known about one deployment.

    ``version`` is the version being served (for an alias: the one it pointed at when
    last (re)deployed). ``admin_token`` authenticates ``POST /admin/reload`` on the
    server; it is kept out of :meth:`view`.
    """

    id: str
    model: str
    target: str
    version: int
    alias: str | None = None
    status: str = "starting"
    url: str | None = None
    port: int | None = None
    pid: int | None = None
    pid_started: float | None = None
    replicas: int = 1
    resources: dict[str, Any] = field(default_factory=dict)
    admin_token: str = ""
    created: str = field(default_factory=now)
    updated: str = field(default_factory=now)
    user: str | None = None
    restarts: int = 0
    reason: str | None = None
    backend: dict[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        """The model reference the server is started with."""
        return f"{self.model}@{self.alias}" if self.alias else f"{self.model}:{self.version}"

    def evolve(self, **changes: Any) -> Deployment:
        return replace(self, updated=now(), **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def view(self) -> dict[str, Any]:
        """JSON for the REST API: no token, no pid."""
        out = self.to_dict()
        for key in ("admin_token", "pid", "pid_started"):
            out.pop(key, None)
        out["ref"] = self.ref
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Deployment:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


class DeploymentStore:
    """Deployment folders under ``root`` (``BIGHEAD_HOME/deployments``): one
    :class:`~jupyter_bighead.recordstore.RecordStore` record (``<id>/record.json``)
    each, the files deployments always had. Records are read with ``json.loads``, so
    a NaN a target put in its ``backend`` comes back as NaN, as it always did.

    :meth:`locked` is the store's lock across threads and processes (a server and a
    kernel share one home): :class:`DeploymentService` holds it around every
    read-change-write of a record.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.records = RecordStore(self.root, kind="deployment", id_pattern=_ID,
                                   layout="folder", loads=json.loads)

    def folder(self, dep_id: str) -> Path:
        return self.records.folder(dep_id)

    def locked(self, dep_id: str) -> AbstractContextManager[None]:
        """Hold the store's lock (re-entrant) while ``dep_id``'s record is changed."""
        return self.records.locked(dep_id)

    def exists(self, dep_id: str) -> bool:
        return self.records.exists(dep_id)

    def save(self, record: Deployment) -> Deployment:
        with self.locked(record.id):
            self.folder(record.id).mkdir(parents=True, exist_ok=True)
            self.records.write(record.id, record.to_dict())
        return record

    def load(self, dep_id: str) -> Deployment:
        """The record ``dep_id``. Raises ``NotFound`` (``InvalidSpec`` for a bad id)."""
        return Deployment.from_dict(self.records.read(dep_id))

    def delete(self, dep_id: str) -> None:
        """Remove the deployment's folder (record and ``serve.log``); no error if gone."""
        import shutil

        with self.locked(dep_id):
            shutil.rmtree(self.folder(dep_id), ignore_errors=True)

    def all(self) -> Iterator[Deployment]:
        """Every readable record, newest first."""
        found = []
        for _, data in self.records.records():
            try:
                found.append(Deployment.from_dict(data))
            except (ValueError, TypeError):
                continue
        yield from sorted(found, key=lambda d: (d.created, d.id), reverse=True)


class DeployTarget(ABC):
    """Runs model servers somewhere. Subclasses implement ``start``, ``refresh``, ``stop``.

    Targets hold no state of their own beyond configuration: the record is the truth,
    so a new target object (after a server restart) picks up every deployment.
    """

    name: ClassVar[str] = "abstract"
    #: What it can do beyond the ABC: see ``plugins.CAPABILITY_HELP["deploy_target"]``;
    #: e.g. ``"resources"`` (places cpu, memory, gpu and replicas) and
    #: ``"follows_alias"`` (its servers follow their alias; else the supervisor redeploys).
    capabilities: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, home: BigheadHome | None = None) -> None:
        self.home = home or BigheadHome.resolve()

    @abstractmethod
    def start(self, record: Deployment) -> Deployment:
        """Create whatever serves ``record``; return the record with url/status set."""

    @abstractmethod
    def refresh(self, record: Deployment) -> Deployment:
        """Check the deployment's health; return the record with its status updated."""

    @abstractmethod
    def stop(self, record: Deployment) -> None:
        """Remove everything ``start`` created. Idempotent."""

    def redeploy(self, record: Deployment) -> Deployment:
        """Serve ``record.version`` (which changed). Default: stop, then start."""
        self.stop(record)
        return self.start(record)

    def heal(self, record: Deployment) -> Deployment:
        """What the supervisor calls: refresh, and repair if the target can. Default:
        refresh only (a cluster heals itself)."""
        return self.refresh(record)

    def logs(self, record: Deployment, offset: int = 0) -> tuple[str, int]:
        """Log text from byte ``offset`` and the next offset."""
        raise InvalidSpec(f"the {self.name} target keeps no logs here")

    def call(self, record: Deployment, method: str, path: str,
             body: bytes | None = None) -> tuple[int, bytes]:
        """Send one HTTP request to the deployment's server (the UI's "try it")."""
        raise InvalidSpec(f"the {self.name} target cannot be called from this server")


def target_names() -> list[str]:
    """Every deploy target name: the built-ins and the entry points (nothing imported)."""
    return plugins.names("deploy_target")


def target_class(name: str) -> type[DeployTarget]:
    """The deploy target registered under ``name``.

    Raises
    ------
    InvalidSpec
        If no built-in or entry-point target has that name.
    """
    found: type[DeployTarget] = plugins.load("deploy_target", name)
    return found


def new_id(model: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-")[:30] or "model"
    return f"{stem}-{secrets.token_hex(3)}"


class DeploymentService:
    """Create, list, inspect, redeploy and delete deployments.

    Parameters
    ----------
    home
        Where records live (default: ``$BIGHEAD_HOME``).
    targets
        Target instances by name; a name not given is built with ``target_options``
        (``{name: {option: value}}``) on first use.
    default_target
        The target of ``create`` when none is named.
    registry
        The model registry (default: the one under ``home``).
    """

    def __init__(self, home: BigheadHome | None = None,
                 targets: Mapping[str, DeployTarget] | None = None,
                 default_target: str = "local", registry: Any = None,
                 target_options: Mapping[str, Mapping[str, Any]] | None = None,
                 max_per_user: int = 0, max_total: int = 0) -> None:
        self.home = home or BigheadHome.resolve()
        #: Caps on live deployments (0: none): each local one is a server process.
        self.max_per_user = max_per_user
        self.max_total = max_total
        self.store = DeploymentStore(self.home.root / "deployments")
        self._targets: dict[str, DeployTarget] = dict(targets or {})
        self._options = {k: dict(v) for k, v in (target_options or {}).items()}
        self.default_target = default_target
        self._registry = registry
        self._lock = threading.RLock()

    def registry(self) -> Any:
        if self._registry is None:
            from ..registry import Registry

            self._registry = Registry(self.home.registry_uri, artifacts=self.home.artifacts)
        return self._registry

    def target(self, name: str) -> DeployTarget:
        with self._lock:
            if name not in self._targets:
                self._targets[name] = plugins.create("deploy_target", name,
                                                     self._options.get(name), home=self.home)
            return self._targets[name]

    # -- the API -------------------------------------------------------------------------
    def create(self, model: str, version: int | None = None, alias: str | None = None, *,
               target: str | None = None, replicas: int | Mapping[str, int] | None = None,
               resources: Mapping[str, Any] | None = None, user: str | None = None
               ) -> Deployment:
        """Deploy ``model`` (a version, an alias to follow, or the latest version).

        ``replicas`` is a count or ``{"min": a, "max": b}`` (autoscaling targets).
        ``resources`` (``cpu``, ``memory``, ``gpu``) override what the model declares.

        Raises
        ------
        NotFound
            Unknown model, version or alias.
        InvalidSpec
            Bad replicas or resources, an unknown target, both version and alias.
        Unavailable
            The target's backend (e.g. the cluster) cannot be reached.
        Conflict
            The user already has ``max_per_user`` deployments, or there are
            ``max_total`` of them.
        QuotaExceeded
            The user's active deployments reach the admin's ``max_deployments`` quota.
        MissingRole
            Under a team's roles, when this process's user may not ``write``.
        """
        roles.require_current("write", doing="deploy a model")
        roles.check_acting_as(user)
        if isinstance(model, str) and (":" in model or "@" in model):
            # A model reference (m:3, m@prod): the registry refuses one that disagrees
            # with version=/alias=; the record keeps the name and follows the alias.
            self.registry().get(model, version, alias=alias)
            ref = parse_model_ref(model)
            model = ref.name
            version = version if version is not None else ref.version
            alias = alias or ref.alias
        target_name = target or self.default_target
        backend = self.target(target_name)
        mv = self.registry().get(model, version, alias=alias)
        low, high = _replicas(replicas)
        res = _resources(resources)
        if plugins.has_capability(backend, "resources") and not resources:
            res = self.declared_resources(model, mv.version)
        record = Deployment(id=new_id(model), model=mv.name, target=target_name,
                            version=mv.version, alias=alias, replicas=low,
                            resources={**res, "min_replicas": low, "max_replicas": high},
                            admin_token=secrets.token_urlsafe(24), user=user or current_user())
        # Under the lock: the supervisor must not see the half-made record and "heal" it,
        # and two requests must not both pass the caps.
        with self._holding(record.id):
            self._check_caps(record.user)
            self.store.save(record)
            try:
                return self.store.save(backend.start(record))
            except BaseException:
                self.store.delete(record.id)
                raise

    def _check_caps(self, user: str | None) -> None:
        # The admin's per-user quota (the same as the REST API's), then the server's caps.
        admin.check_deploy_quota(admin.AdminSettings(self.home).quota_for(user or ""),
                                 user or "", self.store.all())
        if not (self.max_per_user or self.max_total):
            return
        records = builtins.list(self.store.all())
        if self.max_total and len(records) >= self.max_total:
            raise Conflict(f"there are {len(records)} deployments, the most this server "
                           f"allows (max_deployments={self.max_total}); delete one first")
        mine = sum(1 for r in records if r.user == user)
        if self.max_per_user and mine >= self.max_per_user:
            raise Conflict(f"{user} has {mine} deployments, the most one user may have "
                           f"(max_deployments_per_user={self.max_per_user}); delete one first")

    def declared_resources(self, model: str, version: int) -> dict[str, Any]:
        """The pipeline's ``resources()`` (cpu, memory, gpu), or ``{}`` without one."""
        loaded = self.registry().load(model, version)
        fn = getattr(loaded, "resources", None)
        return _resources(fn()) if callable(fn) else {}

    def list(self) -> list[Deployment]:
        return [self._refresh(d) for d in self.store.all()]

    def get(self, dep_id: str) -> Deployment:
        """One deployment with its health checked now. Raises ``NotFound``."""
        return self._refresh(self.store.load(dep_id))

    def wait(self, dep_id: str, timeout: float = 120.0, interval: float = 0.25) -> Deployment:
        """Wait until the deployment is ``running`` (or ``failed``) and return it.

        Raises
        ------
        ExecutionFailed
            If it failed (the reason is in the message) or is not up after ``timeout`` s.
        """
        deadline = time.monotonic() + timeout
        while True:
            record = self.get(dep_id)
            if record.status == "running":
                return record
            if record.status == "failed" or time.monotonic() > deadline:
                why = record.reason or f"still {record.status} after {timeout:g} s"
                raise ExecutionFailed(f"deployment {dep_id} of {record.ref} is not up: {why}",
                                      {"id": dep_id, "status": record.status})
            time.sleep(interval)

    def predict(self, dep_id: str, instances: Sequence[Mapping[str, Any]]) -> builtins.list[Any]:
        """Send ``{"instances": [...]}`` (the KServe v1 shape) to the deployment.

        Raises
        ------
        InvalidSpec
            With the server's message, when it refuses the request (4xx).
        """
        record = self.store.load(dep_id)
        body = json.dumps({"instances": list(instances)}).encode()
        status, out = self.call(dep_id, "POST", f"/v1/models/{record.model}:predict", body)
        data = json.loads(out or b"{}")
        if status != 200:
            error = data.get("error") if isinstance(data, dict) else None
            message = error[:500] if isinstance(error, str) else str(data)[:500]
            raise InvalidSpec(f"the model server refused the request ({status}): {message}",
                              data if isinstance(data, dict) else None)
        return list(data["predictions"])

    def delete(self, dep_id: str) -> Deployment:
        """Stop the deployment and forget it; returns its last record (``MissingRole``
        as :meth:`create`)."""
        roles.require_current("write", doing="delete a deployment")
        # NotFound and refusals before any lock: a refused call changes nothing
        owner = self.store.load(dep_id).user
        roles.require_owner_current(owner, doing=f"delete the deployment {dep_id}")
        with self._holding(dep_id):
            record = self.store.load(dep_id)
            self.target(record.target).stop(record)
            self.store.delete(dep_id)
            return record.evolve(status="stopped")

    def logs(self, dep_id: str, offset: int = 0) -> tuple[str, int]:
        record = self.store.load(dep_id)
        if offset < 0:
            raise InvalidSpec("offset must be >= 0")
        return self.target(record.target).logs(record, offset)

    def redeploy(self, dep_id: str, force: bool = False) -> Deployment:
        """Follow the alias: if it moved (or ``force``), serve the version it points at now
        (``MissingRole`` as :meth:`create`)."""
        roles.require_current("write", doing="redeploy a model")
        # NotFound and refusals before any lock: a refused call changes nothing
        owner = self.store.load(dep_id).user
        roles.require_owner_current(owner, doing=f"redeploy the deployment {dep_id}")
        with self._holding(dep_id):
            record = self.store.load(dep_id)
            version = self.registry().get(record.model, None if record.alias else
                                          record.version, alias=record.alias).version
            if version == record.version and not force:
                return self._refresh(record)
            moved = record.evolve(version=version, status="starting")
            return self.store.save(self.target(record.target).redeploy(moved))

    def call(self, dep_id: str, method: str, path: str, body: bytes | None = None
             ) -> tuple[int, bytes]:
        """Forward one request to the deployment's server (see ``DeployTarget.call``)."""
        record = self.store.load(dep_id)
        return self.target(record.target).call(record, method, path, body)

    def supervise(self) -> builtins.list[Deployment]:
        """One supervision pass: heal every deployment, follow moved aliases.

        Returns the records that changed. Errors on one deployment do not stop the
        others (each is retried on the next pass).
        """
        changed: builtins.list[Deployment] = []
        for record in list(self.store.all()):
            try:
                with self._holding(record.id):
                    current = self.store.load(record.id)
                    healed = self.target(current.target).heal(current)
                    if healed != current:
                        self.store.save(healed)
                if healed.alias and not plugins.has_capability(self.target(healed.target),
                                                               "follows_alias"):
                    healed = self.redeploy(healed.id)
                if healed != record:
                    changed.append(healed)
            except Exception:  # the next pass retries; one bad record must not stop others
                continue
        return changed

    def _refresh(self, record: Deployment) -> Deployment:
        with self._holding(record.id):
            fresh = self.target(record.target).refresh(record)
            if fresh == record or not self.store.exists(record.id):
                return fresh  # unchanged, or deleted meanwhile: never write it back
            return self.store.save(fresh)

    @contextmanager
    def _holding(self, dep_id: str) -> Iterator[None]:
        """This service's lock, then the store's (other processes' services too)."""
        with self._lock, self.store.locked(dep_id):
            yield


def supervise(service: DeploymentService) -> list[Deployment]:
    """One supervision pass over ``service`` (for a periodic callback in the server)."""
    return service.supervise()


def _replicas(value: int | Mapping[str, int] | None) -> tuple[int, int]:
    if value is None:
        return 1, 1
    if isinstance(value, Mapping):
        low, high = value.get("min", 1), value.get("max", value.get("min", 1))
    else:
        low = high = value
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)):
        raise InvalidSpec("replicas must be a count or {'min': n, 'max': m} of integers")
    if low < 1 or high < low or high > 100:
        raise InvalidSpec(f"replicas must satisfy 1 <= min <= max <= 100, got {low}..{high}")
    return int(low), int(high)


def _resources(value: Mapping[str, Any] | None) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidSpec("resources must be an object with cpu, memory, gpu")
    unknown = sorted(set(value) - {"cpu", "memory", "gpu"})
    if unknown:
        raise InvalidSpec(f"unknown resource keys {unknown}; use cpu, memory, gpu")
    out: dict[str, Any] = {}
    for key in ("cpu", "memory"):
        if value.get(key) not in (None, ""):
            text = str(value[key])
            if not re.match(r"[0-9.]{1,30}(m|k|Ki|M|Mi|G|Gi|T|Ti)?\Z", text):
                raise InvalidSpec(f"resources.{key}={text!r} is not a Kubernetes quantity")
            out[key] = text
    gpu = value.get("gpu")
    if gpu not in (None, "", 0):
        if not isinstance(gpu, int) or isinstance(gpu, bool) or gpu < 0:
            raise InvalidSpec("resources.gpu must be a whole number")
        out["gpu"] = gpu
    return out
