"""Gmail reply detection against the local fake: scan, history, own mail, auto-replies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from daemon.errors import CursorExpired
from tests.fakes.google_env import google_env

INTERVIEW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
WATCH = (["jane@acme.com", "rita@recruiting.example"], ["acme.com"])


@pytest.fixture
def env(tmp_path):
    with google_env(tmp_path) as env:
        yield env


def at(hours: float) -> datetime:
    return INTERVIEW + timedelta(hours=hours)


def test_first_run_scans_back_to_the_interview_then_follows_history(env):
    env.state.receive("Jane <jane@acme.com>", "before the interview", at=at(-5))
    env.state.receive("Jane Doe <Jane@Acme.com>", "Next steps", at=at(20))
    env.state.receive("Newsletter <news@shop.example>", "Sale", at=at(21))
    env.state.receive("Bob <bob@eng.acme.com>", "Quick question", at=at(22))
    mailbox = env.mailbox()

    first = mailbox.messages_since(INTERVIEW, *WATCH, None)

    assert sorted((m.sender, m.subject) for m in first.messages) == [
        ("bob@eng.acme.com", "Quick question"),
        ("jane@acme.com", "Next steps"),
    ]
    assert first.cursor.startswith(f"g2|{env.state.history_id}|")  # and what it watched
    assert all(not m.auto_reply for m in first.messages)
    hello = next(m for m in first.messages if m.subject == "Next steps")
    assert hello.received_at == at(20) and hello.thread_id and hello.excerpt == "Hello"

    later = env.state.receive("Rita <rita@recruiting.example>", "Offer", at=at(48))
    second = mailbox.messages_since(INTERVIEW, *WATCH, first.cursor)
    assert [(m.id, m.sender) for m in second.messages] == [(later.id, "rita@recruiting.example")]
    assert second.cursor.startswith(f"g2|{env.state.history_id}|")


def test_an_unchanged_mailbox_costs_one_request(env):
    mailbox = env.mailbox()
    cursor = mailbox.messages_since(INTERVIEW, *WATCH, None).cursor
    mark = len(env.state.requests)

    result = mailbox.messages_since(INTERVIEW, *WATCH, cursor)

    assert result.messages == [] and result.cursor == cursor
    assert [r.method for r in env.state.api_requests(mark)] == ["gmail.users.history.list"]


def test_auto_replies_are_marked_and_humans_are_not(env):
    mailbox = env.mailbox()
    cursor = mailbox.messages_since(INTERVIEW, *WATCH, None).cursor
    env.state.receive(
        "jane@acme.com",
        "Out of Office: back Monday",
        at=at(30),
        headers={"Auto-Submitted": "auto-replied"},
        body="I am back on 9 March.",
    )
    env.state.receive("jane@acme.com", "Abwesend", at=at(31), headers={"X-Autoreply": "yes"})
    env.state.receive("jane@acme.com", "Vacation", at=at(32), headers={"Precedence": "bulk"})
    env.state.receive(
        "jane@acme.com", "Re: Thank you", at=at(33), headers={"Auto-Submitted": "no"}
    )  # an explicit "no" is a human

    found = {m.subject: m for m in mailbox.messages_since(INTERVIEW, *WATCH, cursor).messages}

    assert {s: m.auto_reply for s, m in found.items()} == {
        "Out of Office: back Monday": True,
        "Abwesend": True,
        "Vacation": True,
        "Re: Thank you": False,
    }
    assert found["Out of Office: back Monday"].excerpt == "I am back on 9 March."


def test_the_users_own_messages_never_count(env):
    mailbox = env.mailbox()
    watch = (["me@example.com", "jane@acme.com"], ["acme.com"])
    cursor = mailbox.messages_since(INTERVIEW, *watch, None).cursor
    env.state.user_sends("jane@acme.com", "Following up", at=at(40))
    env.state.receive("me@example.com", "Note to self about acme.com", at=at(41))
    mark = len(env.state.requests)

    result = mailbox.messages_since(INTERVIEW, *watch, cursor)

    assert result.messages == []
    # The sent message is skipped from its history labels, without being fetched.
    fetched = [
        r.path.rsplit("/", 1)[1]
        for r in env.state.api_requests(mark)
        if r.method == "gmail.users.messages.get"
    ]
    assert len(fetched) == 1


def test_drafts_being_saved_cost_nothing(env):
    from daemon.protocols import Address, DraftRequest

    mailbox = env.mailbox()
    cursor = mailbox.messages_since(INTERVIEW, *WATCH, None).cursor
    mailbox.create_draft(
        DraftRequest("k", Address("me@example.com"), (Address("jane@acme.com"),), "s", "t")
    )
    mark = len(env.state.requests)
    assert mailbox.messages_since(INTERVIEW, *WATCH, cursor).messages == []
    assert [r.method for r in env.state.api_requests(mark)] == ["gmail.users.history.list"]


def test_expired_history_asks_for_a_full_scan(env):
    mailbox = env.mailbox()
    cursor = mailbox.messages_since(INTERVIEW, *WATCH, None).cursor
    env.state.expire_history()

    with pytest.raises(CursorExpired) as err:
        mailbox.messages_since(INTERVIEW, *WATCH, cursor)
    assert str(err.value) == (
        f"Gmail history from {cursor.split('|')[1]} is no longer available for account "
        "'personal'; "
        "a full scan follows"
    )


def test_a_cursor_that_is_not_a_history_id_asks_for_a_full_scan(env):
    with pytest.raises(CursorExpired) as err:
        env.mailbox().messages_since(INTERVIEW, *WATCH, '{"old": "format"}')
    assert str(err.value) == (
        "the stored Gmail cursor of account 'personal' is not a history id; a full scan follows"
    )
    assert env.state.api_requests() == []


def test_a_message_without_a_sender_address_is_a_problem(env):
    mailbox = env.mailbox()
    cursor = mailbox.messages_since(INTERVIEW, *WATCH, None).cursor
    broken = env.state.receive("undisclosed-recipients:;", "??", at=at(50))
    env.state.receive("jane@acme.com", "Real", at=at(51))

    result = mailbox.messages_since(INTERVIEW, *WATCH, cursor)

    assert [m.subject for m in result.messages] == ["Real"]
    assert [(p.item, p.message) for p in result.problems] == [
        (
            f"Gmail message {broken.id}",
            "expected a From header with an e-mail address, got 'undisclosed-recipients:;'",
        )
    ]


def test_the_scan_stops_at_the_first_page_older_than_since(env, monkeypatch):
    for hour in range(-30, 0):
        env.state.receive("old@acme.com", f"old {hour}", at=at(hour))
    for hour in range(1, 6):
        env.state.receive("jane@acme.com", f"new {hour}", at=at(hour))
    monkeypatch.setattr("connectors.google.inbound.PAGE_SIZE", 4)

    result = env.mailbox().messages_since(INTERVIEW, *WATCH, None)

    assert sorted(m.subject for m in result.messages) == [f"new {h}" for h in range(1, 6)]
    lists = [r for r in env.state.requests if r.method == "gmail.users.messages.list"]
    assert len(lists) == 2  # 4 new, then 1 new + 3 old: stop; 30 old messages never read
    assert "q" not in lists[0].query


def test_nothing_is_scanned_when_nobody_is_watched(env):
    result = env.mailbox().messages_since(INTERVIEW, [], [], None)
    assert result.messages == [] and result.cursor
    assert [r.method for r in env.state.api_requests()] == ["gmail.users.getProfile"]
