"""Monitoring of registered models (layer L9): drift of logged traffic against the
reference profile stored at registration, realized performance once labels arrive,
alerts (webhook, alert history) and one check tying them together.

- :mod:`.drift`: PSI, Jensen-Shannon distance, KS and chi-squared (scipy), null rates,
  unseen categories, per-model :class:`~.drift.Thresholds`;
- :mod:`.performance`: labels joined to logged predictions point in time (the feature
  store's engine), metrics per time window;
- :mod:`.alerts`: :func:`~.alerts.send_webhook` and :class:`~.alerts.AlertStore`;
- :mod:`.check`: :func:`~.check.run_check` and per-model :class:`~.check.MonitorSettings`;
- :mod:`.figures`: Plotly figures and the drift table drawn from a check's plain data;
- :mod:`.job`: a monitor as a (scheduled) job: :func:`~.job.monitor_spec`, :func:`~.job.monitor`;
- :mod:`.simulate`: synthetic traffic that shifts halfway, for tests and the demo.

Importing this package is light: numpy, pandas and scipy are imported when used.

The package is also callable, ``jupyter_bighead.monitoring(model_ref, window)``: importing it
replaces the facade's function of that name (``bh.monitoring``) with the package, as Python
does for every subpackage, so the package answers the same call (:func:`notebook_figures`).
"""

from __future__ import annotations

import sys
import types
from typing import Any

from .check import (
    CheckResult,
    MonitorSettings,
    attach_reference,
    reference_profile,
    run_check,
)
from .drift import DriftReport, FeatureDrift, Thresholds, compare

__all__ = ["CheckResult", "DriftReport", "FeatureDrift", "MonitorSettings", "Thresholds",
           "attach_reference", "compare", "notebook_figures", "reference_profile", "run_check"]


def notebook_figures(model_ref: str, window: str = "1d", **options: Any) -> dict[str, Any]:
    """Check ``model_ref``'s logged traffic for drift (without alerting) and return the
    figures of the lab's Monitoring tab (see :mod:`.figures`), with the check's result
    under ``"result"``: what ``bh.monitoring(model_ref)`` shows in a notebook."""
    from .figures import figures

    result = run_check(model_ref, window, alert=False, **options).to_dict()
    return {"result": result, **figures(result)}


class _CallablePackage(types.ModuleType):
    def __call__(self, model_ref: str, window: str = "1d", **options: Any) -> dict[str, Any]:
        return notebook_figures(model_ref, window, **options)


sys.modules[__name__].__class__ = _CallablePackage
