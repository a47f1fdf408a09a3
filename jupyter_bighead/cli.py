"""``jupyter bighead …``: the command line.

Every subcommand has ``--help``. The CLI lives in the core, so it never imports
jupyter_server; ``demo`` starts JupyterLab as a separate process.

Every subcommand that reads or writes the stores takes the same ``--home`` (and, where
a registry is read, ``--registry``), added in one place (:func:`_add_store_options`).
The home is found like git finds ``.git`` (see :func:`jupyter_bighead.config.find_home`),
announced in one line on stderr, and exported as ``BIGHEAD_HOME`` so that everything the
command starts (kernels, feature lookups) agrees on it.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import pathlib
import sys
from collections.abc import Sequence
from typing import Any

from ._about import __version__
from .config import HOME_ENV, BigheadHome, find_home
from .errors import BigheadError, InvalidSpec, NotFound


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


def _add_store_options(parser: argparse.ArgumentParser, *, registry: bool) -> None:
    """The options every subcommand that touches the stores shares (one place for all)."""
    group = parser.add_argument_group("stores")
    group.add_argument(
        "--home", default=None, metavar="DIR", type=_non_empty,
        help=f"home folder of the stores (default: ${HOME_ENV}, else the nearest "
             ".bighead/ in this folder or a parent, else <jupyter data dir>/bighead)")
    if registry:
        group.add_argument(
            "--registry", default=None, metavar="R", type=_non_empty,
            help="registry folder or URI, e.g. postgresql://... (default: the one in the "
                 "home)")


def _non_empty(text: str) -> str:
    # `--home ""` (an unset shell variable) must not quietly mean "the default home".
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder or URI, not an empty string")
    return text


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, not {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jupyter bighead",
        description="jupyter-bighead: an ML platform that lives inside JupyterLab.",
    )
    parser.add_argument("--version", action="version", version=f"jupyter-bighead {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="create the demo workspace and open it in JupyterLab",
        description=(
            "Create (or refresh) a demo workspace with synthetic event logs, a labelled "
            "spine and the starter notebook, then start JupyterLab there with "
            "BIGHEAD_HOME=DIR/.bighead. Files you changed are never overwritten. "
            "Unrecognised options are passed on to JupyterLab, e.g. --no-browser."
        ),
    )
    demo.add_argument("dir", nargs="?", default="bighead-demo", metavar="DIR",
                      help="workspace folder (default: ./bighead-demo)")
    demo.add_argument("--no-lab", action="store_true",
                      help="only create the workspace; do not start JupyterLab")
    demo.add_argument("--port", type=int, default=None, help="port for JupyterLab")
    demo.set_defaults(func=_cmd_demo, passthrough=True)

    hub = sub.add_parser(
        "hub",
        help="run a multi-user JupyterHub on this machine (the team set-up, for trying)",
        description=(
            "Start JupyterHub (with configurable-http-proxy) for the demo team: dana "
            "(data scientist), rita (reviewer), adam (admin) and vera (viewer), who sign in "
            "with one shared password. Their servers share one registry in a throwaway "
            "PostgreSQL server and the artifact, feature and job folders under DIR/shared. "
            "Stop with Ctrl-C; the PostgreSQL server goes with the hub. Not for a hub "
            "other people can reach: see Team set-up in the README for Kubernetes."
        ),
    )
    hub.add_argument("dir", nargs="?", default="bighead-hub", metavar="DIR",
                     help="folder of the hub's files (default: ./bighead-hub)")
    hub.add_argument("--port", type=int, default=8000, help="the hub's port (default 8000)")
    hub.add_argument("--ip", default="127.0.0.1", help="address to listen on (default "
                     "127.0.0.1: this machine only)")
    hub.add_argument("--password", default="bighead", type=_non_empty,
                     help="the demo users' shared password (default: bighead)")
    hub.add_argument("--registry", default=None, metavar="URI", type=_non_empty,
                     help="an existing postgresql:// registry instead of a throwaway server")
    hub.set_defaults(func=_cmd_hub, passthrough=False)

    helm = sub.add_parser(
        "helm-values",
        help="write Zero-to-JupyterHub values for a Bighead team on Kubernetes",
        description=(
            "Write DIR/values.yaml (Zero-to-JupyterHub chart values) and "
            "DIR/bighead-config.yaml (a ConfigMap with the Bighead config) from the "
            "Bighead settings in a jupyter_server_config.json. The hub builds KubeSpawner's "
            "profile list at each spawn from the admin store on the shared volume (seeded "
            "from this config by the first server; the lab's Admin section edits it), so "
            "the profiles and kernel images users can start follow the admin (one source "
            "of truth)."
        ),
    )
    helm.add_argument("dir", metavar="DIR", help="folder to write the two files into")
    helm.add_argument("--server-config", required=True, metavar="FILE",
                      help="a jupyter_server_config.json with the BigheadApp settings")
    helm.add_argument("--image", default="jupyter-bighead:latest",
                      help="the users' default image (with jupyter-bighead installed)")
    helm.add_argument("--shared-claim", default="bighead-shared", metavar="NAME",
                      help="a ReadWriteMany PersistentVolumeClaim for the shared stores")
    helm.set_defaults(func=_cmd_helm_values, passthrough=False)

    prod = sub.add_parser(
        "productionize",
        help="strip prototype cells and write a production notebook, module and manifest",
        description=(
            "Remove the cells tagged 'prototype', check that no production cell depends on "
            "them, and write NB's production notebook, a module with main(**parameters) and "
            "production.json to <stem>_production/ (or --out)."
        ),
    )
    prod.add_argument("notebook", metavar="NB", help="the source notebook")
    prod.add_argument("--out", default=None, metavar="DIR", help="output folder")
    prod.add_argument("--execute", action="store_true",
                      help="run the production notebook with papermill in a fresh kernel")
    prod.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                      help="a parameter for --execute (JSON value, else a string); repeatable")
    prod.add_argument("--kernel", default=None, help="kernel name for --execute")
    prod.add_argument("--force", action="store_true", help="overwrite existing outputs")
    _add_store_options(prod, registry=False)  # --execute's kernel registers into the home
    prod.set_defaults(func=_cmd_productionize, passthrough=False)

    rep = sub.add_parser(
        "report",
        help="render a self-contained HTML reviewer report of a notebook",
        description=(
            "Render NB as a reviewer report: header (title, author, commit, date), table "
            "of contents, production cells with outputs and prototype cells collapsed "
            "(or removed). Works offline: plotly.js is inlined."
        ),
    )
    rep.add_argument("notebook", metavar="NB", help="the notebook")
    rep.add_argument("-o", "--output", default=None, metavar="FILE",
                     help="output HTML file (default: <stem>.report.html beside NB)")
    rep.add_argument("--strip-prototype", action="store_true",
                     help="remove prototype cells instead of collapsing them")
    rep.add_argument("--force", action="store_true", help="overwrite an existing -o FILE")
    _add_store_options(rep, registry=True)  # the model cards come from the registry
    rep.set_defaults(func=_cmd_report, passthrough=False)

    sc = sub.add_parser(
        "score",
        help="batch-score a parquet or CSV file with a registered model",
        description=(
            "Score INPUT with MODEL_REF (name@alias, name:version or name for the latest) "
            "in chunks and write the input columns plus 'prediction' to OUTPUT (.parquet "
            "or .csv). When the input has only the entity and timestamp columns, the "
            "model's features are fetched from the feature store, point in time. INPUT "
            "may be a folder of parquet files; with --cluster its row groups are scored on "
            "Dask workers and OUT is a folder of parquet parts, equal to the "
            "single-process output."
        ),
    )
    sc.add_argument("model", metavar="MODEL_REF")
    sc.add_argument("--input", required=True, metavar="IN", help="parquet or CSV input")
    sc.add_argument("--output", required=True, metavar="OUT", help="parquet or CSV output")
    sc.add_argument("--chunk-size", type=int, default=200_000, help="rows per chunk")
    sc.add_argument("--entity", default=None, help="entity column for feature lookups")
    sc.add_argument("--timestamp", default=None, help="timestamp column for feature lookups")
    sc.add_argument("--no-features", action="store_true",
                    help="never fetch features; the input must carry the model's columns")
    sc.add_argument("--force", action="store_true", help="overwrite OUT")
    sc.add_argument("--quiet", action="store_true", help="no progress bar")
    sc.add_argument("--cluster", default=None, metavar="SETTING",
                    help="score on Dask: 'none', 'local', a scheduler address such as "
                         "tcp://host:8786, or 'kubernetes[:PROFILE[:N]]' (default: "
                         "$BIGHEAD_DASK, else none); parquet only, "
                         "and OUT becomes a folder of part files")
    sc.add_argument("--prediction-log", default=None, metavar="DIR", type=_non_empty,
                    help="log every scored row (inputs after any feature fetch, score) as "
                         "parquet under DIR for drift monitoring (see Monitoring)")
    sc.add_argument("--log-sample-rate", type=float, default=1.0, metavar="F",
                    help="share of chunks logged, 0-1 (default 1)")
    _add_store_options(sc, registry=True)
    sc.set_defaults(func=_cmd_score, passthrough=False)

    srv = sub.add_parser(
        "serve",
        help="serve a registered model over HTTP (KServe v1 and Open Inference v2)",
        description=(
            "Serve MODEL_REF (name@alias, name:version or name for the latest) from the "
            "registry: POST /v1/models/NAME:predict, POST /v2/models/NAME/infer (JSON or "
            "binary tensors; also under /versions/V), GET /v2, /v2/models/NAME, "
            "/v2/health/live, /v2/health/ready, /metrics, and "
            "POST /admin/reload (bearer token) to follow a moved alias without downtime."
        ),
    )
    srv.add_argument("model", metavar="MODEL_REF")
    srv.add_argument("--host", default="127.0.0.1", help="address to listen on")
    srv.add_argument("--port", type=int, default=8080, help="port (0: any free port)")
    srv.add_argument("--workers", type=int, default=1, help="processes sharing the port")
    srv.add_argument("--admin-token", default=None,
                     help="token for POST /admin/reload (or $BIGHEAD_SERVE_ADMIN_TOKEN); "
                          "without one the admin API is off")
    srv.add_argument("--poll-seconds", type=float, default=0.0,
                     help="re-resolve the alias this often and hot-swap (0: only on reload)")
    srv.add_argument("--extra-features", choices=("reject", "ignore"), default="reject",
                     help="what to do with request fields the model does not know")
    srv.add_argument("--no-missing", action="store_true",
                     help="refuse null/NaN in every column (default: allowed in float columns)")
    srv.add_argument("--prediction-log", default=None, metavar="DIR", type=_non_empty,
                     help="log each prediction (features, score, request id) as parquet "
                          "under DIR for drift monitoring (see Monitoring; default: off)")
    srv.add_argument("--log-sample-rate", type=float, default=1.0, metavar="F",
                     help="share of requests logged, 0-1 (default 1)")
    srv.add_argument("--log-max-rows-per-second", type=float, default=10_000.0, metavar="N",
                     help="rows logged per second at most; more are counted, not logged")
    srv.add_argument("--max-body-bytes", type=int, default=10 * 1024 * 1024,
                     help="larger request bodies get 413")
    srv.add_argument("--header-timeout", type=_positive_seconds, default=30.0, metavar="S",
                     help="seconds a connection gets to send its request headers, and may "
                          "stay idle between requests, before it is closed")
    srv.add_argument("--body-timeout", type=_positive_seconds, default=60.0, metavar="S",
                     help="seconds a connection gets to send a whole request body before "
                          "it is closed")
    _add_store_options(srv, registry=True)
    srv.set_defaults(func=_cmd_serve, passthrough=False)

    mon = sub.add_parser(
        "monitor",
        help="check a model's logged traffic for drift against its reference",
        description=("Compare the predictions of MODEL_REF logged in the last --window with "
                     "the reference profile stored when the version was registered (PSI, JS "
                     "distance, KS / chi-squared, null rates, unseen categories). A drift "
                     "alert is stored and posted to the model's webhook. Exit status 3 on an "
                     "alert."),
    )
    mon.add_argument("model", metavar="MODEL_REF")
    mon.add_argument("--window", default=None, help="how far back (1d, 6h, 30m; default: the "
                     "model's monitor setting, else 1d)")
    mon.add_argument("--end", default=None, metavar="TIME",
                     help="when the window ends, e.g. 2024-03-03 or 2024-03-03T12:00Z "
                          "(default: now)")
    mon.add_argument("--labels", default=None, metavar="FILE",
                     help="a .parquet or .csv file of outcomes joined for realized performance "
                          "(a bad file is reported; the drift check runs anyway)")
    mon.add_argument("--label-columns", default=None, metavar="ROLE=COLUMN,...",
                     help="the labels file's columns, e.g. entity=user_id,timestamp=ts "
                          "(roles: entity, timestamp, label, arrived_at)")
    mon.add_argument("--json", action="store_true", help="print the whole result as JSON")
    mon.add_argument("--no-alert", action="store_true",
                     help="report only: store and send nothing")
    _add_store_options(mon, registry=True)
    mon.set_defaults(func=_cmd_monitor, passthrough=False)

    status = sub.add_parser(
        "status",
        help="print the version, home folder, store locations and executor as JSON",
        description="Print what GET /bighead/api/status would return, without a server.",
    )
    status.add_argument("--executor", default="local", help="executor name to report")
    _add_store_options(status, registry=True)
    status.set_defaults(func=_cmd_status, passthrough=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the process exit code."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if extra and not args.passthrough:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if hasattr(args, "home"):
        # One home for the command and everything it starts, said out loud: a command
        # run in the wrong folder must not silently use another workspace's stores.
        args.home_choice = find_home(args.home)
        print(args.home_choice.describe(), file=sys.stderr, flush=True)
        os.environ[HOME_ENV] = str(args.home_choice.path)
    try:
        return int(args.func(args, extra))
    except BigheadError as exc:
        print(f"jupyter bighead {args.command}: error: {exc.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
