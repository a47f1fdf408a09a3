"""/bighead/api/features through a real server, on the repo under BIGHEAD_HOME."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from tornado.httpclient import HTTPClientError

from jupyter_bighead.features import EventSource, Feature, FeatureRepo


@pytest.fixture
def repo(bighead_home, tmp_path):
    events = pd.DataFrame({
        "user_id": [1, 1, 2, 1],
        "ts": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-06", "2024-01-09"]),
        "amount": [10.0, 20.0, 5.0, 40.0],
    })
    events.to_parquet(tmp_path / "bookings.parquet")
    src = EventSource("bookings", path=str(tmp_path / "bookings.parquet"), entity="user_id",
                      timestamp="ts")
    repo = FeatureRepo(bighead_home / "features")
    repo.apply([
        Feature("bookings_7d_sum", source=src, column="amount", agg="sum", window="7d",
                owner="ana", tags=("bookings",)),
        Feature("bookings_all_count", source=src, column="amount", agg="count", owner="bo"),
    ])
    repo.apply([Feature("bookings_7d_sum", source=src, column="amount", agg="sum",
                        window="3d", version=2, owner="ana", tags=("bookings",))])
    return repo


async def get_json(jp_fetch, *parts, **params):
    response = await jp_fetch("bighead", "api", *parts, params=params)
    return json.loads(response.body)


async def test_catalog_lists_and_searches_by_name_tag_and_owner(jp_fetch, repo):
    page = await get_json(jp_fetch, "features")
    assert page["total"] == 2
    assert {i["name"] for i in page["items"]} == {"bookings_7d_sum", "bookings_all_count"}
    first = next(i for i in page["items"] if i["name"] == "bookings_7d_sum")
    assert (first["version"], first["versions"], first["window"]) == (2, 2, "3d")
    assert [i["name"] for i in (await get_json(jp_fetch, "features", owner="bo"))["items"]] \
        == ["bookings_all_count"]
    assert [i["name"] for i in (await get_json(jp_fetch, "features", search="ana"))["items"]] \
        == ["bookings_7d_sum"]
    assert (await get_json(jp_fetch, "features", limit="1"))["items"].__len__() == 1


async def test_feature_detail_shows_versions_and_changes(jp_fetch, repo):
    detail = await get_json(jp_fetch, "features", "bookings_7d_sum")
    assert [v["version"] for v in detail["versions"]] == [1, 2]
    diff = await get_json(jp_fetch, "features", "bookings_7d_sum", "diff", a="1", b="2")
    assert any(c["field"] == "window" for c in diff["changes"])


async def test_preview_uses_the_online_path_point_in_time(jp_fetch, repo):
    body = {"features": ["bookings_7d_sum@1", "bookings_all_count"], "entities": [1, 99],
            "at": "2024-01-09T00:00:00"}
    response = await jp_fetch("bighead", "api", "features", "preview", method="POST",
                              body=json.dumps(body))
    rows = json.loads(response.body)["rows"]
    # At exactly 2024-01-09 the event on that instant does not count yet.
    assert rows[0]["bookings_7d_sum@1"] == 20.0
    assert rows[0]["bookings_all_count"] == 2
    assert rows[1]["bookings_7d_sum@1"] == 0.0  # unknown entity: empty window
    expected = repo.online([1], ["bookings_7d_sum@1"], at=pd.Timestamp("2024-01-09"))
    assert rows[0]["bookings_7d_sum@1"] == expected["bookings_7d_sum@1"].iloc[0]


@pytest.mark.parametrize(
    "parts,params,body,status,message",
    [
        (("features", "nope"), {}, None, 404, "nope"),
        (("features",), {"limit": "x"}, None, 400, "limit"),
        (("features", "bookings_7d_sum", "diff"), {"a": "1"}, None, 400, "a=N&b=M"),
        (("features", "preview"), {}, {"features": ["bookings_7d_sum"], "entities": [1],
                                       "at": "not a time"}, 400, "not an ISO"),
        (("features", "preview"), {}, {"features": ["bookings_7d_summ"], "entities": [1]},
         404, "bookings_7d_sum"),
        (("features", "preview"), {}, {"features": "x", "entities": [1]}, 400, "JSON lists"),
    ],
)
async def test_bad_feature_requests_are_clear_4xx(jp_fetch, repo, parts, params, body, status,
                                                  message):
    kwargs = {"method": "POST", "body": json.dumps(body)} if body is not None else {}
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("bighead", "api", *parts, params=params, **kwargs)
    assert info.value.code == status
    assert message in json.loads(info.value.response.body)["message"]
