"""One user's world per provider, all offering the same actions and the same mailbox view.

A world owns a folder with the config, the state database and (for the local provider) the
calendar file and the Maildir; for Google and Microsoft it also owns the fake servers, which run
in the test process while the daemon under test reaches them over 127.0.0.1. The test plays the
calendar (add, move, cancel an interview) and the user (send or delete a draft, receive a reply).

:meth:`World.view` turns what is in the mailbox into provider-neutral :class:`Item` values, one
per message followupd made, so the oracle can say "exactly one per key" on every provider.
"""

from __future__ import annotations

import mailbox
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.exc import SQLAlchemyError

from daemon.message import draft_key, is_message_id_of
from daemon.store.models import FollowUp
from tests.campaign.daemon import Daemon
from tests.harness import Event, Person

ACCOUNT = "acct"


@dataclass(frozen=True)
class Item:
    """A message followupd made, as it is now: still a ``draft`` or ``sent`` by the user."""

    key: str
    where: str
    to: tuple[str, ...]
    reply: bool  # in the conversation of a message the user sent


@dataclass
class Interview:
    ident: str
    title: str
    start: datetime
    people: list[tuple[str, str]]  # (address, name); the first one organizes
    minutes: int = 60
    cancelled: bool = False
    has_uid: bool = True  # ics only: False writes the event without a UID line


class World(ABC):
    provider = ""
    me = ""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.interviews: dict[str, Interview] = {}
        self.due_at: datetime | None = None  # when the next follow-up falls due, if known
        self.account = ACCOUNT  # the account's name in the config; the user may change it
        (root / "home").mkdir(parents=True, exist_ok=True)
        self.config = root / "config.toml"
        self.config.write_text(self.config_text())
        self.daemon = Daemon(root, self.config)

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'state' / 'state.db'}"

    def config_text(self) -> str:
        return f"""
[daemon]
timezone = "Europe/Berlin"
state_dir = "{self.root / "state"}"
database = "{self.db_url}"
poll_interval = "1h"

[candidate]
name = "Alex Candidate"
highlights = ["building payment systems"]

[days]
holidays = []

[[accounts]]
name = "{self.account}"
addresses = ["{self.me}"]
{self.account_text()}
"""

    def signed_in(self) -> None:
        """What ``followupd auth`` records besides the tokens it leaves: the account's row,
        claiming what the account serves (daemon/running/identity.py: ``claim``), so that a
        rename before any run has recorded it still finds the sign-in."""
        from daemon import config as config_mod
        from daemon.resources import identity
        from daemon.running.identity import claim
        from daemon.store.database import open_store
        from daemon.store.repository import account_state

        account = config_mod.load(self.config).account(self.account)
        sessions = open_store(self.db_url)
        try:
            with sessions() as session:
                claim(session, account_state(session, self.account), identity(account))
                session.commit()
        finally:
            sessions.kw["bind"].dispose()

    def rename_account(self, name: str) -> None:
        """The user renames the account in the config (nothing else changes)."""
        self.account = name
        self.config.write_text(self.config_text())

    # -- the calendar -------------------------------------------------------------------------

    def add(self, interview: Interview) -> None:
        self.interviews[interview.ident] = interview
        self.put(interview)

    def move(self, ident: str, start: datetime) -> None:
        self.interviews[ident].start = start
        self.put(self.interviews[ident])

    def cancel(self, ident: str) -> None:
        self.interviews[ident].cancelled = True
        self.put(self.interviews[ident])

    # -- provider specifics -------------------------------------------------------------------

    @abstractmethod
    def account_text(self) -> str: ...

    @abstractmethod
    def put(self, interview: Interview) -> None:
        """Write the interview (new, moved or cancelled) into the calendar."""

    def at(self, when: datetime) -> None:
        """The outside world's clock (fakes stamp new items with it)."""
        self.now = when

    @abstractmethod
    def send(self, key: str, when: datetime) -> None:
        """The user sends the draft made for ``key``."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """The user deletes the draft made for ``key``."""

    @abstractmethod
    def receive(self, sender: str, name: str, subject: str, when: datetime) -> None: ...

    @abstractmethod
    def write_own(self, to: str, name: str, subject: str, when: datetime) -> None:
        """The user writes and sends a message of their own, from any mail client."""

    @abstractmethod
    def view(self) -> list[Item]: ...

    @abstractmethod
    def draft_ids(self) -> set[str]:
        """The provider ids of the drafts that exist now (what the state table records)."""

    def close(self) -> None:
        """Stop the fakes; fail on anything they saw that must never happen."""
        self.closed = True


# --------------------------------------------------------------------------------------------
# ics + Maildir
# --------------------------------------------------------------------------------------------


def known_keys(db_url: str) -> list[str]:
    """The KEY of every follow-up the state database has (none before it exists), and the
    KEY of each of its redrafts so far (``followupd redraft``: ``draft_key(key, revision)``)."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(FollowUp.key, FollowUp.revision)).all()
            return [draft_key(key, r) for key, revision in rows for r in range((revision or 0) + 1)]
    except SQLAlchemyError:
        return []
    finally:
        engine.dispose()


def key_of(message_id: object, keys: list[str]) -> str:
    """The KEY a message followupd made belongs to, told by its Message-ID: nothing else in it
    names the KEY (issue 10). A message no row's KEY explains is named by its Message-ID, so
    the oracle reports it."""
    found = [k for k in keys if is_message_id_of(str(message_id or ""), k)]
    # A redraft's message belongs to its follow-up: named by the follow-up's KEY.
    return found[0].partition("#r")[0] if len(found) == 1 else f"unknown:{message_id}"


