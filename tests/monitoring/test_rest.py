"""The Monitoring REST routes on a real server: a version's tab (drift of logged
traffic, figures, alert history, "no reference"), a monitor scheduled through the jobs
system, and the alert feed the lab's notifications poll."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_bighead.monitoring import run_check
from jupyter_bighead.monitoring.view import clear_cache

from .helpers import seed_monitored_model


@pytest.fixture
def seeded(bighead_home):
    clear_cache()
    data = seed_monitored_model(bighead_home)
    yield data
    data["reg"].close()
    clear_cache()


async def _get(jp_fetch, *parts, **params):
    response = await jp_fetch("bighead", "api", *parts, params=params)
    return json.loads(response.body)


async def test_the_tab_shows_the_shifted_feature_first_without_alerting(
        jp_fetch, seeded, bighead_home):
    view = await _get(jp_fetch, "models", "shop", "versions", "1", "monitoring", window="1d")
    assert view["reference"] is True and view["status"] == "alert"
    rows = view["drift_rows"]
    assert rows[0]["feature"] == "amount" and rows[0]["severity"] == "alert"
    assert {r["feature"] for r in rows if r["severity"] == "alert"} == {"amount"}
    assert len(rows[0]["sparkline"]) > 1
    histogram = view["figures"]["features"]["amount"]
    assert [t["name"] for t in histogram["data"]] == ["reference", "current"]
    assert "score" in view["figures"] and view["check"]["n_rows"] > 0
    # Looking is not alerting: no alert was stored.
    assert view["alerts"] == []
    assert not list((bighead_home / "monitoring" / "alerts").glob("*.json"))


async def test_a_version_without_a_reference_says_so(jp_fetch, seeded):
    view = await _get(jp_fetch, "models", "bare", "versions", "1", "monitoring")
    assert view["reference"] is False and view["status"] == "no_reference"
    assert "no reference profile" in view["message"] and view["drift_rows"] == []


@pytest.mark.parametrize("window", ["31d", "abc", "0", "x" * 40])
async def test_a_window_out_of_bounds_is_a_400(jp_fetch, seeded, window):
    with pytest.raises(HTTPClientError) as err:
        await _get(jp_fetch, "models", "shop", "versions", "1", "monitoring", window=window)
    assert err.value.code == 400


async def test_an_unknown_version_is_a_404(jp_fetch, seeded):
    with pytest.raises(HTTPClientError) as err:
        await _get(jp_fetch, "models", "shop", "versions", "9", "monitoring")
    assert err.value.code == 404


async def test_create_monitor_schedules_the_monitor_job_and_labels_add_performance(
        jp_fetch, seeded, jp_root_dir):
    from jupyter_bighead.monitoring import simulate

    before = await _get(jp_fetch, "models", "shop", "versions", "1", "monitoring")
    assert before["check"]["performance"] == [] and "performance" not in before["figures"]
    simulate.late_labels(seeded["traffic"]).to_parquet(jp_root_dir / "labels.parquet")
    body = {"schedule": "0 * * * *", "window": "1d", "alias": "production",
            "labels": "labels.parquet"}
    response = await jp_fetch("bighead", "api", "models", "shop", "monitor", method="POST",
                              body=json.dumps(body))
    assert response.code == 201
    schedules = await _get(jp_fetch, "schedules")
    (item,) = [s for s in schedules["items"] if s["name"] == "monitor-shop"]
    spec = item.get("spec", item)
    assert spec["function"] == "jupyter_bighead.monitoring.job:monitor"
    assert spec["parameters"] == {"model_ref": "shop@production", "window": "1d",
                                  "labels": str((jp_root_dir / "labels.parquet").resolve())}
    # The tab now joins the labels that had arrived: realized performance per day.
    after = await _get(jp_fetch, "models", "shop", "versions", "1", "monitoring")
    windows = after["check"]["performance"]
    assert windows and all(w["n"] > 0 and 0 < w["roc_auc"] < 1 for w in windows)
    assert "performance" in after["figures"]
    with pytest.raises(HTTPClientError) as err:  # labels outside the root
        await jp_fetch("bighead", "api", "models", "shop", "monitor", method="POST",
                       body=json.dumps({"schedule": "0 * * * *", "labels": "../x.parquet"}))
    assert err.value.code == 403
    with pytest.raises(HTTPClientError) as err:  # an unknown alias
        await jp_fetch("bighead", "api", "models", "shop", "monitor", method="POST",
                       body=json.dumps({"schedule": "0 * * * *", "alias": "nope"}))
    assert err.value.code == 404


async def test_alerts_feed_lists_new_alerts_of_the_users_models(jp_fetch, seeded, bighead_home,
                                                                monkeypatch):
    from jupyter_bighead.monitoring.alerts import AlertStore

    assert (await _get(jp_fetch, "alerts"))["items"] == []
    with monkeypatch.context() as m:  # a model someone else registered
        m.setenv("JUPYTERHUB_USER", "someone-else")
        seeded["reg"].register("theirs", seeded["model"])
    theirs = AlertStore(bighead_home / "monitoring" / "alerts").add("theirs", {"kind": "drift"})
    result = run_check("shop@production", "1d", registry=seeded["reg"], home=bighead_home)
    assert result.alert_id is not None
    page = await _get(jp_fetch, "alerts")
    (alert,) = page["items"]
    assert alert["id"] == result.alert_id and alert["features"] == ["amount"]
    assert page["latest"] == alert["created_at"]
    assert (await _get(jp_fetch, "alerts", since=page["latest"]))["items"] == []
    every = await _get(jp_fetch, "alerts", all="true")
    assert [a["id"] for a in every["items"]] == [result.alert_id, theirs]
    # The tab lists it too (its check is cached, the history is read each time).
    view = await _get(jp_fetch, "models", "shop", "versions", "1", "monitoring")
    assert [a["id"] for a in view["alerts"]] == [result.alert_id]


async def test_create_monitor_checks_the_labels_file_and_takes_label_columns(
        jp_fetch, seeded, jp_root_dir):
    from jupyter_bighead.monitoring import simulate

    labels = simulate.late_labels(seeded["traffic"]).rename(columns={"entity": "user_id"})
    labels.to_parquet(jp_root_dir / "outcomes.parquet")

    async def post(**body):
        return await jp_fetch("bighead", "api", "models", "shop", "monitor", method="POST",
                              body=json.dumps({"schedule": "0 * * * *", **body}))

    for bad, words in ((dict(labels="absent.parquet"), "no labels file"),
                       (dict(labels="outcomes.parquet"), "user_id"),  # names the columns
                       (dict(labels="outcomes.parquet", label_columns={"who": "user_id"}),
                        "unknown label column role")):
        with pytest.raises(HTTPClientError) as err:
            await post(**bad)
        assert err.value.code == 400
        assert words in json.loads(err.value.response.body)["message"]
    response = await post(labels="outcomes.parquet", label_columns={"entity": "user_id"})
    assert response.code == 201
    schedules = await _get(jp_fetch, "schedules")
    (item,) = [s for s in schedules["items"] if s["name"] == "monitor-shop"]
    assert item.get("spec", item)["parameters"]["label_columns"] == {"entity": "user_id"}
    view = await _get(jp_fetch, "models", "shop", "versions", "1", "monitoring")
    assert view["check"]["labels_error"] is None and view["check"]["performance"]
    assert view["status"] == "alert"


async def test_a_labels_file_gone_bad_still_shows_drift_and_says_why(
        jp_fetch, seeded, jp_root_dir):
    from jupyter_bighead.monitoring import simulate

    path = jp_root_dir / "labels.parquet"
    simulate.late_labels(seeded["traffic"]).to_parquet(path)
    await jp_fetch("bighead", "api", "models", "shop", "monitor", method="POST",
                   body=json.dumps({"schedule": "0 * * * *", "labels": "labels.parquet"}))
    path.write_bytes(b"not parquet")  # replaced by something unreadable since
    for window in ("1h", "1d", "7d"):
        view = await _get(jp_fetch, "models", "shop", "versions", "1", "monitoring",
                          window=window)
        assert view["window"] == window and view["check"]["labels_error"]
        assert "no realized performance" in view["message"]
    assert view["status"] == "alert" and view["drift_rows"][0]["feature"] == "amount"


@pytest.mark.parametrize("limit", ["0", "-1", "201"])
async def test_an_alerts_limit_out_of_range_is_a_400(jp_fetch, seeded, limit):
    with pytest.raises(HTTPClientError) as err:
        await _get(jp_fetch, "alerts", limit=limit)
    assert err.value.code == 400
