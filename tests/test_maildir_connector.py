"""The maildir provider on real Maildir trees in tmp_path, written and read with the stdlib."""

from __future__ import annotations

import mailbox
import os
import shutil
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from connectors.maildir import PROVIDER
from connectors.maildir.connector import MaildirMailbox
from connectors.maildir.folders import Folder, entries
from daemon import options as o
from daemon.autoreply import return_date
from daemon.clock import FrozenClock
from daemon.errors import ConnectorError
from daemon.message import legacy_message_id, message_id_for
from daemon.protocols import (
    KEY_HEADER,
    AccountContext,
    Address,
    DraftContent,
    DraftRef,
    DraftRequest,
    DraftStatus,
    Mailbox,
    Problem,
    ReplyTarget,
)
from daemon.registry import provider

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
ME = "alex@example.org"
KEY = "followupd:personal:interview-7f3a9c0e1b2d4f6a8c0e1b2d4f6a8c0e:jane.doe@acme.com:thank-you"


def context(tmp_path: Path) -> AccountContext:
    return AccountContext(
        name="personal",
        addresses=(ME, "alex.alt@example.net"),
        state_dir=tmp_path / "state",
        clock=FrozenClock(NOW),
        timezone="Europe/Berlin",
    )


def request(key: str = KEY, **changes: object) -> DraftRequest:
    values: dict[str, object] = {
        "key": key,
        "sender": Address(ME, "Alex Müller"),
        "to": (Address("jane.doe@acme.com", "Zoë Ärger-Łukasz"),),
        "subject": "Danke für das Gespräch – Senior Engineer",
        "text": "Hi Zoë,\n\nthank you for your time today.\n\nAlex\n",
    }
    values.update(changes)
    values.setdefault("message_id", message_id_for(str(values["key"]), ME))
    return DraftRequest(**values)  # type: ignore[arg-type]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A Maildir++ tree as Dovecot or offlineimap write it."""
    path = tmp_path / "Mail"
    box = mailbox.Maildir(path, create=True)
    for name in ("Drafts", "Sent", "Trash", "Junk", "Archive"):
        box.add_folder(name)
    return path


@pytest.fixture
def box(tmp_path: Path, root: Path) -> MaildirMailbox:
    options = o.validate(
        {"path": str(root)}, PROVIDER.mailbox_options, "config.toml", problems := []
    )
    assert problems == []
    return PROVIDER.mailbox(context(tmp_path), options, {})


def folder(root: Path, name: str) -> mailbox.Maildir:
    return mailbox.Maildir(root if name == "INBOX" else root / f".{name}", create=False)


def deliver(
    root: Path,
    sender: str,
    subject: str = "Re: Thank you",
    when: datetime | None = NOW + timedelta(days=2),
    body: str = "Thanks, Alex. We'll be in touch.",
    to_folder: str = "INBOX",
    headers: dict[str, str] | None = None,
) -> str:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ME
    msg["Subject"] = subject
    if when is not None:
        msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{abs(hash((sender, subject, when, to_folder)))}@acme.com>"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return folder(root, to_folder).add(mailbox.MaildirMessage(msg))


def files(root: Path, name: str, sub: str = "cur") -> list[Path]:
    base = root if name == "INBOX" else root / f".{name}"
    return sorted((base / sub).iterdir())


RENEWED = "<20261121093000.GA1234@laptop.example.org>"


def user_sends(root: Path, draft_file: Path, date_header: bool = True, renew: bool = True) -> str:
    """Play a client sending a draft, copy in Sent: with ``renew`` it makes a new Message-ID
    (mutt before it kept recalled ones did); without, it keeps the draft's (mutt, aerc)."""
    msg = message_from_bytes(draft_file.read_bytes(), policy=policy.default)
    draft_file.unlink()
    if renew:
        del msg["Message-ID"]
        msg["Message-ID"] = RENEWED
    del msg["Date"]
    if date_header:
        msg["Date"] = "Sat, 21 Nov 2026 10:30:00 +0100"
    stored = mailbox.MaildirMessage(msg.as_bytes())
    stored.set_subdir("cur")
    stored.set_flags("S")
    return folder(root, "Sent").add(stored)


# ------------------------------------------------------------------------------------------
# Provider
# ------------------------------------------------------------------------------------------


def test_provider_is_registered_and_declares_only_a_mailbox(tmp_path: Path) -> None:
    assert provider("maildir") is PROVIDER
    assert PROVIDER.name == "maildir"
    assert PROVIDER.calendar_options is None and PROVIDER.account_options == {}
    assert PROVIDER.calendar(context(tmp_path), {}, {}) is None
    lines: list[str] = []
    PROVIDER.authorize(context(tmp_path), {}, lines.append)
    assert lines == [
        "The maildir provider reads and writes local files: no authorization is needed."
    ]


def test_options_schema_defaults_and_errors() -> None:
    problems: list[str] = []
    out = o.validate({"path": "~/Mail"}, PROVIDER.mailbox_options, "config.toml: [m]", problems)
    assert problems == []
    assert out["path"] == Path("~/Mail").expanduser()
    assert (out["layout"], out["drafts_folder"], out["sent_folder"]) == ("auto", None, "Sent")
    assert out["inbox_folders"] is None
    o.validate({"layout": "mbox"}, PROVIDER.mailbox_options, "config.toml: [m]", problems)
    assert problems == [
        "config.toml: [m].layout: expected one of 'auto', 'maildir++', 'folders', got 'mbox'",
        "config.toml: [m].path: missing; expected the Maildir root, e.g. '~/Mail/personal'",
    ]


