"""The object handlers reach through ``self.settings["bighead"]``.

It holds the configured core objects; handlers call its methods and never touch
stores or executors directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_bighead._io import is_within, safe_join
from jupyter_bighead.config import BigheadHome
from jupyter_bighead.errors import Forbidden, InvalidSpec
from jupyter_bighead.status import status_payload

#: Long-lived objects per home (registry, executor, sweeps): one per server process.
_CACHE: dict[tuple[str, ...], Any] = {}


@dataclass(frozen=True)
class BigheadService:
    home: BigheadHome
    executor: str
    root_dir: Path  # the server's contents root: API paths are relative to it
    registry_url: str = ""  # empty: the embedded SQLite registry under home
    executor_options: dict[str, Any] = field(default_factory=dict)
    block_paths: tuple[str, ...] = ()  # c.BigheadApp.block_paths

    deploy_target: str = "local"
    deploy_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: c.BigheadApp.job_functions: runnable through REST besides the built-in ones.
    job_functions: tuple[str, ...] = ()
    max_deployments_per_user: int = 0  # 0: no cap
    max_deployments: int = 0
    max_body_bytes: int = 10 * 1024 * 1024  # c.BigheadApp.max_body_bytes

    def blocks(self, search: str | None = None) -> dict[str, Any]:
        """The Blocks catalog: usable blocks, and the entries that failed to load."""
        from jupyter_bighead.pipeline.catalog import list_blocks

        entries = list_blocks(self.block_paths)
        needle = (search or "").strip().lower()
        blocks = [e for e in entries if e.get("error") is None and (
            not needle or any(needle in str(e.get(k) or "").lower()
                              for k in ("name", "summary", "owner", "source")))]
        errors = [{"name": e["name"], "source": e["source"], "message": e["error"]}
                  for e in entries if e.get("error") is not None]
        return {"blocks": blocks, "errors": errors}

    def feature_repo(self) -> Any:
        from jupyter_bighead.features import FeatureRepo

        return FeatureRepo(self.home.features)

    def registry(self) -> Any:
        """The registry (opened once; the SQLite and PostgreSQL stores are thread-safe)."""
        cached = _CACHE.get((self.registry_url, str(self.home.root)))
        if cached is None:
            from jupyter_bighead.registry import Registry

            cached = Registry(self.registry_url or self.home.registry_uri,
                              artifacts=self.home.artifacts)
            _CACHE[(self.registry_url, str(self.home.root))] = cached
        return cached

    def jobs(self) -> Any:
        """The configured executor (one per server: its thread keeps queued jobs moving)."""
        key = ("executor", self.executor, str(self.home.root))
        cached = _CACHE.get(key)
        if cached is None:
            from jupyter_bighead.jobs import get_executor

            cached = get_executor(self.executor, home=self.home, **self.executor_options)
            _CACHE[key] = cached
        return cached

    def job_view(self, record: Any) -> dict[str, Any]:
        """A job record for the UI: contents-relative output paths where possible."""
        data = record.to_dict()
        for key in ("pid", "pid_started"):
            data.pop(key, None)
        data["final"] = record.final
        outputs = dict(data.get("outputs") or {})
        for name, path in list(outputs.items()):
            try:
                outputs[f"{name}_contents_path"] = self.relative(path)
            except (ValueError, TypeError):
                outputs[f"{name}_contents_path"] = None
        data["outputs"] = outputs
        spec = data["spec"]
        if spec.get("notebook"):
            try:
                spec["notebook"] = self.relative(spec["notebook"])
            except ValueError:
                pass
        return data

    def _job_spec(self, body: dict[str, Any]) -> Any:
        """A JobSpec from a request body: paths resolved inside the root, functions
        only from the allow-list."""
        from jupyter_bighead.jobs import JobSpec

        values = dict(body)
        productionize_first = bool(values.pop("productionize", False))
        notebook = values.get("notebook")
        if notebook is not None:
            path = self.resolve(notebook)
            if productionize_first:
                from jupyter_bighead.notebooks import productionize

                path = productionize(path, out_dir=self.production_dir(path),
                                     force=True).notebook
            values["notebook"] = str(path)
        spec = JobSpec.from_dict(values)
        return self._checked_function(spec, relative_only=True)

    def allowed_functions(self) -> dict[str, tuple[str, ...]]:
        """Functions REST may run: the built-ins (with their path parameters) and the
        admin's ``job_functions``."""
        from jupyter_bighead.jobs.spec import BUILTIN_JOB_FUNCTIONS

        return {**{name: () for name in self.job_functions}, **BUILTIN_JOB_FUNCTIONS}

    def _checked_function(self, spec: Any, *, relative_only: bool) -> Any:
        """Refuse a function outside the allow-list; resolve its path parameters inside
        the root (``relative_only``: as a request gives them; else absolute paths of an
        earlier run are accepted when they lie inside the root)."""
        from dataclasses import replace

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
            if not relative_only and Path(value).is_absolute():
                resolved = Path(value).resolve()
                if not is_within(resolved, self.root_dir.resolve()):
                    raise Forbidden(f"parameter {key!r} is outside the server root")
                params[key] = str(resolved)
            else:
                params[key] = str(self.resolve(value))
        return replace(spec, parameters=params)

    def rerun_job(self, job_id: str, user: str) -> dict[str, Any]:
        """Submit a job's spec again, under the same rules as a new submission."""
        executor = self.jobs()
        spec = executor.status(job_id).spec
        if spec.notebook is not None:
            notebook = Path(spec.notebook).resolve()
            if not is_within(notebook, self.root_dir.resolve()):
                raise Forbidden("the job's notebook is outside the server root")
        spec = self._checked_function(spec, relative_only=False)
        return self.job_view(executor.submit(spec, user=user))

    def submit_job(self, body: dict[str, Any], user: str) -> dict[str, Any]:
        return self.job_view(self.jobs().submit(self._job_spec(body), user=user))

    def sweeps(self) -> Any:
        key = ("sweeps", self.executor, str(self.home.root))
        cached = _CACHE.get(key)
        if cached is None:
            from jupyter_bighead.jobs.sweeps_service import SweepService

            cached = SweepService(self.home.root / "sweeps", self.jobs())
            _CACHE[key] = cached
        return cached

    def start_sweep(self, body: dict[str, Any], user: str) -> dict[str, Any]:
        sweep_keys = {"space", "strategy", "n", "max_parallel", "metric", "mode", "model",
                      "alias", "seed"}
        spec = self._job_spec({k: v for k, v in body.items() if k not in sweep_keys})
        result: dict[str, Any] = self.sweeps().start(spec, body, user)
        return result

    def schedule_job(self, body: dict[str, Any], user: str) -> dict[str, Any]:
        executor = self.jobs()
        if not hasattr(executor, "schedule"):
            raise InvalidSpec(f"the {executor.name} executor cannot schedule jobs")
        if not body.get("schedule"):
            raise InvalidSpec("a schedule needs a cron expression in 'schedule'")
        result: dict[str, Any] = executor.schedule(self._job_spec(body), user=user)
        return result

    def deployments(self) -> Any:
        """The :class:`~jupyter_bighead.serving.DeploymentService` (one per server)."""
        key = ("deployments", self.deploy_target, str(self.home.root))
        cached = _CACHE.get(key)
        if cached is None:
            from jupyter_bighead.serving.deploy import DeploymentService

            options = {k: dict(v) for k, v in self.deploy_options.items()}
            if self.registry_url:  # local servers must read the same registry
                options.setdefault("local", {}).setdefault("registry", self.registry_url)
            cached = DeploymentService(self.home, default_target=self.deploy_target,
                                       registry=self.registry(), target_options=options,
                                       max_per_user=self.max_deployments_per_user,
                                       max_total=self.max_deployments)
            _CACHE[key] = cached
        return cached

    def create_deployment(self, body: dict[str, Any], user: str) -> Any:
        """Validate a POST /deployments body and create the deployment."""
        allowed = {"model", "version", "alias", "target", "replicas", "resources"}
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise InvalidSpec(f"unknown deployment keys {unknown}; use {sorted(allowed)}")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise InvalidSpec("'model' must be a registered model's name")
        version = body.get("version")
        if version is not None:
            from jupyter_bighead.registry.api import parse_version

            version = parse_version(version)
        alias = body.get("alias")
        if alias is not None and not isinstance(alias, str):
            raise InvalidSpec("'alias' must be a string")
        target = body.get("target")
        if target is not None and not isinstance(target, str):
            raise InvalidSpec("'target' must be a string")
        return self.deployments().create(model, version, alias or None, target=target,
                                         replicas=body.get("replicas"),
                                         resources=body.get("resources"), user=user)

    def predict_deployment(self, dep_id: str, body: bytes) -> tuple[int, bytes]:
        """Forward a KServe v1 body to the deployment's predict route."""
        service = self.deployments()
        record = service.store.load(dep_id)
        status, payload = service.call(dep_id, "POST", f"/v1/models/{record.model}:predict",
                                       body)
        return status, payload

    def status(self) -> dict[str, Any]:
        payload = status_payload(self.home, self.executor)
        if self.registry_url:
            import re

            payload["stores"]["registry"] = re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@",
                                                   self.registry_url)
        return payload

    def resolve(self, path: Any) -> Path:
        """A contents path (relative to the server root) as a real path; no traversal."""
        if not isinstance(path, str) or not path.strip():
            raise InvalidSpec("'path' must be a non-empty string relative to the server root")
        return safe_join(self.root_dir, path.strip())

    def production_dir(self, source: Path) -> Path:
        """``<stem>_production/`` beside ``source``, refused (before anything is written)
        when it is a symlink or anything else that leads outside the root."""
        folder = source.parent / f"{source.stem}_production"
        return safe_join(self.root_dir, self.relative_unresolved(folder))

    def relative_unresolved(self, path: Path) -> str:
        """``path`` (under the resolved root, last part not followed) relative to it."""
        return path.relative_to(self.root_dir.resolve()).as_posix()

    def relative(self, path: Path | str) -> str:
        return Path(path).resolve().relative_to(self.root_dir.resolve()).as_posix()

    def productionize(self, path: Any, *, force: bool = False, execute: bool = False,
                      parameters: dict[str, Any] | None = None) -> dict[str, Any]:
        from jupyter_bighead.notebooks import productionize

        source = self.resolve(path)
        result = productionize(source, out_dir=self.production_dir(source), force=force,
                               execute=execute, parameters=parameters)
        payload = result.to_dict()
        for key in ("source", "notebook", "module", "manifest", "executed"):
            if payload[key]:
                payload[key] = self.relative(payload[key])
        return payload

    def report(self, path: Any, *, strip_prototype: bool = False) -> dict[str, Any]:
        from jupyter_bighead.notebooks.report import report

        out = report(self.resolve(path), strip_prototype=strip_prototype)
        return {"report": self.relative(out)}
