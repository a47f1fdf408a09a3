"""What the reviewer reads: the report, the card, the evaluation and the diff."""

from __future__ import annotations

import json

from jupyter_bighead import reviews

from .conftest import write_notebook


def test_a_notebook_version_carries_its_report_card_evaluation_and_diff(world):
    r = reviews.request_review(world.reg, "churn:2", author="dana", store=world.store)
    m = r.material
    assert m["report"]["status"] == "rendered" and m["report"]["notebook_matches_version"]
    page = world.store.report_path(r.id).read_text("utf-8")
    assert "Model card: churn v2" in page and "n_estimators=50" in page
    assert m["report"]["bytes"] == len(page.encode("utf-8"))

    assert (m["card"]["version"], m["card"]["created_by"]) == (2, "dana")
    assert m["card"]["notebook"] == str(world.notebook.resolve())
    ev = m["evaluation"]
    assert ev["available"] and ev["n_rows"] == 200 and "roc_auc" in ev["metrics"]
    assert {f["feature"] for f in ev["top_features"]} <= {"a", "b", "c"}

    diff = m["diff"]
    assert diff["against"] == 1
    assert diff["compare"]["a"] == 1 and diff["compare"]["b"] == 2
    assert "roc_auc" in diff["compare"]["metrics"]
    code = diff["code"]
    assert code["available"] and code["changed"]
    assert "-model = lgb.LGBMClassifier(n_estimators=5)" in code["unified"]
    assert "+model = lgb.LGBMClassifier(n_estimators=50)  # more trees" in code["unified"]
    assert "bighead-diff" in code["html"]


def test_a_version_without_notebook_or_data_says_plainly_what_is_missing(world):
    world.reg.register("churn", world.model)  # v3: no notebook, no validation data
    r = reviews.request_review(world.reg, "churn:3", author="dana", store=world.store)
    m = r.material
    assert m["report"]["status"] == "none" and m["report"]["file"] is None
    assert "churn v3 names no source notebook" in m["report"]["message"]
    assert world.store.report_path(r.id) is None
    assert not m["evaluation"]["available"]
    assert "without validation data" in m["evaluation"]["message"]
    assert m["diff"]["against"] == 1 and m["diff"]["compare"]["b"] == 3
    assert not m["diff"]["code"]["available"]
    assert "v3 recorded no production cells" in m["diff"]["code"]["message"]


def test_a_first_version_for_an_alias_has_nothing_to_diff(world):
    r = reviews.request_review(world.reg, "churn:2", alias="champion", author="dana",
                               store=world.store)
    assert r.material["diff"]["against"] is None
    assert "'champion' of 'churn' is not set" in r.material["diff"]["message"]


def test_an_edited_or_missing_notebook_is_said_so(world, tmp_path):
    write_notebook(world.notebook, "import lightgbm as lgb", "model = None  # edited later")
    r = reviews.request_review(world.reg, "churn:2", author="dana", store=world.store)
    assert r.material["report"]["status"] == "rendered"
    assert not r.material["report"]["notebook_matches_version"]
    assert "not the ones this version recorded" in r.material["report"]["message"]
    reviews.withdraw(r.id, "dana", store=world.store)

    world.notebook.unlink()
    r = reviews.request_review(world.reg, "churn:2", author="dana", store=world.store)
    assert r.material["report"]["status"] == "missing"
    assert "cannot be read here" in r.material["report"]["message"]
    reviews.withdraw(r.id, "dana", store=world.store)

    other = write_notebook(tmp_path / "elsewhere.ipynb", "print('the notebook I mean')")
    r = reviews.request_review(world.reg, "churn:2", author="dana", notebook=other,
                               store=world.store)
    assert r.material["report"]["status"] == "rendered"
    assert "the notebook I mean" in world.store.report_path(r.id).read_text("utf-8")


def test_listings_read_small_records_and_get_adds_the_material(world):
    r = reviews.request_review(world.reg, "churn:2", author="dana", store=world.store)
    reviews.comment(r.id, "vera", "fine", store=world.store)
    folder = world.store.root / r.id
    record = json.loads((folder / "record.json").read_text("utf-8"))
    assert record["material"] == {} and record["comments"][0]["by"] == "vera"
    assert json.loads((folder / "material.json").read_text("utf-8")) == r.material
    listed = reviews.list_reviews(store=world.store)[0]
    assert listed.id == r.id and listed.material == {}
    got = reviews.get(r.id, store=world.store)
    assert got.material == r.material and got.comments[0]["text"] == "fine"
    approved = reviews.approve(r.id, "rita", store=world.store)
    assert approved.material["diff"]["against"] == 1
