"""POST /notebooks/productionize with ``execute``: the production notebook runs in a
kernel from a server worker thread (nbclient's sync wrappers need their own loop)."""

from __future__ import annotations

import json

from ..notebooks.helpers import code, proto, write_nb


async def test_productionize_with_execute_runs_the_production_notebook(jp_fetch, jp_root_dir):
    write_nb(jp_root_dir / "nb.ipynb", [code("x = 20 + 22", "parameters"),
                                        proto("print('prototype only')"), code("print(x)")])
    response = await jp_fetch("bighead", "api", "notebooks", "productionize", method="POST",
                              body=json.dumps({"path": "nb.ipynb", "execute": True,
                                               "parameters": {"x": 5}}))
    payload = json.loads(response.body)
    assert payload["executed"].startswith("nb_production/")
    executed = json.loads((jp_root_dir / payload["executed"]).read_text())
    printed = "".join("".join(o.get("text", "")) for c in executed["cells"]
                      for o in c.get("outputs", []))
    assert printed == "5\n"  # the parameter reached the run; the prototype cell is gone
