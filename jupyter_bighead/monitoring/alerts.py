"""Alerts: a webhook sender and the alert history.

:func:`send_webhook` POSTs a JSON body and retries connection failures, 429 and 5xx
answers with exponential backoff, a bounded number of times within a bounded total
time; it never raises (an alert must not fail the check that raised it) and says what
happened. A webhook URL (:func:`check_webhook_url`) is http(s) with a host and without
user:password (a secret would be kept in plain settings and echoed in errors); a
redirect is followed only to the same host. :class:`AlertStore` keeps one JSON record
per alert (newest first) through :class:`jupyter_bighead.recordstore.RecordStore`.
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


def check_webhook_url(url: Any) -> str:
    """``url`` if it is a usable webhook URL: ``http://`` or ``https://``, a host, an
    optional numeric port, no ``user:password@`` and at most 2,000 characters.

    Raises ``InvalidSpec`` otherwise (naming the problem, never echoing a password)."""
    from urllib.parse import urlsplit

    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InvalidSpec(f"a webhook URL must be http(s)://host/..., not {str(url)[:100]!r}")
    if len(url) > 2000 or any(c.isspace() or ord(c) < 32 for c in url):
        raise InvalidSpec("a webhook URL must be at most 2,000 characters, without spaces")
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError for a port that is not a number in range
    except ValueError as exc:
        raise InvalidSpec(f"a webhook URL must be http(s)://host/...: {exc}") from exc
    if "@" in parts.netloc:
        raise InvalidSpec("a webhook URL must not carry user:password@; put a token in "
                          "its path or query instead")
    if not parts.hostname:
        raise InvalidSpec("a webhook URL must name a host")
    del port
    return url


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to the same scheme, host and port (a webhook must not
    be bounced to another server with the alert's body)."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> Any:
        from urllib.parse import urljoin, urlsplit

        old, new = urlsplit(req.full_url), urlsplit(urljoin(req.full_url, newurl))
        if (old.scheme, old.netloc) != (new.scheme, new.netloc):
            raise urllib.error.HTTPError(req.full_url, code,
                                         f"redirect to another host refused ({new.netloc})",
                                         headers, fp)
        if code in (307, 308):  # the body is sent again, as POST
            return urllib.request.Request(new.geturl(), data=req.data, method="POST",
                                          headers=dict(req.header_items()))
        return None  # 301/302/303 would turn the POST into a GET: a failed delivery


_OPENER = urllib.request.build_opener(_SameHostRedirects)


def send_webhook(url: str, payload: Mapping[str, Any], *, attempts: int = 4,
                 backoff_s: float = 0.5, max_backoff_s: float = 8.0, timeout_s: float = 5.0,
                 total_s: float = 60.0, headers: Mapping[str, str] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> WebhookResult:
    """POST ``payload`` as JSON to ``url``, trying at most ``attempts`` times within
    about ``total_s`` seconds (each attempt's timeout and each wait are cut to what is
    left).

    After failed attempt ``k`` (0-based) it waits ``min(backoff_s * 2**k,
    max_backoff_s)``. Connection errors, timeouts, 429 and 5xx are retried; another
    4xx, a redirect to another host and a bad URL are final. Never raises: a URL
    :func:`check_webhook_url` refuses, a payload that is not JSON or any other failure
    is a failed :class:`WebhookResult` whose ``error`` says why.
    """
    start = time.monotonic()
    try:
        check_webhook_url(url)
        if attempts < 1:
            raise InvalidSpec("attempts must be at least 1")
        body = json.dumps(json_safe(dict(payload), style="data")).encode("utf-8")
        head = {"Content-Type": "application/json", "User-Agent": "jupyter-bighead-monitor",
                **dict(headers or {})}
    except Exception as exc:  # a configuration error: reported, never raised
        return WebhookResult(False, 0, None, f"{type(exc).__name__}: {exc}"[:500])
    status: int | None = None
    error: str | None = None
    made = 0
    for k in range(attempts):
        if k:
            wait = min(backoff_s * 2 ** (k - 1), max_backoff_s)
            if time.monotonic() - start + wait >= total_s:
                error = f"{error} (gave up: {total_s:g} s total)"
                break
            sleep(wait)
        left = total_s - (time.monotonic() - start)
        if left <= 0:
            break
        made = k + 1
        try:
            request = urllib.request.Request(url, data=body, headers=head, method="POST")
            with _OPENER.open(request, timeout=min(timeout_s, left)) as answer:
                status = int(answer.status)
            if 200 <= status < 300:
                return WebhookResult(True, made, status, None)
            status, error = status, f"HTTP {status}"  # a 3xx not followed
            return WebhookResult(False, made, status, error)
        except urllib.error.HTTPError as exc:
            status, error = int(exc.code), f"HTTP {exc.code}" + (
                f": {exc.msg}" if "redirect" in str(exc.msg) else "")
            if not _retryable(status):
                return WebhookResult(False, made, status, error)
        except Exception as exc:  # connection errors, timeouts, bad answers: retried
            status, error = None, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"[:500]
    return WebhookResult(False, made, status, error)


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

    def set_webhook(self, rid: str, delivery: Mapping[str, Any]) -> None:
        """Record how the alert's webhook delivery went (after the alert was stored)."""
        self.records.update(rid, lambda rec: {**rec, "webhook": dict(delivery)})

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
