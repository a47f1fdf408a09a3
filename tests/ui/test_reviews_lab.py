"""The review gate in the lab, with two people in two browsers on one server.

A data scientist (dana) requests a review from the model view; a reviewer (rita), in
her own browser context, sees it pending, opens it, reads the rendered report in the
lab and approves; dana gets the news in JupyterLab's notification center, and her
*Set production* then succeeds.

Identities: a small IdentityProvider (defined in the lab's ``jupyter_server_config.py``)
names each user by the token in the URL they open the lab with, and keeps that name in
the login cookie, the way JupyterHub's provider names hub users.
"""

from __future__ import annotations

import json
import re
import secrets
import textwrap
import urllib.request
from collections.abc import Iterator

import pytest
from nbformat.v4 import new_code_cell
from playwright.sync_api import Browser, Page, expect

from .conftest import Lab, screenshot, start_lab
from .test_productionize import write_notebook
from .test_sidebar import open_bighead

MODEL = "ui_review_model"
TEAM = {"t-dana": "dana", "t-rita": "rita"}
ROLES = {"user:dana": "data_scientist", "user:rita": "reviewer"}

IDENTITY_CONFIG = textwrap.dedent(f"""
    from jupyter_server.auth.identity import IdentityProvider, User

    TEAM = {TEAM!r}

    class TeamTokens(IdentityProvider):
        \"\"\"t-NAME in the URL (or the header) is NAME; the cookie keeps it.\"\"\"

        async def get_user_token(self, handler):
            name = TEAM.get(self.get_token(handler) or "")
            if name is not None:
                return User(username=name, name=name, display_name=name)
            return await super().get_user_token(handler)

    c.ServerApp.identity_provider_class = TeamTokens
    c.BigheadApp.roles = {ROLES!r}
""")


@pytest.fixture(scope="module")
def team_lab(tmp_path_factory) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("lab-team")
    config_dir = root / "jupyter-config"  # start_lab's JUPYTER_CONFIG_DIR
    config_dir.mkdir(parents=True)
    (config_dir / "jupyter_server_config.py").write_text(IDENTITY_CONFIG)
    labs = start_lab(root)
    lab = next(labs)
    yield lab
    next(labs, None)  # stops the lab


def _url(lab: Lab, token: str) -> str:
    return f"{lab.url}lab/workspaces/t{secrets.token_hex(6)}?token={token}"


def _register(lab: Lab) -> None:
    """v1 (in production, moved by an admin's script) and v2, both from a notebook."""
    import lightgbm as lgb
    import numpy as np
    import pandas as pd

    from jupyter_bighead.config import BigheadHome
    from jupyter_bighead.registry import Registry

    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(size=(300, 2)), columns=["nights", "price"])
    y = (X.nights > 0).astype(int)
    nb = lab.workspace / "ui_review_train.ipynb"
    home = BigheadHome(lab.workspace / ".bighead").ensure()
    reg = Registry(home.registry_uri, artifacts=home.artifacts)
    for trees in (3, 7):
        write_notebook(nb, [new_code_cell(f"n_estimators = {trees}  # review me")])
        reg.register(MODEL, lgb.LGBMClassifier(n_estimators=trees, verbose=-1).fit(X, y),
                     X_valid=X, y_valid=y, notebook=nb, user="dana")
    reg.set_alias(MODEL, "production", 1, user="adam")
    reg.close()


