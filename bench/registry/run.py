"""Registry benchmarks: register, load and list, against MLflow on the same model.

    python bench/registry/run.py [--trees 500] [--rows 100000] [--rounds 5] [--versions 10000]

- register: a 500-tree LightGBM classifier with 100k validation rows, end to end with
  the evaluation (metrics, curves, calibration, importance, SHAP). Printed beside the
  floor, LightGBM's own ``booster.predict`` of the validation rows (the evaluation needs
  every row's score), and the difference; target: at most 0.3 s above the floor.
- load: ``Registry.load`` of that version. Target < 200 ms.
- list: 10,000 versions through the REST API (a real Jupyter server), 100 per page.
  Target < 100 ms per page.
- MLflow: ``mlflow.lightgbm.log_model(..., registered_model_name=...)`` plus the three
  headline metrics, bare and given ``pip_requirements``, and ``load_model``, on the same
  model and rows, in a long-lived process of its own virtualenv (``bench/.venv-mlflow``,
  :mod:`.mlflow_worker`), with telemetry off. Skipped with a note if missing.

Timing is the same for every contender: each is warmed up once, then the contenders
run round-robin (the order rotates), ``--rounds`` times; the report gives each one's
best and range, and every ratio is best against best from the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(ROOT))

from bench import offline_env  # noqa: E402

MLFLOW_PY = HERE.parent / ".venv-mlflow" / "bin" / "python"
MLFLOW_WORKER = HERE / "mlflow_worker.py"
#: Most seconds registration may take above the floor.
ABOVE_FLOOR_TARGET_S = 0.3


class MlflowWorker:
    """:mod:`.mlflow_worker` in MLflow's virtualenv, offline, driven line by line."""

    def __init__(self, python: Path, data: Path, cwd: Path,
                 script: Path = MLFLOW_WORKER) -> None:
        # cwd: MLflow puts its ./mlruns artifact folder there, not in the checkout.
        self.proc = subprocess.Popen([str(python), str(script), str(data)], cwd=str(cwd),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     env=offline_env({"PYTHONPATH": ""}))
        self.hello = self._read()

    def _read(self) -> dict[str, Any]:
        out: IO[str] | None = self.proc.stdout
        line = out.readline() if out is not None else ""
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr is not None else ""
            raise RuntimeError(f"the MLflow worker stopped: {err[-1500:]}")
        return dict(json.loads(line))

    def ask(self, cmd: str) -> float:
        assert self.proc.stdin is not None
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return float(self._read()["s"])

    def close(self) -> None:
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
            self.proc.wait(30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(10)


def timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def round_robin(contenders: dict[str, Callable[[], float]], rounds: int
                ) -> dict[str, list[float]]:
    """Seconds of each contender's run, ``rounds`` times, the order rotating each round."""
    names = list(contenders)
    out: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        k = r % len(names)
        for n in names[k:] + names[:k]:
            out[n].append(contenders[n]())
    return out


def summary(times: list[float]) -> dict[str, float]:
    return {"best": round(min(times), 4), "min": round(min(times), 4),
            "max": round(max(times), 4)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def list_through_rest(home: Path, name: str, versions: int, page: int = 100) -> float:
    """Mean seconds per page of ``page`` versions through a real Jupyter server."""
    port, token = _free_port(), secrets.token_hex(8)
    env = {**os.environ, "BIGHEAD_HOME": str(home)}
    jupyter = Path(sys.executable).parent / "jupyter"
    proc = subprocess.Popen([str(jupyter), "server", "--no-browser", f"--port={port}",
                             f"--IdentityProvider.token={token}", "--allow-root",
                             f"--ServerApp.root_dir={home}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/bighead/api/models/{name}/versions"
    headers = {"Authorization": f"token {token}"}
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(urllib.request.Request(base + "?limit=1", headers=headers))
                break
            except OSError:
                time.sleep(0.2)
        times = []
        cursor = None
        for _ in range(versions // page):
            url = f"{base}?limit={page}" + (f"&cursor={cursor}" if cursor else "")
            t = time.perf_counter()
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as r:
                data = json.loads(r.read())
            times.append(time.perf_counter() - t)
            cursor = data.get("next_cursor")
            if not cursor:
                break
        return float(np.median(times))
    finally:
        proc.terminate()
        proc.wait(10)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trees", type=int, default=500)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5, help="round-robin rounds")
    parser.add_argument("--versions", type=int, default=10_000,
                        help="versions listed through REST (0: skip the listing)")
    parser.add_argument("--mlflow-python", default=str(MLFLOW_PY))
    parser.add_argument("--no-mlflow", action="store_true")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)

    import lightgbm as lgb

    from jupyter_bighead.config import BigheadHome
    from jupyter_bighead.evaluation.report import shap_sample_rows
    from jupyter_bighead.registry import Registry

    rng = np.random.default_rng(0)
    cols = [f"f{i}" for i in range(20)]
    X = pd.DataFrame(rng.normal(size=(2 * args.rows, 20)), columns=cols)
    y = ((X.to_numpy() @ rng.normal(size=20) + rng.normal(size=len(X))) > 0).astype(int)
    Xt, yt, Xv, yv = X[: args.rows], y[: args.rows], X[args.rows:], y[args.rows:]
    model = lgb.LGBMClassifier(n_estimators=args.trees, verbose=-1).fit(Xt, yt)
    results: dict[str, Any] = {"trees": args.trees, "rows": args.rows, "rounds": args.rounds}
    mlflow_py = Path(args.mlflow_python)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        home = BigheadHome(root / "home").ensure()
        reg = Registry(home.registry_uri, artifacts=home.artifacts)
        Xv_np = Xv.to_numpy()

        contenders: dict[str, Callable[[], float]] = {
            "ours": lambda: timed(lambda: reg.register("bench", model, X_valid=Xv,
                                                       y_valid=yv)),
            # The floor: LightGBM's own prediction of the validation rows, which the
            # evaluation cannot avoid (its metrics need every row's score).
            "floor": lambda: timed(lambda: model.booster_.predict(Xv_np)),
        }
        worker = None
        if not args.no_mlflow and mlflow_py.exists():
            data = root / "data"
            data.mkdir()
            Xt.assign(label=yt).to_parquet(data / "train.parquet")
            Xv.assign(label=yv).to_parquet(data / "valid.parquet")
            (data / "model.pkl").write_bytes(pickle.dumps(model))
            (data / "meta.json").write_text(json.dumps({"trees": args.trees}))
            worker = MlflowWorker(mlflow_py, data, root)
            results["mlflow_version"] = worker.hello.get("mlflow")
            contenders["mlflow"] = lambda: worker.ask("plain")
            contenders["mlflow_pip_requirements"] = lambda: worker.ask("pip")
        elif not args.no_mlflow:
            results["mlflow"] = "skipped: create bench/.venv-mlflow (see bench/README.md)"
        try:
            for fn in contenders.values():  # warm-up, untimed
                fn()
            times = round_robin(contenders, args.rounds)
            results["register"] = {n: summary(t) for n, t in times.items()}
            floor = results["register"]["floor"]["best"]
            ours = results["register"]["ours"]["best"]
            results["above_floor_s"] = round(ours - floor, 4)
            results["above_floor_per_round_s"] = [
                round(a - b, 4) for a, b in zip(times["ours"], times["floor"], strict=True)]
            results["where"] = breakdown(model, Xv, yv, reg, args.rounds)
            results["shap_rows"] = shap_sample_rows(model.booster_.num_trees(), None)

            # The notebook's Register button: bh.evaluate has already computed (and
            # shown) the evaluation, which registration then stores as is.
            from jupyter_bighead.evaluation import evaluate

            shown = evaluate(model, Xv, yv)
            clicks = [timed(lambda: reg.register("bench", model, X_valid=Xv, y_valid=yv,
                                                 evaluation=shown))
                      for _ in range(args.rounds)]
            results["register_click_after_evaluate_s"] = round(min(clicks), 4)
            loads = {"ours": lambda: timed(lambda: reg.load("bench"))}
            if worker is not None:
                loads["mlflow"] = lambda: worker.ask("load")
            for fn in loads.values():
                fn()
            results["load"] = {n: summary(t)
                               for n, t in round_robin(loads, max(5, args.rounds)).items()}
        finally:
            if worker is not None:
                worker.close()

        if args.versions > 0:
            # 10,000 versions of a small model for the listing benchmark.
            small = lgb.LGBMClassifier(n_estimators=2, verbose=-1).fit(Xt[:1000], yt[:1000])
            t = time.perf_counter()
            for _ in range(args.versions):
                reg.register("many", small)
            results["register_small_per_s"] = round(
                args.versions / (time.perf_counter() - t), 1)
            results["list_page_of_100_s"] = round(
                list_through_rest(home.root, "many", args.versions), 4)
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


def breakdown(model: Any, Xv: Any, yv: Any, reg: Any, rounds: int) -> dict[str, float]:
    """Best-of-``rounds`` seconds of each part of a registration, measured alone."""
    import jupyter_bighead.registry.lineage as L
    from jupyter_bighead.evaluation import evaluate
    from jupyter_bighead.evaluation.metrics import binary_metrics
    from jupyter_bighead.evaluation.profiles import profile_file
    from jupyter_bighead.evaluation.report import _shap
    from jupyter_bighead.models import dump_model

    booster = model.booster_
    p = model.predict_proba(Xv)[:, 1]
    y01 = np.asarray(yv, dtype=np.float64)
    parts: dict[str, Callable[[], Any]] = {
        "evaluate (all of it)": lambda: evaluate(model, Xv, yv),
        "predict_proba of the rows": lambda: model.predict_proba(Xv),
        # the default sample: shap_sample_rows(trees, None) rows (64 at 500 trees)
        "SHAP (pred_contrib on the sample)": lambda: _shap(booster, Xv, None),
        "metrics, curves, calibration": lambda: binary_metrics(y01, p),
        "model file (dump)": lambda: dump_model(model),
        "lineage (git, packages)": lambda: L.lineage(None),
        "data fingerprint": lambda: L.dataset_fingerprint(Xv, yv),
        "reference profile (#16)": lambda: profile_file(model, Xv, task="binary", scores=p),
        "artifact files (write, fsync, sha256)":
            lambda: reg.artifacts.publish("parts", dump_model(model).files),
    }
    return {k: round(min(timed(fn) for _ in range(rounds)), 4) for k, fn in parts.items()}


def report(r: dict[str, Any]) -> None:
    reg = r["register"]
    print(json.dumps(r, indent=2))
    print(f"\nregister, {r['trees']} trees, {r['rows']} validation rows, best of {r['rounds']} "
          "rounds (range):")
    for name, x in reg.items():
        print(f"  {name:26} {x['best']:.3f} s ({x['min']:.3f}-{x['max']:.3f})")
    diff = r["above_floor_s"]
    print(f"floor (booster.predict of the validation rows) {reg['floor']['best']:.3f} s; ours "
          f"{reg['ours']['best']:.3f} s; difference {diff:.3f} s (per round "
          f"{min(r['above_floor_per_round_s']):.3f}-{max(r['above_floor_per_round_s']):.3f}):"
          f" target <= {ABOVE_FLOOR_TARGET_S} s: "
          f"{'MET' if diff <= ABOVE_FLOOR_TARGET_S else 'MISSED'}")
    print("where ours goes (each part alone, best of the rounds; SHAP on the default "
          f"sample of {r.get('shap_rows')} rows):")
    for k, v in r["where"].items():
        print(f"  {k:40} {v:.3f} s")
    for name in ("mlflow", "mlflow_pip_requirements"):
        if name in reg:
            m = reg[name]["best"]
            print(f"register: MLflow{' given pip_requirements' if 'pip' in name else ''} "
                  f"{m:.3f} s / ours {reg['ours']['best']:.3f} s = {m / reg['ours']['best']:.2f}x"
                  " (best against best, same rounds)")
    load = r["load"]
    print(f"load: ours {load['ours']['best'] * 1000:.1f} ms"
          + (f"; MLflow {load['mlflow']['best'] * 1000:.1f} ms = "
             f"{load['mlflow']['best'] / load['ours']['best']:.1f}x" if "mlflow" in load else "")
          + f"; target < 200 ms: {'MET' if load['ours']['best'] < 0.2 else 'MISSED'}")
    print(f"register from the evaluation view (Register button; evaluation already shown): "
          f"{r['register_click_after_evaluate_s']:.3f} s")
    if "list_page_of_100_s" in r:
        page = r["list_page_of_100_s"]
        print(f"list a page of 100 (REST): {page * 1000:.1f} ms; target < 100 ms: "
              f"{'MET' if page < 0.1 else 'MISSED'}")


if __name__ == "__main__":
    main()
