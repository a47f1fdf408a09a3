"""Regenerate templates/notebooks/starter.ipynb (run after editing the cells below)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]


def proto(source: str) -> nbformat.NotebookNode:
    cell = new_code_cell(source)
    cell.metadata["tags"] = ["prototype"]
    return cell


CELLS = [
    new_markdown_cell(
        "# Welcome to jupyter-bighead\n\n"
        "This workspace walks you through the platform, one capability at a time. "
        "Open the **Bighead** panel in the left sidebar (the Bighead icon) to see the "
        "platform's status, and later its Models, Features, Jobs and Blocks.\n\n"
        "The data under `data/` is synthetic but realistic: a marketplace where users "
        "browse listings (`page_views`) and sometimes book (`bookings`). The question "
        "we model is *will this user book in the next 7 days?* (`labels`).\n\n"
        "Cells tagged `prototype` are exploration; untagged cells are production code."
    ),
    new_markdown_cell("## 1. The platform\n\nThe core library works the same in this kernel, "
                      "in a scheduled job and on a serving pod."),
    new_code_cell(
        "from jupyter_bighead.config import BigheadHome\n"
        "from jupyter_bighead.status import status_payload\n\n"
        "home = BigheadHome.resolve()  # BIGHEAD_HOME, set by `jupyter bighead demo`\n"
        "status_payload(home, executor='local')"
    ),
    new_markdown_cell("## 2. The data\n\nTwo event logs and a labelled spine of "
                      "(entity, timestamp) questions."),
    new_code_cell(
        "import pandas as pd\n\n"
        "page_views = pd.read_parquet('data/page_views.parquet')\n"
        "bookings = pd.read_parquet('data/bookings.parquet')\n"
        "labels = pd.read_parquet('data/labels.parquet')\n"
        "tables = {'page_views': page_views, 'bookings': bookings, 'labels': labels}\n"
        "{name: len(df) for name, df in tables.items()}"
    ),
    proto("bookings.head()"),
    proto(
        "# Some bookings land late: `created_at` is when the row became known.\n"
        "late = (bookings.created_at - bookings.ts) > pd.Timedelta(days=1)\n"
        "print(f'{late.mean():.1%} of bookings arrived more than a day late')\n"
        "labels.label.mean()"
    ),
    new_markdown_cell(
        "## 3. From prototype to production\n\n"
        "Cells with the orange border and the *prototype* badge are exploration. Toggle the "
        "tag with the Bighead button in a cell's toolbar, the command palette (*Toggle "
        "prototype cell*) or `Alt+P`. Then click **Productionize** in the notebook toolbar: "
        "the prototype cells are stripped, a static check makes sure no production cell "
        "depends on them, and a production notebook plus a module with `main(**parameters)` "
        "land in `bighead_starter_production/`. **Report** renders a self-contained HTML "
        "report for a reviewer. The same from a terminal:\n\n"
        "```\njupyter bighead productionize bighead_starter.ipynb\n"
        "jupyter bighead report bighead_starter.ipynb\n```"
    ),
    proto(
        "# The dependency check behind the Productionize button, from Python:\n"
        "import nbformat\n"
        "from jupyter_bighead.notebooks import check_dependencies\n\n"
        "check_dependencies(nbformat.read('bighead_starter.ipynb', as_version=4).cells).ok"
    ),
    new_markdown_cell(
        "## What comes next\n\n"
        "Re-run `jupyter bighead demo` after upgrading: new sections are added here as the "
        "platform grows (point-in-time features, training and registering a LightGBM model, "
        "productionizing this notebook, jobs and serving). Your own edits are kept."
    ),
]


def main() -> None:
    nb = new_notebook(cells=CELLS)
    nb.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python"
    }
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"bighead-starter-{i:02d}"
    nbformat.validate(nb)
    out = ROOT / "templates" / "notebooks" / "starter.ipynb"
    out.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    print(out)


if __name__ == "__main__":
    main()
