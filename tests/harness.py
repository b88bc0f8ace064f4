"""Drive the real engine with the real local connectors (ics + maildir) through simulated time.

A :class:`World` is a temporary home: a calendar file the test edits, a Maildir the test reads
(and where it plays the user: sending a draft moves it to Sent, deleting it removes it) and a
config tying them together. ``tick(at)`` is one poll plus the due work at that moment.
"""

from __future__ import annotations

import mailbox
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from sqlalchemy import select

from daemon import config as config_mod
from daemon.clock import FrozenClock
from daemon.message import is_message_id_of
from daemon.running.accounts import connect_all
from daemon.running.engine import Engine
from daemon.store.database import open_store
from daemon.store.models import FollowUp, Interview
from daemon.writing.render import Renderer

ME = "alex@example.org"


@dataclass
class Person:
    name: str
    email: str
    cutype: str = "INDIVIDUAL"
    partstat: str = "ACCEPTED"


@dataclass
class Event:
    uid: str
    start: datetime
    minutes: int
    summary: str
    people: list[Person]
    description: str = ""
    status: str = "CONFIRMED"
    extra: list[str] = field(default_factory=list)
    my_partstat: str = "ACCEPTED"
    has_uid: bool = True  # False: written without a UID line (``uid`` only names it here)

    def ics(self) -> str:
        def t(v: datetime) -> str:
            return v.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

        lines = [
            "BEGIN:VEVENT",
            *([f"UID:{self.uid}"] if self.has_uid else []),
            "DTSTAMP:20260101T000000Z",
            f"DTSTART:{t(self.start)}",
            f"DTEND:{t(self.start + timedelta(minutes=self.minutes))}",
            f"SUMMARY:{self.summary}",
            f"STATUS:{self.status}",
        ]
        if self.description:
            lines.append("DESCRIPTION:" + self.description.replace("\n", "\\n"))
        if self.people:
            lines.append(f"ORGANIZER;CN={self.people[0].name}:mailto:{self.people[0].email}")
        for p in self.people:
            lines.append(
                f"ATTENDEE;CN={p.name};CUTYPE={p.cutype};PARTSTAT={p.partstat}:mailto:{p.email}"
            )
        lines.append(f"ATTENDEE;CN=Alex;PARTSTAT={self.my_partstat}:mailto:{ME}")
        lines += self.extra
        lines.append("END:VEVENT")
        return "\r\n".join(lines)


