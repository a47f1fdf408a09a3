"""``BigheadApp``: the server extension application and every admin setting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Dict, Float, Int, List, TraitError, Unicode, default, validate
from traitlets.config import Config

from jupyter_bighead import plugins
from jupyter_bighead.config import BLOCK_PATHS_ENV, HOME_ENV, BigheadHome, default_home
from jupyter_bighead.errors import BigheadError
from jupyter_bighead.roles import RoleMap

from .authz import RoleAuthorizer
from .checks import SettingError, check_plugins, masked
from .routes import tornado_rules
from .service import BigheadConfig, BigheadService


def plugin_name(family: str, value: object) -> str:
    """``value`` as a name of ``family``; :class:`SettingError` (a ``TraitError`` and a
    ``ValueError``) listing the known names otherwise.

    Built-in names are checked without reading entry points (which costs start-up time).
    """
    name = str(value).strip()
    if name.lower() in plugins.family(family).builtins:  # 'Local' as ever
        return name.lower()
    known = plugins.names(family)
    if name not in known:
        raise SettingError(f"c.BigheadApp.{family}: {value!r} is not one of "
                           f"{', '.join(known)}")
    return name


@contextmanager
def _refused(setting: str) -> Iterator[None]:
    """Turn the core's InvalidSpec about a setting into a :class:`SettingError`, which
    traitlets handles (it keeps the previous value)."""
    try:
        yield
    except SettingError:
        raise
    except BigheadError as exc:
        raise SettingError(f"c.BigheadApp.{setting}: {exc.message}") from exc


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
        help="Default executor for jobs: 'local', 'kubernetes', or an executor from the "
             "jupyter_bighead.executors entry points.",
    )

    executor_options = Dict(
        config=True,
        help=(
            "Keyword arguments for the executor's constructor, e.g. {'max_concurrent': 4}. "
            "They are merged over what the backend-specific settings give the built-in "
            "executors (max_local_jobs and local_gpus for 'local'; kubeconfig, "
            "k8s_namespace and kernel_images for 'kubernetes'), which keep working."
        ),
    )

    registry_url = Unicode(
        "",
        config=True,
        help=(
            "Model registry location. Empty (the default) uses the embedded SQLite registry "
            "under home; 'postgresql://user:pass@host/db' shares one registry between "
            "servers (artifacts stay under home/artifacts, which must then be shared too). "
            "Kernels and local jobs the server starts see it as $BIGHEAD_REGISTRY, so the "
            "Python API uses the same registry. Empty: the $BIGHEAD_REGISTRY the server "
            "inherited, else the embedded registry."
        ),
    )

    profiles = Dict(
        config=True,
        help=(
            "Compute profiles users pick for jobs: name -> {cpu, memory, gpu, image, "
            "node_selector, tolerations, max_concurrent_per_user, description}, e.g. "
            "{'gpu-small': {'cpu': '8', 'memory': '32Gi', 'gpu': 1, 'image': 'org/train:cuda'}}. "
            "Requests beyond a profile's limits are refused. Defaults to one 'default' profile. "
            "They seed the admin store (<home>/admin) on the server's first start; from then "
            "on admins edit profiles in the lab's Admin section and the store wins (delete "
            "<home>/admin/settings.json to seed it again from this setting)."
        ),
    )

    kernel_images = Dict(
        config=True,
        help="Kernelspec name -> container image, so a remote run uses the notebook's kernel. "
             "Like profiles, it seeds the admin store (<home>/admin) on the first start; "
             "then admins edit them in the lab's Admin section and the store wins.",
    )

    registry_store_options = Dict(
        config=True,
        help="Keyword arguments for the registry store, which registry_url's scheme "
             "chooses (sqlite, postgresql, or a jupyter_bighead.registry_stores entry point).",
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

    roles = Dict(
        default_value={},
        config=True,
        help=(
            "Who holds which role (see Team set-up): a mapping of 'user:NAME', "
            "'group:NAME' (a JupyterHub group), '*' (everyone signed in) or a bare user "
            "name to a role or a list of roles: 'viewer', 'data_scientist', 'reviewer', "
            "'admin'. A user holds every role given to them, their groups and '*'. Every "
            "REST route needs a permission (read, write, review or admin); a refusal is "
            "403 naming the missing role. Empty (the default, one user): everyone holds "
            "every role."
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

    dask = Unicode(
        "",
        config=True,
        help=(
            "Where heavy work (feature materialization, batch scoring, training) runs: "
            "'none' (one process), 'local' (a LocalCluster sized to the machine, started "
            "per call), a Dask scheduler address such as 'tcp://host:8786', or "
            "'kubernetes[:PROFILE[:WORKERS]]' (a scheduler and workers as pods of a compute "
            "profile, per call). Kernels and local jobs the server "
            "starts see it as $BIGHEAD_DASK, and the Bighead panel shows it. Empty (the "
            "default): the $BIGHEAD_DASK the server inherited, else none."
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
            "Options per deploy target name, for every target users may pick (a deployment "
            "can name a target other than the default), e.g. {'local': {'poll_seconds': 5, "
            "'workers': 2}, 'kubernetes': {'namespace': 'serving', 'image': 'org/serve:1', "
            "'volumes': [...], 'volume_mounts': [...]}}. For the default deploy_target, "
            "deploy_target_options wins key by key over its entry here."
        ),
    )

    deploy_target_options = Dict(
        config=True,
        help=(
            "Options for the default deploy_target (the same shape as executor_options). "
            "Merged key by key over deploy_options[<deploy_target>]: a key set in both "
            "takes this value. Other targets take their deploy_options entry only."
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

        with _refused("job_functions"):
            for name in proposal["value"]:
                JobSpec(function=name)  # raises InvalidSpec for a malformed name
        return list(proposal["value"])

    @validate("max_body_bytes", "max_deployments_per_user", "max_deployments")
    def _validate_non_negative(self, proposal: dict[str, Any]) -> int:
        least = 1 if proposal["trait"].name == "max_body_bytes" else 0
        if proposal["value"] < least:
            raise SettingError(f"c.BigheadApp.{proposal['trait'].name}: "
                               f"{proposal['value']!r} is not >= {least}")
        return int(proposal["value"])

    @validate("profiles")
    def _validate_profiles(self, proposal: dict[str, Any]) -> dict[str, Any]:
        from jupyter_bighead.jobs.spec import ComputeProfile

        with _refused("profiles"):
            for name, spec in proposal["value"].items():
                if not isinstance(spec, dict):
                    raise SettingError(f"c.BigheadApp.profiles: {name!r} must be a dict")
                ComputeProfile.from_dict(name, spec)  # raises InvalidSpec naming the problem
        return dict(proposal["value"])

    @validate("dask")
    def _validate_dask(self, proposal: dict[str, Any]) -> str:
        from jupyter_bighead import cluster

        if not proposal["value"].strip():
            return ""
        with _refused("dask"):
            setting = cluster.parse_setting(proposal["value"])  # InvalidSpec if bad
        # 'kubernetes[:PROFILE[:N]]' is checked as text here; whether the profile exists
        # is told by the first call that starts pods (profiles may load after this).
        return str(setting)

    @validate("roles")
    def _validate_roles(self, proposal: dict[str, Any]) -> dict[str, Any]:
        from jupyter_bighead.roles import RoleMap

        with _refused("roles"):
            RoleMap.from_config(proposal["value"])  # InvalidSpec naming a bad entry
        return dict(proposal["value"])

    @validate("local_gpus")
    def _validate_local_gpus(self, proposal: dict[str, Any]) -> list[str] | None:
        from jupyter_bighead.jobs.gpus import configured_gpus

        if proposal["value"] is None:
            return None
        with _refused("local_gpus"):
            return [g.id for g in configured_gpus(proposal["value"])]  # InvalidSpec if bad

    #: Settings refused while the config loaded, each ``"c.BigheadApp.<name>: why"``.
    #: traitlets keeps the previous value of a refused one; ``initialize_settings`` logs
    #: them as errors and the server answers Bighead requests with a 500 naming them.
    setting_errors: tuple[str, ...] = ()

    def update_config(self, config: Config) -> None:
        """Load ``config``, recording a refused value in :attr:`setting_errors` instead of
        raising (jupyter_server would log a warning, skip the rest of the extension's
        linking and load it anyway, with traitlets' roll-back of every value loaded
        together). The values that are fine are kept."""
        try:
            super().update_config(config)
        except TraitError:
            mine = self._find_my_config(config)
            for name in list(mine):  # one at a time: each refusal rolls back only itself
                try:
                    self._load_config(Config({type(self).__name__: {name: mine[name]}}))
                except TraitError as exc:
                    text = str(exc)
                    if not text.startswith("c.BigheadApp."):
                        text = f"c.BigheadApp.{name}: {text}"
                    self.setting_errors = tuple(dict.fromkeys((*self.setting_errors, text)))
            self.config.merge(config)

    @default("home")
    def _default_home(self) -> str:
        return str(default_home())

    @validate("deploy_target")
    def _validate_deploy_target(self, proposal: dict[str, Any]) -> str:
        return plugin_name("deploy_target", proposal["value"])

    @validate("executor")
    def _validate_executor(self, proposal: dict[str, Any]) -> str:
        return plugin_name("executor", proposal["value"])

    def check_settings(self) -> tuple[str, ...]:
        """Every problem with the settings: those refused as the config loaded, then the
        plugin settings checked together (see .checks), each naming its setting."""
        if any(e.startswith(("c.BigheadApp.executor:", "c.BigheadApp.deploy_target:"))
               for e in self.setting_errors):
            return self.setting_errors  # the options of a plugin not chosen are moot
        return (*self.setting_errors, *check_plugins(
            executor=self.executor, executor_options=self._executor_options(),
            executor_context=("home", "profiles"),
            deploy_target=self.deploy_target, deploy_options=dict(self.deploy_options),
            deploy_target_options=dict(self.deploy_target_options),
            registry_url=self.registry_url,
            registry_store_options=dict(self.registry_store_options)))

    def initialize_settings(self) -> None:
        import os

        problems = self.check_settings()
        for problem in problems:
            self.log.error("jupyter-bighead: server misconfigured: %s", masked(problem))
        if problems:  # Bighead requests answer 500 naming them; nothing else is set up
            self.settings["bighead"] = BigheadService(BigheadConfig(
                home=BigheadHome.resolve(self.home), root_dir=Path("."),
                executor=self.executor, misconfigured=tuple(map(masked, problems))))
            return
        home = BigheadHome.resolve(self.home).ensure()
        # The admin store (profiles, kernel images, quotas) is seeded from this config on
        # the first start only; afterwards the store wins (an admin edits it in the lab).
        admin_error = self._seed_admin(home)
        if admin_error:
            self.log.error("jupyter-bighead: server misconfigured: %s", admin_error)
            self.settings["bighead"] = BigheadService(BigheadConfig(
                home=home, root_dir=Path("."), executor=self.executor,
                misconfigured=(admin_error,)))
            return
        # Kernels inherit the server's environment: make them use the same home.
        os.environ[HOME_ENV] = str(home.root)
        from jupyter_bighead.registry.protect import PROTECTED_ENV

        os.environ[PROTECTED_ENV] = ",".join(self.protected_aliases)
        # and the team's roles, so the Python API refuses what the lab would; this
        # process checks each request's own identity instead (its authorizer).
        import json

        import jupyter_bighead.roles as roles

        roles.checked_by_server()
        if self.roles:
            os.environ[roles.ROLES_ENV] = json.dumps(dict(self.roles), default=str)
        else:
            os.environ.pop(roles.ROLES_ENV, None)
        if self.local_gpus is not None:  # and the GPUs their local executors hand out
            from jupyter_bighead.jobs.gpus import LOCAL_GPUS_ENV

            os.environ[LOCAL_GPUS_ENV] = ",".join(self.local_gpus) or "none"
        if self.registry_url:  # and the team's shared registry
            from jupyter_bighead.config import REGISTRY_ENV

            os.environ[REGISTRY_ENV] = self.registry_url
        if self.dask:  # and the Dask cluster their heavy work runs on
            from jupyter_bighead.cluster import ENV as DASK_ENV

            os.environ[DASK_ENV] = self.dask
        self._export_kubernetes(os, home)
        if self.block_paths:
            folders = [str(Path(p).expanduser().resolve()) for p in self.block_paths]
            known = [p for p in os.environ.get(BLOCK_PATHS_ENV, "").split(os.pathsep) if p]
            os.environ[BLOCK_PATHS_ENV] = os.pathsep.join(dict.fromkeys(folders + known))
        root_dir = Path(self.serverapp.root_dir if self.serverapp else ".").resolve()
        deploy_options = {k: dict(v) for k, v in self.deploy_options.items()}
        if self.deploy_target_options:
            deploy_options[self.deploy_target] = {**deploy_options.get(self.deploy_target, {}),
                                                  **self.deploy_target_options}
        config = BigheadConfig(
            home=home, root_dir=root_dir, executor=self.executor,
            profiles={n: dict(p) for n, p in self.profiles.items()},
            executor_options=self._executor_options(), registry_url=self.registry_url,
            registry_store_options=dict(self.registry_store_options),
            deploy_target=self.deploy_target, deploy_options=deploy_options,
            block_paths=tuple(str(Path(p).expanduser().resolve()) for p in self.block_paths),
            job_functions=tuple(self.job_functions), max_body_bytes=self.max_body_bytes,
            max_deployments_per_user=self.max_deployments_per_user,
            max_deployments=self.max_deployments,
            deploy_supervise_seconds=self.deploy_supervise_seconds, dask=self.dask,
            roles=RoleMap.from_config(self.roles),
        )
        # Built here, started once the server's loop runs, stopped with the server. Nothing
        # heavy is imported until the first Bighead request (see .threads).
        self.settings["bighead"] = BigheadService(config)
        # Bighead handlers ask this authorizer: the server's own first, then the roles.
        self.settings["bighead_authorizer"] = RoleAuthorizer(
            config.roles, parent=self, log=self.log)
        self.log.info("jupyter-bighead: home=%s executor=%s dask=%s", home.root, self.executor,
                      self.dask or "(inherited)")

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        """Start the background tasks (deployment supervisor, schedule checks)."""
        self.settings["bighead"].start()

    async def stop_extension(self) -> None:
        """Stop the background tasks and the executor's threads (jobs keep running)."""
        service = self.settings.get("bighead")
        if service is not None:
            import asyncio

            await asyncio.get_running_loop().run_in_executor(None, service.stop)

    def _seed_admin(self, home: BigheadHome) -> str | None:
        """Seed ``<home>/admin`` from ``profiles`` and ``kernel_images`` unless it exists;
        a problem (a store that cannot be written) comes back as a setting error."""
        from jupyter_bighead.admin import AdminSettings

        try:
            AdminSettings.open(home, seed_profiles=self.profiles,
                               seed_kernel_images=self.kernel_images)
        except (BigheadError, OSError) as exc:
            return f"c.BigheadApp.home: cannot seed the admin store in {home.root}: {exc}"
        return None

    def _export_kubernetes(self, os: Any, home: BigheadHome) -> None:
        """What a kernel needs to start the 'kubernetes' cluster setting's pods as the
        kubernetes executor would: the profiles, its namespace, config, image, volumes.

        The profiles are the admin store's at start (a snapshot: a kernel's executors
        read the store itself, live, when they share the home)."""
        import json

        from jupyter_bighead.admin import AdminSettings, ComputeProfile
        from jupyter_bighead.kube_dask import K8S_ENV, PROFILES_ENV

        def given(profile: ComputeProfile) -> dict[str, Any]:  # what differs from defaults
            plain = ComputeProfile(profile.name).to_dict()
            return {k: v for k, v in profile.to_dict().items() if k != "name" and v != plain[k]}

        os.environ[PROFILES_ENV] = json.dumps(
            {n: given(p) for n, p in AdminSettings(home).profiles().items()}, default=str)
        k8s_options: dict[str, Any] = {"namespace": self.k8s_namespace,
                                       "kubeconfig": self.kubeconfig or None}
        if self.executor == "kubernetes":
            k8s_options.update(self._executor_options())
        os.environ[K8S_ENV] = json.dumps(
            {k: k8s_options[k] for k in ("namespace", "kubeconfig", "context", "image",
                                         "volumes", "volume_mounts") if k8s_options.get(k)},
            default=str)

    def _executor_options(self) -> dict[str, Any]:
        """The executor's keyword arguments (but profiles): what the backend-specific traits
        say for the built-in executors, then ``executor_options`` over them."""
        options: dict[str, Any] = {}
        if self.executor == "local":
            options["max_concurrent"] = self.max_local_jobs
            if self.local_gpus is not None:
                options["gpus"] = list(self.local_gpus)
        elif self.executor == "kubernetes":
            # kernel_images: the executor reads the admin store's (seeded from them).
            options.update(namespace=self.k8s_namespace, kubeconfig=self.kubeconfig or None)
        options.update(self.executor_options)
        return options

    def initialize_handlers(self) -> None:
        # ExtensionApp prefixes each pattern with the server's base_url.
        self.handlers.extend(tornado_rules())
