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


def test_a_draft_is_found_by_its_key_after_a_crash_and_never_made_twice(box):
    request = thank_you(box)
    first = box.connector()
    assert isinstance(first, Mailbox)
    ref = first.create_draft(request)
    # The process dies before the core records `ref`; a new one asks by the key alone.
    found = box.connector().find_draft(request.key)
    assert found is not None
    assert found.id == ref.id and found.message_id == ref.message_id
    assert box.drafts() == 1
    assert box.connector().find_draft(thank_you(box, "bob@acme.example").key) is None
    assert box.connector().draft_state(found, request.key).status is DraftStatus.DRAFT


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
    box.deliver(f"Jane Doe <{JANE}>", "Re: Thank you", at)
    box.deliver(
        f"HR <hr@{RECRUITING}>",
        "Automatic reply: Thank you",
        at + timedelta(minutes=5),
        body="I am out of the office until December 3, 2026.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    box.deliver(box.me, "Note to self about acme", at)  # the user's own
    box.deliver("news@shop.example", "Weekly digest", at)  # nobody watched
    box.deliver(JANE, "Before the interview", box.now - timedelta(days=1))  # too early
    got = box.connector().messages_since(box.now, [JANE], [RECRUITING])
    found = {m.subject: m for m in got.messages}
    assert set(found) == {"Re: Thank you", "Automatic reply: Thank you"}
    human, auto = found["Re: Thank you"], found["Automatic reply: Thank you"]
    assert not human.auto_reply and human.sender == JANE
    assert auto.auto_reply and auto.sender == f"hr@{RECRUITING}"
    assert human.received_at == at


def test_sent_since_finds_what_the_user_wrote_to_the_company(box):
    box.user_writes(JANE, "Following up", box.now + timedelta(hours=5))
    box.user_writes("pat@other.example", "Lunch?", box.now + timedelta(hours=6))
    box.user_writes(JANE, "See you tomorrow", box.now - timedelta(days=1))  # before
    box.connector().create_draft(thank_you(box))  # a draft is not sent mail
    got = box.connector().sent_since(box.now, [JANE], [])
    assert [(m.subject, m.recipients) for m in got.messages] == [("Following up", (JANE,))]
    assert got.messages[0].sent_at == box.now + timedelta(hours=5)