def test_mailbox_satisfies_the_protocol(box: MaildirMailbox) -> None:
    assert isinstance(box, Mailbox)


# ------------------------------------------------------------------------------------------
# Drafts
# ------------------------------------------------------------------------------------------


def test_create_draft_writes_a_flagged_message_into_drafts_cur(
    box: MaildirMailbox, root: Path
) -> None:
    ref = box.create_draft(request())
    [path] = files(root, "Drafts")
    assert path.name == f"{ref.id}:2,DS"  # Draft (and Seen) flag, in cur/
    assert files(root, "Drafts", "new") == [] and list((root / ".Drafts" / "tmp").iterdir()) == []
    assert files(root, "INBOX") == [] and files(root, "Sent") == []
    raw = path.read_bytes()
    head = raw.split(b"\n\n", 1)[0]
    head.decode("ascii")  # every header is 7-bit: UTF-8 names and subjects are RFC 2047-encoded
    assert b"followupd" not in raw.lower() and KEY_HEADER.lower().encode() not in raw.lower()
    assert b"interview-7f3a" not in raw  # nothing of the KEY either (it names the event)
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == "Danke für das Gespräch – Senior Engineer"
    assert msg["To"].addresses[0].display_name == "Zoë Ärger-Łukasz"
    assert msg["From"].addresses[0].addr_spec == ME
    assert msg["Date"].datetime == NOW
    assert msg["Message-ID"] == ref.message_id == message_id_for(KEY, ME)
    assert ref.message_id.endswith("@example.org>")  # the user's own domain
    assert msg.get_body(("plain",)).get_content() == request().text
    assert "In-Reply-To" not in msg and "References" not in msg
    assert ref.thread_id == ref.message_id  # a new conversation is its own thread root


def test_create_draft_as_a_reply_has_threading_headers(box: MaildirMailbox, root: Path) -> None:
    parent = ReplyTarget(
        message_id="<sent-1@laptop>", subject="Thank you", references=("<root@acme.com>",)
    )
    ref = box.create_draft(request(subject="Re: Thank you", reply_to=parent))
    msg = message_from_bytes(files(root, "Drafts")[0].read_bytes(), policy=policy.default)
    assert msg["In-Reply-To"] == "<sent-1@laptop>"
    assert msg["References"] == "<root@acme.com> <sent-1@laptop>"
    assert ref.thread_id == "<root@acme.com>"


def test_create_draft_twice_with_one_key_keeps_one_draft(box: MaildirMailbox, root: Path) -> None:
    first = box.create_draft(request())
    second = box.create_draft(request(text="changed"))
    assert second == first
    assert len(files(root, "Drafts")) == 1


def test_create_draft_creates_the_drafts_folder(tmp_path: Path) -> None:
    root = tmp_path / "Mail"
    mailbox.Maildir(root, create=True)
    box = MaildirMailbox(context(tmp_path), {"path": root, "drafts_folder": "Work/Drafts"})
    ref = box.create_draft(request())
    assert (root / ".Work.Drafts" / "maildirfolder").exists()
    assert [p.name for p in (root / ".Work.Drafts" / "cur").iterdir()] == [f"{ref.id}:2,DS"]


def test_find_draft_after_a_crash(tmp_path: Path, box: MaildirMailbox, root: Path) -> None:
    created = box.create_draft(request())
    deliver(root, "Jane <jane.doe@acme.com>")  # unrelated mail does not confuse it
    restarted = MaildirMailbox(context(tmp_path), {"path": root})
    assert restarted.find_draft(KEY) == created
    assert restarted.find_draft(KEY + "-other") is None


def test_find_draft_finds_the_sent_copy(box: MaildirMailbox, root: Path) -> None:
    box.create_draft(request())
    sent_key = user_sends(root, files(root, "Drafts")[0])
    found = box.find_draft(KEY)
    assert found is not None
    assert found.id == sent_key and found.message_id == RENEWED


def test_draft_state_draft_then_sent_with_rewritten_message_id(
    box: MaildirMailbox, root: Path
) -> None:
    ref = box.create_draft(request(subject="Thank you – Senior Engineer"))
    assert box.draft_state(ref, KEY).status == DraftStatus.DRAFT
    user_sends(root, files(root, "Drafts")[0])
    state = box.draft_state(ref, KEY)
    assert state.status == DraftStatus.SENT
    assert state.sent_at == datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    assert state.sent == ReplyTarget(
        message_id=RENEWED,
        thread_id=RENEWED,
        subject="Thank you – Senior Engineer",
        references=(),
    )


def test_sent_copy_that_kept_the_message_id(
    tmp_path: Path, box: MaildirMailbox, root: Path
) -> None:
    """mutt keeps a recalled postponed message's Message-ID, aerc too: found by it alone,
    even by an instance that lost its state dir (and with it the draft records)."""
    ref = box.create_draft(request())
    user_sends(root, files(root, "Drafts")[0], renew=False)
    for mailbox_ in (box, MaildirMailbox(context(tmp_path / "fresh"), {"path": root})):
        state = mailbox_.draft_state(ref, KEY)
        assert state.status == DraftStatus.SENT and state.sent is not None
        assert state.sent.message_id == ref.message_id
        assert state.sent_at == datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
        assert mailbox_.find_draft(KEY) is not None


