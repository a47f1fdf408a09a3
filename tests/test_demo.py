from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from jupyter_bighead.demo import (
    MANIFEST,
    STARTER,
    create_demo_workspace,
    generate_demo_data,
)
from jupyter_bighead.errors import InvalidSpec


@pytest.fixture(scope="module")
def data():
    return generate_demo_data()


def test_demo_data_is_deterministic(data):
    again = generate_demo_data()
    pd.testing.assert_frame_equal(data.page_views, again.page_views)
    pd.testing.assert_frame_equal(data.bookings, again.bookings)
    pd.testing.assert_frame_equal(data.labels, again.labels)
    other = generate_demo_data(seed=1)
    assert not other.bookings.equals(data.bookings)


def test_demo_tables_have_the_documented_columns(data):
    assert list(data.page_views.columns) == ["user_id", "ts", "page", "duration_s"]
    assert list(data.bookings.columns) == ["user_id", "ts", "created_at", "amount", "nights"]
    assert list(data.labels.columns) == ["user_id", "ts", "label"]
    assert (data.bookings.created_at >= data.bookings.ts).all()
    assert (data.bookings.created_at - data.bookings.ts > pd.Timedelta(days=1)).any()
    rate = data.labels.label.mean()
    assert 0.03 < rate < 0.5, rate  # a learnable, imbalanced problem


def test_labels_match_a_brute_force_lookahead(data):
    sample = data.labels.sample(300, random_state=0)
    by_user = {u: g.ts.to_numpy() for u, g in data.bookings.groupby("user_id")}
    for row in sample.itertuples():
        ts = by_user.get(row.user_id, np.array([], dtype="datetime64[ns]"))
        t = np.datetime64(row.ts)
        expected = int(((ts >= t) & (ts < t + np.timedelta64(7, "D"))).any())
        assert row.label == expected, row


def test_demo_workspace_holds_data_and_starter_notebook(tmp_path):
    ws = create_demo_workspace(tmp_path / "demo")
    assert sorted(ws.created) == sorted(
        ["data/page_views.parquet", "data/bookings.parquet", "data/labels.parquet", STARTER]
    )
    nb = json.loads((tmp_path / "demo" / STARTER).read_text())
    assert nb["nbformat"] == 4 and len(nb["cells"]) > 3
    assert len(pd.read_parquet(tmp_path / "demo/data/labels.parquet")) > 1000
    assert ws.home == tmp_path / "demo" / ".bighead"


def test_rerunning_the_demo_never_destroys_user_changes(tmp_path):
    root = tmp_path / "demo"
    create_demo_workspace(root)
    starter = root / STARTER
    edited = starter.read_text().replace("Welcome to jupyter-bighead", "My own notes")
    starter.write_text(edited)
    (root / "mine.txt").write_text("user file")

    second = create_demo_workspace(root)
    assert starter.read_text() == edited
    assert (root / "mine.txt").read_text() == "user file"
    assert second.kept == {STARTER: "bighead_starter.new.ipynb"}
    assert (root / "bighead_starter.new.ipynb").exists()
    assert "data/labels.parquet" in second.unchanged


def test_rerun_refreshes_files_the_user_never_touched(tmp_path):
    root = tmp_path / "demo"
    create_demo_workspace(root)
    manifest = json.loads((root / MANIFEST).read_text())
    # Pretend an older release wrote a different starter notebook that the user never edited.
    (root / STARTER).write_text('{"old": true}')
    manifest[STARTER] = __import__("hashlib").sha256(b'{"old": true}').hexdigest()
    (root / MANIFEST).write_text(json.dumps(manifest))

    ws = create_demo_workspace(root)
    assert ws.updated == [STARTER]
    assert json.loads((root / STARTER).read_text())["nbformat"] == 4


def test_demo_refuses_a_file_as_workspace(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InvalidSpec, match="not a folder"):
        create_demo_workspace(tmp_path / "afile")


