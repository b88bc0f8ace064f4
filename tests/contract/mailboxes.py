"""One harness per mailbox provider, so that each promise of :class:`daemon.protocols.Mailbox`
is written once (tests/contract/test_contract_mailbox.py) and checked the same way everywhere.

A harness builds the provider's connector through its real client library against the server
the provider's own tests use (a Maildir tree, a real Dovecot, the Gmail and Graph fakes), and
plays what the user and the outside world do there: a message arrives, the user sends or
deletes a draft, the user writes a message of their own. It never reaches into the connector.
Each harness has its own "now", because each server has its own idea of time (the Graph fake
runs on the real clock; the others take the times they are given).
"""

from __future__ import annotations

import itertools
import mailbox
import ssl
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any

from daemon.clock import FrozenClock, SystemClock
from daemon.protocols import AccountContext, DraftRef, Mailbox

JANE = "jane.doe@acme.example"  # the interviewer
RECRUITING = "jobs.acme.example"  # the company's other domain, watched as a domain
_fresh = itertools.count()


def _message(
    sender: str, to: str, subject: str, when: datetime, body: str, headers: dict[str, str]
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{abs(hash((sender, subject, when)))}@{sender.rpartition('@')[2]}>"
    for name, value in headers.items():
        msg[name] = value
    msg.set_content(body)
    return msg


def _sent_copy(draft: bytes, at: datetime) -> bytes:
    """The draft as a mail client stores it in Sent: the same message, the send time as Date."""
    msg = message_from_bytes(draft, policy=policy.default)
    del msg["Date"]
    msg["Date"] = format_datetime(at)
    return msg.as_bytes()


class MailboxHarness(ABC):
    """What every provider's harness offers the contract tests."""

    name: str
    me: str
    now: datetime  # "since": the end of the interview
    idle_budget: int | None = None  # requests/commands an idle reply poll may cost (None: local)

    @abstractmethod
    def connector(self, records_lost: bool = False) -> Mailbox:
        """A NEW connector, as a new daemon process (after a crash) makes it. With
        ``records_lost`` its state dir holds none of the connector's own records (the crash
        fell before it wrote them); what signs it in (a token file) is kept."""
        ...

    def state_dir(self, tmp_path: Path, records_lost: bool) -> Path:
        if not records_lost:
            return tmp_path / "state"
        lost = tmp_path / f"state-lost-{next(_fresh)}"
        lost.mkdir(mode=0o700)
        return lost

    @abstractmethod
    def drafts(self) -> int:
        """How many drafts the mailbox holds, as the user's mail client would count them."""
        ...

    @abstractmethod
    def user_deletes(self, ref: DraftRef) -> None: ...

    @abstractmethod
    def user_sends(self, ref: DraftRef, at: datetime) -> None:
        """The user presses Send on the draft: the draft leaves, a sent copy is kept."""
        ...

    @abstractmethod
    def deliver(
        self,
        sender: str,
        subject: str,
        at: datetime,
        body: str = "Thanks, we'll be in touch.",
        headers: dict[str, str] | None = None,
    ) -> None:
        """A message arrives in the inbox."""
        ...

    @abstractmethod
    def user_writes(self, to: str, subject: str, at: datetime) -> None:
        """The user writes and sends a message of their own, in any mail client."""
        ...

    def mark(self) -> Any:
        """A point in the server's record of requests (IMAP: commands)."""
        return None

    def requests_since(self, mark: Any) -> int | None:
        """How many requests the server saw after ``mark`` (None: nothing to count)."""
        return None


# --- maildir ------------------------------------------------------------------------------------


class MaildirHarness(MailboxHarness):
    name = "maildir"
    me = "alex@example.org"
    now = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.root = tmp_path / "Mail"
        box = mailbox.Maildir(self.root, create=True)
        for name in ("Drafts", "Sent", "Trash"):
            box.add_folder(name)

    def connector(self, records_lost: bool = False) -> Mailbox:
        from connectors.maildir import PROVIDER
        from daemon import options as o

        problems: list[str] = []
        options = o.validate({"path": str(self.root)}, PROVIDER.mailbox_options, "t", problems)
        assert problems == []
        ctx = AccountContext(
            name="personal",
            addresses=(self.me,),
            state_dir=self.state_dir(self.tmp_path, records_lost),
            clock=FrozenClock(self.now),
            timezone="Europe/Berlin",
        )
        return PROVIDER.mailbox(ctx, options, {})

    def folder(self, name: str) -> mailbox.Maildir:
        return mailbox.Maildir(self.root if name == "INBOX" else self.root / f".{name}")

    def _draft_file(self) -> Path:
        (path,) = [p for sub in ("cur", "new") for p in (self.root / ".Drafts" / sub).iterdir()]
        return path

    def drafts(self) -> int:
        return len(self.folder("Drafts"))

    def user_deletes(self, ref: DraftRef) -> None:
        self._draft_file().unlink()

    def user_sends(self, ref: DraftRef, at: datetime) -> None:
        path = self._draft_file()
        stored = mailbox.MaildirMessage(_sent_copy(path.read_bytes(), at))
        stored.set_subdir("cur")
        stored.set_flags("S")
        path.unlink()
        self.folder("Sent").add(stored)

    def deliver(self, sender, subject, at, body="Thanks, we'll be in touch.", headers=None):
        msg = _message(sender, self.me, subject, at, body, headers or {})
        self.folder("INBOX").add(mailbox.MaildirMessage(msg))

    def user_writes(self, to: str, subject: str, at: datetime) -> None:
        stored = mailbox.MaildirMessage(_message(self.me, to, subject, at, "Hello", {}))
        stored.set_subdir("cur")
        stored.set_flags("S")
        self.folder("Sent").add(stored)


# --- imap (a real Dovecot) ----------------------------------------------------------------------


class ImapHarness(MailboxHarness):
    name = "imap"
    now = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    idle_budget = 1  # STATUS of INBOX (UIDNEXT UIDVALIDITY), counted from Dovecot's rawlog

    def __init__(self, tmp_path: Path, server: Any) -> None:
        from tests.servers import dovecot as dc

        self.tmp_path = tmp_path
        self.server = server
        self.me = dc.USER
        self.host = dc.HOST

    def connector(self, records_lost: bool = False) -> Mailbox:
        from connectors.imap import PROVIDER

        options = {
            "host": self.host,
            "port": self.server.imaps_port,
            "tls": "implicit",
            "ca_bundle": self.server.ca_file,
            "username": self.server.user,
            "password": self.server.password,
        }
        ctx = AccountContext(
            name="personal",
            addresses=(self.me,),
            state_dir=self.state_dir(self.tmp_path, records_lost),
            clock=FrozenClock(self.now),
            timezone="Europe/Berlin",
        )
        return PROVIDER.mailbox(ctx, options, {})

    @contextmanager
    def client(self) -> Iterator[Any]:
        """An independent connection: the user's mail client."""
        from imapclient import IMAPClient

        context = ssl.create_default_context(cafile=str(self.server.ca_file))
        imap = IMAPClient(self.host, port=self.server.imaps_port, ssl=True, ssl_context=context)
        imap.login(self.server.user, self.server.password)
        try:
            yield imap
        finally:
            imap.logout()

    def drafts(self) -> int:
        with self.client() as imap:
            imap.select_folder("Drafts", readonly=True)
            return len(imap.search(["NOT", "DELETED"]))

    def _take_draft(self) -> bytes:
        with self.client() as imap:
            imap.select_folder("Drafts")
            (uid,) = imap.search(["ALL"])
            data = imap.fetch([uid], [b"BODY.PEEK[]"])[uid][b"BODY[]"]
            imap.delete_messages([uid])
            imap.expunge()
            return data

    def user_deletes(self, ref: DraftRef) -> None:
        self._take_draft()

    def user_sends(self, ref: DraftRef, at: datetime) -> None:
        copy = _sent_copy(self._take_draft(), at)
        with self.client() as imap:
            imap.append("Sent", copy, flags=(b"\\Seen",), msg_time=at)

    def deliver(self, sender, subject, at, body="Thanks, we'll be in touch.", headers=None):
        msg = _message(sender, self.me, subject, at, body, headers or {})
        with self.client() as imap:
            imap.append("INBOX", msg.as_bytes(), msg_time=at)

    def user_writes(self, to: str, subject: str, at: datetime) -> None:
        msg = _message(self.me, to, subject, at, "Hello", {})
        with self.client() as imap:
            imap.append("Sent", msg.as_bytes(), flags=(b"\\Seen",), msg_time=at)

    def mark(self) -> Any:
        return len(self.server.commands())

    def requests_since(self, mark: Any) -> int | None:
        return len(self.server.commands()) - mark


# --- gmail (the Google fake) --------------------------------------------------------------------


class GmailHarness(MailboxHarness):
    name = "gmail"
    now = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    idle_budget = 1  # history.list from the cursor (tests/test_google_replies.py)

    def __init__(self, env: Any) -> None:
        self.env = env
        self.me = env.state.email

    def connector(self, records_lost: bool = False) -> Mailbox:
        from connectors.google.gmail import GoogleMailbox

        if not records_lost:
            return self.env.mailbox()
        # the token file is named in the options, outside the state dir
        ctx = replace(self.env.ctx, state_dir=self.state_dir(self.env.ctx.state_dir, True))
        return GoogleMailbox(self.env.session(), ctx, {})

    def drafts(self) -> int:
        return len(self.env.state.drafts)

    def user_deletes(self, ref: DraftRef) -> None:
        self.env.state.delete_draft(ref.id)

    def user_sends(self, ref: DraftRef, at: datetime) -> None:
        self.env.state.send_draft_as_user(ref.id, at=at)

    def deliver(self, sender, subject, at, body="Thanks, we'll be in touch.", headers=None):
        self.env.state.receive(sender, subject, at=at, headers=headers, body=body)

    def user_writes(self, to: str, subject: str, at: datetime) -> None:
        self.env.state.user_sends(to, subject, at=at)

    def mark(self) -> Any:
        return len(self.env.state.requests)

    def requests_since(self, mark: Any) -> int | None:
        return len(self.env.state.api_requests(mark))


# --- outlook (the Graph fake) -------------------------------------------------------------------


class GraphHarness(MailboxHarness):
    name = "outlook"
    me = "casey@contoso.example"
    idle_budget = 1  # one listing newer than the cursor (tests/test_outlook_mail.py)

    def __init__(self, tmp_path: Path, ms: Any) -> None:
        from connectors.outlook import PROVIDER

        self.ms = ms
        self.now = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
        self.ctx = AccountContext(
            name="work",
            addresses=(self.me,),
            state_dir=tmp_path / "state",
            clock=SystemClock(),
            timezone="UTC",
        )
        PROVIDER.authorize(self.ctx, ms.account_options(), lambda line: None)

    def connector(self, records_lost: bool = False) -> Mailbox:
        """Outlook keeps no record of its own (the key is an extended property on the
        server's copy; the state dir holds only the token cache): ``records_lost`` changes
        nothing."""
        from connectors.outlook import PROVIDER, forget_runtimes

        forget_runtimes()  # a new process: no session shared with the last connector
        return PROVIDER.mailbox(self.ctx, {}, self.ms.account_options())

    def drafts(self) -> int:
        return len(self.ms.graph.drafts())

    def user_deletes(self, ref: DraftRef) -> None:
        self.ms.graph.user_deletes(ref.id)

    def user_sends(self, ref: DraftRef, at: datetime) -> None:
        self.ms.graph.user_sends(ref.id, at)

    def deliver(self, sender, subject, at, body="Thanks, we'll be in touch.", headers=None):
        name, address = parseaddr(sender)
        self.ms.graph.deliver(
            address, subject, received=at, name=name or None, headers=headers, preview=body
        )

    def user_writes(self, to: str, subject: str, at: datetime) -> None:
        self.ms.graph.user_writes(to, subject, at=at)

    def mark(self) -> Any:
        return len(self.ms.graph.log)

    def requests_since(self, mark: Any) -> int | None:
        return len(self.ms.graph.log) - mark


MAILBOXES = ("maildir", "imap", "gmail", "outlook")


def mailbox_harness(name: str, tmp_path: Path, stack: ExitStack) -> MailboxHarness:
    """The harness of provider ``name``, its server started on ``stack`` (stopped after)."""
    if name == "maildir":
        return MaildirHarness(tmp_path)
    if name == "imap":
        from tests.servers import dovecot as dc

        return ImapHarness(tmp_path, stack.enter_context(dc.dovecot()))
    if name == "gmail":
        from tests.fakes.google_env import google_env

        return GmailHarness(stack.enter_context(google_env(tmp_path)))
    if name == "outlook":
        from connectors.outlook import forget_runtimes
        from tests.fakes.graph_server import running_microsoft

        stack.callback(forget_runtimes)
        ms = stack.enter_context(running_microsoft(tmp_path / "fakes"))
        return GraphHarness(tmp_path, ms)
    raise ValueError(name)
