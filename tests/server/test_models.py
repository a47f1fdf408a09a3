"""/bighead/api/models through a real server, on the embedded registry under home."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tornado.httpclient import HTTPClientError

from jupyter_bighead.config import BigheadHome
from jupyter_bighead.registry import Registry


@pytest.fixture
def registry(bighead_home):
    import lightgbm as lgb

    home = BigheadHome(bighead_home).ensure()
    reg = Registry(home.registry_uri, artifacts=home.artifacts)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(600, 3)), columns=["a", "b", "c"])
    y = (X.a + rng.normal(scale=0.5, size=600) > 0).astype(int)
    for trees in (5, 15):
        model = lgb.LGBMClassifier(n_estimators=trees, verbose=-1).fit(X, y)
        reg.register("churn", model, X_valid=X, y_valid=y, params={"trees": trees},
                     features=["views_7d_count@1"])
    return reg


async def get_json(jp_fetch, *parts, **params):
    return json.loads((await jp_fetch("bighead", "api", *parts, params=params)).body)


async def test_models_versions_and_a_version_with_real_curves(jp_fetch, registry):
    models = await get_json(jp_fetch, "models")
    assert [m["name"] for m in models["items"]] == ["churn"]
    versions = await get_json(jp_fetch, "models", "churn", "versions", limit="1")
    assert [v["version"] for v in versions["items"]] == [2] and versions["total"] == 2
    view = await get_json(jp_fetch, "models", "churn", "versions", "2")
    assert view["version"]["params"]["trees"] == 15
    assert view["version"]["features"] == ["views_7d_count@1"]
    roc = view["figures"]["roc"]
    x = roc["data"][0]["x"]
    assert len(x) > 10 and x[0] == 0 and x[-1] == 1  # a real ROC curve
    assert {"roc", "pr", "calibration"} <= set(view["figures"])
    assert view["evaluation"]["metrics"]["roc_auc"] > 0.7


async def test_trend_and_compare(jp_fetch, registry):
    trend = await get_json(jp_fetch, "models", "churn", "trend", metric="roc_auc")
    assert [p["version"] for p in trend["points"]] == [1, 2]
    assert trend["figure"]["data"]
    diff = await get_json(jp_fetch, "models", "churn", "compare", a="1", b="2")
    assert diff["params"]["changed"]["trees"] == {"a": 5, "b": 15}
    assert diff["params"]["changed"]["n_estimators"] == {"a": 5, "b": 15}
    roc = diff["metrics"]["roc_auc"]
    assert roc["delta"] == pytest.approx(roc["b"] - roc["a"])


async def test_alias_set_rollback_and_history(jp_fetch, registry):
    for version in (1, 2):
        await jp_fetch("bighead", "api", "models", "churn", "aliases", "production",
                       method="PUT", body=json.dumps({"version": version}))
    assert registry.aliases("churn") == {"production": 2}
    await jp_fetch("bighead", "api", "models", "churn", "aliases", "production", "rollback",
                   method="POST", body="{}")
    assert registry.aliases("churn") == {"production": 1}
    history = await get_json(jp_fetch, "models", "churn", "aliases", "production", "history")
    assert [e["action"] for e in history["items"]][:1] == ["rollback"]
    assert len(history["items"]) == 3
    await jp_fetch("bighead", "api", "models", "churn", "aliases", "production",
                   method="DELETE")
    assert registry.aliases("churn") == {}


@pytest.mark.parametrize(
    "method,parts,body,status",
    [
        ("GET", ("models", "nope"), None, 404),
        ("GET", ("models", "churn", "versions", "9"), None, 404),
        ("GET", ("models", "churn", "versions", "x"), None, 400),
        ("GET", ("models", "churn", "compare"), None, 400),
        ("GET", ("models", "churn", "trend"), None, 200),
        ("PUT", ("models", "churn", "aliases", "production"), {"version": "two"}, 400),
        ("PUT", ("models", "churn", "aliases", "production"), {"version": 7}, 404),
        ("POST", ("models", "churn", "aliases", "staging", "rollback"), {}, 404),
        ("GET", ("models",), None, 200),
    ],
)
async def test_bad_model_requests_are_clear_4xx(jp_fetch, registry, method, parts, body, status):
    kwargs = {"method": method}
    if body is not None:
        kwargs["body"] = json.dumps(body)
    if status == 200:
        assert (await jp_fetch("bighead", "api", *parts, **kwargs)).code == 200
        return
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("bighead", "api", *parts, **kwargs)
    assert info.value.code == status, info.value.response.body
    assert json.loads(info.value.response.body)["message"]


async def test_bad_model_names_cannot_reach_outside_the_store(jp_fetch, registry):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("bighead", "api", "models", "..%2F..%2Fetc", "versions")
    assert info.value.code in (400, 404)
