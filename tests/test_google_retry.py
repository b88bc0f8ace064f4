"""Errors and limits: Retry-After, rate limits, 5xx, quota, connection drops, safe creation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.google.errors import next_quota_reset, parse_retry_after
from daemon.errors import ConnectorError, InvalidResponse, QuotaExceeded, TransientError
from daemon.message import message_id_for
from daemon.protocols import Address, DraftRequest
from tests.fakes.google_env import google_env

WINDOW = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
EVENTS = "calendar.events.list"


@pytest.fixture
def env(tmp_path):
    with google_env(tmp_path) as env:
        yield env


def test_429_waits_as_long_as_retry_after_says(env):
    env.state.inject(EVENTS, 429, "rateLimitExceeded", "Too many requests", {"Retry-After": "7"})
    changes = env.calendar().changes(None, WINDOW)
    assert changes.complete
    assert env.slept == [7.0]
    assert env.state.count(method=EVENTS) == 2


def test_403_rate_limits_back_off_exponentially(env):
    env.state.inject(EVENTS, 403, "userRateLimitExceeded", "User Rate Limit Exceeded", times=3)
    env.calendar().changes(None, WINDOW)
    assert env.slept == [0.5, 1.0, 2.0]  # base 1 s doubling, jitter pinned to its floor (half)


def test_server_errors_give_up_within_the_budget_with_a_clear_message(env):
    env.state.inject(EVENTS, 503, "backendError", "Backend Error", times=10)
    with pytest.raises(TransientError) as err:
        env.calendar().changes(None, WINDOW)
    assert str(err.value) == (
        "Google Calendar events.list of 'primary' failed: HTTP 503 backendError: Backend Error "
        "(gave up after 6 attempt(s) and 16 s of waiting)"
    )
    assert env.state.count(method=EVENTS) == 6 and sum(env.slept) <= 60


def test_a_retry_after_beyond_the_budget_is_handed_to_the_core(env):
    env.state.inject(EVENTS, 429, "rateLimitExceeded", "Slow down", {"Retry-After": "300"})
    with pytest.raises(TransientError) as err:
        env.calendar().changes(None, WINDOW)
    assert err.value.retry_after == 300.0
    assert env.slept == [] and env.state.count(method=EVENTS) == 1


def test_gmail_retry_after_in_the_message_text_is_honoured(env):
    soon = (datetime.now(UTC) + timedelta(seconds=30)).isoformat(timespec="milliseconds")
    env.state.inject(
        "gmail.users.getProfile",
        429,
        "rateLimitExceeded",
        f"User-rate limit exceeded.  Retry after {soon.replace('+00:00', 'Z')}",
    )
    env.mailbox().check()
    assert len(env.slept) == 1 and 25 < env.slept[0] <= 30


def test_the_daily_quota_backs_the_account_off_until_midnight_pacific(env):
    env.state.inject(EVENTS, 403, "dailyLimitExceeded", "Daily Limit Exceeded")
    with pytest.raises(QuotaExceeded) as err:
        env.calendar().changes(None, WINDOW)
    until = err.value.until
    assert until == next_quota_reset(datetime.now(UTC))
    assert str(err.value) == (
        "Google Calendar events.list of 'primary' failed: HTTP 403 dailyLimitExceeded: Daily "
        f"Limit Exceeded; backing off until {until:%Y-%m-%d %H:%M} UTC"
    )
    assert env.slept == [] and env.state.count(method=EVENTS) == 1


def test_a_refusal_is_not_retried(env):
    env.state.inject(EVENTS, 403, "forbidden", "The caller does not have permission")
    with pytest.raises(ConnectorError) as err:
        env.calendar().changes(None, WINDOW)
    assert type(err.value) is ConnectorError and env.state.count(method=EVENTS) == 1


def test_a_dropped_connection_is_retried(env):
    env.state.inject(EVENTS, None, times=2)  # httplib2 resends a GET once by itself
    assert env.calendar().changes(None, WINDOW).complete
    assert env.state.count(method=EVENTS) == 3 and len(env.slept) == 1


def test_a_lost_answer_to_draft_creation_never_makes_a_second_draft(env):
    key = "followupd:personal:1:jane@acme.com:thank-you"
    req = DraftRequest(
        key,
        Address("me@example.com"),
        (Address("jane@acme.com"),),
        "Thanks",
        "Hi",
        message_id=message_id_for(key, "me@example.com"),
    )
    env.state.inject("gmail.users.drafts.create", None, after=True)  # created, answer lost
    mailbox = env.mailbox()
    with pytest.raises(TransientError) as err:
        mailbox.create_draft(req)
    assert str(err.value).startswith("Gmail drafts.create: cannot reach Google")
    assert env.state.count(method="gmail.users.drafts.create") == 1
    found = mailbox.find_draft(key)  # what the core does next
    assert found is not None and list(env.state.drafts) == [found.id]


def test_draft_creation_is_never_retried_blindly(env):
    key = "followupd:personal:1:jane@acme.com:thank-you"
    req = DraftRequest(
        key,
        Address("me@example.com"),
        (Address("jane@acme.com"),),
        "Thanks",
        "Hi",
        message_id=message_id_for(key, "me@example.com"),
    )
    env.state.inject("gmail.users.drafts.create", 503, "backendError", "Backend Error")
    mailbox = env.mailbox()
    with pytest.raises(TransientError):
        mailbox.create_draft(req)
    assert env.state.count(method="gmail.users.drafts.create") == 1 and env.slept == []
    # The core's next attempt asks first, then creates exactly one draft.
    assert mailbox.find_draft(key) is None
    mailbox.create_draft(req)
    assert len(env.state.drafts) == 1


def test_an_answer_that_is_not_json_is_named(env):
    env.state.inject(EVENTS, 200, raw=b"<html>Proxy login</html>")
    with pytest.raises(InvalidResponse) as err:
        env.calendar().changes(None, WINDOW)
    assert str(err.value) == (
        "Google Calendar events.list of 'primary': Google's answer is not a JSON object "
        "(it starts '<html>Proxy login</html>')"
    )


def test_retry_after_parsing():
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert parse_retry_after("12", now) == 12.0
    assert parse_retry_after("Mon, 02 Mar 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("2026-03-02T12:01:00.000Z", now) == 60.0
    assert parse_retry_after("soon", now) is None
    assert next_quota_reset(now) == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # midnight PST
