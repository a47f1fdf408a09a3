"""The Cluster line of the Bighead sidebar, against a real Dask scheduler."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from .conftest import Lab, screenshot, start_lab
from .test_sidebar import open_bighead


@pytest.fixture(scope="module")
def scheduler() -> Iterator[object]:
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                      host="127.0.0.1", dashboard_address="127.0.0.1:0",
                      memory_limit="1GiB") as local:
        yield local


@pytest.fixture(scope="module")
def lab_with_cluster(tmp_path_factory, scheduler) -> Iterator[Lab]:
    """A lab whose server inherited $BIGHEAD_DASK (c.BigheadApp.dask left empty)."""
    before = os.environ.get("BIGHEAD_DASK")
    os.environ["BIGHEAD_DASK"] = scheduler.scheduler_address  # type: ignore[attr-defined]
    try:
        labs = start_lab(tmp_path_factory.mktemp("lab-dask"))
        lab = next(labs)
    finally:
        if before is None:
            os.environ.pop("BIGHEAD_DASK", None)
        else:
            os.environ["BIGHEAD_DASK"] = before
    yield lab
    next(labs, None)  # stops the lab


def test_sidebar_cluster_line_shows_workers_and_the_dashboard_link(
        page: Page, lab_with_cluster, scheduler):
    open_bighead(page, lab_with_cluster.lab_url())
    line = page.get_by_test_id("bighead-status").locator('[data-field="cluster"]')
    address = scheduler.scheduler_address
    expect(line).to_have_attribute("data-state", "up", timeout=30_000)
    expect(line).to_contain_text(f"{address}: 1 worker, 2 threads, 1.0 GiB")
    port = scheduler.scheduler.services["dashboard"].port
    link = line.get_by_role("link", name="Dashboard")
    expect(link).to_have_attribute("href", f"http://127.0.0.1:{port}/status")
    expect(link).to_have_attribute("target", "_blank")
    screenshot(page, "bighead-sidebar-cluster")
    # The scheduler goes away: the next read says so instead of showing stale workers.
    scheduler.close()
    page.get_by_role("button", name="Refresh status").click()
    page.wait_for_timeout(6_000)  # past the server's 5 s cache
    page.get_by_role("button", name="Refresh status").click()
    expect(line).to_have_attribute("data-state", "unreachable", timeout=30_000)
    expect(line).to_contain_text(re.compile("not answering"))


def test_sidebar_cluster_line_says_none_without_a_setting(page: Page, lab):
    open_bighead(page, lab.lab_url())
    line = page.get_by_test_id("bighead-status").locator('[data-field="cluster"]')
    expect(line).to_have_text("none (one process)", timeout=30_000)