def _parse(data: bytes) -> EmailMessage:
    return message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


def _addresses(value: object) -> tuple[str, ...]:
    return tuple(sorted(a.lower() for _, a in getaddresses([str(value or "")])))


class LocalWorld(World):
    provider = "local"
    me = "alex@example.org"

    def __init__(self, root: Path) -> None:
        (root / "cal").mkdir(parents=True, exist_ok=True)
        self.box = mailbox.Maildir(root / "mail", create=True)
        for folder in ("Drafts", "Sent"):
            self.box.add_folder(folder)
        self.sent_keys: dict[str, str] = {}  # Message-ID of a copy in Sent -> the draft's KEY
        self.own_ids: set[str] = set()  # Message-IDs of the messages the user wrote themselves
        super().__init__(root)
        self.write_calendar()

    def account_text(self) -> str:
        return (
            f'calendar = {{ provider = "ics", path = "{self.root / "cal"}" }}\n'
            f'mailbox = {{ provider = "maildir", path = "{self.root / "mail"}" }}\n'
        )

    def put(self, interview: Interview) -> None:
        self.write_calendar()

    def write_calendar(self) -> None:
        events = [
            Event(
                i.ident,
                i.start,
                i.minutes,
                i.title,
                [Person(name, address) for address, name in i.people],
                status="CANCELLED" if i.cancelled else "CONFIRMED",
                has_uid=i.has_uid,
            ).ics()
            for i in self.interviews.values()
        ]
        text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//campaign//EN\r\n"
        text += "".join(e + "\r\n" for e in events) + "END:VCALENDAR\r\n"
        path = self.root / "cal" / "interviews.ics"
        tmp = path.with_suffix(".tmp")  # the calendar app replaces the file atomically
        tmp.write_text(text, newline="")
        tmp.replace(path)

    def _messages(self, folder: str) -> list[tuple[str, EmailMessage]]:
        box = self.box.get_folder(folder)
        return [(k, _parse(box.get_bytes(k))) for k in box.iterkeys()]

    def _draft(self, key: str) -> str:
        (found,) = [
            k for k, m in self._messages("Drafts") if is_message_id_of(str(m["Message-ID"]), key)
        ]
        return found

    def send(self, key: str, when: datetime) -> None:
        drafts = self.box.get_folder("Drafts")
        name = self._draft(key)
        draft = _parse(drafts.get_bytes(name))
        drafts.remove(name)
        sent = EmailMessage()  # what a client that renews the Message-ID leaves in Sent
        skip = ("message-id", "date", "content-type", "mime-version", "content-transfer-encoding")
        for header, value in draft.items():
            if header.lower() not in skip:
                sent[header] = value
        sent["Date"] = format_datetime(when)
        sent["Message-ID"] = make_msgid(domain="example.org")
        self.sent_keys[str(sent["Message-ID"])] = key  # the user knows what they sent
        body = draft.get_body(("plain",))
        sent.set_content(body.get_content() if body else "")
        self.box.get_folder("Sent").add(mailbox.MaildirMessage(sent))

    def delete(self, key: str) -> None:
        self.box.get_folder("Drafts").remove(self._draft(key))

    def receive(self, sender: str, name: str, subject: str, when: datetime) -> None:
        msg = EmailMessage()
        msg["From"] = f"{name} <{sender}>"
        msg["To"] = self.me
        msg["Subject"] = subject
        msg["Date"] = format_datetime(when)
        msg["Message-ID"] = make_msgid(domain="example.com")
        msg.set_content("Thanks, we will be in touch.")
        self.box.add(mailbox.MaildirMessage(msg))

    def write_own(self, to: str, name: str, subject: str, when: datetime) -> None:
        msg = EmailMessage()  # what any client leaves in Sent: no followupd header at all
        msg["From"] = f"Alex Candidate <{self.me}>"
        msg["To"] = f"{name} <{to}>"
        msg["Subject"] = subject
        msg["Date"] = format_datetime(when)
        msg["Message-ID"] = make_msgid(domain="example.org")
        msg.set_content("Thank you for the conversation.")
        self.box.get_folder("Sent").add(mailbox.MaildirMessage(msg))
        self.own_ids.add(str(msg["Message-ID"]))

    def view(self) -> list[Item]:
        sent = self._messages("Sent")
        sent_ids = {str(m["Message-ID"]) for _, m in sent}
        keys = known_keys(self.db_url)
        drafts = [(key_of(m["Message-ID"], keys), m) for _, m in self._messages("Drafts")]
        copies = [  # the user's own messages are theirs, not followupd's: not in the view
            (self.sent_keys.get(str(m["Message-ID"])) or key_of(m["Message-ID"], keys), m)
            for _, m in sent
            if str(m["Message-ID"]) not in self.own_ids
        ]
        return [
            Item(key, where, _addresses(m["To"]), str(m["In-Reply-To"]) in sent_ids)
            for where, found in (("draft", drafts), ("sent", copies))
            for key, m in found
        ]

    def draft_ids(self) -> set[str]:
        return set(self.box.get_folder("Drafts").iterkeys())


def google_time(value: datetime) -> dict[str, str]:
    return {"dateTime": value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "timeZone": "UTC"}


def end_of(interview: Interview) -> datetime:
    return interview.start + timedelta(minutes=interview.minutes)
