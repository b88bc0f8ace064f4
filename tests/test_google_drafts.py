"""Gmail drafts against the local fake: MIME, idempotency, lifecycle and threading."""

from __future__ import annotations

import email.policy
import json
from datetime import UTC, datetime
from email.parser import BytesParser

import pytest

from connectors.google.auth import SCOPES
from connectors.google.draftlog import DraftLog
from connectors.google.gmail import DRAFT_LOG
from daemon.errors import AuthNeeded, ConnectorError, TransientError
from daemon.message import key_value, legacy_message_id, message_id_for
from daemon.protocols import (
    Address,
    DraftContent,
    DraftRef,
    DraftRequest,
    DraftStatus,
    Mailbox,
    ReplyTarget,
)
from tests.fakes.google_env import google_env

KEY = "followupd:personal:7:jane@acme.com:thank-you"
ME = "me@example.com"


@pytest.fixture
def env(tmp_path):
    with google_env(tmp_path) as env:
        yield env


def request(
    key: str = KEY, to: str = "jane@acme.com", name: str = "Jane Doe", **extra
) -> DraftRequest:
    values = dict(
        key=key,
        sender=Address(ME, "Max Müller"),
        to=(Address(to, name),),
        subject="Thank you – our interview",
        text="Hello Jane,\nthank you!\n",
        message_id=message_id_for(key, ME),
    )
    values.update(extra)
    return DraftRequest(**values)


def parsed(env, draft_id: str):
    return BytesParser(policy=email.policy.default).parsebytes(
        env.state.draft_message(draft_id).raw
    )


def test_a_thank_you_draft_is_one_clean_mime_message(env):
    hostile = request(name="Jane\r\nBcc: everyone@evil.example", subject="Hi\nBcc: x@evil.example")
    ref = env.mailbox().create_draft(hostile)

    assert list(env.state.drafts) == [ref.id]
    mail = parsed(env, ref.id)
    assert mail["Bcc"] is None and "evil" not in str(mail["To"]).split("<")[1]
    assert mail["Subject"] == "Hi Bcc: x@evil.example"
    assert mail["X-Followupd-Key"] is None
    assert mail["Message-ID"] == message_id_for(KEY, ME) == ref.message_id
    assert mail["Message-ID"].endswith("@example.com>")  # the user's own domain
    assert mail["In-Reply-To"] is None and mail["References"] is None
    raw = env.state.draft_message(ref.id).raw
    assert b"followupd" not in raw.lower() and b"jane@acme.com:" not in raw  # nothing of the KEY
    assert b"=?utf-8?" in raw  # "Max Müller" is RFC 2047-encoded, not raw UTF-8
    assert str(mail["From"]) == "Max Müller <me@example.com>"
    create = [r for r in env.state.requests if r.method == "gmail.users.drafts.create"]
    assert len(create) == 1 and "threadId" not in create[0].body["message"]
    assert env.state.draft_message(ref.id).labels == {"DRAFT"}
    assert ref.thread_id == env.state.draft_message(ref.id).thread_id


def test_one_draft_per_interviewer(env):
    mailbox = env.mailbox()
    jane = mailbox.create_draft(request())
    bob = mailbox.create_draft(
        request("followupd:personal:7:bob@acme.com:thank-you", "bob@acme.com", "Bob")
    )

    assert jane.id != bob.id and len(env.state.drafts) == 2
    assert env.state.drafts_with_key(KEY) == [jane.id]
    assert str(parsed(env, bob.id)["To"]) == "Bob <bob@acme.com>"


