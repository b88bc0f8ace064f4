"""The promises of :class:`daemon.protocols.Mailbox`, stated once and checked on every mailbox
provider (tests/contract/mailboxes.py: Maildir, a real Dovecot over IMAP, the Gmail and Graph
fakes). Provider-specific edge cases stay in each provider's own test file; here is what the
core relies on from all of them, checked the same way everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest

from daemon.autoreply import return_date
from daemon.message import message_id_for
from daemon.protocols import Address, DraftRequest, DraftStatus, Mailbox
from tests.contract.mailboxes import JANE, MAILBOXES, RECRUITING, MailboxHarness, mailbox_harness


@pytest.fixture(params=MAILBOXES)
def box(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MailboxHarness]:
    if request.param == "imap":
        from tests.servers import dovecot as dc

        if dc.binary() is None:
            pytest.skip("imap: dovecot is not installed (.ci/run installs it)")
    with ExitStack() as stack:
        yield mailbox_harness(request.param, tmp_path, stack)


def thank_you(box: MailboxHarness, to: str = JANE) -> DraftRequest:
    key = f"followupd:contract:7f3a9c0e:{to}:thank-you"
    return DraftRequest(
        key=key,
        sender=Address(box.me, "Alex Müller"),
        to=(Address(to, "Jane Doe"),),
        subject="Thank you – Senior Engineer",
        text="Hi Jane,\n\nthank you for your time today.\n\nAlex\n",
        message_id=message_id_for(key, box.me),
    )


def test_one_draft_per_interviewer_found_by_its_key_after_a_crash(box):
    request = thank_you(box)
    first = box.connector()
    assert isinstance(first, Mailbox)
    ref = first.create_draft(request)
    # The process dies before the core records `ref`; a new one asks by the key alone.
    found = box.connector().find_draft(request.key)
    assert found is not None
    assert found.id == ref.id and found.message_id == ref.message_id
    assert box.drafts() == 1
    assert box.connector().draft_state(found, request.key).status is DraftStatus.DRAFT
    # another interviewer of the same interview: a key of their own, a draft of their own
    bob = thank_you(box, "bob@acme.example")
    assert box.connector().find_draft(bob.key) is None
    assert box.connector().create_draft(bob).id != ref.id
    assert box.drafts() == 2


def test_a_draft_is_found_even_when_the_crash_fell_before_the_connectors_own_record(box):
    request = thank_you(box)
    ref = box.connector().create_draft(request)
    found = box.connector(records_lost=True).find_draft(request.key)
    assert found is not None and found.id == ref.id
    assert box.drafts() == 1
    state = box.connector(records_lost=True).draft_state(found, request.key)
    assert state.status is DraftStatus.DRAFT


def test_read_draft_returns_what_was_written(box):
    request = thank_you(box)
    ref = box.connector().create_draft(request)
    content = box.connector().read_draft(ref, request.key)
    assert content is not None
    assert (content.subject, content.text.rstrip("\n")) == (
        request.subject,
        request.text.rstrip("\n"),
    )


def test_a_draft_the_user_deleted_is_gone(box):
    request = thank_you(box)
    mailbox = box.connector()
    ref = mailbox.create_draft(request)
    assert mailbox.draft_state(ref, request.key).status is DraftStatus.DRAFT
    box.user_deletes(ref)
    # Asked at the next poll (a new process here: the IMAP connector reuses one STATUS of
    # Drafts for the questions of one poll, a few seconds, by design).
    assert box.connector().draft_state(ref, request.key).status is DraftStatus.GONE


def test_a_draft_the_user_sent_is_sent_with_its_send_time(box):
    request = thank_you(box)
    ref = box.connector().create_draft(request)
    sent_at = box.now + timedelta(hours=3, minutes=7)
    box.user_sends(ref, sent_at)
    state = box.connector().draft_state(ref, request.key)
    assert state.status is DraftStatus.SENT
    assert state.sent_at == sent_at
    assert state.sent is not None and state.sent.message_id.startswith("<")
    assert state.sent.subject == request.subject
    assert box.connector().read_draft(ref, request.key) is None  # not a draft any more


def test_replies_human_and_automatic_never_the_users_own(box):
    at = box.now + timedelta(hours=2)
    back = (box.now + timedelta(days=12)).date()
    box.deliver(f"Jane Doe <{JANE}>", "Re: Thank you", at)
    box.deliver(
        f"HR <hr@{RECRUITING}>",
        "Re: Thank you (HR)",  # no telltale subject: the header alone tells
        at + timedelta(minutes=5),
        body=f"I am away until {back:%B} {back.day}, {back.year}, with limited access to email.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    box.deliver(box.me, "Note to self about acme", at)  # the user's own
    box.deliver("news@shop.example", "Weekly digest", at)  # nobody watched
    box.deliver(JANE, "Before the interview", box.now - timedelta(days=1))  # too early
    got = box.connector().messages_since(box.now, [JANE], [RECRUITING])
    found = {m.subject: m for m in got.messages}
    assert set(found) == {"Re: Thank you", "Re: Thank you (HR)"}
    human, auto = found["Re: Thank you"], found["Re: Thank you (HR)"]
    assert not human.auto_reply and human.sender == JANE
    assert auto.auto_reply and auto.sender == f"hr@{RECRUITING}"
    assert human.received_at == at
    # the excerpt carries the return date of an out-of-office notice (the day after "until")
    assert return_date(auto.excerpt, auto.received_at) == back + timedelta(days=1)


def test_a_reply_poll_from_its_cursor_brings_only_what_is_new(box):
    box.deliver(JANE, "Re: Thank you", box.now + timedelta(hours=2))
    mailbox = box.connector()
    first = mailbox.messages_since(box.now, [JANE], [])
    assert [m.subject for m in first.messages] == ["Re: Thank you"]
    # A provider may ignore the cursor (Maildir reads the folder again): then the same
    # message comes back with the same id, which the core already knows; never a new one.
    idle = mailbox.messages_since(box.now, [JANE], [], first.cursor)
    assert {m.id for m in idle.messages} <= {m.id for m in first.messages}
    box.deliver(JANE, "One more thing", box.now + timedelta(hours=4))
    new = mailbox.messages_since(box.now, [JANE], [], idle.cursor)
    assert "One more thing" in [m.subject for m in new.messages]
    assert len({m.id for m in new.messages}) == len(new.messages)


def test_an_idle_reply_poll_costs_at_most_its_budget(box):
    if box.idle_budget is None:
        pytest.skip(f"{box.name}: reads local files, no server requests to count")
    box.deliver(JANE, "Re: Thank you", box.now + timedelta(hours=2))
    mailbox = box.connector()
    cursor = mailbox.messages_since(box.now, [JANE], []).cursor
    mark = box.mark()
    idle = mailbox.messages_since(box.now, [JANE], [], cursor)
    seen = box.requests_since(mark)
    assert idle.messages == []
    assert seen is not None and 0 < seen <= box.idle_budget, seen  # it asked, and no more


def test_sent_since_finds_what_the_user_wrote_to_the_company(box):
    box.user_writes(JANE, "Following up", box.now + timedelta(hours=5))
    box.user_writes("pat@other.example", "Lunch?", box.now + timedelta(hours=6))
    box.user_writes(JANE, "See you tomorrow", box.now - timedelta(days=1))  # before
    box.connector().create_draft(thank_you(box))  # a draft is not sent mail
    got = box.connector().sent_since(box.now, [JANE], [])
    assert [(m.subject, m.recipients) for m in got.messages] == [("Following up", (JANE,))]
    assert got.messages[0].sent_at == box.now + timedelta(hours=5)