@pytest.mark.parametrize("place", ["INBOX", "Archive", "Junk"])
def test_a_strangers_message_with_our_key_and_message_id_is_not_a_sent_copy(
    box: MaildirMailbox, root: Path, place: str
) -> None:
    """KEY and Message-ID follow from the invitation: anyone can mail them to the user.

    Taken for the sent copy, such a message would close the thank-you and become the message
    the status inquiry replies to. Only a Sent folder holds what the user sent.
    """
    ref = box.create_draft(request())
    files(root, "Drafts")[0].unlink()  # the user deleted the draft
    forged = EmailMessage()
    forged["From"] = ME  # a forged From of the user's own address does not help either
    forged["To"], forged["Subject"], forged["Date"] = ME, "Thanks", format_datetime(NOW)
    forged["Message-ID"], forged[KEY_HEADER] = ref.message_id or "", KEY
    forged.set_content("hi")
    folder(root, place).add(mailbox.MaildirMessage(forged))
    deliver(root, "Mallory <m@evil.test>", to_folder=place, headers={KEY_HEADER: KEY})
    assert box.draft_state(ref, KEY).status == DraftStatus.GONE
    assert box.find_draft(KEY) is None


def box_layout(root: Path) -> str:
    return MaildirMailbox(context(root.parent), {"path": root}).tree.layout


@pytest.mark.parametrize(
    ("layout", "sent"),
    [
        ("maildir++", ".Sent Items"),
        ("maildir++", ".INBOX.Sent"),
        ("maildir++", ".[Gmail].Sent Mail"),
        ("folders", "Sent"),
        ("folders", "[Gmail]/Sent Mail"),
        ("folders", "Sent Messages"),
    ],
)
def test_the_usual_sent_folder_names_count(tmp_path: Path, layout: str, sent: str) -> None:
    """Dovecot, offlineimap and mbsync name Sent differently; each is found without options."""
    root = tmp_path / "Mail"
    if layout == "folders":
        root.mkdir()
    mailbox.Maildir(root if layout == "maildir++" else root / "INBOX", create=True)
    (root / sent).parent.mkdir(parents=True, exist_ok=True)
    mailbox.Maildir(root / sent, create=True)
    assert box_layout(root) == layout
    box = MaildirMailbox(context(tmp_path), {"path": root})
    ref = box.create_draft(request())
    [draft] = [p for p in root.rglob("cur/*") if p.name.startswith(ref.id)]
    shutil.move(draft, root / sent / "cur" / f"{ref.id}:2,S")
    assert box.draft_state(ref, KEY).status == DraftStatus.SENT
    assert box.find_draft(KEY) is not None


def test_sent_at_falls_back_to_the_file_time(box: MaildirMailbox, root: Path) -> None:
    ref = box.create_draft(request())
    sent_key = user_sends(root, files(root, "Drafts")[0], date_header=False)
    [path] = [p for p in files(root, "Sent") if p.name.startswith(sent_key)]
    stamp = datetime(2026, 11, 22, 8, 0, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))
    state = box.draft_state(ref, KEY)
    assert state.status == DraftStatus.SENT
    assert state.sent_at == datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def test_draft_state_gone_when_deleted_or_in_trash(box: MaildirMailbox, root: Path) -> None:
    ref = box.create_draft(request())
    other = box.create_draft(request(key=KEY + "-2"))
    drafts = sorted(files(root, "Drafts"), key=lambda p: p.name.startswith(other.id))
    drafts[0].unlink()
    assert box.draft_state(ref, KEY).status == DraftStatus.GONE
    shutil.move(drafts[1], root / ".Trash" / "cur" / drafts[1].name)
    assert box.draft_state(other, KEY + "-2").status == DraftStatus.GONE


def test_a_draft_flagged_copy_elsewhere_is_not_a_sent_message(
    box: MaildirMailbox, root: Path
) -> None:
    """Gmail via mbsync shows drafts in [Gmail]/All Mail too, still with the D flag."""
    ref = box.create_draft(request())
    [path] = files(root, "Drafts")
    shutil.move(path, root / ".Archive" / "cur" / path.name)
    assert box.draft_state(ref, KEY).status == DraftStatus.GONE


