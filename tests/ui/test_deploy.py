"""Deploy from the Models panel in a real browser, then call the endpoint from "try it"."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from playwright.sync_api import Page, expect

from .conftest import screenshot
from .test_sidebar import open_bighead


def _register(workspace) -> tuple[pd.DataFrame, object]:
    import lightgbm as lgb

    from jupyter_bighead.config import BigheadHome
    from jupyter_bighead.registry import Registry

    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(400, 3)), columns=["nights", "price", "rating"])
    y = (X.nights + rng.normal(size=400) > 0).astype(int)
    model = lgb.LGBMClassifier(n_estimators=10, verbose=-1).fit(X, y)
    home = BigheadHome(workspace / ".bighead").ensure()
    Registry(home.registry_uri, artifacts=home.artifacts).register(
        "ui_deploy_model", model, X_valid=X, y_valid=y)
    return X, model


def test_deploy_a_version_and_try_the_endpoint(page: Page, lab):
    _, model = _register(lab.workspace)
    open_bighead(page, lab.lab_url())
    models = page.locator('.jp-bighead-sidebar [data-section="models"]')
    models.get_by_role("button", name="Refresh models").click()
    models.locator('[data-model="ui_deploy_model"]').get_by_role("button").click()
    panel = page.locator(".jp-bighead-model-panel:not(.lm-mod-hidden)")
    detail = panel.get_by_test_id("version-detail")
    expect(detail).to_be_visible(timeout=30_000)

    detail.get_by_role("button", name="Deploy…").click()
    dialog = detail.get_by_role("dialog", name="Deploy model")
    expect(dialog.get_by_label("Target")).to_have_value("local")
    # The admin store's profiles fill the resources (read when the form opens).
    dialog.get_by_label("Resources from profile").select_option("default")
    expect(dialog.get_by_label("CPU")).to_have_value("1")
    expect(dialog.get_by_label("Memory")).to_have_value("2Gi")
    dialog.get_by_role("button", name="Deploy", exact=True).click()

    endpoint = detail.get_by_test_id("deploy-endpoint")
    expect(endpoint.locator('[data-field="deploy-status"]')).to_have_text("running", timeout=90_000)
    expect(endpoint.locator('[data-field="deploy-url"]')).to_contain_text("http://127.0.0.1:")

    tryit = endpoint.get_by_test_id("deploy-tryit")
    row = {"nights": 1.5, "price": -0.25, "rating": 0.75}
    tryit.get_by_label("Request body").fill(json.dumps({"instances": [row]}))
    tryit.get_by_role("button", name="Send").click()
    response = tryit.get_by_test_id("deploy-response")
    expect(response).to_contain_text("predictions", timeout=30_000)
    got = json.loads(response.inner_text())["predictions"]
    want = model.predict_proba(pd.DataFrame([row]))[:, 1]
    assert got == [float(want[0])]
    screenshot(page, "deploy")

    # The sidebar's Deployments section lists the endpoint too.
    deployments = page.locator('.jp-bighead-sidebar [data-section="deployments"]')
    deployments.get_by_role("button", name="Refresh deployments").click()
    row = deployments.locator('[data-deployment][data-status="running"]',
                              has_text="ui_deploy_model")
    expect(row).to_have_count(1, timeout=30_000)
    row.get_by_role("button", name="ui_deploy_model v1").click()
    expect(row.locator(".jp-bighead-logs")).to_be_visible()

    endpoint.get_by_role("button", name="Stop").click()
    expect(endpoint.locator('[data-field="deploy-status"]')).to_have_text("stopped")
    deployments.get_by_role("button", name="Refresh deployments").click()
    expect(deployments.locator("[data-deployment]", has_text="ui_deploy_model")).to_have_count(0)
