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
import os
import sys
from collections.abc import Sequence

from ._about import __version__
from .cli_commands import (
    _cmd_demo,
    _cmd_helm_values,
    _cmd_hub,
    _cmd_monitor,
    _cmd_productionize,
    _cmd_report,
    _cmd_score,
    _cmd_serve,
    _cmd_status,
)
from .config import HOME_ENV, find_home
from .errors import BigheadError


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
