"""What admins manage for a team: compute profiles, kernelspec -> image mappings and
per-user quotas, in one shared, validated, versioned and audited store.

The server seeds the store from ``c.BigheadApp.profiles``/``kernel_images`` on its
first start (the store wins afterwards); executors read profiles from it at every
submit and check the quotas there; the lab's *Admin* section edits it through
``/bighead/api/admin``; the hub's KubeSpawner ``profile_list`` is built from it.
"""

from __future__ import annotations

from .live import LiveProfiles
from .profiles import DEFAULT_PROFILES, ComputeProfile, validate_profile
from .quotas import QUOTA_HELP, Quota, QuotaExceeded, check, effective_quota
from .settings import AdminSettings
from .usage import check_deploy_quota, usage_by_user, usage_view

__all__ = ["DEFAULT_PROFILES", "QUOTA_HELP", "AdminSettings", "ComputeProfile", "LiveProfiles",
           "Quota", "QuotaExceeded", "check", "check_deploy_quota", "effective_quota",
           "usage_by_user", "usage_view", "validate_profile"]