def test_a_crash_between_create_and_record_never_makes_a_second_draft(env):
    created = env.mailbox().create_draft(request())
    # The process dies before the core records the ref. A new process asks by key.
    mark = len(env.state.requests)
    found = env.mailbox().find_draft(KEY)
    assert found == DraftRef(created.id, created.thread_id, message_id_for(KEY, ME))
    assert env.state.api_requests(mark) == []  # the connector's own record answered

    # Even when the crash fell before that record was written, the Message-ID finds it.
    (env.ctx.state_dir / DRAFT_LOG).unlink()
    again = env.mailbox().find_draft(KEY)
    assert (again.id, again.thread_id) == (created.id, created.thread_id)
    assert len(env.state.drafts) == 1
    assert env.mailbox().draft_state(again, KEY).status == DraftStatus.DRAFT


def test_find_draft_is_none_when_nothing_was_created(env):
    env.mailbox().create_draft(
        request("followupd:personal:7:bob@acme.com:thank-you", "bob@acme.com")
    )
    assert env.mailbox().find_draft(KEY) is None


def test_find_draft_survives_gmail_rewriting_the_message_id(env):
    env.state.rewrite_message_ids = True
    created = env.mailbox().create_draft(request())
    assert parsed(env, created.id)["Message-ID"] != message_id_for(KEY, ME)
    assert env.mailbox().find_draft(KEY).id == created.id  # the record names it


def test_a_crash_before_the_record_when_gmail_rewrote_the_message_id(env):
    """Nothing in the draft names its KEY, and Gmail replaced the Message-ID: the note written
    before drafts.create still tells it (recipients and subject), and never another's draft."""
    env.state.rewrite_message_ids = True
    bob = env.mailbox().create_draft(
        request("followupd:personal:7:bob@acme.com:thank-you", "bob@acme.com", "Bob")
    )
    log = env.ctx.state_dir / DRAFT_LOG
    before = log.read_bytes()
    created = env.mailbox().create_draft(request())
    log.write_bytes(before)  # the crash: Gmail made the draft, the record was never written
    DraftLog(log).intend(KEY, ["jane@acme.com"], "Thank you – our interview")  # what was

    assert env.mailbox().find_draft(KEY).id == created.id  # None would make a second draft
    assert env.mailbox().find_draft(KEY).id != bob.id


def test_draft_states_follow_the_user(env):
    mailbox = env.mailbox()
    ref = mailbox.create_draft(request())
    mark = len(env.state.requests)
    assert mailbox.draft_state(ref, KEY).status == DraftStatus.DRAFT
    assert [r.method for r in env.state.api_requests(mark)] == ["gmail.users.drafts.get"]

    sent_at = datetime(2026, 3, 3, 17, 5, tzinfo=UTC)
    sent = env.state.send_draft_as_user(ref.id, at=sent_at)  # new id, new Message-ID, no X- headers
    state = mailbox.draft_state(ref, KEY)

    assert state.status == DraftStatus.SENT and state.sent_at == sent_at
    assert state.sent.message_id == sent.header("Message-ID") != message_id_for(KEY, ME)
    assert (state.sent.thread_id, state.sent.provider_id) == (ref.thread_id, sent.id)
    assert state.sent.subject == "Thank you – our interview"


def test_a_deleted_draft_is_gone(env):
    mailbox = env.mailbox()
    ref = mailbox.create_draft(request())
    env.state.delete_draft(ref.id)
    assert mailbox.draft_state(ref, KEY).status == DraftStatus.GONE


def sent_thank_you(env):
    mailbox = env.mailbox()
    ref = mailbox.create_draft(request())
    env.state.send_draft_as_user(ref.id, at=datetime(2026, 3, 3, 17, 0, tzinfo=UTC))
    return mailbox, mailbox.draft_state(ref, KEY).sent


INQUIRY = "followupd:personal:7:jane@acme.com:inquiry-1"


