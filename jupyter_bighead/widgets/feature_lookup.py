"""``FeatureLookup``: browse the feature catalog, preview a materialization, insert the code.

The logic (filtering, code generation, preview) lives in plain methods so it can be
unit tested without a browser; the widgets only call them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..errors import BigheadError, InvalidSpec
from .frontend import insert_cell

if TYPE_CHECKING:
    import pandas as pd

    from ..features import FeatureRepo


class FeatureLookup(w.VBox):
    """Pick features from the catalog for a spine DataFrame, preview, then insert the code.

    Parameters
    ----------
    repo : FeatureRepo, optional
        The catalog (default: the one under ``BIGHEAD_HOME``).
    spine : DataFrame, optional
        (entity, timestamp) rows; the preview materializes a sample of it.
    entity, timestamp : str, optional
        Spine column names (default: what the sources use).
    sample : int
        Rows of the spine used by the preview.
    spine_name, repo_name : str
        Variable names used in the generated code.
    """

    def __init__(
        self,
        repo: FeatureRepo | None = None,
        spine: pd.DataFrame | None = None,
        entity: str | None = None,
        timestamp: str | None = None,
        sample: int = 1000,
        spine_name: str = "spine",
        repo_name: str = "repo",
    ) -> None:
        if repo is None:
            from ..features import FeatureRepo

            repo = FeatureRepo()
        if sample < 1:
            raise InvalidSpec("sample must be at least 1 row")
        self.repo = repo
        self.spine = spine
        self.entity = entity
        self.timestamp = timestamp
        self.sample = sample
        self.spine_name = spine_name
        self.repo_name = repo_name
        self.catalog = repo.list_features()

        self.search = w.Text(placeholder="Search by name, tag or owner",
                             description="Search", layout=w.Layout(width="100%"))
        self.choices = w.SelectMultiple(options=self.filter(""), rows=8, description="Features",
                                        layout=w.Layout(width="100%"))
        self.preview_button = w.Button(description="Preview on sample", icon="eye",
                                       disabled=spine is None)
        self.insert_button = w.Button(description="Insert code", icon="plus",
                                      button_style="primary")
        self.progress = w.IntProgress(value=0, min=0, max=1, description="",
                                      layout=w.Layout(visibility="hidden"))
        self.status = w.HTML()
        self.output = w.Output()
        self.search.observe(self._on_search, names="value")
        self.preview_button.on_click(lambda _b: self._on_preview())
        self.insert_button.on_click(lambda _b: self._on_insert())
        super().__init__([self.search, self.choices,
                          w.HBox([self.preview_button, self.insert_button, self.progress]),
                          self.status, self.output])

    # -- logic -------------------------------------------------------------------------
    def filter(self, query: str) -> list[tuple[str, str]]:
        """(label, reference) options whose name, tags or owner contain ``query``."""
        q = query.strip().lower()
        out = []
        for item in self.catalog:
            haystack = " ".join([item["name"], item.get("owner") or "",
                                 *item.get("tags", [])]).lower()
            if q in haystack:
                d = item.get("definition", {})
                label = (f"{item['name']}  ·  {d.get('agg')} {d.get('column') or ''} "
                         f"{d.get('window') or 'all'}  ·  v{item['version']}")
                out.append((label, item["name"]))
        return out

    def selected(self) -> list[str]:
        return list(self.choices.value)

    def code(self, refs: Sequence[str] | None = None) -> str:
        """The exact ``repo.materialize(...)`` call for the chosen features."""
        refs = list(refs if refs is not None else self.selected())
        if not refs:
            raise InvalidSpec("choose at least one feature")
        args = [self.spine_name, repr(refs)]
        if self.entity:
            args.append(f"entity={self.entity!r}")
        if self.timestamp:
            args.append(f"timestamp={self.timestamp!r}")
        return f"training = {self.repo_name}.materialize({', '.join(args)})\ntraining.head()"

    def preview(self, refs: Sequence[str] | None = None) -> pd.DataFrame:
        """Materialize the chosen features on the first ``sample`` spine rows."""
        if self.spine is None:
            raise InvalidSpec("pass spine=... to FeatureLookup to preview")
        refs = list(refs if refs is not None else self.selected())
        if not refs:
            raise InvalidSpec("choose at least one feature")
        self.progress.max = len(refs)
        self.progress.value = 0

        def progress(done: int, total: int, message: str) -> None:
            self.progress.max = max(total, 1)
            self.progress.value = done
            self.progress.description = message[:20]

        return self.repo.materialize(self.spine.head(self.sample), refs, entity=self.entity,
                                     timestamp=self.timestamp, progress=progress)

    # -- widget callbacks -----------------------------------------------------------------
    def _on_search(self, change: dict[str, Any]) -> None:
        keep = set(self.selected())
        options = self.filter(str(change["new"]))
        self.choices.options = options
        self.choices.value = tuple(ref for _label, ref in options if ref in keep)

    def _on_preview(self) -> None:
        self.progress.layout.visibility = "visible"
        self.output.clear_output()
        try:
            frame = self.preview()
        except BigheadError as exc:
            self.status.value = _error(exc.message)
            return
        finally:
            self.progress.layout.visibility = "hidden"
        self.status.value = f"Previewed {len(frame)} of the spine's rows."
        with self.output:
            from IPython.display import display

            display(frame.head(20))

    def _on_insert(self) -> None:
        try:
            code = self.code()
        except BigheadError as exc:
            self.status.value = _error(exc.message)
            return
        shown = html.escape(code)
        if insert_cell(code):
            self.status.value = ("Inserted a new cell below."
                                 f"<details><summary>code</summary><pre>{shown}</pre></details>")
        else:
            self.status.value = f"Copy this into a cell:<pre>{shown}</pre>"


def _error(message: str) -> str:
    """An error line for the status ``HTML`` widget (``innerHTML``): the text is escaped,
    since messages quote feature names, source paths and column names."""
    return f"<span style='color:var(--jp-error-color1)'>{html.escape(message)}</span>"
