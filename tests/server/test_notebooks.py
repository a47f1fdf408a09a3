"""POST /bighead/api/notebooks/productionize through a real server."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError

from ..notebooks.helpers import code, proto, write_nb


async def post(jp_fetch, body):
    return await jp_fetch("bighead", "api", "notebooks", "productionize",
                          method="POST", body=json.dumps(body))


async def test_productionize_route_writes_outputs_relative_to_the_server_root(
    jp_fetch, jp_root_dir
):
    write_nb(jp_root_dir / "work" / "nb.ipynb", [code("x = 1"), proto("print(x)")])
    response = await post(jp_fetch, {"path": "work/nb.ipynb"})
    payload = json.loads(response.body)
    assert payload["notebook"] == "work/nb_production/nb.ipynb"
    assert payload["removed_cells"] == [1]
    assert (jp_root_dir / payload["module"]).is_file()


async def test_dependency_errors_come_back_as_422_with_the_offending_cells(
    jp_fetch, jp_root_dir
):
    write_nb(jp_root_dir / "nb.ipynb", [proto("secret = 42"), code("print(secret)")])
    with pytest.raises(HTTPClientError) as info:
        await post(jp_fetch, {"path": "nb.ipynb"})
    assert info.value.code == 422
    body = json.loads(info.value.response.body)
    assert body["error"] == "dependency_error"
    assert body["details"]["offenses"][0]["cell"] == 1
    assert body["details"]["offenses"][0]["names"] == ["secret"]


@pytest.mark.parametrize(
    "body,status,err",
    [
        ({"path": "../outside.ipynb"}, 403, "forbidden"),
        ({"path": "/etc/passwd"}, 403, "forbidden"),
        ({}, 400, "invalid_spec"),
        ({"path": "missing.ipynb"}, 404, "not_found"),
        ({"path": "nb.ipynb", "parameters": [1]}, 400, "invalid_spec"),
    ],
)
async def test_bad_requests_get_clear_json_errors(jp_fetch, jp_root_dir, body, status, err):
    write_nb(jp_root_dir / "nb.ipynb", [code("x = 1")])
    with pytest.raises(HTTPClientError) as info:
        await post(jp_fetch, body)
    assert info.value.code == status
    assert json.loads(info.value.response.body)["error"] == err


async def test_second_productionize_conflicts_unless_forced(jp_fetch, jp_root_dir):
    write_nb(jp_root_dir / "nb.ipynb", [code("x = 1")])
    await post(jp_fetch, {"path": "nb.ipynb"})
    with pytest.raises(HTTPClientError) as info:
        await post(jp_fetch, {"path": "nb.ipynb"})
    assert info.value.code == 409
    response = await post(jp_fetch, {"path": "nb.ipynb", "force": True})
    assert response.code == 200


async def test_report_route_writes_the_report_beside_the_notebook(jp_fetch, jp_root_dir):
    write_nb(jp_root_dir / "work" / "nb.ipynb", [code("x = 1"), proto("print(x)")])
    response = await jp_fetch("bighead", "api", "notebooks", "report", method="POST",
                              body=json.dumps({"path": "work/nb.ipynb", "strip_prototype": True}))
    assert json.loads(response.body) == {"report": "work/nb.report.html"}
    assert "print(x)" not in (jp_root_dir / "work" / "nb.report.html").read_text()


async def test_report_route_refuses_paths_outside_the_root(jp_fetch):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("bighead", "api", "notebooks", "report", method="POST",
                       body=json.dumps({"path": "../../etc/passwd"}))
    assert info.value.code == 403