def test_the_status_inquiry_replies_inside_the_sent_thank_you_thread(env):
    mailbox, target = sent_thank_you(env)
    inquiry = request(INQUIRY, subject="Re: Thank you – our interview", reply_to=target)

    ref = mailbox.create_draft(inquiry)

    mail = parsed(env, ref.id)
    assert ref.thread_id == target.thread_id  # the fake files it there only if all rules hold
    assert mail["In-Reply-To"] == target.message_id
    assert mail["References"] == target.message_id
    assert mail["Subject"] == "Re: Thank you – our interview"
    create = [r for r in env.state.requests if r.method == "gmail.users.drafts.create"][-1]
    assert create.body["message"]["threadId"] == target.thread_id


def test_a_reply_without_matching_headers_would_leave_the_thread(env):
    """The fake enforces Gmail's threading rule, so the test above can fail."""
    mailbox, target = sent_thank_you(env)
    wrong = ReplyTarget("<not-in-thread@example.com>", target.thread_id, subject=target.subject)
    ref = mailbox.create_draft(
        request(INQUIRY, subject="Re: Thank you – our interview", reply_to=wrong)
    )
    assert ref.thread_id != target.thread_id


def test_an_inquiry_deleted_in_a_thread_with_a_sent_thank_you_is_gone(env):
    mailbox, target = sent_thank_you(env)
    ref = mailbox.create_draft(
        request(INQUIRY, subject="Re: Thank you – our interview", reply_to=target)
    )
    env.state.delete_draft(ref.id)

    assert mailbox.draft_state(ref, INQUIRY).status == DraftStatus.GONE


def test_a_sent_inquiry_is_told_apart_from_the_thank_you(env):
    mailbox, target = sent_thank_you(env)
    ref = mailbox.create_draft(
        request(INQUIRY, subject="Re: Thank you – our interview", reply_to=target)
    )
    at = datetime(2026, 3, 12, 9, 30, tzinfo=UTC)
    sent = env.state.send_draft_as_user(ref.id, at=at)

    state = mailbox.draft_state(ref, INQUIRY)
    assert state.status == DraftStatus.SENT and state.sent_at == at
    assert state.sent.provider_id == sent.id and state.sent.references == (target.message_id,)


def test_without_its_record_a_sent_copy_is_recognised_by_its_message_id(env):
    mailbox = env.mailbox()
    ref = mailbox.create_draft(request())
    (env.ctx.state_dir / DRAFT_LOG).unlink()
    env.state.send_draft_as_user(ref.id, keep_headers=True)

    assert mailbox.draft_state(ref, KEY).status == DraftStatus.SENT
    found = mailbox.find_draft(KEY)  # and a crash-recovery lookup finds the sent message
    assert found.id.startswith("sent:")
    assert mailbox.draft_state(found, KEY).status == DraftStatus.SENT


def test_a_draft_never_touches_a_send_endpoint_or_reads_a_body(env):
    mailbox = env.mailbox()
    ref = mailbox.create_draft(request())
    mailbox.find_draft(KEY)
    mailbox.draft_state(ref, KEY)
    formats = {q for r in env.state.requests for q in r.query.get("format", [])}
    assert formats <= {"minimal", "metadata"}
    assert not any(r.method.endswith(".send") for r in env.state.requests)


# An account name with a run of spaces: the header could not hold this KEY verbatim, so drafts
# made before issue 10 carry key_value(KEY) instead (daemon/message.py).
SPACED = "followupd:Job  search:7:jane@acme.com:thank-you:1"


def legacy_draft(env, key: str) -> str:
    """A draft as followupd made them before issue 10: KEY header, Message-ID @followupd.invalid
    (replaced by Gmail here, so that only the header can tell it)."""
    raw = (
        f"From: {ME}\r\nTo: jane@acme.com\r\nSubject: Thank you\r\n"
        f"Message-ID: <legacy-replaced@mail.gmail.com>\r\nX-Followupd-Key: {key_value(key)}\r\n"
        "\r\nHello\r\n"
    ).encode()
    with env.state.lock:
        msg = env.state.store_message(raw, {"DRAFT"}, None)
        draft_id = "r" + env.state.new_id("d")
        env.state.drafts[draft_id] = msg.id
    return draft_id


