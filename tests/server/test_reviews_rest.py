"""The review gate over REST, with a team of users on one real server: request, read the
material and the sandboxed report, comment, decide, withdraw; hostile input; races."""

from __future__ import annotations

import asyncio
import json

import pytest
from nbformat.v4 import new_code_cell, new_notebook
from tornado.httpclient import HTTPClientError

from .test_roles import ROLE_CONFIG, TokenPerUser


@pytest.fixture
def jp_server_config(bighead_home):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True},
                      "identity_provider_class": TokenPerUser},
        "BigheadApp": {"home": str(bighead_home), "roles": ROLE_CONFIG},
    }


@pytest.fixture
def churn(bighead_home, jp_root_dir):
    """churn v1 (in production, set by the admin) and v2, both from a notebook in the
    server's root."""
    import lightgbm as lgb
    import nbformat
    import numpy as np
    import pandas as pd

    from jupyter_bighead.config import BigheadHome
    from jupyter_bighead.registry import Registry

    home = BigheadHome(bighead_home).ensure()
    reg = Registry(home.registry_uri, artifacts=home.artifacts)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 2)), columns=["a", "b"])
    y = (X.a > 0).astype(int)
    nb = jp_root_dir / "train.ipynb"
    for trees in (3, 5):
        book = new_notebook(cells=[new_code_cell(f"n_estimators = {trees}")])
        book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
        nbformat.write(book, nb)
        reg.register("churn", lgb.LGBMClassifier(n_estimators=trees, verbose=-1).fit(X, y),
                     X_valid=X, y_valid=y, notebook=nb, user="dana")
    reg.set_alias("churn", "production", 1, user="adam")
    yield reg
    reg.close()


async def _as(jp_fetch, token, verb, *parts, body=None, raw=False):
    params = {}
    if parts and "?" in parts[-1]:
        last, query = parts[-1].split("?", 1)
        parts = (*parts[:-1], last)
        params = dict(item.split("=", 1) for item in query.split("&"))
    try:
        response = await jp_fetch("bighead", "api", *parts, method=verb, params=params,
                                  body=None if body is None else json.dumps(body),
                                  headers={"Authorization": f"token {token}"},
                                  allow_nonstandard_methods=True)
        if raw:
            return response.code, response
        return response.code, json.loads(response.body)
    except HTTPClientError as exc:
        return exc.code, json.loads(exc.response.body) if exc.response else {}


async def _request(jp_fetch, token="t-dana", ref="churn:2", text="please"):
    return await _as(jp_fetch, token, "POST", "reviews",
                     body={"model_ref": ref, "text": text})


async def test_the_full_flow_request_read_comment_approve_then_the_author_moves_production(
        jp_fetch, churn):
    code, review = await _request(jp_fetch)
    assert code == 201, review
    assert (review["author"], review["state"], review["version"]) == ("dana", "pending", 2)
    material = review["material"]
    assert material["report"]["available"] and "file" not in material["report"]
    assert material["card"]["version"] == 2 and material["evaluation"]["available"]
    assert material["diff"]["against"] == 1 and "html" not in material["diff"]["code"]
    assert "n_estimators = 5" in material["diff"]["code"]["unified"]

    code, page = await _as(jp_fetch, "t-rita", "GET", "reviews?state=pending")
    assert code == 200 and [r["id"] for r in page["items"]] == [review["id"]]
    assert "report" not in (page["items"][0]["material"] or {})  # listings stay small
    code, mine = await _as(jp_fetch, "t-dino", "GET", "reviews?author=dino")
    assert code == 200 and mine["items"] == []

    code, response = await _as(jp_fetch, "t-vera", "GET", "reviews", review["id"], "report",
                               raw=True)
    assert code == 200 and response.headers["Content-Type"].startswith("text/html")
    csp = response.headers["Content-Security-Policy"]
    assert "sandbox allow-scripts" in csp and "allow-same-origin" not in csp
    assert "default-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert b"n_estimators = 5" in response.body

    code, after = await _as(jp_fetch, "t-rita", "POST", "reviews", review["id"], "comment",
                            body={"text": "why 5 trees?"})
    assert code == 200 and after["comments"][-1]["by"] == "rita"
    code, after = await _as(jp_fetch, "t-dana", "POST", "reviews", review["id"], "comment",
                            body={"text": "faster"})
    assert code == 200 and len(after["comments"]) == 2

    code, error = await _as(jp_fetch, "t-dana", "PUT", "models", "churn", "aliases",
                            "production", body={"version": 2})
    assert code == 403 and "pending" in error["message"]
    code, decided = await _as(jp_fetch, "t-rita", "POST", "reviews", review["id"], "approve",
                              body={"text": "ok"})
    assert code == 200 and decided["decision"]["by"] == "rita"
    code, moved = await _as(jp_fetch, "t-dana", "PUT", "models", "churn", "aliases",
                            "production", body={"version": 2})
    assert code == 200 and moved["by"] == "dana"
    code, final = await _as(jp_fetch, "t-vera", "GET", "reviews", review["id"])
    assert final["applied"] and [e["action"] for e in final["events"]] == [
        "requested", "commented", "commented", "approved", "moved"]
    code, error = await _as(jp_fetch, "t-dana", "POST", "reviews", review["id"], "withdraw")
    assert code == 409 and "applied" in error["message"]


