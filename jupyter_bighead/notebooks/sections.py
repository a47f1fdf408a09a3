"""The pieces a report appendix is made of: sections of rendered HTML and inline Plotly
figures. Kept apart from :mod:`.report` so that section builders (:mod:`.cards`) and
the report itself depend on them, not on each other."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

__all__ = ["ReportSection", "plotly_div"]


@dataclass(frozen=True)
class ReportSection:
    """An appendix section of the report (e.g. a model card), already rendered as HTML."""

    title: str
    html: str
    anchor: str = ""

    def anchor_id(self) -> str:
        return self.anchor or "bighead-" + re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")


def plotly_div(figure: dict[str, Any]) -> str:
    """HTML that draws a Plotly figure spec with the inlined plotly.js."""
    div_id = f"bighead-plot-{uuid.uuid4().hex[:12]}"
    spec = json.dumps({"data": figure.get("data", []), "layout": figure.get("layout", {})})
    # Never close the script early, nor open an HTML comment that swallows its end.
    spec = spec.replace("</", "<\\/").replace("<!--", "<\\!--")
    return (
        f'<div id="{div_id}" class="bighead-plot" style="min-height:360px"></div>'
        f'<script type="text/javascript">(function(){{var s={spec};'
        f'Plotly.newPlot("{div_id}", s.data, s.layout, {{responsive: true}});}})();</script>'
    )
