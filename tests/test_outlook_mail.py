"""Outlook mail: drafts, their lifecycle and reply detection against the fake Graph."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email import message_from_binary_file, policy
from email.utils import parseaddr
from pathlib import Path

import pytest
import requests

from connectors.outlook import PROVIDER, runtime
from connectors.outlook.mail import KEY_PROPERTY, OutlookMailbox
from daemon.clock import SystemClock
from daemon.errors import AuthNeeded, BadItem, ConnectorError, TransientError
from daemon.message import message_id_for
from daemon.protocols import (
    AccountContext,
    Address,
    DraftContent,
    DraftRef,
    DraftRequest,
    DraftStatus,
    Mailbox,
    ReplyTarget,
)
from tests.fakes.graph_server import MicrosoftFakes, running_microsoft, start_microsoft

ME = Address("casey@contoso.example", "Casey Candidate")
IAN = Address("ian@acme.example", "Ian Interviewer")
PAM = Address("pam@acme.example", "Pam Panelist")
INTERVIEW_END = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)


@pytest.fixture
def ms(tmp_path: Path):
    with running_microsoft(tmp_path / "fakes") as fakes:
        yield fakes


@pytest.fixture
def ctx(ms: MicrosoftFakes, tmp_path: Path) -> AccountContext:
    context = AccountContext(
        name="work",
        addresses=("casey@contoso.example",),
        state_dir=tmp_path / "state",
        clock=SystemClock(),
        timezone="UTC",
    )
    PROVIDER.authorize(context, ms.account_options(), lambda line: None)
    return context


@pytest.fixture
def mailbox(ms: MicrosoftFakes, ctx: AccountContext) -> OutlookMailbox:
    return PROVIDER.mailbox(ctx, {}, ms.account_options())


def thank_you(
    person: Address, reply_to: ReplyTarget | None = None, kind: str = "thanks"
) -> DraftRequest:
    key = f"followupd:work:7:{person.email}:{kind}"
    return DraftRequest(
        key=key,
        sender=ME,
        to=(person,),
        subject="Thank you - Onsite interview",
        text=f"Dear {person.name},\n\nthank you for your time today.\n\nCasey",
        reply_to=reply_to,
        message_id=message_id_for(key, ME.email),
    )


# -- creating drafts -------------------------------------------------------------------------


def test_one_draft_per_interviewer_tagged_with_its_key(
    ms: MicrosoftFakes, mailbox: OutlookMailbox
) -> None:
    refs = [mailbox.create_draft(thank_you(person)) for person in (IAN, PAM)]
    drafts = ms.graph.drafts()
    assert len(drafts) == 2
    for ref, person in zip(refs, (IAN, PAM), strict=True):
        request = thank_you(person)
        stored = ms.graph.message(ref.id)
        assert stored["toRecipients"] == [
            {"emailAddress": {"address": person.email, "name": person.name}}
        ]
        assert stored["subject"] == "Thank you - Onsite interview"
        assert stored["body"] == {"contentType": "Text", "content": request.text}
        assert ms.graph.extended(ref.id) == {KEY_PROPERTY: request.key}
        assert ms.graph.headers_of(ref.id) == {}  # nothing a recipient sees names followupd
        assert stored["internetMessageId"] == request.message_id == ref.message_id
        assert ref.message_id.endswith("@contoso.example>")  # the user's domain, not followupd's
        assert "followupd" not in json.dumps(
            {k: v for k, v in stored.items() if k != "_props"}  # all but the properties
        )
        assert ref.thread_id == stored["conversationId"]
        assert mailbox.find_draft(request.key) == ref
    assert mailbox.find_draft("followupd:work:7:nobody@acme.example:thanks") is None


def test_a_crash_between_create_and_record_never_makes_a_second_draft(
    ms: MicrosoftFakes, mailbox: OutlookMailbox
) -> None:
    request = thank_you(IAN)
    created = mailbox.create_draft(request)
    # The process dies here; the core restarts and asks before creating again.
    restarted = OutlookMailbox(runtime_graph(ms, mailbox), mailbox._ctx)
    found = restarted.find_draft(request.key)
    assert found is not None and found.id == created.id
    assert len(ms.graph.drafts()) == 1
    (search,) = ms.graph.requests("GET", "/me/messages")
    assert search.query["$filter"] == (
        f"singleValueExtendedProperties/Any(ep: ep/id eq '{KEY_PROPERTY}' "
        f"and ep/value eq '{request.key}')"
    )


def runtime_graph(ms: MicrosoftFakes, mailbox: OutlookMailbox):  # type: ignore[no-untyped-def]
    return runtime(mailbox._ctx, ms.account_options()).graph


def test_html_drafts(ms: MicrosoftFakes, mailbox: OutlookMailbox) -> None:
    request = thank_you(IAN)
    html = DraftRequest(**{**request.__dict__, "html": "<p>Dear Ian,</p>"})
    ref = mailbox.create_draft(html)
    assert ms.graph.message(ref.id)["body"] == {
        "contentType": "HTML",
        "content": "<p>Dear Ian,</p>",
    }


def test_a_bad_recipient_is_named(mailbox: OutlookMailbox) -> None:
    with pytest.raises(BadItem) as err:
        mailbox.create_draft(thank_you(Address("not-an-address", "Nobody")))
    assert str(err.value) == "'not-an-address': expected an e-mail address like name@example.com"


# -- the draft lifecycle ---------------------------------------------------------------------


def test_draft_then_sent_with_the_real_sent_time(
    ms: MicrosoftFakes, mailbox: OutlookMailbox
) -> None:
    request = thank_you(IAN)
    ref = mailbox.create_draft(request)
    assert mailbox.draft_state(ref, request.key).status == DraftStatus.DRAFT
    sent_at = datetime(2026, 3, 2, 16, 45, 12, tzinfo=UTC)
    ms.graph.user_sends(ref.id, sent_at)
    state = mailbox.draft_state(ref, request.key)
    assert state.status == DraftStatus.SENT and state.sent_at == sent_at
    assert state.sent is not None
    assert state.sent.provider_id == ref.id  # ImmutableId: the sent item kept its id
    assert state.sent.message_id == request.message_id
    assert state.sent.thread_id == ref.thread_id
    assert state.sent.subject == "Thank you - Onsite interview"


def test_deleted_drafts_are_gone(ms: MicrosoftFakes, mailbox: OutlookMailbox) -> None:
    soft, hard = thank_you(IAN), thank_you(PAM)
    soft_ref, hard_ref = mailbox.create_draft(soft), mailbox.create_draft(hard)
    ms.graph.user_deletes(soft_ref.id)  # to Deleted Items: still a draft there
    ms.graph.user_deletes(hard_ref.id, hard=True)
    assert mailbox.draft_state(soft_ref, soft.key).status == DraftStatus.GONE
    assert mailbox.draft_state(hard_ref, hard.key).status == DraftStatus.GONE


def test_a_sent_message_is_found_by_key_when_its_id_is_unknown(
    ms: MicrosoftFakes, mailbox: OutlookMailbox
) -> None:
    request = thank_you(IAN)
    ref = mailbox.create_draft(request)
    ms.graph.user_sends(ref.id)
    stale = ref.__class__(
        id="AAMk-no-longer-valid", thread_id=ref.thread_id, message_id=ref.message_id
    )
    state = mailbox.draft_state(stale, request.key)
    assert state.status == DraftStatus.SENT and state.sent and state.sent.provider_id == ref.id


def test_a_sent_message_is_found_in_its_conversation_by_message_id(
    ms: MicrosoftFakes, mailbox: OutlookMailbox
) -> None:
    request = thank_you(IAN)
    ref = mailbox.create_draft(request)
    ms.graph.user_sends(ref.id, datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    ms.graph.message(ref.id)["_props"] = []  # a client that drops extended properties on send
    stale = ref.__class__(id="AAMk-gone", thread_id=ref.thread_id, message_id=ref.message_id)
    state = mailbox.draft_state(stale, request.key)
    assert state.status == DraftStatus.SENT
    assert state.sent_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    conversation = ms.graph.requests("GET", "/me/messages")[-1]
    assert conversation.query["$filter"] == f"conversationId eq '{ref.thread_id}'"


def test_a_strangers_message_with_the_drafts_message_id_is_not_the_sent_draft(
    ms: MicrosoftFakes, mailbox: OutlookMailbox
) -> None:
    """The Message-ID follows from the invitation; a message in the inbox may carry it too."""
    request = thank_you(IAN)
    ref = mailbox.create_draft(request)
    ms.graph.user_deletes(ref.id, hard=True)
    forged = ms.graph.deliver("mallory@evil.example", "Re: Thank you", conversation=ref.thread_id)
    ms.graph.message(forged)["internetMessageId"] = ref.message_id
    state = mailbox.draft_state(ref, request.key)
    assert state.status == DraftStatus.GONE


# -- status inquiries in the same conversation -----------------------------------------------


def test_inquiry_is_a_reply_in_the_thread_addressed_to_the_interviewer(
    ms: MicrosoftFakes, mailbox: OutlookMailbox
) -> None:
    first = thank_you(IAN)
    ref = mailbox.create_draft(first)
    ms.graph.user_sends(ref.id)
    sent = mailbox.draft_state(ref, first.key).sent
    assert sent is not None
    inquiry = DraftRequest(
        key="followupd:work:7:ian@acme.example:inquiry-1",
        sender=ME,
        to=(IAN,),
        subject="Re: Thank you - Onsite interview",
        text="Hi Ian, is there any news on the role?",
        reply_to=sent,
        message_id=message_id_for("followupd:work:7:ian@acme.example:inquiry-1", ME.email),
    )
    reply = mailbox.create_draft(inquiry)
    stored = ms.graph.message(reply.id)
    assert stored["conversationId"] == sent.thread_id == reply.thread_id
    # createReply on one's own sent message would address it to oneself; we set the recipient.
    assert [r["emailAddress"]["address"] for r in stored["toRecipients"]] == ["ian@acme.example"]
    assert stored["subject"] == "RE: Thank you - Onsite interview"
    assert stored["body"]["content"].startswith("Hi Ian, is there any news on the role?")
    assert "thank you for your time today" in stored["body"]["content"]  # the quoted thank-you
    assert ms.graph.extended(reply.id) == {KEY_PROPERTY: inquiry.key}
    assert stored["internetMessageId"] == inquiry.message_id
    assert mailbox.find_draft(inquiry.key) == reply
    assert len(ms.graph.requests("POST", "/createReply")) == 1


def test_inquiry_finds_the_sent_message_by_message_id(
    ms: MicrosoftFakes, mailbox: OutlookMailbox
) -> None:
    first = thank_you(IAN)
    ref = mailbox.create_draft(first)
    ms.graph.user_sends(ref.id)
    target = ReplyTarget(message_id=first.message_id or "", subject="Thank you - Onsite interview")
    reply = mailbox.create_draft(thank_you(IAN, reply_to=target, kind="inquiry-1"))
    assert reply.thread_id == ref.thread_id


def test_inquiry_with_a_stale_sent_id_falls_back_to_the_message_id(
    ms: MicrosoftFakes, mailbox: OutlookMailbox
) -> None:
    first = thank_you(IAN)
    ref = mailbox.create_draft(first)
    ms.graph.user_sends(ref.id)
    target = ReplyTarget(message_id=first.message_id or "", provider_id="AAMk-stale")
    reply = mailbox.create_draft(thank_you(IAN, reply_to=target, kind="inquiry-1"))
    assert reply.thread_id == ref.thread_id


def test_inquiry_without_its_sent_message_starts_a_new_conversation(
    ms: MicrosoftFakes, mailbox: OutlookMailbox, caplog: pytest.LogCaptureFixture
) -> None:
    target = ReplyTarget(message_id="<gone@example>", provider_id="AAMk-stale")
    reply = mailbox.create_draft(thank_you(IAN, reply_to=target, kind="inquiry-1"))
    assert ms.graph.message(reply.id)["subject"] == "Thank you - Onsite interview"
    assert "the sent message <gone@example> is no longer in the mailbox" in caplog.text


# -- replies ---------------------------------------------------------------------------------


def test_human_replies_count_auto_replies_are_marked(
    ms: MicrosoftFakes, mailbox: OutlookMailbox
) -> None:
    after = INTERVIEW_END + timedelta(hours=5)
    human = ms.graph.deliver(
        "ian@acme.example", "RE: Thank you", received=after, preview="Great talking to you!"
    )
    auto = ms.graph.deliver(
        "hr@jobs.acme.example",
        "Automatic reply: Thank you",
        received=after + timedelta(hours=1),
        headers={"Auto-Submitted": "auto-replied"},
        preview="I am out of office until Monday.",
    )
    subject_only = ms.graph.deliver(
        "pam@acme.example", "Automatic reply: Thank you", received=after + timedelta(hours=2)
    )
    ms.graph.deliver("casey@contoso.example", "RE: Thank you", received=after, folder="sentitems")
    ms.graph.deliver("news@elsewhere.example", "Weekly digest", received=after)
    ms.graph.deliver(
        "ian@acme.example", "Before the interview", received=INTERVIEW_END - timedelta(days=1)
    )
    found = mailbox.messages_since(INTERVIEW_END, ["ian@acme.example"], ["acme.example"])
    assert found.problems == []
    by_id = {m.id: m for m in found.messages}
    assert set(by_id) == {human, auto, subject_only}
    assert not by_id[human].auto_reply and by_id[human].excerpt == "Great talking to you!"
    assert by_id[human].sender == "ian@acme.example" and by_id[human].received_at == after
    assert by_id[auto].auto_reply and by_id[subject_only].auto_reply
    listing = ms.graph.requests("GET", "/me/messages")[0]
    assert listing.query["$orderby"] == "receivedDateTime desc"
    assert listing.query["$filter"].startswith("receivedDateTime ge ")


CORPUS_EXPECTATIONS = {
    "discourse-discourse__auto_reply.eml": True,  # Auto-Submitted: auto-generated
    "sisimai-set-of-emails__bsd-lhost-office365-01.eml": True,  # an Exchange Online bounce
    "mailgun-talon__standard_replies-outlook.eml": False,  # a person answering from Outlook
}


def test_real_world_headers_through_graph(
    ms: MicrosoftFakes, mailbox: OutlookMailbox, corpus_dir: Path
) -> None:
    expected: dict[str, bool] = {}
    senders: list[str] = []
    for name, automated in CORPUS_EXPECTATIONS.items():
        path = corpus_dir / "eml" / name
        if not path.exists():
            continue
        with path.open("rb") as fh:
            parsed = message_from_binary_file(fh, policy=policy.compat32)
        sender = parseaddr(str(parsed["From"]))[1].lower()
        headers = {k: str(v) for k, v in parsed.items()}  # Graph lists every header
        ident = ms.graph.deliver(
            sender,
            str(parsed["Subject"]),
            headers=headers,
            received=INTERVIEW_END + timedelta(hours=1),
        )
        expected[ident] = automated
        senders.append(sender)
    if not expected:
        pytest.skip("none of the Outlook-related corpus messages is present")
    found = mailbox.messages_since(INTERVIEW_END, senders, [], None)
    assert {m.id: m.auto_reply for m in found.messages} == expected


def test_the_cursor_makes_an_unchanged_mailbox_cost_one_request(
    ms: MicrosoftFakes, mailbox: OutlookMailbox
) -> None:
    ms.graph.deliver(
        "ian@acme.example", "RE: Thank you", received=INTERVIEW_END + timedelta(hours=1)
    )
    first = mailbox.messages_since(INTERVIEW_END, ["ian@acme.example"], [], None)
    assert len(first.messages) == 1
    before = len(ms.graph.log)
    second = mailbox.messages_since(INTERVIEW_END, ["ian@acme.example"], [], first.cursor)
    assert second.messages == [] and len(ms.graph.log) - before == 1
    later = ms.graph.deliver("ian@acme.example", "One more thing", received=datetime.now(UTC))
    third = mailbox.messages_since(INTERVIEW_END, ["ian@acme.example"], [], second.cursor)
    assert [m.id for m in third.messages] == [later]
    # A new watched sender reads the whole range again (they may have written earlier).
    pam = ms.graph.deliver("pam@acme.example", "Hello", received=INTERVIEW_END + timedelta(hours=3))
    fourth = mailbox.messages_since(
        INTERVIEW_END, ["ian@acme.example", "pam@acme.example"], [], third.cursor
    )
    assert pam in {m.id for m in fourth.messages}


def test_orderby_must_lead_the_filter(ms: MicrosoftFakes, mailbox: OutlookMailbox) -> None:
    graph = runtime_graph(ms, mailbox)
    with pytest.raises(ConnectorError) as err:
        graph.get(
            "/me/messages",
            {
                "$filter": "isDraft eq false and receivedDateTime ge 2026-01-01T00:00:00Z",
                "$orderby": "receivedDateTime desc",
            },
        )
    assert str(err.value) == (
        "Microsoft Graph refused GET /me/messages: HTTP 400 InefficientFilter: The restriction or "
        "sort order is too complex for this operation."
    )


def test_check_names_the_mailbox(
    ms: MicrosoftFakes, mailbox: OutlookMailbox, ctx: AccountContext
) -> None:
    assert (
        mailbox.check()
        == f"Outlook mailbox of Casey Candidate <casey@contoso.example> via {ms.graph_root}/v1.0"
    )
    other = AccountContext("work", ("casey@other.example",), ctx.state_dir, ctx.clock, "UTC")
    text = OutlookMailbox(runtime_graph(ms, mailbox), other).check()
    assert text.endswith(
        "(note: casey@contoso.example is not among the addresses of account 'work': "
        "casey@other.example)"
    )


# -- the send guard of the fake itself -------------------------------------------------------


def test_the_fake_fails_the_test_on_any_send_call(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="followupd called a send endpoint"):  # noqa: SIM117
        with running_microsoft(tmp_path) as fakes:
            answer = requests.post(
                f"{fakes.graph_root}/v1.0/me/sendMail", json={}, verify=str(fakes.ca_bundle)
            )
            assert answer.status_code == 403
    fakes = start_microsoft(tmp_path / "again")
    try:
        for path in (
            "/me/messages/AAMk1/send",
            "/me/messages/AAMk1/reply",
            "/me/messages/AAMk1/replyAll",
            "/me/messages/AAMk1/forward",
        ):
            requests.post(f"{fakes.graph_root}/v1.0{path}", json={}, verify=str(fakes.ca_bundle))
        assert len(fakes.graph.violations) == 4
    finally:
        fakes.stop()


def test_sent_since_reads_only_sent_items_to_the_company(
    ms: MicrosoftFakes, mailbox: OutlookMailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = ms.graph
    monkeypatch.setattr("connectors.outlook.sent.PAGE_SIZE", 2)  # pages, each followed
    since = INTERVIEW_END - timedelta(hours=1)
    before = graph.user_writes(IAN.email, "See you tomorrow", at=since - timedelta(days=1))
    thanks = graph.user_writes(IAN.email, "Thank you", name="Ian", at=since + timedelta(hours=2))
    recruiter = graph.user_writes(
        "pat@jobs.acme.example", "Next steps?", at=since + timedelta(hours=5)
    )
    graph.user_writes("bob@other.example", "Lunch", at=since + timedelta(hours=3))
    graph.user_writes("eve@acme.example.evil", "Lookalike", at=since + timedelta(hours=3))
    graph.deliver(IAN.email, "Re: Thank you", received=since + timedelta(hours=4), name="Ian")
    mailbox.create_draft(thank_you(PAM))
    result = mailbox.sent_since(since, [], ["acme.example"])
    assert result.problems == []
    assert [m.subject for m in result.messages] == ["Next steps?", "Thank you"]
    found = result.messages[1]
    assert found.provider_id is not None and found.provider_id.split("~")[0] == thanks
    assert found.message_id == graph.message(thanks)["internetMessageId"]
    assert found.thread_id == graph.message(thanks)["conversationId"]
    assert found.recipients == (IAN.email,) and found.names == ((IAN.email, "Ian"),)
    assert result.messages[0].provider_id.split("~")[0] == recruiter  # type: ignore[union-attr]
    assert before not in {m.provider_id for m in result.messages}
    listed = graph.requests("GET", "/me/mailFolders/sentitems/messages")
    assert listed and listed[0].query["$orderby"] == "sentDateTime desc"
    assert "body" not in listed[0].query["$select"]
    assert len(listed) == 2  # 4 sent messages after `since`, 2 a page


def test_an_endless_sent_items_listing_is_cut_off(
    ms: MicrosoftFakes, mailbox: OutlookMailbox
) -> None:
    from tests.fakes.faults import Fault, graph_endless

    since = INTERVIEW_END - timedelta(hours=1)
    ms.graph.user_writes(IAN.email, "Thank you", at=since + timedelta(hours=2))
    endless = Fault("mutate", mutate=graph_endless(ms.graph.base_url))
    ms.graph.faults.script("GET /me/mailFolders/sentitems/messages", endless, times=10**6)
    result = mailbox.sent_since(since, [IAN.email], [])
    assert len(ms.graph.requests("GET", "/me/mailFolders/sentitems/messages")) == 4
    assert [p.message for p in result.problems] == [
        f"more than 200 sent messages since {since.isoformat()}; only the newest were read"
    ]
    assert [m.subject for m in result.messages] == ["Thank you"]


# -- read_draft / delete_draft: what `followupd redraft` asks ----------------------------------


def html_thank_you(person: Address = IAN) -> DraftRequest:
    """A thank-you as the shipped templates make it: a text and the same text in HTML."""
    request = thank_you(person)
    return DraftRequest(
        **{
            **request.__dict__,
            "text": f"Dear {person.name},\n\nthank you for your time today.\n\nBest regards,\nCasey\n",
            "html": f"<p>Dear {person.name},</p>\n<p>thank you for your time today.</p>\n"
            "<p>Best regards,<br>\nCasey</p>\n",
        }
    )


def test_the_outlook_mailbox_satisfies_the_protocol(mailbox: OutlookMailbox) -> None:
    assert isinstance(mailbox, Mailbox)


def test_read_draft_of_a_fresh_draft_is_what_was_written(
    ms: MicrosoftFakes, mailbox: OutlookMailbox
) -> None:
    request = html_thank_you()
    ref = mailbox.create_draft(request)
    assert mailbox.read_draft(ref, request.key) == DraftContent(request.subject, request.text)
    (get,) = [r for r in ms.graph.requests("GET", "/me/messages/") if "$select" in r.query]
    assert get.query["$select"] == "id,subject,body,isDraft,parentFolderId"
    assert 'outlook.body-content-type="html"' in get.prefer and "ImmutableId" in get.prefer
    # A text-only draft (a user's own template without HTML): Exchange turns it into HTML on
    # the way out, and back it comes line for line.
    plain = thank_you(PAM)
    plain_ref = mailbox.create_draft(plain)
    content = mailbox.read_draft(plain_ref, plain.key)
    assert content is not None and content.text == plain.text + "\n"


def test_read_draft_shows_the_users_edit(ms: MicrosoftFakes, mailbox: OutlookMailbox) -> None:
    request = html_thank_you()
    ref = mailbox.create_draft(request)
    ms.graph.user_edits(
        ref.id,
        subject="Thank you!",
        html="<div>Dear Ian,</div><div><br></div><div>thank you, and here is my portfolio."
        "</div><div><br></div><div>Casey</div>",
    )
    assert mailbox.read_draft(ref, request.key) == DraftContent(
        "Thank you!", "Dear Ian,\n\nthank you, and here is my portfolio.\n\nCasey\n"
    )
    assert mailbox.draft_state(ref, request.key).status == DraftStatus.DRAFT


def test_read_draft_is_none_once_sent_or_deleted(
    ms: MicrosoftFakes, mailbox: OutlookMailbox
) -> None:
    sent, soft, hard = html_thank_you(IAN), thank_you(PAM), thank_you(ME)
    sent_ref, soft_ref, hard_ref = (mailbox.create_draft(r) for r in (sent, soft, hard))
    ms.graph.user_sends(sent_ref.id)
    ms.graph.user_deletes(soft_ref.id)  # to Deleted Items: still isDraft there
    ms.graph.user_deletes(hard_ref.id, hard=True)
    assert mailbox.read_draft(sent_ref, sent.key) is None
    assert mailbox.read_draft(soft_ref, soft.key) is None
    assert mailbox.read_draft(hard_ref, hard.key) is None
    mailbox.delete_draft(sent_ref, sent.key)  # a sent message is no draft: left alone
    assert ms.graph.message(sent_ref.id)["_folder"] == "sentitems"
    assert ms.graph.requests("DELETE") == []


def test_read_draft_finds_the_draft_by_its_key_when_the_id_is_stale(
    ms: MicrosoftFakes, mailbox: OutlookMailbox
) -> None:
    request = html_thank_you()
    created = mailbox.create_draft(request)
    stale = DraftRef(id="AAMkgone", thread_id=created.thread_id, message_id=created.message_id)
    content = mailbox.read_draft(stale, request.key)
    assert content is not None and content.text == request.text
    mailbox.delete_draft(stale, request.key)
    assert ms.graph.message(created.id)["_folder"] == "deleteditems"


def test_delete_draft_moves_only_that_draft_to_deleted_items_and_twice_is_fine(
    ms: MicrosoftFakes, mailbox: OutlookMailbox
) -> None:
    ian, pam = html_thank_you(IAN), html_thank_you(PAM)
    ref, other = mailbox.create_draft(ian), mailbox.create_draft(pam)
    mailbox.delete_draft(ref, ian.key)
    assert [d["id"] for d in ms.graph.drafts()] == [other.id]
    assert ms.graph.message(ref.id)["_folder"] == "deleteditems"  # as Outlook's own delete
    assert mailbox.read_draft(ref, ian.key) is None
    assert mailbox.draft_state(ref, ian.key).status == DraftStatus.GONE
    mailbox.delete_draft(ref, ian.key)  # already gone: not an error
    ms.graph.user_deletes(other.id, hard=True)
    mailbox.delete_draft(other, pam.key)  # gone for good: not an error either
    assert len(ms.graph.requests("DELETE")) == 1


def test_redraft_calls_classify_errors_like_every_other_call(
    ms: MicrosoftFakes, mailbox: OutlookMailbox
) -> None:
    request = html_thank_you()
    ref = mailbox.create_draft(request)
    slept: list[float] = []
    mailbox._graph.sleep = slept.append
    for call in (mailbox.read_draft, mailbox.delete_draft):
        ms.graph.throttle(10, 500, None)
        with pytest.raises(TransientError) as transient:
            call(ref, request.key)
        assert "HTTP 500" in str(transient.value) and slept
        ms.graph.throttled.clear()
        ms.graph.tokens.reject_all = True
        with pytest.raises(AuthNeeded) as auth:
            call(ref, request.key)
        assert auth.value.fix == "followupd auth work"
        ms.graph.tokens.reject_all = False
        assert ms.graph.message(ref.id)["_folder"] == "drafts"  # nothing deleted on the way
    mailbox.delete_draft(ref, request.key)
    assert ms.graph.message(ref.id)["_folder"] == "deleteditems"
