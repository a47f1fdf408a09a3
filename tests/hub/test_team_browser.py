"""The team platform end to end: a real JupyterHub (`jupyter bighead hub`: JupyterHub,
configurable-http-proxy, one shared PostgreSQL registry) driven in real Chromium by
three people, each signed in through the hub's login page in their own browser context:
dana (data scientist), rita (reviewer) and adam (admin).

dana registers a model from a notebook in her lab and may not move `production` (the
lab says why, and so does the REST refusal); she requests a review, rita approves it,
and dana then moves `production`; the history names each person.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from playwright.sync_api import Browser, Page, expect

from tests.ui.conftest import CHROMIUM, CHROMIUM_FLAGS, screenshot
from tests.ui.test_sidebar import SIDEBAR_TAB

from .hubtools import PASSWORD, Hub, running_hub

PEOPLE = ("dana", "rita", "adam")
MODEL = "team_churn"
NOTEBOOK = "team_churn.ipynb"
SLOW = 60_000  # ms: a lab's first load on a loaded machine


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


# Playwright's sync API owns this process's event loop; pytest_jupyter's autouse
# fixtures (for in-process servers) are switched off, as in tests/ui.
@pytest.fixture(autouse=True)
def jp_asyncio_loop():
    yield None


@pytest.fixture(autouse=True)
def jp_server_cleanup():
    yield


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


def test_each_person_signs_in_to_their_own_lab_on_the_shared_registry(hub, people):
    for user, page in people.items():
        open_bighead(page)
        expect(page.get_by_test_id("bighead-status").locator(
            '[data-field="store-registry"]')).to_contain_text("postgresql")
        code, status = hub.bighead(user, "GET", "status")
        assert code == 200 and status["user"]["name"] == user, status
    screenshot(people["dana"], "team-dana-lab")


def test_a_model_goes_to_production_through_a_review(hub, people):
    dana = people["dana"]

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
