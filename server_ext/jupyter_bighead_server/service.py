"""The services handlers reach through ``self.settings["bighead"]``.

:class:`BigheadApp` builds one :class:`BigheadService` in ``initialize_settings``,
starts its background tasks once the server runs and stops them in ``stop_extension``.
The service owns the long-lived core objects (registry, executor, sweeps, deployments),
each built on first use, so a server that never serves a Bighead request never imports
them. Handlers call its methods and never touch stores or executors directly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from jupyter_bighead import plugins
from jupyter_bighead.config import BigheadHome
from jupyter_bighead.errors import Forbidden, InvalidSpec
from jupyter_bighead.roles import RoleMap
from jupyter_bighead.status import status_payload

from . import drift_metrics
from .background import Periodic
from .cluster_info import ClusterProbe
from .paths import ContentsPaths
from .threads import CoreImports
from .views import job_view, production_view

T = TypeVar("T")

#: Keys of a sweep body beyond those of its JobSpec.
SWEEP_KEYS = frozenset({"space", "strategy", "n", "max_parallel", "metric", "mode", "model",
                        "alias", "seed"})
#: How often the server looks for schedules whose executor's scheduler must run, in s.
SCHEDULE_SECONDS = 20.0


@dataclass(frozen=True)
class BigheadConfig:
    """What :class:`BigheadApp`'s traits resolve to: everything a service needs."""

    home: BigheadHome
    root_dir: Path  # the server's contents root: API paths are relative to it
    executor: str = "local"
    #: c.BigheadApp.profiles as configured (name -> dict); empty: the default profile.
    profiles: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: Keyword arguments of the executor's constructor besides home and profiles.
    executor_options: Mapping[str, Any] = field(default_factory=dict)
    registry_url: str = ""  # empty: the embedded SQLite registry under home
    registry_store_options: Mapping[str, Any] = field(default_factory=dict)
    deploy_target: str = "local"
    #: Options per deploy target name.
    deploy_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    block_paths: tuple[str, ...] = ()
    #: c.BigheadApp.job_functions: runnable through REST besides the built-in ones.
    job_functions: tuple[str, ...] = ()
    max_deployments_per_user: int = 0  # 0: no cap
    max_deployments: int = 0
    max_body_bytes: int = 10 * 1024 * 1024
    deploy_supervise_seconds: float = 10.0  # 0: never
    schedule_seconds: float = SCHEDULE_SECONDS
    #: c.BigheadApp.dask, normalised; empty: the $BIGHEAD_DASK the server inherited.
    dask: str = ""
    #: c.BigheadApp.roles, checked; RoleMap() (none configured): everyone holds every role.
    roles: RoleMap = field(default_factory=RoleMap)
    #: Problems with the admin's settings (see .checks): when any, every Bighead request
    #: answers 500 naming them and no background task starts.
    misconfigured: tuple[str, ...] = ()


def supports(plugin: Any, capability: str) -> bool:
    """Whether ``plugin`` declares ``capability`` (see ``plugins.CAPABILITY_HELP``). A
    plugin that declares nothing can do nothing optional: its methods are never probed."""
    return plugins.has_capability(plugin, capability)


