"""The team platform end to end: a real JupyterHub (`jupyter bighead hub`: JupyterHub,
configurable-http-proxy, one shared PostgreSQL registry) driven in real Chromium by
three people, each signed in through the hub's login page in their own browser context:
dana (data scientist), rita (reviewer) and adam (admin).

dana registers a model from a notebook in her lab and may not move `production` (the
lab says why, and so does the REST refusal); she clicks *Request review*, rita opens it
from her Reviews section, reads the rendered report and approves; dana then moves
`production`, adam (an admin) moves `staging`, and the model view's history names each
of them. adam adds a GPU profile in his Admin section and dana's open lab lists it in
*Run remotely* without a restart of anything.

It lives in tests/ui, which runs last: Playwright's sync API holds this process's event
loop from its first browser test to the end of the session, which would break every
later test that runs an asyncio loop (pytest_jupyter's in-process servers).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from playwright.sync_api import Browser, Page, expect

from ..hub.hubtools import PASSWORD, Hub, running_hub
from .conftest import save_admin_profile, screenshot
from .test_sidebar import SIDEBAR_TAB

PEOPLE = ("dana", "rita", "adam")
PROFILE = "team-gpu"
MODEL = "team_churn"
NOTEBOOK = "team_churn.ipynb"
SLOW = 60_000  # ms: a lab's first load on a loaded machine


# The Chromium launch arguments and the switched-off pytest_jupyter fixtures come from
# tests/ui/conftest.py.


@pytest.fixture(autouse=True, scope="module")
def patient_expect():
    """Three labs and a hub share this machine: each condition gets 30 s, not 5."""
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=None)  # Playwright's default again


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> Iterator[Hub]:
    with running_hub(tmp_path_factory.mktemp("hub") / "team", users=PEOPLE) as h:
        yield h


def sign_in(browser: Browser, hub: Hub, user: str) -> Page:
    """``user`` signs in through the hub's login page and lands in their lab."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{hub.url}hub/login?next={quote(f'/user/{user}/lab')}")
    page.locator("#username_input").fill(user)
    page.locator("#password_input").fill(PASSWORD)
    page.locator("#login_submit").click()
    expect(page).to_have_url(re.compile(rf"/user/{user}/lab"), timeout=SLOW)
    return page


def open_bighead(page: Page) -> None:
    tab = page.locator(SIDEBAR_TAB)
    expect(tab).to_be_visible(timeout=SLOW)
    if "lm-mod-current" not in (tab.get_attribute("class") or ""):
        tab.click()
    expect(page.get_by_role("region", name="Bighead")).to_be_visible()


@pytest.fixture(scope="module")
def people(browser: Browser, hub: Hub) -> Iterator[dict[str, Page]]:
    pages = {user: sign_in(browser, hub, user) for user in PEOPLE}
    yield pages
    for page in pages.values():
        page.context.close()


