"""``BigheadApp``: the server extension application and every admin setting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Dict, Float, Int, List, Unicode, default, validate

from jupyter_bighead.config import BLOCK_PATHS_ENV, HOME_ENV, BigheadHome, default_home

from .routes import ROUTES, url_pattern
from .service import BigheadService
from .threads import wait_ready, warm_up

EXECUTORS = ("local", "kubernetes")


class BigheadApp(ExtensionApp):
    """Jupyter server extension for jupyter-bighead.

    Settings are traitlets, set in ``jupyter_server_config.py`` as ``c.BigheadApp.<name>``.
    """

    name = "jupyter_bighead_server"
    # Handlers are plain APIHandlers; we serve no static files or templates of our own.
    load_other_extensions = True

    home = Unicode(
        config=True,
        help=(
            "Folder for the embedded stores (SQLite registry, artifacts, feature cache, "
            f"job records). Defaults to ${HOME_ENV} if set, else <jupyter data dir>/bighead. "
            f"The server exports it as {HOME_ENV} so that kernels it starts agree."
        ),
    )

    executor = Unicode(
        "local",
        config=True,
        help=f"Default executor for jobs: one of {', '.join(EXECUTORS)}.",
    )

    registry_url = Unicode(
        "",
        config=True,
        help=(
            "Model registry location. Empty (the default) uses the embedded SQLite registry "
            "under home; 'postgresql://user:pass@host/db' shares one registry between "
            "servers (artifacts stay under home/artifacts, which must then be shared too)."
        ),
    )

    profiles = Dict(
        config=True,
        help=(
            "Compute profiles users pick for jobs: name -> {cpu, memory, gpu, image, "
            "node_selector, tolerations, max_concurrent_per_user, description}, e.g. "
            "{'gpu-small': {'cpu': '8', 'memory': '32Gi', 'gpu': 1, 'image': 'org/train:cuda'}}. "
            "Requests beyond a profile's limits are refused. Defaults to one 'default' profile."
        ),
    )

    kernel_images = Dict(
        config=True,
        help="Kernelspec name -> container image, so a remote run uses the notebook's kernel.",
    )

    kubeconfig = Unicode(
        "",
        config=True,
        help="Kubeconfig file for the kubernetes executor; empty means in-cluster config.",
    )

    k8s_namespace = Unicode(
        "default", config=True, help="Namespace of the Jobs the kubernetes executor creates."
    )

    max_local_jobs = Int(
        2, config=True,
        help="How many jobs without GPUs the local executor runs at once; the rest queue. "
             "Jobs that ask for GPUs are bounded by the GPUs instead (see local_gpus).",
    )

    protected_aliases = List(
        Unicode(),
        default_value=["production"],
        config=True,
        help=(
            "Aliases a job (a Run remotely, schedule or sweep run) may not move unless its "
            "code passes force_protected=True: the version still registers and a warning "
            "says the alias stayed. Kernels, local jobs and Kubernetes job pods see the same "
            "list (as $BIGHEAD_PROTECTED_ALIASES). [] protects none."
        ),
    )

    local_gpus = List(
        Unicode(),
        default_value=None,
        allow_none=True,
        config=True,
        help=(
            "GPUs the local executor hands out, as CUDA_VISIBLE_DEVICES ids: indices such "
            "as '0' or UUIDs such as 'GPU-5f1c...'. A job that asks for GPUs (its profile's "
            "or resources' gpu) holds its own exclusively and waits queued, fairly across "
            "users, while they are busy; other jobs see none. None (the default): "
            "$BIGHEAD_LOCAL_GPUS if set, else what `nvidia-smi -L` lists; [] for none. "
            "Kernels the server starts see the same list."
        ),
    )

    block_paths = List(
        Unicode(),
        config=True,
        help=(
            "Shared folders of pipeline block modules (*.py) that teams add to the Blocks "
            "catalog, next to the built-in blocks and those of installed packages (entry "
            "point group jupyter_bighead.blocks). Kernels the server starts see them too "
            "(through $BIGHEAD_BLOCK_PATHS), so a pipeline using them loads there."
        ),
    )

    deploy_target = Unicode(
        "local",
        config=True,
        help="Default deploy target for models: 'local' (a managed server process on this "
             "machine), 'kubernetes', or a target from the jupyter_bighead.deploy_targets "
             "entry points.",
    )

    deploy_options = Dict(
        config=True,
        help=(
            "Options per deploy target, e.g. {'local': {'poll_seconds': 5, 'workers': 2}, "
            "'kubernetes': {'namespace': 'serving', 'image': 'org/serve:1', "
            "'volumes': [...], 'volume_mounts': [...]}}."
        ),
    )

    deploy_supervise_seconds = Float(
        10.0,
        config=True,
        help="How often the server health-checks deployments, restarts local servers that "
             "died, and rolls out aliases that moved (0: never).",
    )

    job_functions = List(
        Unicode(),
        config=True,
        help=(
            "Functions ('package.module:function') that users may run as jobs through the "
            "REST API, besides the built-in ones (jupyter_bighead.jobs.scoring:score_job). "
            "Any other function is refused with 403: a job function runs as the server's "
            "user, so list only functions that are safe with any parameters."
        ),
    )

    max_body_bytes = Int(
        10 * 1024 * 1024,
        config=True,
        help="Largest request body the REST API accepts, in bytes; larger ones get 413 "
             "(the body is read and dropped, never kept).",
    )

    max_deployments_per_user = Int(
        5,
        config=True,
        help="How many deployments one user may have at once (0: no limit); one more is "
             "refused with 409. Each local deployment is a server process.",
    )

    max_deployments = Int(
        20,
        config=True,
        help="How many deployments the server keeps at once, all users together (0: no "
             "limit); one more is refused with 409.",
    )

    @validate("job_functions")
    def _validate_job_functions(self, proposal: dict[str, Any]) -> list[str]:
        from jupyter_bighead.jobs.spec import JobSpec

        for name in proposal["value"]:
            JobSpec(function=name)  # raises InvalidSpec for a malformed name
        return list(proposal["value"])

    @validate("max_body_bytes", "max_deployments_per_user", "max_deployments")
    def _validate_non_negative(self, proposal: dict[str, Any]) -> int:
        least = 1 if proposal["trait"].name == "max_body_bytes" else 0
        if proposal["value"] < least:
            raise ValueError(f"c.BigheadApp.{proposal['trait'].name} must be >= {least}")
        return int(proposal["value"])

    @validate("profiles")
    def _validate_profiles(self, proposal: dict[str, Any]) -> dict[str, Any]:
        from jupyter_bighead.jobs.spec import ComputeProfile

        for name, spec in proposal["value"].items():
            if not isinstance(spec, dict):
                raise ValueError(f"c.BigheadApp.profiles[{name!r}] must be a dict")
            ComputeProfile.from_dict(name, spec)  # raises InvalidSpec naming the problem
        return dict(proposal["value"])

    @validate("local_gpus")
    def _validate_local_gpus(self, proposal: dict[str, Any]) -> list[str] | None:
        from jupyter_bighead.jobs.gpus import configured_gpus

        if proposal["value"] is None:
            return None
        return [g.id for g in configured_gpus(proposal["value"])]  # InvalidSpec if malformed

    @default("home")
    def _default_home(self) -> str:
        return str(default_home())

    @validate("deploy_target")
    def _validate_deploy_target(self, proposal: dict[str, Any]) -> str:
        from jupyter_bighead.serving.deploy import target_names

        value = str(proposal["value"]).strip()
        if value not in target_names():
            raise ValueError(f"c.BigheadApp.deploy_target={proposal['value']!r} is not one of "
                             f"{', '.join(target_names())}")
        return value

    @validate("executor")
    def _validate_executor(self, proposal: dict[str, Any]) -> str:
        value = str(proposal["value"]).strip().lower()
        if value not in EXECUTORS:
            raise ValueError(
                f"c.BigheadApp.executor={proposal['value']!r} is not one of {', '.join(EXECUTORS)}"
            )
        return value

    def initialize_settings(self) -> None:
        import os

        home = BigheadHome.resolve(self.home).ensure()
        # Kernels inherit the server's environment: make them use the same home.
        os.environ[HOME_ENV] = str(home.root)
        from jupyter_bighead.registry.protect import PROTECTED_ENV

        os.environ[PROTECTED_ENV] = ",".join(self.protected_aliases)
        if self.local_gpus is not None:  # and the GPUs their local executors hand out
            from jupyter_bighead.jobs.gpus import LOCAL_GPUS_ENV

            os.environ[LOCAL_GPUS_ENV] = ",".join(self.local_gpus) or "none"
        if self.block_paths:
            folders = [str(Path(p).expanduser().resolve()) for p in self.block_paths]
            known = [p for p in os.environ.get(BLOCK_PATHS_ENV, "").split(os.pathsep) if p]
            os.environ[BLOCK_PATHS_ENV] = os.pathsep.join(dict.fromkeys(folders + known))
        root_dir = Path(self.serverapp.root_dir if self.serverapp else ".").resolve()
        self.settings["bighead"] = BigheadService(
            home=home, executor=self.executor, root_dir=root_dir, registry_url=self.registry_url,
            executor_options=self._executor_options(), deploy_target=self.deploy_target,
            deploy_options={k: dict(v) for k, v in self.deploy_options.items()},
            block_paths=tuple(str(Path(p).expanduser().resolve()) for p in self.block_paths),
            job_functions=tuple(self.job_functions), max_body_bytes=self.max_body_bytes,
            max_deployments_per_user=self.max_deployments_per_user,
            max_deployments=self.max_deployments,
        )
        if self.deploy_supervise_seconds > 0:
            self._start_supervisor(self.deploy_supervise_seconds)
        if self.executor == "local":
            # Schedules fire from the server: start checking them (cheap, a daemon thread).
            self.settings["bighead"].jobs().start_scheduler()
        warm_up()  # import the heavy libraries once, in the background
        self.log.info("jupyter-bighead: home=%s executor=%s", home.root, self.executor)

    def _start_supervisor(self, interval: float) -> None:
        """Supervise deployments from a daemon thread (health checks block on sockets)."""
        import threading
        import time

        from jupyter_bighead.serving.deploy import supervise

        service = self.settings["bighead"]

        def loop() -> None:
            wait_ready()  # see .threads: no first import races with the handlers' threads
            while True:
                time.sleep(interval)
                try:
                    if any(True for _ in service.deployments().store.all()):
                        supervise(service.deployments())
                except Exception as exc:  # keep supervising through transient errors
                    self.log.warning("jupyter-bighead: deployment supervisor: %s", exc)

        threading.Thread(target=loop, name="bighead-deployments", daemon=True).start()

    def _executor_options(self) -> dict[str, Any]:
        from jupyter_bighead.jobs.spec import DEFAULT_PROFILES, ComputeProfile

        profiles = ({n: ComputeProfile.from_dict(n, p) for n, p in self.profiles.items()}
                    or dict(DEFAULT_PROFILES))
        options: dict[str, Any] = {"profiles": profiles}
        if self.executor == "local":
            options["max_concurrent"] = self.max_local_jobs
            if self.local_gpus is not None:
                options["gpus"] = list(self.local_gpus)
        else:
            options.update(namespace=self.k8s_namespace, kubeconfig=self.kubeconfig or None,
                           kernel_images=dict(self.kernel_images))
        return options

    def initialize_handlers(self) -> None:
        # ExtensionApp prefixes each pattern with the server's base_url.
        self.handlers.extend((url_pattern(route.template), route.handler) for route in ROUTES)
