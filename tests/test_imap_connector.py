"""The ``imap`` provider against a real Dovecot (tests/servers/dovecot.py), no fakes.

Every test talks to the server through the connector and checks what the server holds through
a second, independent IMAP connection (:func:`peek`), as a user's mail client would see it.
Skipped when Dovecot is not installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from connectors.imap import PROVIDER
from connectors.imap.connector import ImapMailbox
from daemon.clock import FrozenClock
from daemon.errors import AuthNeeded, ConnectorError
from daemon.message import legacy_message_id, message_id_for
from daemon.protocols import (
    KEY_HEADER,
    AccountContext,
    Address,
    DraftRef,
    DraftRequest,
    DraftStatus,
    Mailbox,
)
from tests.servers import dovecot as dc

pytestmark = pytest.mark.skipif(dc.binary() is None, reason="dovecot is not installed")

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
ME = dc.USER
KEY = "followupd:personal:interview-7f3a9c0e1b2d4f6a8c0e1b2d4f6a8c0e:jane.doe@acme.com:thank-you"
JANE = "jane.doe@acme.com"


@pytest.fixture
def server() -> Iterator[dc.Dovecot]:
    with dc.dovecot() as running:
        yield running


def options(server: dc.Dovecot, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "host": dc.HOST,
        "port": server.imaps_port,
        "tls": "implicit",
        "ca_bundle": server.ca_file,
        "username": server.user,
        "password": server.password,
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def context(tmp_path: Path, clock: FrozenClock | None = None) -> AccountContext:
    return AccountContext(
        name="personal",
        addresses=(ME,),
        state_dir=tmp_path / "state",
        clock=clock or FrozenClock(NOW),
        timezone="Europe/Berlin",
    )


def connect(server: dc.Dovecot, tmp_path: Path, **changes: Any) -> ImapMailbox:
    """A new connector, as a new daemon process (after a crash) would make it."""
    return PROVIDER.mailbox(context(tmp_path), options(server, **changes), {})


def request(key: str = KEY, **changes: object) -> DraftRequest:
    values: dict[str, object] = {
        "key": key,
        "sender": Address(ME, "Alex Müller"),
        "to": (Address(JANE, "Jane Doe"),),
        "subject": "Danke für das Gespräch – Senior Engineer",
        "text": "Hi Jane,\n\nthank you for your time today.\n\nAlex\n",
    }
    values.update(changes)
    values.setdefault("message_id", message_id_for(str(values["key"]), ME))
    return DraftRequest(**values)  # type: ignore[arg-type]


def client(server: dc.Dovecot) -> IMAPClient:
    """An independent connection: the user's mail client."""
    context = ssl.create_default_context(cafile=str(server.ca_file))
    imap = IMAPClient(dc.HOST, port=server.imaps_port, ssl=True, ssl_context=context)
    imap.login(server.user, server.password)
    return imap


def peek(server: dc.Dovecot, folder: str) -> list[tuple[set[bytes], bytes]]:
    """(flags, whole message) of every message in ``folder``, without changing a flag."""
    imap = client(server)
    try:
        imap.select_folder(folder, readonly=True)
        found = imap.fetch(imap.search(["ALL"]), [b"FLAGS", b"BODY.PEEK[]"])
        return [(set(v[b"FLAGS"]), v[b"BODY[]"]) for _, v in sorted(found.items())]
    finally:
        imap.logout()


def deliver(
    server: dc.Dovecot, folder: str, data: bytes, flags: tuple[bytes, ...] = (), when=None
) -> None:
    """APPEND a message, as the server's delivery (or the user's client) would store it."""
    imap = client(server)
    try:
        imap.append(folder, data, flags=flags, msg_time=when)
    finally:
        imap.logout()


