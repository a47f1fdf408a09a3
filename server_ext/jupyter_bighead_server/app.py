"""``BigheadApp``: the server extension application and every admin setting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Unicode, default, validate

from jupyter_bighead.config import HOME_ENV, BigheadHome, default_home

from .routes import ROUTES, url_pattern
from .service import BigheadService

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

    @default("home")
    def _default_home(self) -> str:
        return str(default_home())

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
        root_dir = Path(self.serverapp.root_dir if self.serverapp else ".").resolve()
        self.settings["bighead"] = BigheadService(
            home=home, executor=self.executor, root_dir=root_dir, registry_url=self.registry_url
        )
        self.log.info("jupyter-bighead: home=%s executor=%s", home.root, self.executor)

    def initialize_handlers(self) -> None:
        # ExtensionApp prefixes each pattern with the server's base_url.
        self.handlers.extend((url_pattern(route.template), route.handler) for route in ROUTES)