class World:
    def __init__(self, root: Path, db_url: str, extra_config: str = "") -> None:
        self.root = root
        self.db_url = db_url
        self.events: dict[str, Event] = {}
        (root / "cal").mkdir(parents=True, exist_ok=True)
        self.box = mailbox.Maildir(root / "mail", create=True)
        for folder in ("Drafts", "Sent"):
            self.box.add_folder(folder)
        self.config_path = root / "config.toml"
        self.config_path.write_text(
            f"""
[daemon]
timezone = "Europe/Berlin"
state_dir = "state"
database = "{db_url}"

[candidate]
name = "Alex Candidate"
highlights = ["building payment systems"]

[days]
holidays = []

{extra_config}

[[accounts]]
name = "home"
addresses = ["{ME}"]
calendar = {{ provider = "ics", path = "cal" }}
mailbox = {{ provider = "maildir", path = "mail" }}
"""
        )
        self.clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
        self.write_calendar()
        self.restart()

    # -- the daemon -----------------------------------------------------------------------

    def restart(self) -> None:
        """A fresh process: new config load, new connectors, new engine, same state."""
        self.config = config_mod.load(self.config_path)
        t, s = self.config.thank_you, self.config.status_inquiry
        sessions = open_store(self.config.daemon.database)
        self.engine = Engine(
            self.config,
            sessions,
            connect_all(self.config, self.clock, sessions),
            self.clock,
            Renderer(t.template, t.html_template, s.template, s.html_template),
        )

    def tick(self, at: datetime) -> None:
        self.clock.set(at)
        self.engine.poll()
        self.engine.run_due()

    # -- the calendar ---------------------------------------------------------------------

    def add(self, event: Event) -> Event:
        self.events[event.uid] = event
        self.write_calendar()
        return event

    def write_calendar(self) -> None:
        body = "\r\n".join(e.ics() for e in self.events.values())
        text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        text += (body + "\r\n" if body else "") + "END:VCALENDAR\r\n"
        (self.root / "cal" / "interviews.ics").write_text(text, newline="")

    # -- the mailbox, played by the user --------------------------------------------------

    def folder(self, name: str) -> mailbox.Maildir:
        return self.box.get_folder(name)

    def drafts(self) -> list[EmailMessage]:
        return [
            message_from_bytes(self.folder("Drafts").get_bytes(k), policy=policy.default)
            for k in self.folder("Drafts").iterkeys()
        ]

    def key_of(self, draft: EmailMessage) -> str:
        """The KEY of a draft followupd made, as the user could tell it: nothing in the draft
        names it (issue 10), so it is the follow-up whose Message-ID the draft carries."""
        keys = [fu.key for fu in self.followups() if is_message_id_of(draft["Message-ID"], fu.key)]
        assert len(keys) == 1, f"no single follow-up has the draft {draft['Message-ID']}: {keys}"
        return keys[0]

    def drafts_to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.drafts() if address in str(m["To"])]

    def send(self, draft: EmailMessage, at: datetime) -> EmailMessage:
        """The user sends the draft: it leaves Drafts and lands in Sent with a new Message-ID,
        as some clients do (mutt before it kept a recalled message's), headers otherwise kept."""
        drafts = self.folder("Drafts")
        for key in drafts.iterkeys():
            msg = message_from_bytes(drafts.get_bytes(key), policy=policy.default)
            if msg["Message-ID"] == draft["Message-ID"]:
                drafts.remove(key)
                break
        else:
            raise AssertionError("draft not found")
        sent = EmailMessage()
        for name, value in draft.items():
            if name.lower() not in (
                "message-id",
                "date",
                "content-type",
                "mime-version",
                "content-transfer-encoding",
            ):
                sent[name] = value
        sent["Date"] = format_datetime(at)
        sent["Message-ID"] = make_msgid(domain="example.org")
        body = draft.get_body(("plain",))
        sent.set_content(body.get_content() if body else "")
        self.folder("Sent").add(mailbox.MaildirMessage(sent))
        return sent

    def delete(self, draft: EmailMessage) -> None:
        drafts = self.folder("Drafts")
        for key in drafts.iterkeys():
            if (
                message_from_bytes(drafts.get_bytes(key), policy=policy.default)["Message-ID"]
                == draft["Message-ID"]
            ):
                drafts.remove(key)
                return
        raise AssertionError("draft not found")

    def receive(
        self,
        sender: str,
        subject: str,
        at: datetime,
        body: str = "Hello",
        headers: dict[str, str] | None = None,
    ) -> None:
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = ME
        msg["Subject"] = subject
        msg["Date"] = format_datetime(at)
        msg["Message-ID"] = make_msgid(domain="example.com")
        for name, value in (headers or {}).items():
            msg[name] = value
        msg.set_content(body)
        self.box.add(mailbox.MaildirMessage(msg))

    def write_own(
        self, to: str, subject: str, at: datetime, headers: dict[str, str] | None = None
    ) -> EmailMessage:
        """The user writes a message of their own in their mail client (no followupd header)
        and sends it: the copy lands in Sent."""
        msg = EmailMessage()
        msg["From"] = f"Alex Candidate <{ME}>"
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = format_datetime(at)
        msg["Message-ID"] = make_msgid(domain="example.org")
        for name, value in (headers or {}).items():
            msg[name] = value
        msg.set_content("Thank you for the conversation today.")
        self.folder("Sent").add(mailbox.MaildirMessage(msg))
        return msg

    def status(self) -> str:
        """What `followupd status` prints now, as plain text."""
        from io import StringIO

        from rich.console import Console

        from daemon.output.tables import print_status

        out = StringIO()
        console = Console(file=out, width=400, color_system=None)
        with self.engine.sessions() as session:
            print_status(console, session, self.config, self.clock.now())
        return out.getvalue()

    # -- the state ------------------------------------------------------------------------

    def followups(self) -> list[FollowUp]:
        with self.engine.sessions() as session:
            rows = session.scalars(select(FollowUp).order_by(FollowUp.id)).all()
            for fu in rows:
                _ = fu.interviewer.email, fu.interview.title  # load while the session is open
            return list(rows)

    def states(self) -> dict[tuple[str, str, int], str]:
        return {(fu.interviewer.email, fu.kind, fu.seq): fu.state for fu in self.followups()}

    def interviews(self) -> list[Interview]:
        with self.engine.sessions() as session:
            return list(session.scalars(select(Interview).order_by(Interview.id)).all())