async def test_the_author_never_decides_their_own_review_and_a_viewer_never_writes(
        jp_fetch, churn):
    # adam is an admin, so holds review: only authorship stops him.
    code, review = await _request(jp_fetch, "t-adam")
    assert code == 201
    rid = review["id"]
    code, error = await _as(jp_fetch, "t-adam", "POST", "reviews", rid, "approve", body={})
    assert code == 403 and "adam requested review" in error["message"]
    assert "another reviewer" in error["message"]
    # A data scientist lacks the role; a viewer may neither decide nor comment nor request.
    code, error = await _as(jp_fetch, "t-dana", "POST", "reviews", rid, "approve", body={})
    assert code == 403 and "reviewer" in error["message"]
    code, error = await _as(jp_fetch, "t-vera", "POST", "reviews", rid, "comment",
                            body={"text": "me too"})
    assert code == 403 and "vera" in error["message"] and "reviewer" in error["message"]
    code, error = await _request(jp_fetch, "t-vera", "churn:1")
    assert code == 403 and "data_scientist" in error["message"]
    code, error = await _as(jp_fetch, "t-dino", "POST", "reviews", rid, "withdraw")
    assert code == 403 and "only its author" in error["message"]
    code, error = await _as(jp_fetch, "t-rita", "POST", "reviews", rid, "reject", body={})
    assert code == 400  # a rejection says why
    code, gone = await _as(jp_fetch, "t-adam", "POST", "reviews", rid, "withdraw")
    assert code == 200 and gone["state"] == "withdrawn"
    code, _ = await _as(jp_fetch, "t-rita", "POST", "reviews", rid, "approve", body={})
    assert code == 409


@pytest.mark.parametrize("parts,verb,body,status", [
    (("reviews", "nope"), "GET", None, 400),
    (("reviews", "00000000000000000000-abcdef"), "GET", None, 404),
    (("reviews", "..%2F..%2Fjobs"), "GET", None, 400),
    (("reviews", "%2E%2E", "report"), "GET", None, 400),
    (("reviews", "00000000000000000000-abcdef", "approve"), "POST", {}, 404),
    (("reviews?limit=0",), "GET", None, 400),
    (("reviews?limit=99999999999999999999",), "GET", None, 400),
    (("reviews?state=merged",), "GET", None, 400),
    (("reviews?model=..%2Fx",), "GET", None, 400),
    (("reviews",), "POST", {"model_ref": "churn:2", "text": "x" * 20_001}, 400),
    (("reviews",), "POST", {"model_ref": "churn:2", "colour": "red"}, 400),
    (("reviews",), "POST", {"model_ref": "churn:99"}, 404),
    (("reviews",), "POST", {"model_ref": "churn:1"}, 409),  # production is v1 already
    (("reviews",), "POST", {"model_ref": 3}, 400),
    (("reviews",), "DELETE", None, 405),
    (("reviews", "00000000000000000000-abcdef", "approve"), "GET", None, 405),
])
async def test_hostile_input_is_a_clear_4xx(jp_fetch, churn, parts, verb, body, status):
    code, error = await _as(jp_fetch, "t-adam", verb, *parts, body=body)
    assert code == status, error
    if error:
        assert error["error"] and len(error["message"]) <= 1100


