"""What one poll of an unchanged Google account costs, measured against the fake."""

from __future__ import annotations

from datetime import UTC, datetime

from daemon.message import message_id_for
from daemon.protocols import Address, DraftRequest, DraftStatus
from tests.fakes.google_env import google_env

WINDOW = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
SINCE = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def test_an_unchanged_calendar_and_mailbox_cost_two_requests_per_poll(tmp_path):
    with google_env(tmp_path) as env:
        env.state.put_event(
            {
                "id": "iv",
                "summary": "Interview",
                "start": {"dateTime": "2026-03-03T10:00:00Z"},
                "end": {"dateTime": "2026-03-03T11:00:00Z"},
            }
        )
        env.state.receive("jane@acme.com", "Invitation", at=datetime(2026, 3, 1, tzinfo=UTC))
        calendar, mailbox = env.calendar(), env.mailbox()
        key = "followupd:personal:1:jane@acme.com:thank-you"
        ref = mailbox.create_draft(
            DraftRequest(
                key,
                Address("me@example.com"),
                (Address("jane@acme.com"),),
                "Thanks",
                "Hi",
                message_id=message_id_for(key, "me@example.com"),
            )
        )
        cal_cursor = calendar.changes(None, WINDOW).cursor
        mail_cursor = mailbox.messages_since(SINCE, ["jane@acme.com"], ["acme.com"], None).cursor

        costs = []
        for _ in range(3):
            mark = len(env.state.requests)
            changes = calendar.changes(cal_cursor, WINDOW)
            inbound = mailbox.messages_since(SINCE, ["jane@acme.com"], ["acme.com"], mail_cursor)
            steady = len(env.state.requests) - mark
            assert mailbox.draft_state(ref, key).status == DraftStatus.DRAFT
            costs.append((steady, len(env.state.requests) - mark - steady))
            cal_cursor, mail_cursor = changes.cursor, inbound.cursor
            assert changes.events == [] and inbound.messages == []

        # 1 events.list (syncToken) + 1 history.list; a waiting draft is looked up once (the
        # first time this process asks), then read from the same history.list (issue 14).
        assert costs == [(2, 1), (2, 0), (2, 0)]
        assert not any(r.method == "oauth.token" for r in env.state.requests[-9:])