def mail(
    sender: str = JANE,
    subject: str = "Re: our interview",
    when: datetime = NOW + timedelta(hours=2),
    body: str = "Thanks Alex, we'll be in touch.",
    message_id: str = "<reply-1@acme.com>",
    **headers: str,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Jane Doe <{sender}>"
    msg["To"] = ME
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


# --- check, TLS and sign-in ---------------------------------------------------------------------


def test_check_names_the_mailboxes_found_by_special_use(server, tmp_path):
    box = connect(server, tmp_path)
    assert isinstance(box, Mailbox)
    line = box.check()
    assert "'Drafts' (SPECIAL-USE \\Drafts)" in line
    assert "sent mail in 'Sent'" in line
    assert f"{ME} at imaps://127.0.0.1:{server.imaps_port}" in line


def test_starttls_with_the_ca_bundle(server, tmp_path):
    box = connect(server, tmp_path, port=server.imap_port, tls="starttls")
    assert "drafts go to 'Drafts'" in box.check()
    (login,) = server.logins(1)
    assert ", TLS," in login


def test_plain_text_only_when_asked_for_on_loopback(server, tmp_path):
    box = connect(server, tmp_path, port=server.imap_port, tls="none", ca_bundle=None)
    assert "drafts go to 'Drafts'" in box.check()
    (login,) = server.logins(1)
    assert ", TLS," not in login  # what tls = "none" means, which config allows on loopback only


def test_without_the_ca_bundle_the_certificate_is_refused_with_the_option_named(server, tmp_path):
    box = connect(server, tmp_path, ca_bundle=None)
    with pytest.raises(ConnectorError) as err:
        box.check()
    assert not isinstance(err.value, AuthNeeded)
    assert "set ca_bundle in config.toml: [accounts.personal.mailbox]" in str(err.value)


def test_wrong_password_is_auth_needed_with_a_clear_line(server, tmp_path):
    box = connect(server, tmp_path, password="not-it")
    with pytest.raises(AuthNeeded) as err:
        box.check()
    text = str(err.value)
    assert "refused the username or password" in text
    assert "[accounts.personal.mailbox]" in text
    assert "not-it" not in text
    assert err.value.fix == "followupd check"


def test_password_from_a_command(server, tmp_path):
    box = connect(
        server, tmp_path, password=None, password_command=["printf", server.password + "\\n"]
    )
    assert "drafts go to 'Drafts'" in box.check()


def test_a_closed_port_is_a_transient_error(server, tmp_path):
    from daemon.errors import TransientError

    box = connect(server, tmp_path, port=dc.free_port())
    with pytest.raises(TransientError, match="cannot reach the server"):
        box.check()


# --- drafts: one per key, found again, gone, sent ---------------------------------------------


def test_one_draft_per_key_across_a_crash(server, tmp_path):
    first = connect(server, tmp_path)
    ref = first.create_draft(request())
    # "crash": a new connector (a new process) finds it by its key alone
    again = connect(server, tmp_path)
    found = again.find_draft(KEY)
    assert found is not None and found.message_id == ref.message_id
    assert again.create_draft(request()).message_id == ref.message_id  # no second APPEND
    drafts = peek(server, "Drafts")
    assert len(drafts) == 1
    flags, data = drafts[0]
    assert b"\\Draft" in flags and b"\\Seen" in flags
    assert message_id_for(KEY, ME).encode() in data
    assert b"followupd" not in data.lower()  # nothing names the tool (issue 10)
    assert again.draft_state(ref, KEY).status is DraftStatus.DRAFT


def test_a_legacy_draft_is_found_by_its_key_header(server, tmp_path):
    legacy = mail(sender=ME, message_id=legacy_message_id(KEY), **{KEY_HEADER: KEY})
    deliver(server, "Drafts", legacy, flags=(b"\\Draft",))
    assert connect(server, tmp_path).find_draft(KEY) is not None
    assert connect(server, tmp_path).find_draft(KEY + "x") is None


def test_a_deleted_draft_is_gone(server, tmp_path):
    box = connect(server, tmp_path)
    ref = box.create_draft(request())
    imap = client(server)
    imap.select_folder("Drafts")
    imap.delete_messages(imap.search(["ALL"]))  # the user deletes it (flag, then expunge)
    imap.expunge()
    imap.logout()
    assert box.draft_state(ref, KEY).status is DraftStatus.GONE
    assert connect(server, tmp_path).find_draft(KEY) is None


def test_a_draft_flagged_deleted_but_not_expunged_is_gone(server, tmp_path):
    box = connect(server, tmp_path)
    ref = box.create_draft(request())
    imap = client(server)
    imap.select_folder("Drafts")
    imap.add_flags(imap.search(["ALL"]), [b"\\Deleted"])
    imap.logout()
    assert box.draft_state(ref, KEY).status is DraftStatus.GONE


def test_the_sent_copy_is_sent_with_its_send_time(server, tmp_path):
    box = connect(server, tmp_path)
    ref = box.create_draft(request())
    _, data = peek(server, "Drafts")[0]
    sent_at = NOW + timedelta(hours=3)
    # the user's client sends it: a copy in Sent with a new Date, the draft removed
    copy = data.replace(
        f"Date: {format_datetime(NOW)}".encode(), f"Date: {format_datetime(sent_at)}".encode()
    )
    assert copy != data
    deliver(server, "Sent", copy, flags=(b"\\Seen",), when=sent_at)
    imap = client(server)
    imap.select_folder("Drafts")
    imap.delete_messages(imap.search(["ALL"]))
    imap.expunge()
    imap.logout()
    state = connect(server, tmp_path).draft_state(ref, KEY)
    assert state.status is DraftStatus.SENT
    assert state.sent_at == sent_at
    assert state.sent is not None and state.sent.message_id == message_id_for(KEY, ME)


@pytest.fixture
def new_york(monkeypatch):
    """This process in another time zone than the server's UTC (tzset, undone after)."""
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_sent_copy_without_date_is_sent_when_the_server_stored_it(server, tmp_path, new_york):
    box = connect(server, tmp_path)
    ref = box.create_draft(request())
    _, data = peek(server, "Drafts")[0]
    undated = b"\r\n".join(x for x in data.split(b"\r\n") if not x.startswith(b"Date:"))
    stored = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)
    deliver(server, "Sent", undated, when=stored)
    imap = client(server)
    imap.select_folder("Drafts")
    imap.delete_messages(imap.search(["ALL"]))
    imap.expunge()
    imap.logout()
    state = box.draft_state(ref, KEY)
    assert state.status is DraftStatus.SENT and state.sent_at == stored