def legacy_draft(root: Path, key: str = KEY) -> str:
    """A draft as followupd wrote them before issue 10: KEY header, @followupd.invalid id."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = ME, "jane.doe@acme.com", "Thank you"
    msg["Date"] = format_datetime(NOW)
    msg["Message-ID"] = legacy_message_id(key)
    msg[KEY_HEADER] = key
    msg.set_content("Hi Jane")
    stored = mailbox.MaildirMessage(msg.as_bytes())
    stored.set_subdir("cur")
    stored.set_flags("DS")
    return folder(root, "Drafts").add(stored)


def test_a_draft_made_before_issue_10_is_still_found_and_followed(
    box: MaildirMailbox, root: Path
) -> None:
    """Users upgrading have drafts with the old header in their mailbox: never a second one."""
    name = legacy_draft(root)
    ref = box.create_draft(request())
    assert ref.id == name and len(files(root, "Drafts")) == 1
    assert box.find_draft(KEY) == ref and box.draft_state(ref, KEY).status == DraftStatus.DRAFT
    user_sends(root, files(root, "Drafts")[0])  # mutt keeps the header, renews the id
    state = box.draft_state(ref, KEY)
    assert state.status == DraftStatus.SENT and state.sent and state.sent.message_id == RENEWED


def test_a_renewed_copy_must_match_recipient_subject_parent_and_time(
    box: MaildirMailbox, root: Path
) -> None:
    """Without its Message-ID, a copy in Sent is the draft only if the user could not tell
    them apart: same recipients, same subject, same parent, sent after the draft was made."""
    parent = ReplyTarget(message_id="<sent-1@laptop>", subject="Thank you")
    ref = box.create_draft(request(subject="Re: Thank you", reply_to=parent))
    [draft] = files(root, "Drafts")
    raw = draft.read_bytes()

    def sent_copy(**changes: str) -> None:
        msg = message_from_bytes(raw, policy=policy.default)
        values = {"Message-ID": RENEWED, "Date": format_datetime(NOW + timedelta(hours=2))}
        values.update({name.replace("_", "-"): value for name, value in changes.items()})
        for name, value in values.items():
            del msg[name]
            msg[name] = value
        folder(root, "Sent").add(mailbox.MaildirMessage(msg.as_bytes()))

    draft.unlink()
    sent_copy(Subject="Something else")
    sent_copy(To="someone@acme.com")
    sent_copy(In_Reply_To="<other@laptop>")
    sent_copy(Date=format_datetime(NOW - timedelta(days=1)))  # before the draft existed
    assert box.draft_state(ref, KEY).status == DraftStatus.GONE
    sent_copy(Subject="RE:  Thank you")  # a client's own spelling of the same subject
    state = box.draft_state(ref, KEY)
    assert state.status == DraftStatus.SENT and state.sent and state.sent.message_id == RENEWED
    assert state.sent_at == NOW + timedelta(hours=2)


def test_one_renewed_copy_is_taken_for_one_draft_only(box: MaildirMailbox, root: Path) -> None:
    """Two drafts to one person with one subject (two interviews): one copy, one draft."""
    first = box.create_draft(request())
    second = box.create_draft(request(key=KEY + "-2"))
    [a, b] = sorted(files(root, "Drafts"), key=lambda p: not p.name.startswith(first.id))
    user_sends(root, a)
    assert box.draft_state(first, KEY).status == DraftStatus.SENT
    b.unlink()  # the user deleted the other one
    assert box.draft_state(second, KEY + "-2").status == DraftStatus.GONE


def test_a_draft_a_client_saved_again_under_a_new_message_id_is_followed(
    box: MaildirMailbox, root: Path
) -> None:
    """A client that gives a draft a new Message-ID when it saves it (the user opened ours and
    saved an edit): still a draft, not a deleted one; its copy in Sent is the draft sent."""
    ref = box.create_draft(request())
    [draft] = files(root, "Drafts")
    msg = message_from_bytes(draft.read_bytes(), policy=policy.default)
    draft.unlink()
    msg.replace_header("Message-ID", "<resaved.1@laptop.example.org>")
    msg.replace_header("Date", format_datetime(NOW + timedelta(minutes=30)))
    stored = mailbox.MaildirMessage(msg.as_bytes())
    stored.set_subdir("cur")
    stored.set_flags("DS")
    folder(root, "Drafts").add(stored)
    assert box.draft_state(ref, KEY).status == DraftStatus.DRAFT
    user_sends(root, files(root, "Drafts")[0])
    state = box.draft_state(ref, KEY)
    assert state.status == DraftStatus.SENT and state.sent and state.sent.message_id == RENEWED


def test_a_renewed_copy_is_found_after_a_crash_before_the_draft_was_recorded(
    tmp_path: Path, box: MaildirMailbox, root: Path
) -> None:
    """find_draft after a crash: the draft was sent (new Message-ID) before the core recorded
    it; finding nothing would draft the thank-you a second time."""
    box.create_draft(request())
    user_sends(root, files(root, "Drafts")[0])
    restarted = MaildirMailbox(context(tmp_path), {"path": root})
    found = restarted.find_draft(KEY)
    assert found is not None and found.message_id == RENEWED


def test_the_draft_record_is_owner_only_and_names_no_more_than_needed(
    tmp_path: Path, box: MaildirMailbox
) -> None:
    box.create_draft(request())
    [record] = (tmp_path / "state").iterdir()
    assert record.stat().st_mode & 0o077 == 0


# ------------------------------------------------------------------------------------------
# Replies
# ------------------------------------------------------------------------------------------


def test_human_reply_and_auto_reply(box: MaildirMailbox, root: Path) -> None:
    deliver(root, "Jane Doe <Jane.Doe@ACME.com>", "Re: Thank you")
    deliver(
        root,
        "Bob <bob@acme.com>",
        "Automatic reply: Thank you",
        body="Thank you for your message. I am out of the office and will be back on December 3.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    result = box.messages_since(NOW, ["jane.doe@acme.com"], ["acme.com"])
    assert result.cursor is None and result.problems == []
    by_sender = {m.sender: m for m in result.messages}
    assert set(by_sender) == {"jane.doe@acme.com", "bob@acme.com"}
    human, auto = by_sender["jane.doe@acme.com"], by_sender["bob@acme.com"]
    assert not human.auto_reply and human.subject == "Re: Thank you" and human.excerpt == ""
    assert human.received_at == NOW + timedelta(days=2)
    assert auto.auto_reply and auto.excerpt.startswith("Thank you for your message.")
    assert return_date(auto.excerpt, auto.received_at) == date(2026, 12, 3)


def test_sender_and_domain_matching(box: MaildirMailbox, root: Path) -> None:
    for sender in (
        "recruiter@acme.com",
        "jane@jobs.acme.com",  # subdomain
        "eve@notacme.com",  # not a subdomain
        "mallory@acme.com.evil.example",
        "friend@gmail.com",
        "anne@partner.example",  # named sender at another domain
    ):
        deliver(root, sender)
    result = box.messages_since(NOW, ["anne@partner.example"], ["acme.com"])
    assert sorted(m.sender for m in result.messages) == [
        "anne@partner.example",
        "jane@jobs.acme.com",
        "recruiter@acme.com",
    ]


def test_own_messages_old_messages_and_other_folders_are_excluded(
    box: MaildirMailbox, root: Path
) -> None:
    deliver(root, f"Alex <{ME.upper()}>", "Fwd: notes for acme.com")
    deliver(root, "alex.alt@example.net", "to jane@acme.com")
    deliver(root, "jane@acme.com", "Before the interview", when=NOW - timedelta(hours=1))
    for name in ("Sent", "Drafts", "Trash", "Junk"):
        deliver(root, "jane@acme.com", f"in {name}", to_folder=name)
    deliver(root, "jane@acme.com", "Archived answer", to_folder="Archive")
    result = box.messages_since(NOW, ["jane@acme.com"], ["acme.com"])
    assert [m.subject for m in result.messages] == ["Archived answer"]


def test_inbox_folders_option_limits_the_search(tmp_path: Path, root: Path) -> None:
    deliver(root, "jane@acme.com", "Archived answer", to_folder="Archive")
    box = MaildirMailbox(context(tmp_path), {"path": root, "inbox_folders": ["INBOX"]})
    assert box.messages_since(NOW, [], ["acme.com"]).messages == []


def test_missing_date_uses_the_delivery_time(box: MaildirMailbox, root: Path) -> None:
    key = deliver(root, "jane@acme.com", when=None)
    [path] = [p for p in (root / "new").iterdir() if p.name.startswith(key)]
    late = (NOW + timedelta(days=1)).timestamp()
    os.utime(path, (late, late))
    [message] = box.messages_since(NOW, [], ["acme.com"]).messages
    assert message.received_at == NOW + timedelta(days=1)
    early = (NOW - timedelta(days=1)).timestamp()
    os.utime(path, (early, early))
    assert box.messages_since(NOW, [], ["acme.com"]).messages == []


def test_the_same_reply_in_two_folders_counts_once(box: MaildirMailbox, root: Path) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "jane@acme.com", ME, "Re: Thank you"
    msg["Date"], msg["Message-ID"] = format_datetime(NOW + timedelta(hours=3)), "<one@acme.com>"
    msg["References"] = "<thanks@followupd.invalid>"
    msg.set_content("Thanks!")
    folder(root, "INBOX").add(msg)
    folder(root, "Archive").add(msg)
    [message] = box.messages_since(NOW, [], ["acme.com"]).messages
    assert message.id == "<one@acme.com>"
    assert message.thread_id == "<thanks@followupd.invalid>"


def test_broken_messages_are_problems_not_crashes(box: MaildirMailbox, root: Path) -> None:
    (root / "new" / "1.broken.host").write_bytes(
        b"\x00\x01\xff binary junk that mentions acme.com\n\nand no headers\n"
    )
    (root / "new" / "2.noaddr.host").write_bytes(b"From: Jane at acme.com\nSubject: hi\n\nbody\n")
    (root / "new" / "3.nofrom.host").write_bytes(b"Subject: hi from acme.com\n\nbody\n")
    (root / "new" / "4.unrelated.host").write_bytes(b"\xff\xfe garbage about nothing\n")
    deliver(root, "jane@acme.com")
    result = box.messages_since(NOW, [], ["acme.com"])
    assert [m.sender for m in result.messages] == ["jane@acme.com"]
    problems = {Path(p.item).name: p.message for p in result.problems}
    assert problems == {
        "1.broken.host": "expected an RFC 5322 e-mail message: no header lines found at the "
        "start of the file",
        "2.noaddr.host": "expected an RFC 5322 e-mail message: its From header 'Jane at "
        "acme.com' holds no address like name@example.com",
        "3.nofrom.host": "expected an RFC 5322 e-mail message: it has no From header",
    }  # the unrelated broken file is never looked at closely, so it is no problem of ours
    assert all(Path(p.item).parent == root / "new" for p in result.problems)


def test_eight_bit_and_undecodable_headers(box: MaildirMailbox, root: Path) -> None:
    (root / "new" / "5.latin1.host").write_bytes(
        b"From: J\xf6rg <joerg@acme.com>\nSubject: Gr\xfc\xdfe =?bogus-charset?q?x?=\n"
        b"Message-ID: <\xff\xfe@acme.com>\nDate: not a date\n"
        b"Content-Type: text/plain; charset=bogus\n\nHallo\n"
    )
    stamp = (NOW + timedelta(hours=1)).timestamp()
    os.utime(root / "new" / "5.latin1.host", (stamp, stamp))
    [message] = box.messages_since(NOW, [], ["acme.com"]).messages
    assert message.sender == "joerg@acme.com"
    assert message.received_at == NOW + timedelta(hours=1)  # no usable Date: the file time
    # Latin-1 bytes are not UTF-8: replaced, never left as unencodable surrogates.
    assert message.subject == "Gr\ufffd\ufffde x"
    assert message.id == "<\ufffd\ufffd@acme.com>"
    for text in (message.id, message.sender, message.subject, message.thread_id or ""):
        text.encode("utf-8")


# ------------------------------------------------------------------------------------------
# Layouts and check()
# ------------------------------------------------------------------------------------------


def test_one_maildir_per_folder_layout(tmp_path: Path) -> None:
    """mbsync with 'SubFolders Verbatim': INBOX/, Drafts/, Sent/ each a Maildir."""
    root = tmp_path / "Mail"
    for name in ("INBOX", "Sent", "Archive/2026"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        mailbox.Maildir(root / name, create=True)
    box = MaildirMailbox(context(tmp_path), {"path": root, "layout": "auto"})
    assert box.check() == (
        f"Maildir (folders) at {root}: 3 folders; drafts go to 'Drafts' (created by the first "
        "draft, as mail clients do); replies are looked for in INBOX, Archive/2026"
    )
    ref = box.create_draft(request())
    assert [p.name for p in (root / "Drafts" / "cur").iterdir()] == [f"{ref.id}:2,DS"]
    reply = EmailMessage()
    reply["From"], reply["Subject"], reply["Date"] = "jane@acme.com", "Re: x", format_datetime(NOW)
    reply.set_content("ok")
    mailbox.Maildir(root / "Archive/2026", create=False).add(reply)
    assert [m.sender for m in box.messages_since(NOW, [], ["acme.com"]).messages] == [
        "jane@acme.com"
    ]
    sent = root / "Sent" / "cur" / "1.sent.host:2,S"
    shutil.move(root / "Drafts" / "cur" / f"{ref.id}:2,DS", sent)
    assert box.draft_state(ref, KEY).status == DraftStatus.SENT


def test_check_describes_the_tree_and_creates_no_drafts_folder(tmp_path: Path) -> None:
    """Was: check created .Drafts (issue 12: check writes nothing); the first draft does."""
    root = tmp_path / "Mail"
    mailbox.Maildir(root, create=True).add_folder("Sent")
    box = MaildirMailbox(context(tmp_path), {"path": root})
    assert box.check() == (
        f"Maildir (maildir++) at {root}: 2 folders; drafts go to 'Drafts' (created by the first "
        "draft, as mail clients do); replies are looked for in INBOX"
    )
    assert not (root / ".Drafts").exists()
    box.create_draft(request())
    assert (root / ".Drafts" / "cur").is_dir()


def test_check_missing_root(tmp_path: Path) -> None:
    box = MaildirMailbox(context(tmp_path), {"path": tmp_path / "nope"})
    with pytest.raises(ConnectorError) as err:
        box.check()
    assert str(err.value) == (
        f"maildir {tmp_path / 'nope'}: the directory does not exist; expected the root of a "
        "Maildir (with cur/, new/, tmp/) or a folder of Maildirs (INBOX/, Drafts/, ...)"
    )


def test_check_not_a_maildir(tmp_path: Path) -> None:
    (tmp_path / "Documents" / "letters").mkdir(parents=True)
    box = MaildirMailbox(context(tmp_path), {"path": tmp_path / "Documents"})
    with pytest.raises(ConnectorError) as err:
        box.messages_since(NOW, [], ["acme.com"])
    assert str(err.value) == (
        f"maildir {tmp_path / 'Documents'}: not a Maildir; expected cur/ and new/ in it "
        "(Maildir++) or folders that each contain cur/ and new/ (one Maildir per folder, as "
        "mbsync writes)"
    )


def test_draft_ref_lookup_by_id(box: MaildirMailbox, root: Path) -> None:
    """A draft whose Message-ID a client changed is still found in Drafts by its file key."""
    ref = box.create_draft(request())
    path = files(root, "Drafts")[0]
    path.write_bytes(path.read_bytes().replace(b"Message-ID: <", b"Message-ID: <x"))
    assert box.draft_state(ref, KEY).status == DraftStatus.DRAFT
    assert box.draft_state(DraftRef(id="unknown"), "followupd:other").status == DraftStatus.GONE


def test_check_root_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "mbox").write_text("From x\n")
    box = MaildirMailbox(context(tmp_path), {"path": tmp_path / "mbox"})
    with pytest.raises(ConnectorError) as err:
        box.check()
    assert str(err.value) == (
        f"maildir {tmp_path / 'mbox'}: is a file; expected the root directory of a Maildir"
    )


def test_unreadable_message_file_is_a_problem(box: MaildirMailbox, root: Path) -> None:
    # Not opened at all since issue 9: the listing says it is no file (see test_maildir_hostile).
    (root / "cur" / "6.dir.host:2,S").mkdir()
    result = box.messages_since(NOW, [], ["acme.com"])
    assert result.messages == []
    assert result.problems == [
        Problem(
            str(root / "cur" / "6.dir.host:2,S"),
            "not a regular file but a directory; expected a message file",
            container="INBOX",
        )
    ]


def test_draft_write_failure_is_a_connector_error(box: MaildirMailbox, root: Path) -> None:
    shutil.rmtree(root / ".Drafts" / "tmp")
    (root / ".Drafts" / "tmp").write_text("not a directory")
    with pytest.raises(ConnectorError) as err:
        box.create_draft(request())
    assert str(err.value).startswith(f"maildir {root / '.Drafts'}: cannot write the draft (")
    assert "File exists" in str(err.value)


def test_folder_creation_failure_is_a_connector_error(box: MaildirMailbox, root: Path) -> None:
    shutil.rmtree(root / ".Drafts")
    (root / ".Drafts").write_text("a file where the folder should be")
    with pytest.raises(ConnectorError) as err:
        box.create_draft(request())
    assert str(err.value).startswith(f"maildir {root}: cannot create folder 'Drafts' (")


def test_listing_failure_is_a_connector_error(tmp_path: Path) -> None:
    (tmp_path / "F" / "new").mkdir(parents=True)
    (tmp_path / "F" / "cur").write_text("not a directory")
    with pytest.raises(ConnectorError) as err:
        list(entries(Folder("F", tmp_path / "F")))
    assert str(err.value).startswith(
        f"maildir folder {tmp_path / 'F' / 'cur'}: cannot list it (Not a directory); "
    )


# -- sent_since: the user's own messages, for a status inquiry waiting for one -----------------


def own(
    root: Path,
    to: str,
    subject: str,
    when: datetime,
    *,
    cc: str | None = None,
    folder_name: str = "Sent",
    flags: str = "S",
    message_id: str | None = None,
) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = f"Alex <{ME}>", to, subject
    if cc:
        msg["Cc"] = cc
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id or f"<{subject.replace(' ', '-')}@example.org>"
    msg["References"] = "<earlier@acme.com>"
    msg.set_content("Thank you for today.")
    message = mailbox.MaildirMessage(msg)
    message.set_subdir("cur")
    message.set_flags(flags)
    folder(root, folder_name).add(message)


def test_sent_since_finds_the_users_own_mail_to_the_people_or_the_company(
    box: MaildirMailbox, root: Path
) -> None:
    later = NOW + timedelta(hours=2)
    own(root, "Jane Doe <jane.doe@acme.com>", "Thanks Jane", later)
    own(root, "pat@jobs.acme.com", "To the recruiter", later + timedelta(hours=1))
    own(root, "friend@other.example", "Cc the company", later, cc="Raj <raj@acme.com>")
    own(root, "anne@partner.example", "To a watched person", later)
    result = box.sent_since(NOW, ["anne@partner.example"], ["acme.com"])
    assert result.messages[0].subject == "To the recruiter"  # newest first
    assert sorted(m.subject for m in result.messages[1:]) == [
        "Cc the company",
        "Thanks Jane",
        "To a watched person",
    ]
    jane = next(m for m in result.messages if m.subject == "Thanks Jane")
    assert jane.message_id == "<Thanks-Jane@example.org>"
    assert jane.sent_at == later
    assert jane.recipients == ("jane.doe@acme.com",)
    assert jane.references == ("<earlier@acme.com>",)
    assert jane.names == (("jane.doe@acme.com", "Jane Doe"),)
    cc = next(m for m in result.messages if m.subject == "Cc the company")
    assert cc.recipients == ("friend@other.example", "raj@acme.com")


def test_sent_since_skips_old_mail_drafts_other_folders_and_strangers(
    box: MaildirMailbox, root: Path
) -> None:
    own(root, "jane.doe@acme.com", "Before the interview", NOW - timedelta(minutes=1))
    own(
        root,
        "jane.doe@acme.com",
        "A client's copy of a draft",
        NOW + timedelta(hours=1),
        flags="DS",
    )
    own(
        root,
        "jane.doe@acme.com",
        "Filed in the archive",
        NOW + timedelta(hours=1),
        folder_name="Archive",
    )
    own(root, "jane.doe@acme.com", "In Drafts", NOW + timedelta(hours=1), folder_name="Drafts")
    own(root, "bob@notacme.com", "Another company", NOW + timedelta(hours=1))
    own(root, "jane.doe@acme.com", "Sent", NOW + timedelta(hours=1))
    result = box.sent_since(NOW, [], ["acme.com"])
    assert [m.subject for m in result.messages] == ["Sent"]
    assert box.sent_since(NOW, [], []).messages == []


# -- read_draft / delete_draft: what `followupd redraft` asks ----------------------------------


def resave(
    root: Path,
    draft_file: Path,
    text: str | None = None,
    html: str | None = None,
    keep_old: bool = False,
) -> Path:
    """Play a client that saves a draft again under a new Message-ID and file name (with the
    user's edit, when given), deleting the old file unless ``keep_old``."""
    msg = message_from_bytes(draft_file.read_bytes(), policy=policy.default)
    if not keep_old:
        draft_file.unlink()
    edited = EmailMessage()
    for name in ("From", "To", "Subject", "In-Reply-To", "References"):
        if msg[name] is not None:
            edited[name] = msg[name]
    edited["Date"] = format_datetime(NOW + timedelta(minutes=30))
    edited["Message-ID"] = "<resaved.2@laptop.example.org>"
    plain = msg.get_body(("plain",)).get_content()
    if html is not None and text is None:
        edited.set_content(html, subtype="html")
    else:
        edited.set_content(text if text is not None else plain)
    stored = mailbox.MaildirMessage(edited.as_bytes())
    stored.set_subdir("cur")
    stored.set_flags("DS")
    name = folder(root, "Drafts").add(stored)
    return next(p for p in files(root, "Drafts") if p.name.startswith(name))


def test_read_draft_of_a_fresh_draft_is_what_was_written(box: MaildirMailbox) -> None:
    wanted = request(html="<p>Hi Zoë,</p><p>thank you for your time today.</p>")
    ref = box.create_draft(wanted)
    assert box.read_draft(ref, KEY) == DraftContent(subject=wanted.subject, text=wanted.text)


def test_read_draft_finds_the_draft_by_message_id_after_a_crash(
    tmp_path: Path, box: MaildirMailbox
) -> None:
    box.create_draft(request())
    restarted = MaildirMailbox(context(tmp_path), {"path": box.tree.root})
    unknown_file = DraftRef(id="", message_id=message_id_for(KEY, ME))
    content = restarted.read_draft(unknown_file, KEY)
    assert content is not None and content.text == request().text


def test_read_draft_shows_an_edit_saved_in_place(box: MaildirMailbox, root: Path) -> None:
    ref = box.create_draft(request())
    [path] = files(root, "Drafts")
    msg = message_from_bytes(path.read_bytes(), policy=policy.default)
    msg.set_content("Hi Zoë,\n\nthank you, and here is the portfolio link.\n\nAlex\n")
    msg.replace_header("Subject", "Thank you – Senior Engineer")
    path.write_bytes(msg.as_bytes())
    assert box.read_draft(ref, KEY) == DraftContent(
        subject="Thank you – Senior Engineer",
        text="Hi Zoë,\n\nthank you, and here is the portfolio link.\n\nAlex\n",
    )


def test_read_draft_shows_an_edit_a_client_saved_under_a_new_name(
    box: MaildirMailbox, root: Path
) -> None:
    ref = box.create_draft(request())
    assert box.draft_state(ref, KEY).status == DraftStatus.DRAFT
    resave(root, files(root, "Drafts")[0], text="Hi Zoë,\n\nedited by me.\n")
    content = box.read_draft(ref, KEY)
    assert content == DraftContent(subject=request().subject, text="Hi Zoë,\n\nedited by me.\n")


def test_an_edit_saved_beside_our_untouched_file_is_the_draft(
    box: MaildirMailbox, root: Path
) -> None:
    """A client that writes the edit as a new file and leaves ours: our file is not the draft
    as the user has it, and must not pass for it (redraft would replace it, keep the edit)."""
    ref = box.create_draft(request())
    ours = files(root, "Drafts")[0]
    edit = resave(root, ours, text="Hi Zoë,\n\nedited by me.\n", keep_old=True)
    content = box.read_draft(ref, KEY)
    assert content is not None and content.text == "Hi Zoë,\n\nedited by me.\n"
    box.delete_draft(ref, KEY)
    assert not edit.exists() and ours.exists()


def test_read_draft_turns_an_html_only_body_into_text(box: MaildirMailbox, root: Path) -> None:
    ref = box.create_draft(request())
    resave(
        root,
        files(root, "Drafts")[0],
        html="<html><head><style>p{}</style></head><body><p>Hi Zo&euml;,</p>"
        "<p>thank you<br>for today.</p><ul><li>one</li></ul></body></html>",
    )
    content = box.read_draft(ref, KEY)
    assert content is not None
    assert content.text == "Hi Zoë,\n\nthank you\nfor today.\n\n- one\n"


def test_read_draft_is_none_once_sent_deleted_or_moved(box: MaildirMailbox, root: Path) -> None:
    sent = box.create_draft(request())
    user_sends(root, files(root, "Drafts")[0], renew=False)  # keeps the Message-ID
    assert box.draft_state(sent, KEY).status == DraftStatus.SENT
    assert box.read_draft(sent, KEY) is None  # only Drafts holds drafts
    deleted = box.create_draft(request(key=KEY + "-2"))
    [path] = files(root, "Drafts")
    path.unlink()
    assert box.read_draft(deleted, KEY + "-2") is None
    trashed = box.create_draft(request(key=KEY + "-3"))
    [path] = files(root, "Drafts")
    shutil.move(path, root / ".Trash" / "cur" / path.name)
    assert box.read_draft(trashed, KEY + "-3") is None


def test_delete_draft_removes_only_that_draft_and_twice_is_fine(
    box: MaildirMailbox, root: Path
) -> None:
    ref = box.create_draft(request())
    other = box.create_draft(request(key=KEY + "-2"))
    box.delete_draft(ref, KEY)
    [left] = files(root, "Drafts")
    assert left.name.startswith(other.id)
    assert box.read_draft(ref, KEY) is None
    assert box.draft_state(ref, KEY).status == DraftStatus.GONE
    box.delete_draft(ref, KEY)  # already gone: not an error
    assert files(root, "Drafts") == [left] and files(root, "Trash") == []
    assert box.records.get(KEY) is None and box.records.get(KEY + "-2") is not None


def test_delete_draft_of_a_resaved_draft_deletes_the_users_file(
    box: MaildirMailbox, root: Path
) -> None:
    ref = box.create_draft(request())
    box.draft_state(ref, KEY)
    resave(root, files(root, "Drafts")[0])  # saved again unchanged, new name and Message-ID
    content = box.read_draft(ref, KEY)
    assert content == DraftContent(subject=request().subject, text=request().text)
    box.delete_draft(ref, KEY)
    assert files(root, "Drafts") == []


def test_an_unreadable_draft_is_a_connector_error(box: MaildirMailbox, root: Path) -> None:
    ref = box.create_draft(request())
    [path] = files(root, "Drafts")
    path.write_bytes(b"\x00\x01 not mail at all")
    with pytest.raises(ConnectorError) as err:
        box.read_draft(ref, KEY)
    assert str(err.value).startswith(f"maildir {path}: expected an RFC 5322 e-mail message")
