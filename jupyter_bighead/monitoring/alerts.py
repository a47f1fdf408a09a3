"""Alerts: a webhook sender and the alert history.

:func:`send_webhook` POSTs a JSON body and retries connection failures, 429 and 5xx
answers with exponential backoff, a bounded number of times; it never raises for a
failed delivery (an alert must not fail the check that raised it) and says what
happened. :class:`AlertStore` keeps one JSON record per alert (newest first) through
:class:`jupyter_bighead.recordstore.RecordStore`.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import jupyter_bighead.recordstore as recordstore

from .._json import json_safe
from ..errors import InvalidSpec

_ALERT_ID = re.compile(r"\d{8}T\d{12}Z-[A-Za-z0-9_.-]{1,128}-[0-9a-f]{8}")


@dataclass(frozen=True)
class WebhookResult:
    """How a delivery went: ``ok`` (a 2xx answer), the ``attempts`` made, the last
    HTTP ``status`` (``None`` if no answer) and the last ``error``."""

    ok: bool
    attempts: int
    status: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def send_webhook(url: str, payload: Mapping[str, Any], *, attempts: int = 4,
                 backoff_s: float = 0.5, max_backoff_s: float = 8.0, timeout_s: float = 5.0,
                 headers: Mapping[str, str] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> WebhookResult:
    """POST ``payload`` as JSON to ``url``, trying at most ``attempts`` times.

    After failed attempt ``k`` (0-based) it waits ``min(backoff_s * 2**k,
    max_backoff_s)``. Connection errors, timeouts, 429 and 5xx are retried; another
    4xx is final (retrying the same body cannot help).

    Raises
    ------
    InvalidSpec
        For a URL that is not http(s) or ``attempts`` < 1 (configuration errors,
        unlike a failed delivery).
    """
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InvalidSpec(f"a webhook URL must be http(s)://..., not {url!r}")
    if attempts < 1:
        raise InvalidSpec("attempts must be at least 1")
    body = json.dumps(json_safe(dict(payload), style="data")).encode("utf-8")
    head = {"Content-Type": "application/json", "User-Agent": "jupyter-bighead-monitor",
            **dict(headers or {})}
    status: int | None = None
    error: str | None = None
    for k in range(attempts):
        if k:
            sleep(min(backoff_s * 2 ** (k - 1), max_backoff_s))
        request = urllib.request.Request(url, data=body, headers=head, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as answer:
                status = int(answer.status)
            return WebhookResult(True, k + 1, status, None)
        except urllib.error.HTTPError as exc:
            status, error = int(exc.code), f"HTTP {exc.code}"
            if not _retryable(status):
                return WebhookResult(False, k + 1, status, error)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            status, error = None, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
    return WebhookResult(False, attempts, status, error)


def _model_of(rid: str) -> str:
    return rid.split("-", 1)[1].rsplit("-", 1)[0]


class AlertStore:
    """Alert records under ``root`` (e.g. ``<home>/monitoring/alerts``), newest first."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.records = recordstore.RecordStore(root, kind="alert", id_pattern=_ALERT_ID,
                                               layout="file")

    def add(self, model: str, record: Mapping[str, Any]) -> str:
        """Store ``record`` (JSON-able after ``json_safe``) for ``model``; its new id."""
        now = datetime.now(UTC)
        rid = f"{now:%Y%m%dT%H%M%S%f}Z-{model}-{uuid.uuid4().hex[:8]}"
        self.records.create(rid, {"id": rid, "model": model, "created_at": now.isoformat(),
                                  **json_safe(dict(record), style="data")})
        return rid

    def get(self, rid: str) -> dict[str, Any]:
        """One alert; ``NotFound`` if there is none."""
        return self.records.read(rid)

    def list(self, model: str | None = None, limit: int = 50, *,
             since: datetime | None = None,
             models: Callable[[str], bool] | None = None) -> list[dict[str, Any]]:
        """The newest ``limit`` alerts (of ``model``, or all) raised after ``since``
        (an aware datetime; the ids start with their time, so only newer records are
        read), of the models ``models`` accepts (default: every model)."""
        ids = self.records.ids()
        if since is not None:
            stamp = f"{since.astimezone(UTC):%Y%m%dT%H%M%S%f}Z"
            ids = [i for i in ids if i[:len(stamp)] > stamp]
        if model is not None:
            ids = [i for i in ids if _model_of(i) == model]
        if models is not None:
            ids = [i for i in ids if models(_model_of(i))]
        return [rec for _rid, rec in self.records.records(sorted(ids, reverse=True)[:limit])]