def _renewed(data: bytes, message_id: str, when: datetime, text: str | None = None) -> bytes:
    """``data`` as a client that makes a new Message-ID (and Date) writes it again."""
    msg = message_from_bytes(data, policy=policy.default)
    msg.replace_header("Message-ID", message_id)
    msg.replace_header("Date", format_datetime(when))
    if text is not None:
        msg.set_content(text)
    return msg.as_bytes()


def _empty(server: dc.Dovecot, folder: str) -> None:
    imap = client(server)
    imap.select_folder(folder)
    imap.delete_messages(imap.search(["ALL"]))
    imap.expunge()
    imap.logout()


def test_a_client_that_renews_the_message_id_on_save_and_send(server, tmp_path):
    box = connect(server, tmp_path)
    ref = box.create_draft(request())
    _, data = peek(server, "Drafts")[0]
    # the user edits it in a client that saves it under a new Message-ID (and drops ours)
    edited = _renewed(data, "<edit-1@example.org>", NOW + timedelta(hours=1), "Hi Jane, edited")
    _empty(server, "Drafts")
    deliver(server, "Drafts", edited, flags=(b"\\Draft",))
    again = connect(server, tmp_path)  # a restart: the record is in the state dir
    assert again.draft_state(ref, KEY).status is DraftStatus.DRAFT
    content = again.read_draft(ref, KEY)
    assert content is not None and content.text.strip() == "Hi Jane, edited"
    # ... and sends it under yet another one
    sent_at = NOW + timedelta(hours=2)
    _empty(server, "Drafts")
    deliver(server, "Sent", _renewed(edited, "<sent-1@example.org>", sent_at), flags=(b"\\Seen",))
    state = connect(server, tmp_path).draft_state(ref, KEY)
    assert state.status is DraftStatus.SENT and state.sent_at == sent_at
    assert state.sent is not None and state.sent.message_id == "<sent-1@example.org>"
    # another draft to Jane with the same subject does not take that copy
    other = connect(server, tmp_path)
    ref2 = other.create_draft(request(KEY + ":2"))
    _empty(server, "Drafts")
    assert other.draft_state(ref2, KEY + ":2").status is DraftStatus.GONE


def test_our_message_id_in_the_inbox_is_not_a_sent_draft(server, tmp_path):
    box = connect(server, tmp_path)
    ref = box.create_draft(request())
    _, data = peek(server, "Drafts")[0]
    deliver(server, "INBOX", data)  # anyone can mail the user a message with that id
    imap = client(server)
    imap.select_folder("Drafts")
    imap.delete_messages(imap.search(["ALL"]))
    imap.expunge()
    imap.logout()
    assert box.draft_state(ref, KEY).status is DraftStatus.GONE


def test_read_and_delete_a_draft_for_redraft(server, tmp_path):
    box = connect(server, tmp_path)
    ref = box.create_draft(request())
    content = box.read_draft(ref, KEY)
    assert content is not None
    assert content.subject == "Danke für das Gespräch – Senior Engineer"
    assert content.text == "Hi Jane,\n\nthank you for your time today.\n\nAlex\n"
    other = box.create_draft(request(KEY + "#r1"))
    box.delete_draft(ref, KEY)
    box.delete_draft(ref, KEY)  # already gone: not an error
    drafts = peek(server, "Drafts")
    assert [other.message_id.encode() in d for _, d in drafts] == [True]
    assert box.read_draft(ref, KEY) is None


