"""The route table: one OpenAPI-style path template per handler.

Templates use ``{name}`` placeholders; :func:`url_pattern` turns them into tornado
regexes. The OpenAPI document must describe every template here (a test checks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tornado.web import RequestHandler

from .authz import API_PREFIX
from .handlers.admin import (
    AdminAuditHandler,
    AdminKernelImageHandler,
    AdminProfileHandler,
    AdminQuotaHandler,
    AdminSettingsHandler,
    AdminUsageHandler,
)
from .handlers.blocks import BlocksHandler
from .handlers.cluster import ClusterHandler
from .handlers.deployments import (
    DeploymentHandler,
    DeploymentLogsHandler,
    DeploymentPredictHandler,
    DeploymentRedeployHandler,
    DeploymentsHandler,
)
from .handlers.features import (
    FeatureDiffHandler,
    FeatureHandler,
    FeaturePreviewHandler,
    FeaturesHandler,
)
from .handlers.jobs import (
    JobCancelHandler,
    JobHandler,
    JobLogsHandler,
    JobRerunHandler,
    JobsHandler,
    ProfilesHandler,
    ScheduleHandler,
    SchedulesHandler,
    SweepHandler,
    SweepsHandler,
)
from .handlers.lab import JobNotebookHandler, ProductionizePlanHandler
from .handlers.models import (
    AliasHandler,
    AliasHistoryHandler,
    AliasRollbackHandler,
    CompareHandler,
    ModelHandler,
    ModelsHandler,
    TrendHandler,
    VersionHandler,
    VersionsHandler,
)
from .handlers.monitoring import AlertsHandler, ModelMonitorHandler, VersionMonitoringHandler
from .handlers.notebooks import ProductionizeHandler, ReportHandler
from .handlers.openapi import OpenAPIHandler
from .handlers.reviews import (
    ReviewApproveHandler,
    ReviewCommentHandler,
    ReviewHandler,
    ReviewRejectHandler,
    ReviewReportHandler,
    ReviewsHandler,
    ReviewWithdrawHandler,
)
from .handlers.status import StatusHandler


@dataclass(frozen=True)
class Route:
    template: str
    handler: type[RequestHandler]


ROUTES: tuple[Route, ...] = (
    Route(f"{API_PREFIX}/status", StatusHandler),
    Route(f"{API_PREFIX}/openapi.json", OpenAPIHandler),
    Route(f"{API_PREFIX}/cluster", ClusterHandler),
    Route(f"{API_PREFIX}/notebooks/productionize", ProductionizeHandler),
    Route(f"{API_PREFIX}/notebooks/productionize/plan", ProductionizePlanHandler),
    Route(f"{API_PREFIX}/notebooks/report", ReportHandler),
    Route(f"{API_PREFIX}/blocks", BlocksHandler),
    Route(f"{API_PREFIX}/features", FeaturesHandler),
    Route(f"{API_PREFIX}/features/preview", FeaturePreviewHandler),
    Route(f"{API_PREFIX}/features/{{name}}", FeatureHandler),
    Route(f"{API_PREFIX}/features/{{name}}/diff", FeatureDiffHandler),
    Route(f"{API_PREFIX}/profiles", ProfilesHandler),
    Route(f"{API_PREFIX}/admin/settings", AdminSettingsHandler),
    Route(f"{API_PREFIX}/admin/profiles/{{name}}", AdminProfileHandler),
    Route(f"{API_PREFIX}/admin/kernel-images/{{kernelspec}}", AdminKernelImageHandler),
    Route(f"{API_PREFIX}/admin/quotas/{{user}}", AdminQuotaHandler),
    Route(f"{API_PREFIX}/admin/audit", AdminAuditHandler),
    Route(f"{API_PREFIX}/admin/usage", AdminUsageHandler),
    Route(f"{API_PREFIX}/jobs", JobsHandler),
    Route(f"{API_PREFIX}/jobs/{{job_id}}", JobHandler),
    Route(f"{API_PREFIX}/jobs/{{job_id}}/logs", JobLogsHandler),
    Route(f"{API_PREFIX}/jobs/{{job_id}}/cancel", JobCancelHandler),
    Route(f"{API_PREFIX}/jobs/{{job_id}}/rerun", JobRerunHandler),
    Route(f"{API_PREFIX}/jobs/{{job_id}}/notebook", JobNotebookHandler),
    Route(f"{API_PREFIX}/schedules", SchedulesHandler),
    Route(f"{API_PREFIX}/schedules/{{name}}", ScheduleHandler),
    Route(f"{API_PREFIX}/sweeps", SweepsHandler),
    Route(f"{API_PREFIX}/sweeps/{{sweep_id}}", SweepHandler),
    Route(f"{API_PREFIX}/models", ModelsHandler),
    Route(f"{API_PREFIX}/models/{{name}}", ModelHandler),
    Route(f"{API_PREFIX}/models/{{name}}/versions", VersionsHandler),
    Route(f"{API_PREFIX}/models/{{name}}/versions/{{version}}", VersionHandler),
    Route(f"{API_PREFIX}/models/{{name}}/versions/{{version}}/monitoring",
          VersionMonitoringHandler),
    Route(f"{API_PREFIX}/models/{{name}}/monitor", ModelMonitorHandler),
    Route(f"{API_PREFIX}/alerts", AlertsHandler),
    Route(f"{API_PREFIX}/models/{{name}}/trend", TrendHandler),
    Route(f"{API_PREFIX}/models/{{name}}/compare", CompareHandler),
    Route(f"{API_PREFIX}/models/{{name}}/aliases/{{alias}}", AliasHandler),
    Route(f"{API_PREFIX}/models/{{name}}/aliases/{{alias}}/rollback", AliasRollbackHandler),
    Route(f"{API_PREFIX}/models/{{name}}/aliases/{{alias}}/history", AliasHistoryHandler),
    Route(f"{API_PREFIX}/reviews", ReviewsHandler),
    Route(f"{API_PREFIX}/reviews/{{review_id}}", ReviewHandler),
    Route(f"{API_PREFIX}/reviews/{{review_id}}/report", ReviewReportHandler),
    Route(f"{API_PREFIX}/reviews/{{review_id}}/comment", ReviewCommentHandler),
    Route(f"{API_PREFIX}/reviews/{{review_id}}/approve", ReviewApproveHandler),
    Route(f"{API_PREFIX}/reviews/{{review_id}}/reject", ReviewRejectHandler),
    Route(f"{API_PREFIX}/reviews/{{review_id}}/withdraw", ReviewWithdrawHandler),
    Route(f"{API_PREFIX}/deployments", DeploymentsHandler),
    Route(f"{API_PREFIX}/deployments/{{dep_id}}", DeploymentHandler),
    Route(f"{API_PREFIX}/deployments/{{dep_id}}/logs", DeploymentLogsHandler),
    Route(f"{API_PREFIX}/deployments/{{dep_id}}/redeploy", DeploymentRedeployHandler),
    Route(f"{API_PREFIX}/deployments/{{dep_id}}/predict", DeploymentPredictHandler),
)


def url_pattern(template: str) -> str:
    """Turn ``/bighead/api/models/{name}`` into a tornado pattern.

    The pattern is relative to the server's ``base_url``: ``ExtensionApp`` prefixes it.
    """
    escaped = re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", escaped)
    return regex + "/?"


def route_template(handler: type) -> str | None:
    """The OpenAPI path template ``handler`` serves (None for one outside the table)."""
    return next((r.template for r in ROUTES if r.handler is handler), None)


def tornado_rules() -> list[tuple[str, type[RequestHandler], dict[str, str]]]:
    """The route table as tornado rules: each handler gets its template (for the body
    check, see ``BigheadHandler.initialize``)."""
    return [(url_pattern(r.template), r.handler, {"openapi_path": r.template}) for r in ROUTES]
