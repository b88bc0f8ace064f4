"""One account as a Fastmail or iCloud user runs it: ``calendar = caldav`` on a real Radicale,
``mailbox = imap`` on a real Dovecot, both passwords from a command, through the real CLI
(``auth``, ``check``, ``run --once``, ``status``). Only the URLs differ from Fastmail's.

The user's side is played with plain clients: the calendar app PUTs the interview over HTTP
(:class:`tests.servers.radicale.DavUser`), the mail client APPENDs the sent copy and the
company's answers arrive by APPEND to INBOX (:func:`tests.test_imap_connector.deliver`).
"""

from __future__ import annotations

import email
import email.policy
import json
import sys
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from pathlib import Path

import pytest

from tests.demo_home import cli, records
from tests.harness import Event, Person
from tests.servers import dovecot as dc
from tests.servers.radicale import DavUser, dav_user, radicale
from tests.test_imap_connector import client, deliver, peek

__all__ = ["dav_user", "radicale"]  # fixtures
pytestmark = pytest.mark.skipif(dc.binary() is None, reason="dovecot is not installed")

ENDED = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # the interview's end, a Tuesday
NOW = ENDED + timedelta(hours=3)  # the thank-yous (due an hour after the end) are due
JANE = Person("Jane Smith", "jane.smith@acme.example")
RAJ = Person("Raj Patel", "raj.patel@acme.example")


def fastmail_home(root: Path, user: DavUser, server: dc.Dovecot) -> list[str]:
    """The config docs/fastmail-icloud.md gives a Fastmail user, with the test servers' URLs
    and the test CA; each password in a file of its own, read by a command."""
    for name, secret in (("caldav", user.password), ("imap", server.password)):
        (root / f"{name}-password").write_text(secret + "\n")
        (root / f"{name}-password").chmod(0o600)
    config = root / "config.toml"
    config.write_text(
        f"""[daemon]
state_dir = "{root / "state"}"
timezone = "UTC"

[candidate]
name = "Alex Candidate"

[[accounts]]
name = "fastmail"
addresses = ["{server.user}"]

[accounts.calendar]
provider = "caldav"
url = "{user.server.url}"
username = "{user.name}"
password_command = ["cat", "{root / "caldav-password"}"]

[accounts.mailbox]
provider = "imap"
host = "{dc.HOST}"
port = {server.imaps_port}
ca_bundle = "{server.ca_file}"
username = "{server.user}"
password_command = ["cat", "{root / "imap-password"}"]
"""
    )
    return ["--config", str(config)]


def interview(user: DavUser) -> None:
    """The calendar app stores the invitation: Jane organises, Raj attends, an hour long."""
    calendar = user.make_calendar("calendar", "Calendar")
    event = Event(
        "acme-onsite-1@acme.example",
        ENDED - timedelta(hours=1),
        60,
        "Interview: Acme Corp (Senior Backend Engineer)",
        [JANE, RAJ],
    ).ics()
    user.put(
        calendar,
        "acme-onsite-1.ics",
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{event}\r\nEND:VCALENDAR\r\n",
    )


def drafts(server: dc.Dovecot) -> dict[str, email.message.Message]:
    """The drafts in Dovecot's Drafts, read back over IMAP, by their one recipient."""
    found = {}
    for flags, data in peek(server, "Drafts"):
        assert b"\\Draft" in flags
        message = email.message_from_bytes(data, policy=email.policy.default)
        ((_, to),) = getaddresses([str(message["To"])])
        assert to not in found, f"two drafts to {to}"
        found[to] = message
    return found


def answer(sender: Person, subject: str, when: datetime, body: str, **headers: str) -> bytes:
    """A message from ``sender`` as the company's server delivers it to INBOX."""
    msg = EmailMessage()
    msg["From"] = f"{sender.name} <{sender.email}>"
    msg["To"] = dc.USER
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{sender.email.split('@')[0]}-{when:%H%M}@acme.example>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


def states(base: list[str]) -> dict[tuple[str, str], tuple[str, str]]:
    """(follow-up, to) -> (state, why), from ``status`` as a pipe sees it."""
    return {
        (row["follow-up"], row["to"]): (row["state"], row["why"])
        for row in records(cli(base, "status"), "interviews")
    }


def send(server: dc.Dovecot, draft: email.message.Message, when: datetime) -> None:
    """What a mail client does on Send: the copy goes to Sent (same Message-ID, the send
    time as Date), the draft leaves Drafts."""
    imap = client(server)
    try:
        imap.select_folder("Drafts")
        imap.delete_messages(imap.search(["HEADER", "Message-ID", str(draft["Message-ID"])]))
        imap.expunge()
    finally:
        imap.logout()
    del draft["Date"]
    draft["Date"] = format_datetime(when)
    deliver(server, "Sent", draft.as_bytes(), flags=(b"\\Seen",))