# --- mailboxes without SPECIAL-USE ---------------------------------------------------------------


def test_icloud_names_without_special_use(tmp_path):
    with dc.dovecot(dc.ICLOUD) as server:
        box = connect(server, tmp_path)
        line = box.check()
        assert "'Drafts' (by name)" in line and "'Sent Messages'" in line
        ref = box.create_draft(request())
        _, data = peek(server, "Drafts")[0]
        deliver(server, "Sent Messages", data, when=NOW + timedelta(hours=1))
        imap = client(server)
        imap.select_folder("Drafts")
        imap.delete_messages(imap.search(["ALL"]))
        imap.expunge()
        imap.logout()
        assert box.draft_state(ref, KEY).status is DraftStatus.SENT


def test_a_missing_drafts_mailbox_is_created_by_the_first_draft(tmp_path):
    with dc.dovecot({"Sent Items": None}) as server:
        box = connect(server, tmp_path)
        assert "created by the first draft" in box.check()
        box.create_draft(request())
        assert len(peek(server, "Drafts")) == 1
        assert "drafts go to 'Drafts' (by name)" in connect(server, tmp_path).check()


def test_two_drafts_candidates_are_an_error_naming_the_option(tmp_path):
    with dc.dovecot({"Drafts": None, "Entwürfe": None}) as server:
        with pytest.raises(ConnectorError, match="set drafts_folder"):
            connect(server, tmp_path).check()
        assert "'Entwürfe'" in connect(server, tmp_path, drafts_folder="Entwürfe").check()


# --- replies ----------------------------------------------------------------------------------


def test_human_reply_and_auto_replies(server, tmp_path):
    deliver(server, "INBOX", mail())
    deliver(
        server,
        "INBOX",
        mail(
            sender="hr@jobs.acme.com",
            subject="Automatic reply: our interview",
            message_id="<ooo-1@acme.com>",
            body="I am out of the office until December 3, 2026 with limited access to email.",
            Auto_Submitted="auto-replied",
        ),
    )
    deliver(server, "INBOX", mail(sender="someone@else.org", message_id="<other@else.org>"))
    deliver(server, "INBOX", mail(sender=ME, message_id="<mine@example.org>"))
    deliver(server, "INBOX", mail(message_id="<old@acme.com>", when=NOW - timedelta(days=3)))
    box = connect(server, tmp_path)
    got = box.messages_since(NOW, [JANE], ["acme.com"])
    by_id = {m.id: m for m in got.messages}
    assert set(by_id) == {"<reply-1@acme.com>", "<ooo-1@acme.com>"}
    assert not by_id["<reply-1@acme.com>"].auto_reply
    assert by_id["<reply-1@acme.com>"].excerpt == ""  # a human's body is never read
    ooo = by_id["<ooo-1@acme.com>"]
    assert ooo.auto_reply and "December 3, 2026" in ooo.excerpt
    from daemon.autoreply import return_date

    assert str(return_date(ooo.excerpt, ooo.received_at)) == "2026-12-04"  # back the next day
    # headers only, and the first 64 KB of the one auto-reply (for its return date)
    bodies = [c for c in server.commands() if "BODY.PEEK[]" in c]
    assert len(bodies) == 1, server.commands()
    # nothing was marked read
    assert all(b"\\Seen" not in flags for flags, _ in peek(server, "INBOX"))


def test_idle_poll_is_one_status_command(server, tmp_path):
    deliver(server, "INBOX", mail())
    box = connect(server, tmp_path)
    first = box.messages_since(NOW, [JANE], [])
    assert [m.id for m in first.messages] == ["<reply-1@acme.com>"]
    before = len(server.commands())
    idle = box.messages_since(NOW, [JANE], [], first.cursor)
    after = server.commands()[before:]
    assert idle.messages == [] and idle.cursor == first.cursor
    assert after == ['STATUS "INBOX" (UIDNEXT UIDVALIDITY)'], after
    # a new reply: only the new UIDs are searched and fetched
    deliver(server, "INBOX", mail(message_id="<reply-2@acme.com>"))
    deliver(server, "INBOX", mail(sender="x@else.org", message_id="<x@else.org>"))
    before = len(server.commands())
    new = box.messages_since(NOW, [JANE], [], idle.cursor)
    assert [m.id for m in new.messages] == ["<reply-2@acme.com>"]
    assert len(server.commands()[before:]) <= 5, server.commands()[before:]
    # the connection stays open between polls: one login for all of this
    assert len(server.logins(1 + 3)) == 1 + 3  # + deliver()'s