class BigheadService:
    """The extension's services: built once per server, started and stopped with it."""

    def __init__(self, config: BigheadConfig, imports: CoreImports | None = None) -> None:
        self.config = config
        self.paths = ContentsPaths(config.root_dir)
        #: The one-time import of the core that the first Bighead request awaits.
        self.imports = imports or CoreImports()
        self._lock = threading.RLock()
        self._built: dict[str, Any] = {}
        self._tasks: list[Periodic] = []
        self._stopped = False
        #: The Dask cluster as the lab's panel shows it (probed off the event loop).
        self.cluster = ClusterProbe(config.dask)
        if not config.misconfigured:  # the drift gauge on /metrics, while this lives
            drift_metrics.attach(self, config.home.root)

    # -- settings handlers read ---------------------------------------------------------
    @property
    def home(self) -> BigheadHome:
        return self.config.home

    @property
    def roles(self) -> RoleMap:
        return self.config.roles

    @property
    def root_dir(self) -> Path:
        return self.config.root_dir

    @property
    def max_body_bytes(self) -> int:
        return self.config.max_body_bytes

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Start the background tasks: the deployment supervisor, and the watch that
        starts the executor's scheduler once there are schedules. Each pass first looks,
        cheaply, whether there is anything to do; only then does it import the core."""
        with self._lock:
            if self._tasks or self._stopped or self.config.misconfigured:
                return
            if self.config.deploy_supervise_seconds > 0:
                self._tasks.append(Periodic("bighead-deployments",
                                            self.config.deploy_supervise_seconds,
                                            self.supervise_deployments))
            if self.config.schedule_seconds > 0:
                self._tasks.append(Periodic("bighead-schedule-watch",
                                            self.config.schedule_seconds,
                                            self.wake_scheduler))
            for task in self._tasks:
                task.start()

    def stop(self) -> None:
        """Stop the background tasks and close the executor (its jobs keep running)."""
        with self._lock:
            self._stopped = True
            tasks, self._tasks = self._tasks, []
        drift_metrics.detach(self)
        for task in tasks:
            task.stop()
        executor = self._built.get("executor")
        close = getattr(executor, "close", None)
        if callable(close):
            close()

    @property
    def tasks(self) -> list[Periodic]:
        """The running background tasks."""
        return list(self._tasks)

    def supervise_deployments(self) -> None:
        """One supervisor pass: health checks, restarts, aliases rolled out."""
        folder = self.home.root / "deployments"
        if not folder.is_dir() or not any(p.is_dir() for p in folder.iterdir()):
            return  # nothing deployed: no need to import anything
        self.imports.wait()
        from jupyter_bighead.serving.deploy import supervise

        supervise(self.deployments())

    def wake_scheduler(self) -> None:
        """Start the executor's scheduler thread (idempotent) once schedules exist, for
        an executor whose schedules fire only while it runs (capability "scheduler",
        the local one). ``stop`` ends it with the executor's ``close()``."""
        folder = self.home.root / "schedules"
        if self._stopped or not folder.is_dir() or not any(folder.glob("*.json")):
            return  # no local schedules: no need to import anything
        self.imports.wait()
        executor = self.jobs()
        if supports(executor, "scheduler"):
            executor.start_scheduler()

    def _once(self, key: str, build: Callable[[], T]) -> T:
        with self._lock:
            if key not in self._built:
                self._built[key] = build()
            built: T = self._built[key]
            return built

    # -- core objects (built on first use, one per server) -------------------------------
    def registry(self) -> Any:
        """The registry (the SQLite and PostgreSQL stores are thread-safe)."""

        def build() -> Any:
            from jupyter_bighead.registry import Registry

            return Registry(self.config.registry_url or self.home.registry_uri,
                            artifacts=self.home.artifacts,
                            store_options=dict(self.config.registry_store_options))

        return self._once("registry", build)

    def admin(self) -> Any:
        """The admin store (``<home>/admin``: profiles, kernel images, quotas), one object
        for the server's life (it caches the parsed settings against the file)."""

        def build() -> Any:
            from jupyter_bighead.admin import AdminSettings

            return AdminSettings(self.home)

        return self._once("admin", build)

    def jobs(self) -> Any:
        """The configured executor (its thread keeps queued jobs moving)."""

        def build() -> Any:
            from jupyter_bighead.admin import LiveProfiles

            # Live: the admin store (<home>/admin, seeded from the config at start) is read
            # at each submit, so a profile an admin adds is usable without a restart.
            return plugins.create("executor", self.config.executor,
                                  {"profiles": LiveProfiles(self.admin()),
                                   **self.config.executor_options}, home=self.home)

        return self._once("executor", build)

    def sweeps(self) -> Any:
        def build() -> Any:
            from jupyter_bighead.jobs.sweeps_service import SweepService

            return SweepService(self.home.root / "sweeps", self.jobs())

        return self._once("sweeps", build)

    def reviews(self) -> Any:
        """The review store, ``<home>/reviews`` (shared by a team's servers like jobs)."""

        def build() -> Any:
            from jupyter_bighead.reviews import ReviewStore

            return ReviewStore(self.home.root / "reviews")

        return self._once("reviews", build)

    def deployments(self) -> Any:
        """The :class:`~jupyter_bighead.serving.DeploymentService`."""

        def build() -> Any:
            from jupyter_bighead.serving.deploy import DeploymentService

            options = {k: dict(v) for k, v in self.config.deploy_options.items()}
            if self.config.registry_url:  # local servers must read the same registry
                options.setdefault("local", {}).setdefault("registry", self.config.registry_url)
            return DeploymentService(self.home, default_target=self.config.deploy_target,
                                     registry=self.registry(), target_options=options,
                                     max_per_user=self.config.max_deployments_per_user,
                                     max_total=self.config.max_deployments)

        return self._once("deployments", build)

    def feature_repo(self) -> Any:
        from jupyter_bighead.features import FeatureRepo

        return FeatureRepo(self.home.features)

    # -- status and catalogs --------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Version, home, stores and executor; no core import needed."""
        payload = status_payload(self.home, self.config.executor)
        if self.config.registry_url:
            import re

            payload["stores"]["registry"] = re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@",
                                                   self.config.registry_url)
        return payload

    def blocks(self, search: str | None = None) -> dict[str, Any]:
        """The Blocks catalog: usable blocks, and the entries that failed to load."""
        from jupyter_bighead.pipeline.catalog import list_blocks

        entries = list_blocks(self.config.block_paths)
        needle = (search or "").strip().lower()
        blocks = [e for e in entries if e.get("error") is None and (
            not needle or any(needle in str(e.get(k) or "").lower()
                              for k in ("name", "summary", "owner", "source")))]
        errors = [{"name": e["name"], "source": e["source"], "message": e["error"]}
                  for e in entries if e.get("error") is not None]
        return {"blocks": blocks, "errors": errors}

    # -- jobs, schedules, sweeps ----------------------------------------------------------
    def job_view(self, record: Any) -> dict[str, Any]:
        return job_view(record, self.paths)

    def _job_spec(self, body: Mapping[str, Any]) -> Any:
        """A JobSpec from a request body: paths resolved inside the root, functions
        only from the allow-list."""
        from jupyter_bighead.jobs import JobSpec

        values = dict(body)
        productionize_first = bool(values.pop("productionize", False))
        notebook = values.get("notebook")
        if notebook is not None:
            path = self.paths.resolve(notebook)
            if productionize_first:
                from jupyter_bighead.notebooks import productionize

                path = productionize(path, out_dir=self.paths.production_dir(path),
                                     force=True).notebook
            values["notebook"] = str(path)
        spec = JobSpec.from_dict(values)
        return self._checked_function(spec, relative_only=True)

    def allowed_functions(self) -> dict[str, tuple[str, ...]]:
        """Functions REST may run: the built-ins (with their path parameters) and the
        admin's ``job_functions``."""
        from jupyter_bighead.jobs.spec import BUILTIN_JOB_FUNCTIONS

        return {**{name: () for name in self.config.job_functions}, **BUILTIN_JOB_FUNCTIONS}

    def _checked_function(self, spec: Any, *, relative_only: bool) -> Any:
        """Refuse a function outside the allow-list; resolve its path parameters inside
        the root (``relative_only``: as a request gives them; else absolute paths of an
        earlier run are accepted when they lie inside the root)."""
        if spec.function is None:
            return spec
        allowed = self.allowed_functions()
        if spec.function not in allowed:
            raise Forbidden(
                f"function {spec.function!r} may not run through the REST API; allowed: "
                f"{', '.join(sorted(allowed))} (an admin adds more with "
                "c.BigheadApp.job_functions)")
        params = dict(spec.parameters)
        for key in allowed[spec.function]:
            value = params.get(key)
            if not isinstance(value, str) or not value.strip():
                raise InvalidSpec(f"{spec.function} needs parameter {key!r}: a path "
                                  "relative to the server root")
            resolved = (self.paths.resolve(value) if relative_only
                        else self.paths.resolve_stored(value, f"parameter {key!r}"))
            params[key] = str(resolved)
        return replace(spec, parameters=params)

    def submit_job(self, body: Mapping[str, Any], user: str) -> dict[str, Any]:
        return self.job_view(self.jobs().submit(self._job_spec(body), user=user))

    def rerun_job(self, job_id: str, user: str) -> dict[str, Any]:
        """Submit a job's spec again, under the same rules as a new submission."""
        executor = self.jobs()
        spec = executor.status(job_id).spec
        if spec.notebook is not None:
            self.paths.check_inside(spec.notebook, "the job's notebook")
        spec = self._checked_function(spec, relative_only=False)
        return self.job_view(executor.submit(spec, user=user))

    def start_sweep(self, body: Mapping[str, Any], user: str) -> dict[str, Any]:
        spec = self._job_spec({k: v for k, v in body.items() if k not in SWEEP_KEYS})
        result: dict[str, Any] = self.sweeps().start(spec, dict(body), user)
        return result

    def schedules(self) -> dict[str, Any]:
        """Every schedule of the configured executor (none when it has no schedules)."""
        executor = self.jobs()
        items = executor.schedules() if supports(executor, "schedules") else []
        return {"executor": executor.name, "items": items}

    def schedule_job(self, body: Mapping[str, Any], user: str) -> dict[str, Any]:
        executor = self.jobs()
        if not supports(executor, "schedules"):
            raise InvalidSpec(f"the {executor.name} executor cannot schedule jobs")
        result: dict[str, Any] = executor.schedule(self._job_spec(body), user=user)
        return result

    def schedule_owner(self, name: str) -> tuple[bool, str | None]:
        """Whether schedule ``name`` exists, and who made it (None when not recorded)."""
        for item in self.schedules()["items"]:
            if isinstance(item, Mapping) and item.get("name") == name:
                user = item.get("user")
                return True, str(user) if user else None
        return False, None

    def unschedule(self, name: str) -> None:
        executor = self.jobs()
        if not supports(executor, "schedules"):
            raise InvalidSpec(f"the {executor.name} executor has no schedules")
        executor.unschedule(name)

    # -- deployments ----------------------------------------------------------------------
    def create_deployment(self, body: Mapping[str, Any], user: str) -> Any:
        """Create the deployment a POST /deployments body asks for (its shape checked
        against the OpenAPI schema: model a name, version an integer >= 1...)."""
        version = body.get("version")
        return self.deployments().create(
            body["model"], None if version is None else int(version),
            body.get("alias") or None, target=body.get("target"),
            replicas=body.get("replicas"), resources=body.get("resources"), user=user)

    def predict_deployment(self, dep_id: str, body: bytes) -> tuple[int, bytes]:
        """Forward a KServe v1 body to the deployment's predict route."""
        service = self.deployments()
        record = service.store.load(dep_id)
        status, payload = service.call(dep_id, "POST", f"/v1/models/{record.model}:predict",
                                       body)
        return status, payload

    # -- notebooks ------------------------------------------------------------------------
    def productionize(self, path: Any, *, force: bool = False, execute: bool = False,
                      parameters: Mapping[str, Any] | None = None) -> dict[str, Any]:
        from jupyter_bighead.notebooks import productionize

        source = self.paths.resolve(path)
        result = productionize(source, out_dir=self.paths.production_dir(source),
                               force=force, execute=execute,
                               parameters=dict(parameters or {}))
        return production_view(result, self.paths)

    def report(self, path: Any, *, strip_prototype: bool = False) -> dict[str, Any]:
        from jupyter_bighead.notebooks.report import report

        out = report(self.paths.resolve(path), strip_prototype=strip_prototype)
        return {"report": self.paths.relative(out)}
