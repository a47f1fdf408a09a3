"""Regenerate templates/notebooks/starter.ipynb (run after editing the cells below)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]


def proto(source: str) -> nbformat.NotebookNode:
    cell = new_code_cell(source)
    cell.metadata["tags"] = ["prototype"]
    return cell


CELLS = [
    new_markdown_cell(
        "# Welcome to jupyter-bighead\n\n"
        "This workspace walks you through the platform, one capability at a time. "
        "Open the **Bighead** panel in the left sidebar (the Bighead icon) to see the "
        "platform's status, and later its Models, Features, Jobs and Blocks.\n\n"
        "The data under `data/` is synthetic but realistic: a marketplace where users "
        "browse listings (`page_views`) and sometimes book (`bookings`). The question "
        "we model is *will this user book in the next 7 days?* (`labels`).\n\n"
        "Cells tagged `prototype` are exploration; untagged cells are production code."
    ),
    new_markdown_cell("## 1. The platform\n\nThe core library works the same in this kernel, "
                      "in a scheduled job and on a serving pod."),
    new_code_cell(
        "from jupyter_bighead.config import BigheadHome\n"
        "from jupyter_bighead.status import status_payload\n\n"
        "home = BigheadHome.resolve()  # BIGHEAD_HOME, set by `jupyter bighead demo`\n"
        "status_payload(home, executor='local')"
    ),
    new_markdown_cell("## 2. The data\n\nTwo event logs and a labelled spine of "
                      "(entity, timestamp) questions."),
    new_code_cell(
        "import pandas as pd\n\n"
        "page_views = pd.read_parquet('data/page_views.parquet')\n"
        "bookings = pd.read_parquet('data/bookings.parquet')\n"
        "labels = pd.read_parquet('data/labels.parquet')\n"
        "tables = {'page_views': page_views, 'bookings': bookings, 'labels': labels}\n"
        "{name: len(df) for name, df in tables.items()}"
    ),
    proto("bookings.head()"),
    proto(
        "# Some bookings land late: `created_at` is when the row became known.\n"
        "late = (bookings.created_at - bookings.ts) > pd.Timedelta(days=1)\n"
        "print(f'{late.mean():.1%} of bookings arrived more than a day late')\n"
        "labels.label.mean()"
    ),
    new_markdown_cell(
        "## 3. Point-in-time features\n\n"
        "A feature is an event source plus a windowed aggregation. Definitions are "
        "versioned in the catalog under `BIGHEAD_HOME` and computed only when asked. "
        "`materialize` answers each (user, ts) question with what was known *strictly "
        "before* ts, using `created_at` for late rows, so nothing leaks from the future. "
        "The **Features** section of the Bighead panel browses the same catalog."
    ),
    new_code_cell(
        "from jupyter_bighead.features import EventSource, Feature, FeatureRepo\n\n"
        "repo = FeatureRepo()  # the catalog under BIGHEAD_HOME\n"
        "bookings_src = EventSource('bookings', path='data/bookings.parquet', entity='user_id',\n"
        "                           timestamp='ts', created_at='created_at')\n"
        "views_src = EventSource('page_views', path='data/page_views.parquet',\n"
        "                        entity='user_id', timestamp='ts')\n\n"
        "FEATURES = [\n"
        "    Feature('bookings_30d_count', source=bookings_src, column='amount', agg='count',\n"
        "            window='30d', owner='demo', tags=('bookings',),\n"
        "            description='Bookings in the last 30 days, as known at the time'),\n"
        "    Feature('bookings_90d_sum', source=bookings_src, column='amount', agg='sum',\n"
        "            window='90d', owner='demo', tags=('bookings', 'revenue')),\n"
        "    Feature('bookings_last_nights', source=bookings_src, column='nights', agg='last',\n"
        "            owner='demo', tags=('bookings',)),\n"
        "    Feature('views_1d_count', source=views_src, column='duration_s', agg='count',\n"
        "            window='1d', owner='demo', tags=('engagement',)),\n"
        "    Feature('views_7d_count', source=views_src, column='duration_s', agg='count',\n"
        "            window='7d', owner='demo', tags=('engagement',)),\n"
        "    Feature('views_30d_mean_duration', source=views_src, column='duration_s', "
        "agg='mean',\n"
        "            window='30d', owner='demo', tags=('engagement',)),\n"
        "    Feature('views_7d_distinct_pages', source=views_src, column='page',\n"
        "            agg='count_distinct', window='7d', owner='demo', tags=('engagement',)),\n"
        "]\n"
        "repo.apply(FEATURES)  # re-applying unchanged definitions is a no-op"
    ),
    new_code_cell(
        "feature_names = [f.name for f in FEATURES]\n"
        "training = repo.materialize(labels, feature_names, entity='user_id', timestamp='ts',\n"
        "                            label_timestamp='ts')  # refuses any leak past the label\n"
        "training.head()"
    ),
    proto(
        "# Is any single feature suspiciously predictive (a sign of leakage)?\n"
        "repo.check_leakage(training, 'label')['flagged']"
    ),
    proto(
        "# Browse the catalog, preview on a sample, and insert the materialize() call.\n"
        "from jupyter_bighead.widgets import FeatureLookup\n\n"
        "FeatureLookup(repo, spine=labels, entity='user_id', timestamp='ts', "
        "spine_name='labels')"
    ),
    new_markdown_cell(
        "## 4. Train, evaluate, register\n\n"
        "A LightGBM model on the point-in-time training set, validated on the latest 20% "
        "of the questions (a time split, like production). `bh.evaluate` shows the PR and "
        "ROC curves, calibration, feature importance and SHAP, with a **Register** button; "
        "`bh.register` does the same from code and records the lineage: notebook, git "
        "commit, feature versions, environment. Registered models appear in the **Models** "
        "section of the Bighead panel."
    ),
    new_code_cell(
        "import lightgbm as lgb\n\n"
        "import jupyter_bighead as bh\n\n"
        "cutoff = training.ts.quantile(0.8)\n"
        "train, valid = training[training.ts < cutoff], training[training.ts >= cutoff]\n"
        "X_train, y_train = train[feature_names], train.label\n"
        "X_valid, y_valid = valid[feature_names], valid.label\n"
        "params = dict(n_estimators=200, learning_rate=0.05, num_leaves=15, verbose=-1)\n"
        "model = lgb.LGBMClassifier(**params).fit(X_train, y_train)\n"
        "feature_refs = [f'{f.name}@{repo.get(f.name).version}' for f in FEATURES]"
    ),
    proto(
        "# Charts inline, and one click registers the model under the name you type.\n"
        "bh.evaluate(model, X_valid, y_valid, name='booking_model', features=feature_refs,\n"
        "            params=params)"
    ),
    new_code_cell(
        "# alias='production' points the alias at this version; a job run of this notebook\n"
        "# registers a new version but leaves `production` alone (a protected alias) unless\n"
        "# you also pass force_protected=True.\n"
        "mv = bh.register('booking_model', model, X_valid=X_valid, y_valid=y_valid, "
        "params=params,\n"
        "                 features=feature_refs, notebook='bighead_starter.ipynb',\n"
        "                 alias='production')\n"
        "print(f\"registered {mv.name} v{mv.version}: ROC-AUC {mv.metrics['roc_auc']:.3f}\")"
    ),
    new_markdown_cell(
        "## 5. From prototype to production\n\n"
        "Cells with the orange border and the *prototype* badge are exploration. Toggle the "
        "tag with the Bighead button in a cell's toolbar, the command palette (*Toggle "
        "prototype cell*) or `Alt+P`. Then click **Productionize** in the notebook toolbar: "
        "the prototype cells are stripped, a static check makes sure no production cell "
        "depends on them, and a production notebook plus a module with `main(**parameters)` "
        "land in `bighead_starter_production/`. **Report** renders a self-contained HTML "
        "report for a reviewer, with the model card of `booking_model` (metrics, curves, "
        "importance, feature versions, and the production-code diff against the previous "
        "version). The same from a terminal:\n\n"
        "```\njupyter bighead productionize bighead_starter.ipynb\n"
        "jupyter bighead report bighead_starter.ipynb\n```"
    ),
    proto(
        "# The dependency check behind the Productionize button, from Python:\n"
        "import nbformat\n\n"
        "from jupyter_bighead.notebooks import check_dependencies\n\n"
        "check_dependencies(nbformat.read('bighead_starter.ipynb', as_version=4).cells).ok"
    ),
    new_markdown_cell(
        "## 6. Run it as a job\n\n"
        "Click **Run remotely** in the notebook toolbar: pick a compute profile (an admin "
        "sets them up with `c.BigheadApp.profiles`, with CPU, memory and GPUs) and the "
        "parameters; the notebook is productionized and its production version runs as a "
        "job: on this machine by default, or as a Kubernetes Job on GPU workers when the "
        "server uses `--BigheadApp.executor=kubernetes`. The **Jobs** section of the Bighead "
        "panel shows its status and logs, and can cancel or re-run it. A job registers new "
        "versions but never moves the protected `production` alias on its own (it warns "
        "instead), so a scheduled run cannot promote a model by accident. From Python:\n\n"
        "```python\nfrom jupyter_bighead.jobs import JobSpec, get_executor\n"
        "ex = get_executor('local')\n"
        "job = ex.submit(JobSpec(notebook='bighead_starter_production/bighead_starter.ipynb'))\n"
        "ex.wait(job.id).state\n```"
    ),
    new_markdown_cell(
        "## 7. One pipeline for training, batch and online\n\n"
        "A model is its transformations plus its learner. Compose reusable **blocks** "
        "(browse them, with their parameters, in the **Blocks** section of the Bighead "
        "panel, and insert a snippet with one click) and a LightGBM learner into one "
        "`Pipeline`. Its `FeatureLookup` joins the feature store point in time while "
        "training and through `FeatureRepo.online` while serving: one code path. The "
        "pipeline is registered like any model, without pickle (every block stores its "
        "parameters and fitted state as JSON and arrays), and the Models panel draws "
        "its graph."
    ),
    new_code_cell(
        "from jupyter_bighead.pipeline import FeatureLookup, Impute, Log1p, Pipeline\n\n"
        "pipeline = Pipeline(\n"
        "    [\n"
        "        FeatureLookup(feature_refs, entity='user_id', timestamp='ts'),\n"
        "        Impute(columns=['bookings_last_nights', 'views_30d_mean_duration'],\n"
        "               strategy='median', add_indicator=True),\n"
        "        Log1p(columns=['bookings_90d_sum']),\n"
        "    ],\n"
        "    learner=lgb.LGBMClassifier(**params),\n"
        ")\n"
        "raw_train = labels[labels.ts < cutoff][['user_id', 'ts']]\n"
        "raw_valid = labels[labels.ts >= cutoff][['user_id', 'ts']]\n"
        "pipeline.fit(raw_train, labels.label[labels.ts < cutoff])\n"
        "pmv = bh.register('booking_pipeline', pipeline, X_valid=raw_valid,\n"
        "                  y_valid=labels.label[labels.ts >= cutoff], params=params,\n"
        "                  notebook='bighead_starter.ipynb', alias='production')\n"
        "print(f\"registered {pmv.name} v{pmv.version}: ROC-AUC {pmv.metrics['roc_auc']:.3f}\")"
    ),
    proto(
        "# The graph the Models panel draws, and what serving needs from a request.\n"
        "print(pipeline.resources())\n"
        "pipeline.input_spec()"
    ),
    new_markdown_cell(
        "## 8. Serve it\n\n"
        "Open `booking_pipeline` in the **Models** section and click **Deploy…**: the "
        "endpoint starts as a local process (or a Kubernetes Deployment, Service and "
        "autoscaler when an admin sets `c.BigheadApp.deploy_target = 'kubernetes'`), and "
        "the *Try it* box sends an example request. It speaks the KServe v1 "
        "(`POST /v1/models/booking_pipeline:predict`) and Open Inference Protocol v2 "
        "shapes, follows the `production` alias, and exports Prometheus `/metrics`. A "
        "request can carry just the `user_id`: the server looks the features up as of "
        "now. From a terminal: `jupyter bighead serve booking_pipeline@production`. "
        "Batch scoring uses the same object: "
        "`jupyter bighead score booking_pipeline@production --input IN --output OUT`."
    ),
    proto(
        "# Deploy from Python, ask for two users' predictions, then stop the endpoint.\n"
        "from jupyter_bighead.serving import DeploymentService\n\n"
        "deployments = DeploymentService()\n"
        "created = deployments.create('booking_pipeline', alias='production')\n"
        "endpoint = deployments.wait(created.id)  # running, or an error naming why not\n"
        "users = [{'user_id': int(u)} for u in labels.user_id.unique()[:2]]\n"
        "print(endpoint.url, deployments.predict(endpoint.id, users))\n"
        "deployments.delete(endpoint.id).status"
    ),
    new_markdown_cell(
        "## 9. Scaling out\n\n"
        "When the events outgrow one machine, the same calls run on a "
        "[Dask](https://www.dask.org) cluster. One setting says where: the `cluster=` "
        "argument, else `$BIGHEAD_DASK` (an admin sets it for every kernel with "
        "`c.BigheadApp.dask`), else none, this process. `'local'` starts a `LocalCluster` "
        "on this machine for the call; a scheduler address such as `'tcp://host:8786'` uses "
        "an existing cluster. `materialize` then splits the parquet events and the spine by "
        "entity, runs the same point-in-time engine on each partition on the workers (they "
        "read the parquet themselves, so the events never have to fit in one process), and "
        "puts the rows back in spine order: the result is the single-process one, bit for "
        "bit. Batch scoring takes `--cluster` too, and "
        "`jupyter_bighead.pipeline.distributed.fit_pipeline` trains a pipeline on a Dask "
        "DataFrame with `lightgbm.dask`. The Bighead panel's Status section shows the "
        "cluster and links its dashboard."
    ),
    proto(
        "# The training set again, on a LocalCluster of this machine (one worker per core,\n"
        "# started and closed for this call; cache=False so the workers compute it).\n"
        "on_dask = repo.materialize(labels, feature_names, entity='user_id', timestamp='ts',\n"
        "                           label_timestamp='ts', cache=False, cluster='local',\n"
        "                           partitions=2, verbose=True)\n"
        "assert on_dask.equals(training)  # same rows, same order, same values\n"
        "len(on_dask)"
    ),
    new_markdown_cell(
        "## 10. Watch it in production\n\n"
        "Once a model is live, jupyter-bighead watches it. Registering with validation "
        "data stores a *reference* (each feature's and the score's distribution); the "
        "model server logs what it is asked (`jupyter bighead serve ... --prediction-log "
        "DIR`); a check compares a window of that traffic with the reference (PSI, "
        "Jensen-Shannon, KS and chi-squared per feature) and raises an alert when a "
        "feature drifts. Below, a small model is registered and two days of simulated "
        "traffic, whose `amount` shifts halfway, are logged directly; the check of the "
        "last day then alerts on `amount` and on nothing else."
    ),
    proto(
        "import numpy as np\n\n"
        "from jupyter_bighead import predlog\n"
        "from jupyter_bighead.monitoring import run_check, simulate\n"
        "from jupyter_bighead.monitoring.check import predictions_root\n\n"
        "numeric = list(simulate.NUMERIC)\n"
        "reference = simulate.reference_frame(2000)\n"
        "outcome = (np.random.default_rng(0).random(len(reference))\n"
        "           < simulate.true_probability(reference)).astype(int)\n"
        "shop = lgb.LGBMClassifier(n_estimators=20, verbose=-1).fit(reference[numeric], outcome)\n"
        "smv = bh.register('shop_model', shop, X_valid=reference[numeric], y_valid=outcome,\n"
        "                  alias='production')\n\n"
        "# Two days of requests up to now; `amount` shifts halfway.\n"
        "start = pd.Timestamp.now(tz='UTC') - pd.Timedelta('2D')\n"
        "traffic = simulate.shifted_traffic(2000, shifted=('amount',), start=start, span='2D')\n"
        "with predlog.PredictionLog(predictions_root(), 'shop_model', smv.version,\n"
        "                           max_rows_per_second=None) as log:\n"
        "    log.log(traffic[numeric], shop.predict_proba(traffic[numeric])[:, 1],\n"
        "            entity=traffic['entity'], timestamps=traffic['ts'])\n\n"
        "result = run_check('shop_model@production', '1d')\n"
        "print(result.status, '|', result.message, '|', result.alert_id)"
    ),
    new_markdown_cell(
        "The alert is in JupyterLab's notification center (the bell in the status bar). "
        "Open `shop_model` in the **Models** section and its **Monitoring** tab: the score "
        "against the reference, the drift table with the shifted feature on top (click a "
        "feature for its reference vs current histogram), the alert history, and "
        "**Create monitor**, which schedules this check as a job (hourly by default; "
        "`jupyter bighead monitor shop_model@production --window 1d` runs it once from a "
        "terminal). The same figures here: `bh.monitoring('shop_model@production')`."
    ),
    proto(
        "from jupyter_bighead.monitoring.figures import histogram_figure\n\n"
        "histogram_figure(result.drift.features[0].to_dict())"
    ),
    new_markdown_cell(
        "## 11. Working as a team\n\n"
        "On a team's hub (`jupyter bighead hub DIR` tries one on this machine; see the "
        "README's *Team set-up*), each person has a role, and `production` moves only "
        "after a reviewer approved the version. Here, alone, you hold every role and "
        "nothing is gated, but the review works the same: register a new version of "
        "`shop_model` and ask for it to become `production`. The review gathers what a "
        "reviewer reads: the reviewer report of this notebook, the model card, the "
        "evaluation and the diff against the version in production now."
    ),
    proto(
        "from jupyter_bighead import reviews\n"
        "from jupyter_bighead.identity import current_user\n\n"
        "me = current_user()\n"
        "smv2 = bh.register('shop_model', shop, X_valid=reference[numeric], y_valid=outcome)\n"
        "review = reviews.request_review(bh.default_registry(), f'shop_model:{smv2.version}',\n"
        "                                alias='production', author=me)\n"
        "diff = review.material['diff']\n"
        "print(review.state, '| against v', diff['against'], '|',\n"
        "      sorted(review.material))"
    ),
    new_markdown_cell(
        "The review is in the Bighead panel's **Reviews** section; open it for the card, "
        "the metric deltas, the code diff and the rendered report. On a team, a reviewer "
        "approves it there (never its author), you are notified, and then *Set "
        "production* in the model view, or `reviews.move_alias(review.id)`, moves the "
        "alias; the model view's *History* names everyone's step. Alone, withdraw it:"
    ),
    proto("reviews.withdraw(review.id, me).state"),
    new_markdown_cell(
        "## What comes next\n\n"
        "Re-run `jupyter bighead demo` after upgrading: new sections are added here as the "
        "platform grows. Your own edits are kept."
    ),
]


def render() -> str:
    """The starter notebook's file text (tests/test_demo.py checks the template is this)."""
    nb = new_notebook(cells=CELLS)
    nb.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python"
    }
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"bighead-starter-{i:02d}"
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def main() -> None:
    out = ROOT / "templates" / "notebooks" / "starter.ipynb"
    out.write_text(render(), encoding="utf-8")
    print(out)


if __name__ == "__main__":
    main()
