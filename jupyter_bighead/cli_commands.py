"""What each ``jupyter bighead`` subcommand does (:mod:`jupyter_bighead.cli` parses the
command line and calls these)."""

from __future__ import annotations

import argparse
import errno
import json
import os
import pathlib
import sys
from typing import Any

from .config import HOME_ENV, BigheadHome
from .errors import InvalidSpec, NotFound


def _cmd_demo(args: argparse.Namespace, lab_args: list[str]) -> int:
    from .demo import create_demo_workspace

    def progress(msg: str) -> None:
        print(f"[bighead demo] {msg}", file=sys.stderr, flush=True)

    ws = create_demo_workspace(args.dir, progress=progress)
    for rel in ws.created:
        progress(f"created {rel}")
    for rel in ws.updated:
        progress(f"updated {rel}")
    for rel, side in ws.kept.items():
        progress(f"kept your changes to {rel}; the new version is in {side}")
    BigheadHome(ws.home).ensure()
    progress(f"workspace ready at {ws.root} (BIGHEAD_HOME={ws.home})")
    if args.no_lab:
        return 0

    env = dict(os.environ)
    env[HOME_ENV] = str(ws.home)
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={ws.root}",
        f"--LabApp.default_url=/lab/tree/{ws.starter.name}",
    ]
    if args.port is not None:
        cmd.append(f"--ServerApp.port={args.port}")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in lab_args:
        # Containers and CI often run as root; JupyterLab refuses that without this flag.
        progress("running as root: passing --allow-root to JupyterLab")
        cmd.append("--allow-root")
    cmd += lab_args
    progress("starting JupyterLab: " + " ".join(cmd[2:]))
    sys.stdout.flush()
    sys.stderr.flush()
    # Replace this process so that Ctrl-C and signals reach JupyterLab directly.
    os.chdir(ws.root)
    os.execve(sys.executable, cmd, env)
    return 0  # pragma: no cover - execve does not return


def _cmd_productionize(args: argparse.Namespace, _extra: list[str]) -> int:
    from .errors import DependencyError
    from .notebooks import productionize

    params: dict[str, object] = {}
    for name, raw in args.parameter or []:
        try:
            params[name] = json.loads(raw)
        except ValueError:
            params[name] = raw  # a bare string, like papermill's -p
    try:
        result = productionize(
            args.notebook, out_dir=args.out, execute=args.execute, parameters=params,
            force=args.force, kernel_name=args.kernel,
            progress=lambda msg: print(f"[productionize] {msg}", file=sys.stderr, flush=True),
        )
    except DependencyError as exc:
        print(f"jupyter bighead productionize: {exc.message}", file=sys.stderr)
        return 1
    for warning in result.warnings:
        print(f"[productionize] warning: {warning}", file=sys.stderr)
    print(json.dumps(result.to_dict(), indent=2))
    return 0


def _cmd_report(args: argparse.Namespace, _extra: list[str]) -> int:
    from .notebooks.report import report

    sections = None
    if args.registry:
        from .notebooks.cards import model_sections

        sections = model_sections(args.notebook, _registry(args))
    out = report(args.notebook, out=args.output, strip_prototype=args.strip_prototype,
                 force=args.force or args.output is None, sections=sections)
    print(out)
    return 0


def _cmd_score(args: argparse.Namespace, _extra: list[str]) -> int:
    from .jobs.scoring import score

    _check_reading(args)
    bar = None

    def progress(done: int, total: int | None) -> None:
        nonlocal bar
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="rows", desc=f"scoring with {args.model}",
                       file=sys.stderr, disable=args.quiet)
        bar.update(done - bar.n)

    try:
        result = score(args.model, args.input, args.output, chunk_size=args.chunk_size,
                       entity=args.entity, timestamp=args.timestamp,
                       fetch_features=not args.no_features, force=args.force,
                       progress=progress, registry=_registry(args) if args.registry else None,
                       cluster=args.cluster, prediction_log=args.prediction_log,
                       log_sample_rate=args.log_sample_rate)
    finally:
        if bar is not None:
            bar.close()
    print(json.dumps({"model": result.model, "version": result.version, "rows": result.rows,
                      "output": str(result.output),
                      "features_fetched": list(result.features_fetched)}, indent=2))
    return 0