def test_starter_notebook_runs_top_to_bottom_in_the_demo_workspace(tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    ws = create_demo_workspace(tmp_path / "demo")
    monkeypatch.setenv("BIGHEAD_HOME", str(ws.home))
    nb = nbformat.read(ws.starter, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={
        "metadata": {"path": str(ws.root)}
    }).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    status_cell = next(c for c in nb.cells if "status_payload(" in c.source)
    assert str(ws.home) in str(status_cell.outputs[0]["data"]["text/plain"])
    # Scaling out: the training set computed on a LocalCluster equals the single-process
    # one (the cell asserts it) and has every label row
    dask_cell = next(c for c in nb.cells if "cluster='local'" in c.source)
    shown = [o["data"]["text/plain"] for o in dask_cell.outputs if o.get("data", {}).get(
        "text/plain", "").isdigit()]
    assert shown == [str(len(pd.read_parquet(ws.root / "data" / "labels.parquet")))]
    # Watch it in production: the simulated shift of `amount` is an alert naming it alone,
    # stored where the lab's notifications read it.
    monitor_cell = next(c for c in nb.cells if "run_check(" in c.source)
    printed = "".join(o.get("text", "") for o in monitor_cell.outputs)
    assert printed.startswith("alert | drift in amount | "), printed
    alert_id = printed.strip().rsplit(" | ", 1)[1]
    assert (ws.home / "monitoring" / "alerts" / f"{alert_id}.json").is_file()
    # Working as a team: a review of shop_model v2 for production, against v1, with what a
    # reviewer reads, then withdrawn.
    review_cell = next(c for c in nb.cells if "request_review(" in c.source)
    printed = "".join(o.get("text", "") for o in review_cell.outputs)
    assert printed.startswith("pending | against v 1 | "), printed
    assert all(k in printed for k in ("'card'", "'diff'", "'evaluation'", "'report'"))
    withdraw_cell = next(c for c in nb.cells if "reviews.withdraw(" in c.source)
    assert withdraw_cell.outputs[0]["data"]["text/plain"] == "'withdrawn'"


def test_starter_notebook_has_prototype_cells_and_productionizes_cleanly(tmp_path):
    from jupyter_bighead.notebooks import productionize

    ws = create_demo_workspace(tmp_path / "demo")
    nb = json.loads(ws.starter.read_text())
    assert any("prototype" in c["metadata"].get("tags", []) for c in nb["cells"])
    result = productionize(ws.starter)
    assert result.report.ok
    assert result.removed_cells


def test_starter_registers_the_demo_model_and_its_report_shows_the_card(tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    from jupyter_bighead.notebooks.report import report
    from jupyter_bighead.registry import Registry

    ws = create_demo_workspace(tmp_path / "demo")
    monkeypatch.setenv("BIGHEAD_HOME", str(ws.home))
    for _run in range(2):  # a second run registers v2, so the card has a code diff
        nb = nbformat.read(ws.starter, as_version=4)
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(ws.root)}}).execute()
    reg = Registry(f"sqlite:///{ws.home / 'registry.db'}", artifacts=ws.home / "artifacts")
    mv = reg.get("booking_model")
    assert mv.version == 2
    assert mv.metrics["roc_auc"] > 0.6  # the features carry real signal
    assert mv.features[0].endswith("@1")
    assert mv.lineage["notebook"]["path"] == str(ws.starter.resolve())

    page = report(ws.starter).read_text()
    assert "Model card: booking_model v2" in page
    assert "Production code since version 1" in page
    assert page.count("Plotly.newPlot") >= 2


def test_the_starter_template_is_what_make_starter_generates():
    import runpy
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    script = runpy.run_path(str(root / "scripts" / "make_starter.py"))
    template = root / "templates" / "notebooks" / "starter.ipynb"
    assert template.read_text("utf-8") == script["render"](), \
        "templates/notebooks/starter.ipynb is stale: run scripts/make_starter.py"
