"""Routes the lab's panels need: open an executed notebook, plan a Productionize run."""

from __future__ import annotations

import json
import os

import pytest
from tornado.httpclient import HTTPClientError

from ..notebooks.helpers import code, proto, write_nb
from .test_jobs import call, wait_final


@pytest.fixture
def jp_server_config(jp_root_dir):
    # The home inside the server root, as in `jupyter bighead demo`: hidden from the
    # contents API because it is a dot-folder.
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_bighead_server": True}},
        "BigheadApp": {"home": str(jp_root_dir / ".bighead")},
    }


async def plan(jp_fetch, path):
    return await call(jp_fetch, "notebooks", "productionize", "plan", method="POST",
                      body={"path": path})


async def test_an_executed_notebook_is_copied_where_the_contents_api_serves_it(
    jp_fetch, jp_root_dir
):
    write_nb(jp_root_dir / "train.ipynb", [code("print('trained')")])
    job = await call(jp_fetch, "jobs", method="POST",
                     body={"notebook": "train.ipynb", "productionize": True})
    job = await wait_final(jp_fetch, job["id"])
    assert job["state"] == "succeeded", job
    hidden = job["outputs"]["executed_notebook_contents_path"]
    # The reason for the route: the contents API refuses the hidden .bighead/ folder.
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("api", "contents", *hidden.split("/"))
    assert info.value.code == 404

    opened = await call(jp_fetch, "jobs", job["id"], "notebook", method="POST")
    assert opened["path"] == f"train_production/runs/{job['id']}.ipynb"
    assert opened["copied"] is True
    model = json.loads((await jp_fetch("api", "contents", *opened["path"].split("/"))).body)
    assert model["type"] == "notebook"
    outputs = [o for c in model["content"]["cells"] for o in c.get("outputs", [])]
    assert any("trained" in str(o.get("text", "")) for o in outputs)

    # A second open keeps the copy (and any edits made to it).
    (jp_root_dir / opened["path"]).write_text((jp_root_dir / opened["path"]).read_text()
                                              .replace("trained", "edited"))
    again = await call(jp_fetch, "jobs", job["id"], "notebook", method="POST")
    assert again == {**opened, "copied": False}
    assert "edited" in (jp_root_dir / opened["path"]).read_text()


async def test_opening_the_notebook_of_an_unknown_job_is_a_404_with_a_message(jp_fetch):
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, "jobs", "nope-1", "notebook", method="POST")
    assert info.value.code == 404
    assert json.loads(info.value.response.body)["error"] == "not_found"


async def test_plan_lists_only_edited_outputs_that_productionize_would_change(
    jp_fetch, jp_root_dir
):
    write_nb(jp_root_dir / "nb.ipynb", [code("x = 1"), proto("print(x)")])
    assert await plan(jp_fetch, "nb.ipynb") == {"outputs": [], "overwrites": []}
    assert not (jp_root_dir / "nb_production").exists()  # planning writes nothing

    await call(jp_fetch, "notebooks", "productionize", method="POST",
               body={"path": "nb.ipynb"})
    outputs = ["nb_production/nb.ipynb", "nb_production/nb.py",
               "nb_production/production.json"]
    # Written by Productionize (or Run remotely) and unchanged: nothing to ask.
    assert await plan(jp_fetch, "nb.ipynb") == {"outputs": outputs, "overwrites": []}

    # The source changed: the outputs would change, but nobody edited them.
    write_nb(jp_root_dir / "nb.ipynb", [code("x = 2"), proto("print(x)")])
    assert await plan(jp_fetch, "nb.ipynb") == {"outputs": outputs, "overwrites": []}

    # A person edited the module after it was written: that edit would be lost.
    module = jp_root_dir / "nb_production" / "nb.py"
    module.write_text(module.read_text() + "\n# tuned by hand\n")
    written = (jp_root_dir / "nb_production" / "production.json").stat().st_mtime
    os.utime(module, (written + 5, written + 5))
    assert await plan(jp_fetch, "nb.ipynb") == {"outputs": outputs,
                                                 "overwrites": ["nb_production/nb.py"]}


async def test_plan_reports_dependency_errors_like_productionize(jp_fetch, jp_root_dir):
    write_nb(jp_root_dir / "dep.ipynb", [proto("secret = 1"), code("print(secret)")])
    with pytest.raises(HTTPClientError) as info:
        await plan(jp_fetch, "dep.ipynb")
    assert info.value.code == 422
    assert json.loads(info.value.response.body)["error"] == "dependency_error"


async def test_an_executed_notebook_is_never_copied_through_a_symlink_out_of_the_root(
    jp_fetch, jp_root_dir, tmp_path_factory
):
    outside = tmp_path_factory.mktemp("outside")
    write_nb(jp_root_dir / "train.ipynb", [code("print('trained')")])
    job = await call(jp_fetch, "jobs", method="POST",
                     body={"notebook": "train.ipynb", "productionize": True})
    job = await wait_final(jp_fetch, job["id"])
    assert job["state"] == "succeeded", job
    (jp_root_dir / "train_production" / "runs").symlink_to(outside, target_is_directory=True)
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, "jobs", job["id"], "notebook", method="POST")
    assert info.value.code == 403
    assert json.loads(info.value.response.body)["error"] == "forbidden"
    assert list(outside.iterdir()) == []
