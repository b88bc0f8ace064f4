"""Calendars as strangers and old exporters write them, through the real CLI (issue 9): each
broken item is listed by ``status``, counted per file, and never costs a good interview its
thank-you; a crowd or a minutely series never floods the mailbox."""

from __future__ import annotations

import mailbox
import os
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-12-03T12:00:00+00:00"  # an hour after the interviews below end
ME = "alex@example.org"


def event(uid: str, summary: str, people: list[tuple[str, str]], *extra: str) -> str:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20261201T000000Z",
        "DTSTART:20261203T100000Z",
        "DTEND:20261203T110000Z",
        f"SUMMARY:{summary}",
        f"ORGANIZER;CN={people[0][0]}:mailto:{people[0][1]}",
        *(f"ATTENDEE;CN={name};PARTSTAT=ACCEPTED:mailto:{address}" for name, address in people),
        f"ATTENDEE;CN=Alex;PARTSTAT=ACCEPTED:mailto:{ME}",
        *extra,
        "END:VEVENT",
    ]
    return "\r\n".join(lines)


def calendar(*events: str) -> bytes:
    body = "\r\n".join(events)
    return (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{body}\r\nEND:VCALENDAR\r\n".encode()
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "cal").mkdir()
    box = mailbox.Maildir(tmp_path / "mail", create=True)
    box.add_folder("Drafts")
    (tmp_path / "config.toml").write_text(
        f"""
[daemon]
state_dir = "state"
timezone = "UTC"
[candidate]
name = "Alex Candidate"
highlights = ["building payment systems"]
[[accounts]]
name = "home"
addresses = ["{ME}"]
calendar = {{ provider = "ics", path = "cal" }}
mailbox = {{ provider = "maildir", path = "mail" }}
"""
    )
    return tmp_path


def cli(home: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "daemon", "--config", str(home / "config.toml"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "1000", "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return " ".join(done.stdout.split())


def drafts(home: Path) -> list[tuple[str, str]]:
    folder = mailbox.Maildir(home / "mail").get_folder("Drafts")
    found = []
    for key in folder.iterkeys():
        msg = message_from_bytes(folder.get_bytes(key), policy=policy.default)
        body = msg.get_body(("plain",))
        found.append((str(msg["To"]), body.get_content() if body else ""))
    return sorted(found)


def test_each_broken_event_of_a_file_is_listed_and_counted(home: Path) -> None:
    broken = [
        event(f"bad-{n}", f"Interview {n}", [("Bob", "bob@acme.example")]).replace(
            "DTSTART:20261203T100000Z", f"DTSTART:2026-13-4{n}"
        )
        for n in range(4)
    ]
    good = event("good", "Interview: Acme", [("Jane Smith", "jane@acme.example")])
    (home / "cal" / "work.ics").write_bytes(calendar(*broken, good))

    cli(home, "run", "--once", "--now", NOW)
    status = cli(home, "status")

    assert [to for to, _ in drafts(home)] == ["Jane Smith <jane@acme.example>"]
    for n in range(4):  # each on its own record, naming its file
        assert f'calendar work.ics UID bad-{n} ("Interview {n}")' in status
        assert f"Got: '2026-13-4{n}'" in status


def test_a_minutely_series_never_pushes_a_real_interview_out(home: Path) -> None:
    spam = event(
        "spam", "Interview", [("Eve", "eve@spam.example")], "RRULE:FREQ=MINUTELY;COUNT=100000"
    ).replace("20261203T100000Z", "20261101T000000Z")
    real = event("real", "Interview: Acme", [("Jane Smith", "jane@acme.example")])
    daily = event(
        "daily",
        "Interview: Initech",
        [("Bill Lumbergh", "bill@initech.example")],
        "RRULE:FREQ=DAILY;COUNT=2",
    ).replace("20261203T1", "20261202T1")
    (home / "cal" / "one-file.ics").write_bytes(calendar(spam, real, daily))

    cli(home, "run", "--once", "--now", NOW)
    status = cli(home, "status")

    recipients = [to for to, _ in drafts(home)]
    assert "Jane Smith <jane@acme.example>" in recipients
    assert any("bill@initech.example" in to for to in recipients)
    assert not any("eve@" in to for to in recipients)
    assert "repeats every 1 minute" in status, status


def test_one_bad_byte_costs_one_character_not_the_whole_file(home: Path) -> None:
    text = calendar(
        event("de", "Vorstellungsgespräch", [("Jürgen Müller", "juergen@firma.example")])
    )
    # One Latin-1 byte in an otherwise UTF-8 file.
    raw = text.replace(b"PRODID:-//t//EN", b"PRODID:-//t//EN\r\nX-NOTE:caf\xe9")
    (home / "cal" / "de.ics").write_bytes(raw)

    cli(home, "run", "--once", "--now", NOW)
    status = cli(home, "status")

    [(to, body)] = drafts(home)
    assert "juergen@firma.example" in to
    assert "Jürgen" in body and "Ã" not in body
    assert "was not UTF-8 and was replaced" in status, status


def test_a_broken_attendee_line_still_gets_its_thank_you_and_says_so(home: Path) -> None:
    broken = 'ATTENDEE;CN=Jane "JJ" Smith;PARTSTAT=ACCEPTED:mailto:jj@acme.example'
    text = event("acme", "Interview: Acme", [("Raj Patel", "raj@acme.example")], broken)
    (home / "cal" / "acme.ics").write_bytes(calendar(text))

    cli(home, "run", "--once", "--now", NOW)
    status = cli(home, "status")

    recipients = [to for to, _ in drafts(home)]
    assert any("jj@acme.example" in to for to in recipients), recipients
    assert any("raj@acme.example" in to for to in recipients)
    assert "jj@acme.example" in status and "acme.ics" in status, status


def test_a_crowd_is_capped_said_and_raised_for_one_interview(home: Path) -> None:
    crowd = [(f"Person {n:03d}", f"p{n:03d}@bigcorp.example") for n in range(60)]
    (home / "cal" / "crowd.ics").write_bytes(calendar(event("crowd", "Interview: BigCorp", crowd)))

    cli(home, "run", "--once", "--now", NOW)
    assert len(drafts(home)) == 20
    status = cli(home, "status")
    assert "60 interviewers on the invitation" in status, status
    assert "followupd note 1 --max-interviewers 60" in status

    cli(home, "note", "1", "--max-interviewers", "25")
    cli(home, "run", "--once", "--now", NOW)
    assert len(drafts(home)) == 25
    assert "followupd note 1 --max-interviewers" in cli(home, "status")  # still 35 more
    cli(home, "note", "1", "--max-interviewers", "60")
    cli(home, "run", "--once", "--now", NOW)
    assert len(drafts(home)) == 60
    assert "interviewers on the invitation" not in cli(home, "status")