def test_a_fastmail_user_drafts_into_imap_from_a_caldav_calendar(
    tmp_path: Path, dav_user: DavUser
) -> None:
    with dc.dovecot() as server:
        base = fastmail_home(tmp_path, dav_user, server)
        interview(dav_user)

        said = cli(base, "auth", "fastmail")
        assert "caldav provider signs in with a username and password" in said, said
        assert "imap provider signs in with a password" in said, said
        checked = cli(base, "check")
        assert f"caldav: 1 calendar of {dav_user.name} at {dav_user.server.url}" in checked
        assert f"IMAP {server.user} at imaps://{dc.HOST}:{server.imaps_port}" in checked
        print(checked, file=sys.stderr)  # docs/fastmail-icloud.md quotes it
        as_json = json.loads(cli(base, "check", "--json"))
        assert as_json["ok"] is True and as_json["errors"] == 0
        sides = {c["subject"]: c for c in as_json["checks"] if c["check"] == "account"}
        assert set(sides) == {"fastmail calendar", "fastmail mailbox"}
        assert all(c["level"] == "ok" for c in sides.values()), sides
        assert "drafts go to 'Drafts'" in sides["fastmail mailbox"]["message"]
        assert peek(server, "Drafts") == []  # check writes nothing

        cli(base, "run", "--once", "--now", NOW.isoformat())
        made = drafts(server)
        assert set(made) == {JANE.email, RAJ.email}, made
        for person, message in ((JANE, made[JANE.email]), (RAJ, made[RAJ.email])):
            assert str(message["To"]) == f"{person.name} <{person.email}>"
            assert str(message["Subject"]) == "Thank you – Senior Backend Engineer interview"
            assert str(message["From"]) == f"Alex Candidate <{server.user}>"
            assert str(message["Message-ID"]).endswith("@example.org>"), message["Message-ID"]
        ids = {to: str(m["Message-ID"]) for to, m in made.items()}

        cli(base, "run", "--once", "--now", (NOW + timedelta(minutes=10)).isoformat())
        assert {to: str(m["Message-ID"]) for to, m in drafts(server).items()} == ids
        status = states(base)
        assert status[("thank-you", "Jane Smith")][0] == "drafted"
        assert status[("thank-you", "Raj Patel")][0] == "drafted"
        assert status[("inquiry #1", "Jane Smith")][0] == "scheduled"

        # Alex sends Jane's thank-you the next morning; the inquiry's clock starts then.
        sent_at = NOW + timedelta(hours=14)
        send(server, made[JANE.email], sent_at)
        later = sent_at + timedelta(hours=1)
        deliver(
            server,
            "INBOX",
            answer(
                JANE,
                "Automatic reply: Thank you",
                later,
                Auto_Submitted="auto-replied",
                body="I am out of the office until December 7.",
            ),
        )
        cli(base, "run", "--once", "--now", (later + timedelta(minutes=5)).isoformat())
        status = states(base)
        assert status[("thank-you", "Jane Smith")] == ("done", "you sent it on Wed 02 Dec 09:00")
        state, why = status[("inquiry #1", "Jane Smith")]
        assert state == "scheduled", status  # an auto-reply is not an answer...
        assert "away until 2026-12-08 (auto-reply)" in why  # ...but its return date counts
        assert drafts(server).keys() == {RAJ.email}

        # Jane answers: the inquiry is no longer needed.
        replied = later + timedelta(hours=2)
        deliver(server, "INBOX", answer(JANE, "Re: Thank you", replied, "Good to meet you!"))
        cli(base, "run", "--once", "--now", (replied + timedelta(minutes=5)).isoformat())
        status = states(base)
        reply = ("replied", "reply from jane.smith@acme.example on 2026-12-02")
        assert status == {("thank-you", "Jane Smith"): reply, ("thank-you", "Raj Patel"): reply}
        assert drafts(server).keys() == {RAJ.email}  # never deleted by followupd


def test_a_wrong_password_on_one_side_is_named_by_check_with_its_fix(
    tmp_path: Path, dav_user: DavUser
) -> None:
    """The CalDAV side first: after a refused login Dovecot delays every login from that
    address for a while (its auth penalty), the right one too."""
    with dc.dovecot() as server:
        base = fastmail_home(tmp_path, dav_user, server)
        interview(dav_user)
        (tmp_path / "caldav-password").write_text("hunter2-not-it\n")
        out = cli(base, "check", code=1)
        calendar = next(line for line in out.splitlines() if "account fastmail calendar:" in line)
        assert "HTTP 401" in calendar and "followupd check" in calendar, out
        # the other side is fine
        assert f"account fastmail mailbox: IMAP {server.user} at imaps://" in out
        assert "hunter2" not in out

        (tmp_path / "caldav-password").write_text(dav_user.password + "\n")
        (tmp_path / "imap-password").write_text("hunter2-not-it\n")
        out = cli(base, "check", code=1)
        print(out, file=sys.stderr)  # docs/fastmail-icloud.md quotes it
        mailbox = next(line for line in out.splitlines() if "account fastmail mailbox:" in line)
        assert "refused the username or password" in mailbox, out
        assert "fix: followupd check" in mailbox
        assert f"account fastmail calendar: caldav: 1 calendar of {dav_user.name}" in out
        assert "hunter2" not in out