def test_an_idle_poll_of_many_drafts_is_one_status_of_drafts(server, tmp_path):
    box = connect(server, tmp_path)
    keys = [f"{KEY}:{n}" for n in range(3)]
    refs = {k: box.create_draft(request(k)) for k in keys}
    assert {box.draft_state(refs[k], k).status for k in keys} == {DraftStatus.DRAFT}
    box.account.states.forget()  # the next poll, minutes later
    before = len(server.commands())
    assert {box.draft_state(refs[k], k).status for k in keys} == {DraftStatus.DRAFT}
    assert server.commands()[before:] == [
        'STATUS "Drafts" (UIDVALIDITY UIDNEXT MESSAGES HIGHESTMODSEQ)'
    ]
    # the user deletes one (flagged only, as some clients do): HIGHESTMODSEQ moves
    imap = client(server)
    imap.select_folder("Drafts")
    imap.add_flags(imap.search(["HEADER", "Message-ID", refs[keys[1]].message_id]), [b"\\Deleted"])
    imap.logout()
    box.account.states.forget()
    states = [box.draft_state(refs[k], k).status for k in keys]
    assert states == [DraftStatus.DRAFT, DraftStatus.GONE, DraftStatus.DRAFT]


def test_the_user_reading_mail_does_not_make_a_poll_search(server, tmp_path):
    """HIGHESTMODSEQ (CONDSTORE) moves with every flag change; UIDNEXT only with arrivals,
    which is all a reply poll needs: reading the reply must not cost a search."""
    deliver(server, "INBOX", mail())
    box = connect(server, tmp_path)
    first = box.messages_since(NOW, [JANE], [])
    imap = client(server)
    modseq = imap.folder_status("INBOX", [b"HIGHESTMODSEQ"])[b"HIGHESTMODSEQ"]
    imap.select_folder("INBOX")
    imap.add_flags(imap.search(["ALL"]), [b"\\Seen"])
    imap.unselect_folder()
    assert imap.folder_status("INBOX", [b"HIGHESTMODSEQ"])[b"HIGHESTMODSEQ"] > modseq
    imap.logout()
    before = len(server.commands())
    assert box.messages_since(NOW, [JANE], [], first.cursor).messages == []
    assert len([c for c in server.commands()[before:] if "INBOX" in c]) == 1


def test_a_draft_copy_in_sent_under_another_message_id_is_not_the_sent_draft(server, tmp_path):
    """A client that saved our draft into Sent still flagged \\Draft (its own copy, with the
    Message-ID we were given back) has not sent it; our own Message-ID moved there has."""
    box = connect(server, tmp_path)
    ref = box.create_draft(request())
    _, data = peek(server, "Drafts")[0]
    theirs = DraftRef(id=ref.id, message_id="<client-copy@example.org>")
    copy = data.replace(ref.message_id.encode(), b"<client-copy@example.org>")
    deliver(server, "Sent", copy, flags=(b"\\Draft",))
    imap = client(server)
    imap.select_folder("Drafts")
    imap.delete_messages(imap.search(["ALL"]))
    imap.expunge()
    imap.logout()
    assert box.draft_state(theirs, KEY).status is DraftStatus.GONE
    deliver(server, "Sent", copy.replace(b"client-copy", b"client-sent"))
    sent = DraftRef(id=ref.id, message_id="<client-sent@example.org>")
    assert box.draft_state(sent, KEY).status is DraftStatus.SENT


def test_a_dropped_connection_is_replaced_without_the_caller_noticing(server, tmp_path):
    deliver(server, "INBOX", mail())
    box = connect(server, tmp_path)
    first = box.messages_since(NOW, [JANE], [])
    server.kick()
    assert box.messages_since(NOW, [JANE], [], first.cursor).messages == []
    server.kick()
    box.create_draft(request())  # the search before the APPEND finds the connection dead
    assert len(peek(server, "Drafts")) == 1
    assert len(server.logins(3 + 2)) == 3 + 2  # + deliver() and peek()


