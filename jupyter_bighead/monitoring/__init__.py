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
"""

from __future__ import annotations

from .check import (
    CheckResult,
    MonitorSettings,
    attach_reference,
    reference_profile,
    run_check,
)
from .drift import DriftReport, FeatureDrift, Thresholds, compare

__all__ = ["CheckResult", "DriftReport", "FeatureDrift", "MonitorSettings", "Thresholds",
           "attach_reference", "compare", "reference_profile", "run_check"]
