"""A self-contained demo: a calendar of interviews, a Maildir, and a config that ties them.

The events are placed relative to *now*, so that running the demo at any moment shows the
whole job: thank-you drafts for an interview that just ended (whose status inquiry waits until
the user sends one), a status inquiry for one that went quiet after the user thanked the
interviewer from their own mail client (its copy is in Sent, and the inquiry replies to it),
nothing for a company that already answered, and a planned follow-up for an interview still to
come.
"""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from daemon.businessdays import add_business_days
from daemon.config import CalendarDays

# What `followupd init` writes (in STARTER) for the user to replace; `check` flags any left.
PLACEHOLDER_NAME = "Your Name"
PLACEHOLDER_HIGHLIGHT = "what you are good at, in a few words"
PLACEHOLDER_ADDRESS = "you@example.com"

STARTER = """\
# followupd configuration. Every key is explained in config.example.toml of the source tree.

[candidate]
name = "Your Name"
highlights = ["what you are good at, in a few words"]

[[accounts]]
name = "local"
addresses = ["you@example.com"]
calendar = { provider = "ics", path = "~/calendars/interviews" }
mailbox = { provider = "maildir", path = "~/Mail/you" }

[thank_you]
# A thank-you is drafted an hour after the interview; without notes from you ('followupd note
# ID what you talked about') it waits up to this long after the interview for them.
wait_for_notes = "2h"

# Tells you when an interview ended and your notes are wanted, and when drafts are waiting.
# Phone or anything else: see [notify] in config.example.toml.
[notify]
desktop = true
"""


def starter_config() -> str:
    return STARTER


def _ics_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _event(
    uid: str,
    start: datetime,
    minutes: int,
    summary: str,
    description: str,
    people: list[tuple[str, str, str]],
    status: str = "CONFIRMED",
) -> str:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{_ics_time(start - timedelta(days=7))}",
        f"DTSTART:{_ics_time(start)}",
        f"DTEND:{_ics_time(start + timedelta(minutes=minutes))}",
        f"SUMMARY:{summary}",
        f"DESCRIPTION:{description}",
        f"STATUS:{status}",
        "ORGANIZER;CN=" + people[0][0] + ":mailto:" + people[0][1],
    ]
    for name, address, cutype in people:
        lines.append(
            f"ATTENDEE;CN={name};CUTYPE={cutype};ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:{address}"
        )
    lines.append("ATTENDEE;CN=Alex Candidate;PARTSTAT=ACCEPTED:mailto:alex@example.org")
    lines.append("END:VEVENT")
    return "\r\n".join(lines)


# The user's own thank-you to Maria went out this long after her phone screen began.
OWN_THANKS_AFTER = timedelta(hours=2)


def _quiet_start(now: datetime, days: CalendarDays) -> datetime:
    """The latest start, a week or more ago, whose status inquiry is due: 5 business days
    after the user's own thank-you, sent :data:`OWN_THANKS_AFTER` after the start."""
    for back in range(7, 15):
        start = now - timedelta(days=back, hours=3)
        if add_business_days(start + OWN_THANKS_AFTER, 5, "UTC", days) <= now:
            return start
    return now - timedelta(days=14)