def test_a_draft_made_before_issue_10_is_found_by_its_header_after_a_crash(env):
    """Users upgrading have such drafts in their mailbox: never a second one."""
    created = legacy_draft(env, SPACED)
    found = env.mailbox().find_draft(SPACED)
    assert found is not None and found.id == created  # None would make a second draft
    assert env.mailbox().find_draft(KEY) is None


def test_a_draft_made_before_issue_10_still_marks_its_sent_copy(env):
    mailbox = env.mailbox()
    draft_id = legacy_draft(env, SPACED)
    ref = mailbox.find_draft(SPACED)
    (env.ctx.state_dir / DRAFT_LOG).unlink()
    env.state.send_draft_as_user(draft_id, keep_headers=True)

    assert mailbox.draft_state(ref, SPACED).status == DraftStatus.SENT
    found = mailbox.find_draft(SPACED)
    assert found is not None and found.id.startswith("sent:")


def test_a_draft_with_the_legacy_message_id_is_found(env):
    raw = (
        f"From: {ME}\r\nTo: jane@acme.com\r\nSubject: Thank you\r\n"
        f"Message-ID: {legacy_message_id(KEY)}\r\n\r\nHello\r\n"
    ).encode()
    with env.state.lock:
        msg = env.state.store_message(raw, {"DRAFT"}, None)
        env.state.drafts["rlegacy"] = msg.id
    assert env.mailbox().find_draft(KEY).id == "rlegacy"


# -- read_draft / delete_draft: what `followupd redraft` asks ----------------------------------

COMPOSE = "https://www.googleapis.com/auth/gmail.compose"
GET, DELETE = "gmail.users.drafts.get", "gmail.users.drafts.delete"


def test_read_draft_of_a_fresh_draft_is_what_was_written(env):
    wanted = request(html="<p>Hello Jane,</p><p>thank you!</p>")
    mailbox = env.mailbox()
    ref = mailbox.create_draft(wanted)
    assert mailbox.read_draft(ref, KEY) == DraftContent(subject=wanted.subject, text=wanted.text)
    [get] = [r for r in env.state.requests if r.method == GET]
    assert get.query["format"] == ["raw"]  # refused to any token that holds gmail.metadata
    narrowed = [t for t in env.state.access_tokens.values() if set(t["scopes"]) == {COMPOSE}]
    assert len(narrowed) == 1  # a second token, of gmail.compose alone, from the same grant
    # The token file keeps the full grant; the daemon's calls go on with it.
    stored = json.loads(env.options["token_file"].read_text())
    assert set(stored["scopes"]) == set(SCOPES)
    assert env.mailbox().draft_state(ref, KEY).status == DraftStatus.DRAFT


def test_read_draft_shows_the_users_edit(env):
    mailbox = env.mailbox()
    ref = mailbox.create_draft(request())
    env.state.edit_draft_as_user(
        ref.id,
        subject="Thanks again",
        text="Hello Jane,\nthank you! Here is my portfolio.\n",
        html="<div>Hello Jane,<br>thank you! Here is my portfolio.</div>",
    )
    assert mailbox.read_draft(ref, KEY) == DraftContent(
        subject="Thanks again", text="Hello Jane,\nthank you! Here is my portfolio.\n"
    )
    assert mailbox.draft_state(ref, KEY).status == DraftStatus.DRAFT


def test_read_draft_turns_an_html_only_body_into_text(env):
    mailbox = env.mailbox()
    ref = mailbox.create_draft(request())
    env.state.edit_draft_as_user(
        ref.id, html="<div>Hello Jane,</div><div>thank you &amp; bye</div>"
    )
    content = mailbox.read_draft(ref, KEY)
    assert content is not None and content.text == "Hello Jane,\nthank you & bye\n"