def test_uidvalidity_change_means_a_full_rescan_without_duplicates(server, tmp_path):
    deliver(server, "INBOX", mail())
    box = connect(server, tmp_path)
    first = box.messages_since(NOW, [JANE], [])
    # The server renumbers INBOX (a restore, a migration): Dovecot loses its UID list and
    # index, and gives the mailbox a new UIDVALIDITY.
    server.kick()
    inbox = server.mail / server.user.partition("@")[0]
    for path in [inbox / "dovecot-uidlist", *inbox.glob("dovecot.index*")]:
        path.unlink()
    again = box.messages_since(NOW, [JANE], [], first.cursor)
    assert [m.id for m in again.messages] == ["<reply-1@acme.com>"]
    assert (
        json.loads(again.cursor)["boxes"]["INBOX"][0]
        != json.loads(first.cursor)["boxes"]["INBOX"][0]
    )
    before = len(server.commands())
    idle = box.messages_since(NOW, [JANE], [], again.cursor)
    assert idle.messages == [] and len(server.commands()[before:]) == 1


def test_the_same_reply_in_two_mailboxes_counts_once(server, tmp_path):
    deliver(server, "INBOX", mail())
    deliver(server, "Junk", mail())
    box = connect(server, tmp_path, inbox_folders=["INBOX", "Junk"])
    assert len(box.messages_since(NOW, [JANE], []).messages) == 1


def test_a_broken_message_is_a_problem_and_the_rest_goes_on(server, tmp_path):
    broken = (
        b"From: \xff\xfe broken <<<@@@>\r\nSubject: =?utf-8?b?!!!?=\r\n"
        b"Content-Type: multipart/mixed; boundary=\r\nDate: yesterday-ish\r\n\r\n--\r\n"
    )
    deliver(server, "INBOX", broken, when=NOW + timedelta(hours=1))
    deliver(
        server,
        "INBOX",
        b"From: Jane <jane.doe@acme.com>\r\nContent-Type: multipart/alternative\r\n"
        b"Subject: =?x-unknown?q?broken?=\r\nMessage-ID: <mime@acme.com>\r\n\r\nno boundary\r\n",
        when=NOW + timedelta(hours=1),
    )
    deliver(server, "INBOX", mail())
    got = connect(server, tmp_path).messages_since(NOW, [JANE, "broken"], ["acme.com"])
    assert {m.id for m in got.messages} == {"<reply-1@acme.com>", "<mime@acme.com>"}
    assert len(got.problems) == 1 and got.problems[0].item.startswith("INBOX/")
    assert "From header" in got.problems[0].message


def test_a_configured_mailbox_the_server_lacks_is_named(server, tmp_path):
    deliver(server, "INBOX", mail())
    box = connect(server, tmp_path, inbox_folders=["INBOX", "Recruiting"])
    with pytest.raises(ConnectorError, match=r"inbox_folders: the server has no mailbox 'Recruit"):
        box.check()
    got = box.messages_since(NOW, [JANE], [])  # the others are still read
    assert [m.id for m in got.messages] == ["<reply-1@acme.com>"]
    assert [p.item for p in got.problems] == ["Recruiting"]


def test_sent_since_reads_sent_headers_only(server, tmp_path):
    out = mail(sender=ME, subject="Following up", message_id="<f1@example.org>")
    out = out.replace(f"To: {ME}".encode(), f"To: Jane <{JANE}>".encode())
    deliver(server, "Sent", out, flags=(b"\\Seen",))
    draftish = out.replace(b"<f1@example.org>", b"<f2@example.org>")
    deliver(server, "Sent", draftish, flags=(b"\\Draft",))
    got = connect(server, tmp_path).sent_since(NOW, [], ["acme.com"])
    assert [m.message_id for m in got.messages] == ["<f1@example.org>"]
    assert got.messages[0].recipients == (JANE,)
    box = connect(server, tmp_path)
    again = box.sent_since(NOW, [], ["acme.com"])
    box.account.states.forget()  # the next poll
    before = len(server.commands())
    assert box.sent_since(NOW, [], ["acme.com"]).messages == again.messages
    assert server.commands()[before:] == [
        'STATUS "Sent" (UIDVALIDITY UIDNEXT MESSAGES HIGHESTMODSEQ)'
    ]
    fetches = [c for c in server.commands() if " FETCH " in f" {c}"]
    assert fetches and all("BODY.PEEK[HEADER]" in c and "BODY.PEEK[]" not in c for c in fetches)


def test_draft_ref_survives_as_a_value(server, tmp_path):
    box = connect(server, tmp_path)
    ref = box.create_draft(request())
    assert isinstance(ref, DraftRef) and "/" in ref.id