def create(folder: Path, now: datetime | None = None) -> Path:
    """Write the demo into ``folder``; return the path of its config file."""
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    folder = folder.expanduser().resolve()
    (folder / "calendar").mkdir(parents=True, exist_ok=True)
    maildir = folder / "Maildir"
    box = mailbox.Maildir(maildir, create=True)
    for name in ("Drafts", "Sent"):
        if name not in box.list_folders():
            box.add_folder(name)

    days = CalendarDays(holidays=frozenset(), weekend=frozenset({6, 7}))
    # Ended two hours ago: its thank-yous (due one hour after the end) are due now.
    just_now = now - timedelta(hours=3)
    # Ended just over 5 business days ago: the first status inquiry is due now.
    quiet = _quiet_start(now, days)
    # Same age, but the recruiter wrote back: no inquiry.
    answered = quiet - timedelta(hours=2)
    tomorrow = now + timedelta(days=1)

    events = [
        _event(
            "demo-acme-onsite@followupd",
            just_now,
            120,
            "Onsite interview: Acme Corp (Senior Backend Engineer)",
            "Notes:\\nJane Smith: moving the billing system to event sourcing\\n"
            "Raj Patel: how the team runs on-call and blameless incident reviews\\n\\n"
            "Join: https://meet.example.com/abc-defg-hij",
            [
                ("Jane Smith", "jane.smith@acme.example", "INDIVIDUAL"),
                ("Raj Patel", "raj.patel@acme.example", "INDIVIDUAL"),
                ("Room Everest", "room-everest@acme.example", "ROOM"),
            ],
        ),
        _event(
            "demo-globex-screen@followupd",
            quiet,
            45,
            "Phone screen - Globex (Platform Engineer)",
            "Maria Garcia: the team's move to Kubernetes",
            [("Maria Garcia", "maria.garcia@globex.example", "INDIVIDUAL")],
        ),
        _event(
            "demo-umbrella-interview@followupd",
            answered,
            60,
            "Interview with Umbrella (Data Engineer)",
            "",
            [("Sam Lee", "sam.lee@umbrella.example", "INDIVIDUAL")],
        ),
        _event(
            "demo-initech-tomorrow@followupd",
            tomorrow,
            60,
            "Hiring manager interview - Initech",
            "",
            [("Bill Lumbergh", "bill@initech.example", "INDIVIDUAL")],
        ),
        _event(
            "demo-dentist@followupd",
            now - timedelta(hours=5),
            30,
            "Dentist",
            "",
            [("Dr. Molar", "frontdesk@dental.example", "INDIVIDUAL")],
        ),
    ]
    calendar = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//followupd//demo//EN",
            *events,
            "END:VCALENDAR",
            "",
        ]
    )
    (folder / "calendar" / "interviews.ics").write_text(calendar, newline="")

    reply = EmailMessage()
    reply["From"] = "Sam Lee <sam.lee@umbrella.example>"
    reply["To"] = "Alex Candidate <alex@example.org>"
    reply["Subject"] = "Next steps"
    reply["Date"] = format_datetime(answered + timedelta(days=1))
    reply["Message-ID"] = "<demo-reply@umbrella.example>"
    reply.set_content(
        "Hi Alex,\n\nthanks for your time! We'd like to invite you to a second round.\n\nSam"
    )
    if not any(m["Message-ID"] == reply["Message-ID"] for m in box):
        box.add(mailbox.MaildirMessage(reply))

    # Maria's thank-you was written by hand in the user's mail client: the inquiry replies to it.
    thanks = EmailMessage()
    thanks["From"] = "Alex Candidate <alex@example.org>"
    thanks["To"] = "Maria Garcia <maria.garcia@globex.example>"
    thanks["Subject"] = "Thank you for today"
    thanks["Date"] = format_datetime(quiet + OWN_THANKS_AFTER)
    thanks["Message-ID"] = "<demo-thanks@example.org>"
    thanks.set_content(
        "Hi Maria,\n\nthank you for the phone screen today; I enjoyed hearing about the "
        "team's move to Kubernetes.\n\nBest regards,\nAlex"
    )
    sent = box.get_folder("Sent")
    if not any(m["Message-ID"] == thanks["Message-ID"] for m in sent):
        sent.add(mailbox.MaildirMessage(thanks))

    config = folder / "config.toml"
    config.write_text(
        """\
# The followupd demo. See config.example.toml for every option.
[daemon]
state_dir = "state"
timezone = "UTC"
log_level = "warning"  # the summary printed by run --once says what happened

[candidate]
name = "Alex Candidate"
highlights = ["eight years of building payment systems", "leading on-call and incident reviews"]
phone = "+1 555 0100"

[contacts."jane.smith@acme.example"]
title = "Engineering Manager"

[[accounts]]
name = "demo"
addresses = ["alex@example.org"]
calendar = { provider = "ics", path = "calendar" }
mailbox = { provider = "maildir", path = "Maildir" }
"""
    )
    return config