def test_read_draft_is_none_once_sent_or_deleted(env):
    mailbox = env.mailbox()
    sent = mailbox.create_draft(request())
    env.state.send_draft_as_user(sent.id)
    assert mailbox.read_draft(sent, KEY) is None
    found = env.mailbox().find_draft(KEY)  # the record still names the draft id
    assert mailbox.read_draft(found, KEY) is None
    other = "followupd:personal:7:bob@acme.com:thank-you"
    deleted = mailbox.create_draft(request(other, "bob@acme.com", "Bob"))
    env.state.delete_draft(deleted.id)
    assert mailbox.read_draft(deleted, other) is None
    mark = len(env.state.requests)
    assert mailbox.read_draft(DraftRef("sent:m42", "t1", "<x@example.com>"), KEY) is None
    mailbox.delete_draft(DraftRef("sent:m42", "t1", "<x@example.com>"), KEY)
    assert env.state.api_requests(mark) == []  # a sent message is no draft: nothing asked


def test_delete_draft_deletes_only_that_draft_and_twice_is_fine(env):
    mailbox = env.mailbox()
    ref = mailbox.create_draft(request())
    bob = mailbox.create_draft(
        request("followupd:personal:7:bob@acme.com:thank-you", "bob@acme.com", "Bob")
    )
    mailbox.delete_draft(ref, KEY)
    assert list(env.state.drafts) == [bob.id]
    assert mailbox.read_draft(ref, KEY) is None
    assert mailbox.draft_state(ref, KEY).status == DraftStatus.GONE
    mailbox.delete_draft(ref, KEY)  # already gone: not an error
    assert env.state.count(method=DELETE) == 2 and list(env.state.drafts) == [bob.id]
    assert not any(r.method.endswith(".send") for r in env.state.requests)


@pytest.mark.parametrize("method", [GET, DELETE])
def test_redraft_calls_classify_errors_like_every_other_call(env, method):
    mailbox = env.mailbox()
    ref = mailbox.create_draft(request())

    def call():
        if method == GET:
            return mailbox.read_draft(ref, KEY)
        return mailbox.delete_draft(ref, KEY)

    env.state.inject(method, 500, "backendError", "Backend Error", times=10)
    with pytest.raises(TransientError) as transient:
        call()
    assert "HTTP 500 backendError" in str(transient.value) and env.slept
    # google-auth refreshes the token on a 401, twice at most; a third one is a refusal.
    env.state.inject(method, 401, "authError", "Invalid Credentials", times=3)
    with pytest.raises(AuthNeeded) as auth:
        call()
    assert auth.value.fix == "followupd auth personal"
    assert ref.id in env.state.drafts  # nothing was deleted on the way
    call()  # then it works again
    assert (ref.id in env.state.drafts) is (method == GET)
    env.state.revoke_all()
    with pytest.raises(AuthNeeded):
        env.mailbox().read_draft(ref, KEY) if method == GET else env.mailbox().delete_draft(
            ref, KEY
        )


def test_the_gmail_mailbox_satisfies_the_protocol(env):
    assert isinstance(env.mailbox(), Mailbox)


def test_a_refused_narrowed_token_is_no_reason_to_authorize_again(env):
    """If Google would not narrow the token, `followupd auth` would not help: say what failed."""
    mailbox = env.mailbox()
    ref = mailbox.create_draft(request())
    env.state.inject("oauth.token", 400, "invalid_scope", "Some requested scopes were invalid.")
    with pytest.raises(ConnectorError) as err:
        mailbox.read_draft(ref, KEY)
    assert not isinstance(err.value, AuthNeeded)
    assert str(err.value) == (
        f"Gmail drafts.get of draft {ref.id} (format=raw, for redraft): Google refused an "
        "access token limited to gmail.compose (invalid_scope)"
    )
    assert mailbox.draft_state(ref, KEY).status == DraftStatus.DRAFT  # the grant still works
    assert mailbox.read_draft(ref, KEY) is not None  # and the next try may succeed
