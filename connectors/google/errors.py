"""Turn what Google answers into the core's error taxonomy (:mod:`daemon.errors`).

Google reports errors as ``{"error": {"code", "message", "errors": [{"reason", ...}]}}``; the
*reason* says more than the status (a 403 may be a rate limit to wait out, a daily quota to back
off from until tomorrow, or a missing permission that only re-authorization fixes). This module
only classifies; :mod:`connectors.google.retry` decides whether to try again.

Messages never contain the request URL (it may carry page tokens of the user's data) nor any
credential: they name the operation, the status and Google's own explanation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo

from googleapiclient.errors import HttpError

from daemon.errors import AuthNeeded, ConnectorError, QuotaExceeded, TransientError

# 403 reasons that are rate limits (wait a little) rather than refusals.
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
# Reasons that mean "used up for a long period": back the account off instead of retrying.
QUOTA_REASONS = frozenset({"dailyLimitExceeded", "quotaExceeded"})
# The granted scopes do not cover the call: only `followupd auth` can fix that.
SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

# Gmail's 429 messages say "Retry after 2026-01-01T10:00:00.123Z".
_RETRY_AFTER_TEXT = re.compile(r"Retry after (\d{4}-\d\d-\d\dT[\d:.]+Z)")
# Google's daily quotas reset at midnight Pacific time.
_QUOTA_ZONE = ZoneInfo("America/Los_Angeles")


class NotFound(ConnectorError):
    """HTTP 404: the caller decides what a missing draft, thread or history means."""


class Gone(ConnectorError):
    """HTTP 410: a Calendar sync token is no longer valid."""


@dataclass(frozen=True)
class GoogleFailure:
    """One failed HTTP answer, reduced to what decides the next step."""

    status: int
    reason: str  # the first error reason, e.g. "rateLimitExceeded"; "" when absent
    message: str  # Google's explanation
    retry_after: float | None  # seconds, from Retry-After or the message text


def failure_of(err: HttpError, now: datetime | None = None) -> GoogleFailure:
    now = now or datetime.now(UTC)
    status = int(getattr(err.resp, "status", 0) or 0)
    reason, message = "", ""
    try:
        payload = json.loads(err.content.decode("utf-8", "replace"))
    except (ValueError, AttributeError):
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        body = payload["error"]
        message = str(body.get("message") or "")
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            reason = str(errors[0].get("reason") or "")
        details = body.get("details")
        if not reason and isinstance(details, list):
            for detail in details:
                if isinstance(detail, dict) and detail.get("reason"):
                    reason = str(detail["reason"])
                    break
    if not message:
        message = str(getattr(err, "reason", "") or f"HTTP {status}")
    header = err.resp.get("retry-after") if hasattr(err.resp, "get") else None
    retry_after = parse_retry_after(header, now)
    if retry_after is None:
        match = _RETRY_AFTER_TEXT.search(message)
        if match:
            retry_after = parse_retry_after(match.group(1), now)
    return GoogleFailure(status, reason, message, retry_after)


def unreadable_failure(resp: Any, now: datetime) -> GoogleFailure:
    """An error answer whose body could not be read: its status and headers still tell."""
    status = int(getattr(resp, "status", 0) or 0)
    header = resp.get("retry-after") if hasattr(resp, "get") else None
    message = f"{getattr(resp, 'reason', '') or 'error'} (an error body of unexpected shape)"
    return GoogleFailure(status, "", message, parse_retry_after(header, now))


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value: delta-seconds, an HTTP date or an ISO time."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    when: datetime | None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def is_retryable(failure: GoogleFailure) -> bool:
    if failure.reason in QUOTA_REASONS:
        return False
    if failure.status in RETRY_STATUSES:
        return True
    return failure.status == 403 and failure.reason in RATE_LIMIT_REASONS


def next_quota_reset(now: datetime) -> datetime:
    """The next midnight in Pacific time, when Google's daily quotas reset."""
    local = now.astimezone(_QUOTA_ZONE)
    tomorrow = (local + timedelta(days=1)).date()
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=_QUOTA_ZONE).astimezone(UTC)


def translate(
    failure: GoogleFailure, what: str, account: str, now: datetime | None = None
) -> ConnectorError:
    """The daemon error for a failure that is not (or no longer) retried."""
    now = now or datetime.now(UTC)
    text = f"{what} failed: HTTP {failure.status}"
    if failure.reason:
        text += f" {failure.reason}"
    text += f": {failure.message}"
    if failure.reason in QUOTA_REASONS:
        if failure.reason == "dailyLimitExceeded":
            until = next_quota_reset(now)
        else:
            until = now + timedelta(hours=1)
        return QuotaExceeded(f"{text}; backing off until {until:%Y-%m-%d %H:%M} UTC", until=until)
    if failure.status == 404:
        return NotFound(f"{what}: not found ({failure.message})")
    if failure.status == 410:
        return Gone(f"{what}: gone ({failure.message})")
    if failure.status == 401:
        return AuthNeeded(
            f"Google no longer accepts the authorization of account {account!r} ({what}: "
            f"HTTP 401 {failure.message})",
            fix=f"followupd auth {account}",
        )
    if failure.reason in SCOPE_REASONS:
        return AuthNeeded(
            f"the Google authorization of account {account!r} lacks a permission that "
            f"{what} needs ({failure.message})",
            fix=f"followupd auth {account}",
        )
    if is_retryable(failure):
        return TransientError(text, retry_after=failure.retry_after)
    return ConnectorError(text)
