"""Gmail's cost per poll for many accounts (issue 14): requests on the wire, batches, history.

Real googleapiclient against the fake; requests are counted as they reach the fake (a batch
once, its parts not).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from daemon.message import message_id_for
from daemon.protocols import Address, DraftRequest, DraftStatus
from tests.fakes.google_env import google_env
from tests.fakes.google_env import thank_you_drafts as drafts

WINDOW = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
INTERVIEW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
WATCH = (["jane@acme.com"], ["acme.com"])


@pytest.fixture
def env(tmp_path):
    with google_env(tmp_path) as env:
        env.state.put_event(
            {
                "id": "iv",
                "summary": "Interview",
                "start": {"dateTime": "2026-03-03T10:00:00Z"},
                "end": {"dateTime": "2026-03-03T11:00:00Z"},
            }
        )
        yield env


def poll(calendar, mailbox, waiting, cursors):
    """What the engine asks, in its order: calendar, each waiting draft, replies."""
    cursors[0] = calendar.changes(cursors[0], WINDOW).cursor
    states = [mailbox.draft_state(ref, key).status for ref, key in waiting]
    cursors[1] = mailbox.messages_since(INTERVIEW, *WATCH, cursors[1]).cursor
    return states


@pytest.mark.parametrize("waiting", [0, 5])
def test_an_unchanged_poll_costs_one_request_per_calendar_and_mailbox(env, waiting):
    calendar, mailbox = env.calendar(), env.mailbox()
    made = drafts(mailbox, waiting)
    cursors: list = [None, None]
    poll(calendar, mailbox, made, cursors)  # the first: looks each draft up once

    for _ in range(3):
        mark = len(env.state.requests)
        assert poll(calendar, mailbox, made, cursors) == [DraftStatus.DRAFT] * waiting
        sent = [r.method for r in env.state.on_the_wire(mark)]
        assert sent == ["calendar.events.list", "gmail.users.history.list"]


def test_a_sent_and_a_deleted_draft_are_told_from_the_history(env):
    calendar, mailbox = env.calendar(), env.mailbox()
    made = drafts(mailbox, 5)
    cursors: list = [None, None]
    poll(calendar, mailbox, made, cursors)
    poll(calendar, mailbox, made, cursors)

    at = datetime(2026, 3, 3, 17, 5, tzinfo=UTC)
    env.state.send_draft_as_user(made[1][0].id, at=at)
    env.state.delete_draft(made[3][0].id)
    env.state.change_labels(env.state.drafts[made[4][0].id], add={"STARRED"})  # still a draft
    mark = len(env.state.requests)
    states = poll(calendar, mailbox, made, cursors)

    assert states == [
        DraftStatus.DRAFT,
        DraftStatus.SENT,
        DraftStatus.DRAFT,
        DraftStatus.GONE,
        DraftStatus.DRAFT,
    ]
    asked = [r for r in env.state.on_the_wire(mark) if r.method.startswith("gmail")]
    # One history.list; only the three touched threads are looked at again.
    assert asked[0].method == "gmail.users.history.list"
    assert sum(r.method == "gmail.users.history.list" for r in asked) == 1
    looked = {r.path.rsplit("/", 1)[1] for r in asked if r.method == "gmail.users.drafts.get"}
    assert looked == {made[i][0].id for i in (1, 3, 4)}
    assert sent_at(mailbox, made[1]) == at
    mark = len(env.state.requests)
    assert poll(calendar, mailbox, [made[0], made[2], made[4]], cursors) == [DraftStatus.DRAFT] * 3
    assert len(env.state.on_the_wire(mark)) == 2


def sent_at(mailbox, made):
    return mailbox.draft_state(*made).sent_at


def test_the_reply_cursor_is_kept_when_a_sender_is_added(env):
    env.state.receive("Bob <bob@other.example>", "Before", at=INTERVIEW + timedelta(hours=2))
    for n in range(3):
        env.state.receive(f"n{n}@news.example", "News", at=INTERVIEW + timedelta(hours=3))
    mailbox = env.mailbox()
    first = mailbox.messages_since(INTERVIEW, *WATCH, None)
    assert first.messages == []
    env.state.receive("Jane <jane@acme.com>", "Later", at=INTERVIEW + timedelta(hours=30))
    mark = len(env.state.requests)

    wider = (["bob@other.example", "jane@acme.com"], ["acme.com"])
    result = mailbox.messages_since(INTERVIEW, *wider, first.cursor)

    assert sorted(m.subject for m in result.messages) == ["Before", "Later"]
    sent = [r.method for r in env.state.on_the_wire(mark)]
    # The history goes on from the kept cursor (no getProfile, no restart); Bob's older mail
    # comes from one listing whose messages are read in one batch.
    assert sent == [
        "gmail.users.history.list",
        "gmail.users.messages.get",  # the one new message, Jane's
        "gmail.users.messages.list",
        "batch",
    ]
    # Unchanged afterwards: one request.
    mark = len(env.state.requests)
    assert mailbox.messages_since(INTERVIEW, *wider, result.cursor).messages == []
    assert [r.method for r in env.state.on_the_wire(mark)] == ["gmail.users.history.list"]


def test_the_first_scan_reads_messages_in_batches(env):
    for n in range(50):
        env.state.receive(f"n{n}@news.example", "News", at=INTERVIEW + timedelta(minutes=n + 1))
    env.state.receive("Jane <jane@acme.com>", "Hello", at=INTERVIEW + timedelta(hours=5))
    mailbox = env.mailbox()
    mark = len(env.state.requests)

    result = mailbox.messages_since(INTERVIEW, *WATCH, None)

    assert [m.subject for m in result.messages] == ["Hello"]
    wire = [r for r in env.state.on_the_wire(mark) if not r.method.startswith("oauth.")]
    assert [r.method for r in wire] == [
        "gmail.users.getProfile",
        "gmail.users.messages.list",
        "batch",
        "batch",
    ]
    parts = [r for r in env.state.requests[mark:] if r.batch]
    assert len(parts) == 51 and {r.method for r in parts} == {"gmail.users.messages.get"}
    assert all(r.status == 200 for r in parts) and all(r.status == 200 for r in wire)


def test_a_failed_part_of_a_batch_is_skipped_and_recorded(env):
    for n, subject in enumerate(["First", "Second", "Third"]):
        env.state.receive("Jane <jane@acme.com>", subject, at=INTERVIEW + timedelta(hours=n + 1))
    # The newest message's part is refused; the others go on.
    env.state.inject("gmail.users.messages.get", 400, "invalidArgument", "Invalid id value")

    result = env.mailbox().messages_since(INTERVIEW, *WATCH, None)

    assert sorted(m.subject for m in result.messages) == ["First", "Second"]
    assert len(result.problems) == 1
    assert result.problems[0].item.startswith("Gmail message ")
    assert "Gmail messages.get" in result.problems[0].message
    assert [r.method for r in env.state.on_the_wire()].count("batch") == 1


def test_a_part_that_failed_for_a_while_is_asked_again_in_one_more_batch(env):
    for n, subject in enumerate(["First", "Second", "Third"]):
        env.state.receive("Jane <jane@acme.com>", subject, at=INTERVIEW + timedelta(hours=n + 1))
    env.state.inject("gmail.users.messages.get", 503, "backendError", times=2)

    result = env.mailbox().messages_since(INTERVIEW, *WATCH, None)

    assert sorted(m.subject for m in result.messages) == ["First", "Second", "Third"]
    assert result.problems == []
    assert [r.method for r in env.state.on_the_wire()].count("batch") == 2


def test_the_users_sent_mail_is_listed_again_only_when_the_history_shows_some(env):
    mailbox = env.mailbox()
    since = INTERVIEW + timedelta(hours=1)
    env.state.user_sends("jane@acme.com", "Thanks!", at=since + timedelta(hours=1))
    cursor = mailbox.messages_since(INTERVIEW, *WATCH, None).cursor
    first = mailbox.sent_since(since, ["jane@acme.com"], [])
    assert [m.subject for m in first.messages] == ["Thanks!"]

    mark = len(env.state.requests)
    again = mailbox.sent_since(since, ["jane@acme.com"], [])
    cursor = mailbox.messages_since(INTERVIEW, *WATCH, cursor).cursor
    assert again.messages == first.messages
    assert [r.method for r in env.state.on_the_wire(mark)] == ["gmail.users.history.list"]

    env.state.user_sends("jane@acme.com", "One more thing", at=since + timedelta(hours=5))
    later = mailbox.sent_since(since, ["jane@acme.com"], [])
    assert [m.subject for m in later.messages] == ["One more thing", "Thanks!"]


def test_finding_before_each_new_draft_reads_each_draft_and_sent_message_once(env):
    """The core looks before each creation (find_draft). A first poll drafts dozens: each look
    costs one drafts.list and one messages.list, not a get of every draft and recent sent
    message in the mailbox again (what a Gmail message id names never changes)."""
    mailbox = env.mailbox()
    made = drafts(mailbox, 3)
    env.state.send_draft_as_user(made[0][0].id)  # one sent message among the recent ones
    mark = len(env.state.requests)
    for n in range(3, 9):
        assert mailbox.find_draft(f"followupd:personal:{n}:jane@acme.com:thank-you") is None
    sent = [r.method for r in env.state.on_the_wire(mark)]
    gets = [m for m in sent if m in ("gmail.users.drafts.get", "gmail.users.messages.get")]
    assert len(gets) == 3  # the 2 drafts left and the sent one, once each
    assert sent.count("gmail.users.drafts.list") == sent.count("gmail.users.messages.list") == 6
    # A new draft (a new message id) is read; the others are not read again.
    mark = len(env.state.requests)
    other = DraftRequest(
        "followupd:personal:99:jane@acme.com:thank-you",
        Address("me@example.com"),
        (Address("jane@acme.com"),),
        "Thanks again",
        "Hi",
        message_id=message_id_for(
            "followupd:personal:99:jane@acme.com:thank-you", "me@example.com"
        ),
    )
    mailbox.create_draft(other)
    assert mailbox.find_draft("followupd:personal:100:jane@acme.com:thank-you") is None
    sent = [r.method for r in env.state.on_the_wire(mark)]
    assert sent.count("gmail.users.drafts.get") == 1  # the new draft only
    assert sent.count("gmail.users.messages.get") == 0
