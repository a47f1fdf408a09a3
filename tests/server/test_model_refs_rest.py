"""REST names a model by path segments (``/models/NAME/versions/N``), never by a
reference string: a reference in the name segment is a 400 that says which name to
use, on every models route, and nothing is changed."""

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
    X = pd.DataFrame(rng.normal(size=(200, 2)), columns=["a", "b"])
    y = (X.a > 0).astype(int)
    reg.register("churn", lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(X, y),
                 alias="prod")
    return reg


@pytest.mark.parametrize("ref", ["churn@prod", "churn:1"])
@pytest.mark.parametrize("method,tail,body", [
    ("GET", (), None),
    ("GET", ("versions",), None),
    ("GET", ("versions", "1"), None),
    ("GET", ("trend",), None),
    ("GET", ("compare",), None),
    ("PUT", ("aliases", "staging"), {"version": 1}),
    ("DELETE", ("aliases", "prod"), None),
])
async def test_a_reference_in_the_name_segment_is_a_400_naming_the_model(
        jp_fetch, registry, ref, method, tail, body):
    kwargs = {"method": method}
    if body is not None:
        kwargs["body"] = json.dumps(body)
    params = {"a": "1", "b": "1"} if tail == ("compare",) else {}
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("bighead", "api", "models", ref, *tail, params=params, **kwargs)
    assert info.value.code == 400, info.value.response.body
    message = json.loads(info.value.response.body)["message"]
    assert "reference" in message and "'churn'" in message, message
    assert registry.aliases("churn") == {"prod": 1}


async def test_the_same_version_by_its_path_segments(jp_fetch, registry):
    view = json.loads((await jp_fetch("bighead", "api", "models", "churn", "versions",
                                      "1")).body)
    assert view["version"]["version"] == 1 and view["aliases"] == ["prod"]
