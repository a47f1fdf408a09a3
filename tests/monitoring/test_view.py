"""The Monitoring tab's check is bounded: a capped, sampled read of the log, a limited
number of checks at once, and one unreadable log part that does not break it."""

from __future__ import annotations

import threading

import pytest

from jupyter_bighead.errors import Unavailable
from jupyter_bighead.monitoring import view

from .helpers import seed_monitored_model


@pytest.fixture
def seeded(tmp_path):
    view.clear_cache()
    data = seed_monitored_model(tmp_path / "home", bare=None)
    yield {**data, "home": tmp_path / "home"}
    data["reg"].close()
    view.clear_cache()


def _tab(s, window="1d"):
    return view.version_monitoring(s["reg"], "shop", 1, window, home=s["home"])


def test_the_tab_reads_at_most_its_row_cap_and_says_it_sampled(seeded, monkeypatch):
    full = _tab(seeded)["check"]
    assert not full["sampled"] and full["n_rows"] == full["rows_in_window"] > 300
    view.clear_cache()
    monkeypatch.setattr(view, "MAX_TAB_ROWS", 300)
    capped = _tab(seeded)
    check = capped["check"]
    assert check["sampled"] and check["n_rows"] <= 300
    assert check["rows_in_window"] == full["n_rows"]
    assert "even sample" in capped["message"]
    assert capped["drift_rows"][0]["feature"] == "amount"  # the shift still shows


def test_checks_beyond_the_limit_wait_then_get_unavailable(seeded, monkeypatch):
    slots = threading.BoundedSemaphore(1)
    monkeypatch.setattr(view, "_slots", slots)
    monkeypatch.setattr(view, "BUSY_WAIT_SECONDS", 0.2)
    slots.acquire()  # another check holds the only slot
    try:
        with pytest.raises(Unavailable):
            _tab(seeded)
    finally:
        slots.release()
    assert _tab(seeded)["status"] == "alert"


def test_an_unreadable_log_part_is_skipped_and_named(seeded):
    days = sorted((seeded["home"] / "predictions" / "shop" / "1").glob("date=*"))
    (days[-1] / "part-0-broken.parquet").write_bytes(b"PAR1 garbage")
    got = _tab(seeded, "7d")
    assert got["status"] == "alert" and got["check"]["skipped_parts"] == 1
    assert "part-0-broken.parquet" in got["check"]["skipped"][0]
    assert "1 unreadable log part(s) skipped" in got["message"]