def write_training_notebook(hub: Hub) -> None:
    """A small notebook in dana's folder that trains and registers :data:`MODEL`."""
    nb = new_notebook(cells=[
        new_code_cell("import lightgbm as lgb\nimport numpy as np\nimport pandas as pd\n"
                      "import jupyter_bighead as bh"),
        new_code_cell("rng = np.random.default_rng(7)\n"
                      "X = pd.DataFrame(rng.normal(size=(300, 3)), "
                      "columns=['tenure', 'spend', 'visits'])\n"
                      "y = (X.tenure + rng.normal(size=300) > 0).astype(int)\n"
                      "model = lgb.LGBMClassifier(n_estimators=8, verbose=-1).fit(X, y)"),
        new_code_cell(f"mv = bh.register({MODEL!r}, model, X_valid=X, y_valid=y)\n"
                      "print(f'registered {mv.name} v{mv.version} by {mv.created_by}')"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, hub.home("dana") / NOTEBOOK)


def run_cells(page: Page, hub: Hub, user: str, notebook: str):
    """Open ``notebook`` in ``user``'s lab and run its cells one by one (Shift+Enter),
    each once the one before has run."""
    page.goto(f"{hub.url}user/{user}/lab/tree/{notebook}")
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    cells = panel.locator(".jp-Cell")
    expect(cells.first).to_be_visible(timeout=SLOW)
    expect(page.locator("#jp-main-statusbar").get_by_text("Python 3 (ipykernel) | Idle")
           ).to_be_visible(timeout=SLOW)
    for i in range(cells.count()):
        cells.nth(i).locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        try:
            expect(cells.nth(i).locator(".jp-InputPrompt")).to_have_text(
                re.compile(r"\[\d+\]"), timeout=SLOW)
        except AssertionError:
            screenshot(page, f"team-{user}-cell-{i}-did-not-run")
            raise
    return panel


def open_version(page: Page, model: str, version: int):
    """The model view of ``model`` (its latest version: ``version``) from the panel."""
    open_bighead(page)
    models = page.locator('.jp-bighead-sidebar [data-section="models"]')
    models.get_by_role("button", name="Refresh models").click()
    models.locator(f'[data-model="{model}"]').get_by_role("button").click()
    detail = page.locator(".jp-bighead-model-panel:not(.lm-mod-hidden)").get_by_test_id(
        "version-detail")
    expect(detail).to_have_attribute("data-version", str(version), timeout=30_000)
    return detail


def run_remotely_dialog(page: Page, panel):
    """Open *Run remotely* from the notebook's toolbar: (the dialog, its profile select)."""
    panel.locator('.jp-Toolbar [data-command="bighead:run-remotely"]').click()
    dialog = page.locator(".jp-Dialog")
    select = dialog.get_by_label("Compute profile")
    expect(select).to_be_visible(timeout=30_000)
    return dialog, select


def test_each_person_signs_in_to_their_own_lab_on_the_shared_registry(hub, people):
    for user, page in people.items():
        open_bighead(page)
        expect(page.get_by_test_id("bighead-status").locator(
            '[data-field="store-registry"]')).to_contain_text("postgresql")
        code, status = hub.bighead(user, "GET", "status")
        assert code == 200 and status["user"]["name"] == user, status
    screenshot(people["dana"], "team-dana-lab")


def test_a_model_goes_to_production_through_a_review(hub, people):
    dana, rita, adam = people["dana"], people["rita"], people["adam"]

    # dana registers a model from a notebook in her lab: the registry names her.
    write_training_notebook(hub)
    panel = run_cells(dana, hub, "dana", NOTEBOOK)
    expect(panel.locator(".jp-OutputArea-output").last).to_contain_text(
        f"registered {MODEL} v1 by dana", timeout=SLOW)

    # She may not move production: the lab says why before and after she tries.
    detail = open_version(dana, MODEL, 1)
    move = detail.get_by_role("button", name="Set production")
    expect(move).to_have_attribute("title", re.compile("needs an approved review"))
    move.click()
    refusal = detail.get_by_role("alert")
    expect(refusal).to_contain_text("protected alias 'production'")
    expect(refusal).to_contain_text("dana")
    screenshot(dana, "team-dana-refused")
    # ... and so does REST, with her own token.
    code, error = hub.bighead("dana", "PUT", f"models/{MODEL}/aliases/production",
                              {"version": 1})
    assert code == 403 and "protected alias 'production'" in error["message"], error
    code, model = hub.bighead("rita", "GET", f"models/{MODEL}")
    assert code == 200 and "production" not in model["aliases"], model

    # She requests a review from the model view.
    detail.get_by_role("button", name="Request review").click()
    expect(detail.get_by_role("status")).to_contain_text("Review requested", timeout=30_000)
    history = dana.get_by_test_id("model-history")
    expect(history).to_contain_text("dana requested a review of v1 for production")

    # rita, in her own browser, finds it pending, reads the rendered report, approves.
    open_bighead(rita)
    reviews = rita.locator('.jp-bighead-sidebar [data-section="reviews"]')
    reviews.get_by_role("button", name="Refresh reviews").click()
    row = reviews.get_by_test_id("pending-reviews").locator(
        "li", has_text=f"{MODEL} v1 → production")
    expect(row).to_contain_text("by dana", timeout=30_000)
    row.get_by_role("button").click()
    view = rita.get_by_test_id("review-view")
    expect(view.get_by_test_id("review-state")).to_have_text("pending", timeout=30_000)
    report = view.frame_locator('iframe[title="Reviewer report"]')
    # The report renders dana's notebook's production cells, read on her server.
    expect(report.locator("body")).to_contain_text("n_estimators=8", timeout=30_000)
    screenshot(rita, "team-rita-reads-report")
    view.get_by_role("button", name="Approve").click()
    expect(view.get_by_test_id("review-state")).to_have_text("approved", timeout=30_000)

    # Now dana moves production herself, from the same view.
    expect(history).to_contain_text("rita approved v1 for production", timeout=30_000)
    move.click()
    expect(detail.locator("h3 .jp-bighead-tag", has_text="production")).to_be_visible(
        timeout=30_000)
    assert hub.bighead("rita", "GET", f"models/{MODEL}")[1]["aliases"]["production"] == 1

    # adam, an admin, moves staging from his lab: no review needed for him.
    adam_detail = open_version(adam, MODEL, 1)
    adam_detail.get_by_role("button", name="Set staging").click()
    expect(adam_detail.locator("h3 .jp-bighead-tag", has_text="staging")).to_be_visible(
        timeout=30_000)

    # The model view's history names each person for their own steps.
    dana.get_by_role("button", name="Refresh models").click()
    for line in ("dana requested a review of v1 for production",
                 "rita approved v1 for production",
                 "dana moved production to v1 (approved review)",
                 "adam set staging to v1"):
        expect(history).to_contain_text(line, timeout=30_000)
    screenshot(dana, "team-history")
    code, events = hub.bighead("dana", "GET", f"models/{MODEL}/aliases/production/history")
    assert [e["by"] for e in events["items"]] == ["dana"], events
    code, events = hub.bighead("dana", "GET", f"models/{MODEL}/aliases/staging/history")
    assert [e["by"] for e in events["items"]] == ["adam"], events


def test_an_admins_new_gpu_profile_reaches_run_remotely_without_a_restart(hub, people):
    dana, adam = people["dana"], people["adam"]
    if not (hub.home("dana") / NOTEBOOK).exists():
        write_training_notebook(hub)
    dana.goto(f"{hub.url}user/dana/lab/tree/{NOTEBOOK}")
    panel = dana.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    expect(panel.locator(".jp-Cell").first).to_be_visible(timeout=SLOW)
    dialog, select = run_remotely_dialog(dana, panel)
    expect(select.locator("option").first).to_be_attached()
    expect(select.locator(f'option[value="{PROFILE}"]')).to_have_count(0)
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    # dana has no Admin section; adam has.
    expect(dana.locator('.jp-bighead-sidebar [data-section="admin"]')).to_have_count(0)

    open_bighead(adam)
    section = adam.locator('.jp-bighead-sidebar [data-section="admin"]')
    save_admin_profile(section, PROFILE, cpu="2", memory="8Gi", gpus="1",
                       description="the team's GPU")
    # The admin's audit names him.
    expect(section.get_by_test_id("admin-audit")).to_contain_text(f"profile:{PROFILE}")
    expect(section.get_by_test_id("admin-audit")).to_contain_text("adam")
    screenshot(adam, "team-adam-admin")

    # dana's lab, never reloaded (and no server restarted), lists it at once.
    dialog, select = run_remotely_dialog(dana, panel)
    option = select.locator(f'option[value="{PROFILE}"]')
    expect(option).to_have_count(1)
    expect(option).to_contain_text("1 GPU (the team's GPU)")
    select.select_option(PROFILE)
    expect(select).to_have_value(PROFILE)
    screenshot(dana, "team-dana-run-remotely")
    dialog.get_by_role("button", name="Cancel").click()
    code, profiles = hub.bighead("dana", "GET", "profiles")
    assert code == 200 and PROFILE in str(profiles), profiles