def _cmd_serve(args: argparse.Namespace, _extra: list[str]) -> int:
    from .serving.runtime.holder import ADMIN_TOKEN_ENV
    from .serving.runtime.server import ServeOptions, serve

    if args.workers < 1:
        print("jupyter bighead serve: --workers must be at least 1", file=sys.stderr)
        return 2
    if not 0.0 <= args.log_sample_rate <= 1.0 or not args.log_max_rows_per_second > 0:
        print("jupyter bighead serve: --log-sample-rate must be in [0, 1] and "
              "--log-max-rows-per-second above 0", file=sys.stderr)
        return 2
    _check_reading(args)  # a mistyped --registry or --home: "no registry at ..."
    try:
        serve(ServeOptions(
            model_ref=args.model, host=args.host, port=args.port, workers=args.workers,
            registry=args.registry,
            admin_token=args.admin_token or os.environ.get(ADMIN_TOKEN_ENV),
            poll_seconds=args.poll_seconds, extra_features=args.extra_features,
            allow_missing=not args.no_missing, max_body_bytes=args.max_body_bytes,
            header_timeout=args.header_timeout, body_timeout=args.body_timeout,
            prediction_log=(str(pathlib.Path(args.prediction_log).resolve())
                            if args.prediction_log else None),
            log_sample_rate=args.log_sample_rate,
            log_max_rows_per_second=args.log_max_rows_per_second,
        ))
    except OSError as exc:
        if (exc.errno not in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES)
                or exc.filename is not None):  # EACCES on a file is not about the socket
            raise
        # A port in use (or a host not on this machine): one line, not a traceback.
        print(f"jupyter bighead serve: error: cannot listen on {args.host}:{args.port}: "
              f"{exc.strerror}", file=sys.stderr)
        return 1
    return 0


def _cmd_hub(args: argparse.Namespace, _extra: list[str]) -> int:
    from .hub.local import LocalHub, run

    hub = LocalHub(pathlib.Path(args.dir), port=args.port, ip=args.ip, password=args.password,
                   registry=args.registry or "",
                   api_token=os.environ.get("BIGHEAD_HUB_API_TOKEN", ""))
    return run(hub)


def _cmd_helm_values(args: argparse.Namespace, _extra: list[str]) -> int:
    from .hub.kubernetes import config_map, helm_values, read_server_config, to_yaml

    server = read_server_config(args.server_config)
    out = pathlib.Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    values = helm_values(server, image=args.image, shared_claim=args.shared_claim)
    (out / "values.yaml").write_text(to_yaml(values))
    (out / "bighead-config.yaml").write_text(to_yaml(config_map(server)))
    print(f"wrote {out / 'values.yaml'} and {out / 'bighead-config.yaml'}: "
          f"kubectl apply -f {out / 'bighead-config.yaml'}, then helm upgrade --install "
          f"jupyterhub jupyterhub/jupyterhub --values {out / 'values.yaml'}")
    return 0


def _cmd_monitor(args: argparse.Namespace, _extra: list[str]) -> int:
    from .monitoring import run_check
    from .registry.default import default_registry

    _check_reading(args)
    columns: dict[str, str] = {}
    for item in filter(None, (args.label_columns or "").split(",")):
        role, sep, column = item.partition("=")
        if not sep or not role.strip() or not column.strip():
            raise InvalidSpec(f"--label-columns takes ROLE=COLUMN pairs, not {item!r}")
        columns[role.strip()] = column.strip()
    reg = _registry(args) if args.registry else default_registry()
    result = run_check(args.model, args.window, registry=reg, home=args.home_choice.path,
                       now=args.end, alert=not args.no_alert, labels=args.labels,
                       label_columns=columns)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        print(f"{result.model} v{result.version} {result.start} .. {result.end}: "
              f"{result.status} ({result.n_rows} rows) {result.message}")
        for w in result.performance:
            shown = {k: round(v, 4) for k, v in w.items()
                     if isinstance(v, float) and k not in ("start", "end")}
            print(f"  labels {w['start']}: n={w['n']} {shown}")
        for f in (result.drift.features if result.drift else ()):
            psi = "-" if f.psi is None else f"{f.psi:.3f}"
            print(f"  {f.severity:7} {f.feature:30} PSI {psi:>7}  {'; '.join(f.reasons)}")
    return 3 if result.status == "alert" else 0


def _cmd_status(args: argparse.Namespace, _extra: list[str]) -> int:
    from .status import status_payload

    payload = status_payload(BigheadHome(args.home_choice.path), args.executor)
    if args.registry:
        payload["stores"]["registry"] = args.registry
    print(json.dumps(payload, indent=2))
    return 0


def _registry(args: argparse.Namespace) -> Any:
    """The registry ``--registry`` names (its artifacts under the home for PostgreSQL and
    third-party stores).

    Only opened, never created: the commands that take ``--registry`` read it, and a
    mistyped path raises ``NotFound`` ("no registry at ...") instead.
    """
    from .registry import Registry
    from .registry.store import store_scheme

    home = BigheadHome(args.home_choice.path)
    # Every store but SQLite keeps records only: its files go under the home.
    scheme = store_scheme(str(args.registry))
    artifacts = home.artifacts if scheme not in ("", "sqlite") else None
    return Registry(args.registry, artifacts=artifacts, create=False)


def _check_reading(args: argparse.Namespace) -> None:
    """Refuse, before anything is opened, a registry that a reading command would create.

    ``--registry`` is checked by :func:`_registry`; without it the home's registry is
    read, and a home folder that does not exist (``--home /tmp/typo``) is an error.
    """
    if args.registry:
        _registry(args).close()
        return
    home = args.home_choice.path
    if not home.is_dir():
        raise NotFound(f"no registry at {home}: the home folder does not exist "
                       f"({args.home_choice.reason})")