def _aliases(lab: Lab) -> dict[str, int]:
    req = urllib.request.Request(f"{lab.url}bighead/api/models/{MODEL}",
                                 headers={"Authorization": "token t-rita"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())["aliases"]


def _open_model(page: Page):
    models = page.locator('.jp-bighead-sidebar [data-section="models"]')
    models.get_by_role("button", name="Refresh models").click()
    models.locator(f'[data-model="{MODEL}"]').get_by_role("button").click()
    detail = page.locator(".jp-bighead-model-panel:not(.lm-mod-hidden)").get_by_test_id(
        "version-detail")
    expect(detail).to_have_attribute("data-version", "2", timeout=30_000)
    return detail


def test_request_review_approve_notify_then_set_production(page: Page, browser: Browser,
                                                           team_lab):
    _register(team_lab)

    # dana asks for a review of v2; production is not hers to move yet.
    open_bighead(page, _url(team_lab, "t-dana"))
    detail = _open_model(page)
    # Serving production is an admin's: the Deploy form offers it to dana disabled.
    detail.get_by_role("button", name="Deploy…").click()
    serve = detail.get_by_role("dialog", name="Deploy model").get_by_label("Serve")
    production = serve.locator('option[value="production"]')
    expect(production).to_be_disabled()
    expect(production).to_have_attribute(
        "title", "Deploying production (protected) needs the role admin")
    expect(serve.locator('option[value="staging"]')).to_be_enabled()
    detail.get_by_role("button", name="Deploy…").click()  # closes the form
    detail.get_by_role("button", name="Request review").click()
    expect(detail.get_by_role("status")).to_contain_text("Review requested", timeout=30_000)
    history = page.get_by_test_id("model-history")
    expect(history).to_contain_text("dana requested a review of v2 for production")

    # rita, in her own browser, sees it pending, reads the report, cannot be dana.
    rita_context = browser.new_context()
    try:
        rita = rita_context.new_page()
        open_bighead(rita, _url(team_lab, "t-rita"))
        request = _open_model(rita).get_by_role("button", name="Request review")
        expect(request).to_be_disabled(timeout=30_000)  # a reviewer does not request
        expect(request).to_have_attribute("title", "Requesting a review needs the role "
                                          "data_scientist or admin (rita has reviewer)")
        reviews = rita.locator('.jp-bighead-sidebar [data-section="reviews"]')
        pending = reviews.get_by_test_id("pending-reviews")
        row = pending.locator("li", has_text=f"{MODEL} v2 → production")
        expect(row).to_contain_text("by dana", timeout=30_000)
        row.get_by_role("button").click()
        view = rita.get_by_test_id("review-view")
        expect(view.get_by_test_id("review-state")).to_have_text("pending", timeout=30_000)
        expect(view.get_by_test_id("review-code-diff")).to_contain_text("n_estimators = 7")
        report = view.frame_locator('iframe[title="Reviewer report"]')
        expect(report.locator("body")).to_contain_text("n_estimators = 7", timeout=30_000)
        frame = view.locator('iframe[title="Reviewer report"]')
        expect(frame).to_have_attribute("sandbox", "allow-scripts")
        screenshot(rita, "reviews-reviewer-reads-report")
        view.get_by_role("button", name="Approve").click()
        expect(view.get_by_test_id("review-state")).to_have_text("approved", timeout=30_000)
        expect(view.get_by_role("button", name="Approve")).to_be_disabled()
    finally:
        rita_context.close()

    # dana hears of it in the notification center, and moves production herself.
    page.locator(".jp-Notification-Status").click()
    center = page.locator(".jp-Notification-Center")
    expect(center.locator(".jp-Notification-List-Item",
                          has_text=re.compile(rf"{MODEL} v2 for production approved by rita"))
           ).to_be_visible(timeout=45_000)
    screenshot(page, "reviews-author-notified")
    page.keyboard.press("Escape")
    detail.get_by_role("button", name="Set production").click()
    expect(detail.locator("h3 .jp-bighead-tag", has_text="production")).to_be_visible(
        timeout=30_000)
    assert _aliases(team_lab)["production"] == 2
    expect(history).to_contain_text("rita approved v2 for production", timeout=30_000)
    expect(history).to_contain_text("dana moved production to v2 (approved review)")
    # Her own review: never hers to decide, and the button says so on hover.
    mine = page.locator('.jp-bighead-sidebar [data-section="reviews"]').get_by_test_id("my-reviews")
    mine.locator("li", has_text=f"{MODEL} v2 → production").get_by_role("button").click()
    view = page.get_by_test_id("review-view")
    expect(view.get_by_test_id("review-state")).to_have_text("approved", timeout=30_000)
    approve = view.get_by_role("button", name="Approve")
    expect(approve).to_be_disabled()
    expect(approve).to_have_attribute("title", re.compile("dana requested this review"))


def _submit(lab: Lab, token: str, notebook: str) -> dict:
    req = urllib.request.Request(
        f"{lab.url}bighead/api/jobs", method="POST",
        data=json.dumps({"notebook": notebook}).encode(),
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def test_a_users_own_finished_job_is_in_their_notification_center(page: Page, team_lab):
    write_notebook(team_lab.workspace / "ui_news_ok.ipynb", [new_code_cell("x = 1")])
    write_notebook(team_lab.workspace / "ui_news_bad.ipynb",
                   [new_code_cell("raise ValueError('news of a failure')")])
    open_bighead(page, _url(team_lab, "t-dana"))  # first look: later news is news
    expect(page.get_by_test_id("my-reviews")).to_be_attached(timeout=30_000)
    ok = _submit(team_lab, "t-dana", "ui_news_ok.ipynb")
    bad = _submit(team_lab, "t-dana", "ui_news_bad.ipynb")
    assert ok["user"] == bad["user"] == "dana"
    page.locator(".jp-Notification-Status").click()
    center = page.locator(".jp-Notification-Center")
    for job, state in ((ok, "succeeded"), (bad, "failed")):
        expect(center.locator(".jp-Notification-List-Item",
                              has_text=re.compile(rf"Job {re.escape(job['name'])} {state}"))
               ).to_be_visible(timeout=90_000)
    expect(center).to_contain_text("news of a failure")