async def test_a_huge_comment_is_refused_and_the_review_is_unchanged(jp_fetch, churn):
    _, review = await _request(jp_fetch)
    code, error = await _as(jp_fetch, "t-rita", "POST", "reviews", review["id"], "comment",
                            body={"text": "y" * 50_000})
    assert code == 400 and "y" * 200 not in error["message"]
    _, same = await _as(jp_fetch, "t-rita", "GET", "reviews", review["id"])
    assert same["comments"] == []


async def test_a_review_without_a_report_says_why_on_the_report_route(jp_fetch, churn):
    import lightgbm as lgb
    import numpy as np
    import pandas as pd

    X = pd.DataFrame(np.arange(40.0).reshape(20, 2), columns=["a", "b"])
    churn.register("churn", lgb.LGBMClassifier(n_estimators=2, verbose=-1).fit(
        X, np.arange(20) % 2))  # no notebook
    _, review = await _request(jp_fetch, ref="churn:3")
    assert not review["material"]["report"]["available"]
    code, error = await _as(jp_fetch, "t-vera", "GET", "reviews", review["id"], "report")
    assert code == 404 and "names no source notebook" in error["message"]


async def test_concurrent_approve_and_reject_record_exactly_one_decision(jp_fetch, churn):
    from jupyter_bighead.roles import RoleMap

    _, review = await _request(jp_fetch)
    rid = review["id"]
    # adam (admin) and rita (reviewer) decide at the same moment, several times over.
    results = await asyncio.gather(
        *[_as(jp_fetch, token, "POST", "reviews", rid, verb, body={"text": "because"})
          for token, verb in [("t-rita", "approve"), ("t-adam", "reject")] * 3])
    codes = sorted(code for code, _ in results)
    assert codes == [200, 409, 409, 409, 409, 409], results
    _, final = await _as(jp_fetch, "t-vera", "GET", "reviews", rid)
    decisions = [e for e in final["events"] if e["action"] in ("approved", "rejected")]
    assert len(decisions) == 1 and final["state"] == decisions[0]["action"]
    assert RoleMap.from_config(ROLE_CONFIG).configured


async def test_a_source_notebook_outside_the_servers_root_is_not_read(jp_fetch, churn,
                                                                      tmp_path, jp_root_dir):
    """A version registered from a notebook outside the root (another folder, or through a
    symlink in the root): the review's material says so, and nothing of it is rendered."""
    import lightgbm as lgb
    import nbformat
    import numpy as np
    import pandas as pd

    secret = tmp_path / "private" / "secret.ipynb"
    secret.parent.mkdir()
    book = new_notebook(cells=[new_code_cell("token = 'hunter2-not-for-reviewers'")])
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                   "language": "python"}
    nbformat.write(book, secret)
    X = pd.DataFrame(np.arange(40.0).reshape(20, 2), columns=["a", "b"])
    model = lgb.LGBMClassifier(n_estimators=2, verbose=-1).fit(X, np.arange(20) % 2)
    churn.register("churn", model, notebook=secret, user="dana")  # v3
    (jp_root_dir / "link.ipynb").symlink_to(secret)
    churn.register("churn", model, notebook=jp_root_dir / "link.ipynb", user="dana")  # v4
    for ref in ("churn:3", "churn:4"):
        code, review = await _request(jp_fetch, ref=ref)
        assert code == 201, review
        report = review["material"]["report"]
        assert report["status"] == "outside_root" and not report["available"]
        assert "outside this server's root" in report["message"]
        code, error = await _as(jp_fetch, "t-rita", "GET", "reviews", review["id"], "report")
        assert code == 404 and "outside this server's root" in error["message"]
        # (the code diff shows the cells the registry recorded at registration, not the file)
        _, full = await _as(jp_fetch, "t-rita", "GET", "reviews", review["id"])
        assert "hunter2" not in json.dumps(full["material"]["report"])
