"""A decision date in the user's notes is used like ``followupd note ID --decision-by``.

The thank-you names it and the first status inquiry waits until one business day after it;
the date given on the command line wins; and since the notes are re-read from the calendar on
every sync, editing them moves the inquiry again. Run through the real CLI against the demo's
ics calendar and Maildir, at a fixed time.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from daemon.config import Candidate
from daemon.detection import Detection, Person
from daemon.protocols import CalendarEvent
from daemon.writing.context import build_context
from daemon.writing.notes import Notes
from tests.demo_home import cli, demo_home, records

NOW = "2026-03-03T12:00+00:00"  # a Tuesday; the demo's Initech interview (id 4) is tomorrow
INITECH = 4


@pytest.fixture
def home(tmp_path: Path) -> list[str]:
    return demo_home(tmp_path, datetime.fromisoformat(NOW))


def _inquiry_due(base: list[str]) -> str:
    """When the Initech interview's status inquiry follows, as ``status`` says it: nothing was
    sent yet, so it waits (issue 10's rule) and says "on <date>" after a decision date, else
    "<n> business days" after the user sends something."""
    rows = records(cli(base, "status"))
    block = " ".join(row["why"] for row in rows if row["id"] == str(INITECH))
    found = re.search(r"the inquiry follows (?:on (\d{4}-\d\d-\d\d)|(\d+ business days))", block)
    assert found, block
    return found[1] or found[2]


def _set_description(base: list[str], text: str) -> None:
    """Edit the Initech event's notes in the calendar file, as the user would."""
    ics = Path(base[1]).parent / "calendar" / "interviews.ics"
    with ics.open(newline="") as file:
        lines = file.read().split("\r\n")
    uid = lines.index("UID:demo-initech-tomorrow@followupd")
    at = next(i for i in range(uid, len(lines)) if lines[i].startswith("DESCRIPTION:"))
    lines[at] = "DESCRIPTION:" + text.replace("\n", "\\n")
    ics.write_text("\r\n".join(lines), newline="")


def test_a_noted_decision_date_moves_the_inquiry_and_reaches_the_thank_you(home: list[str]) -> None:
    assert _inquiry_due(home) == "5 business days"  # five business days after a sent mail
    cli(home, "note", str(INITECH), "decision: end of month")
    assert _inquiry_due(home) == "2026-04-01"  # one business day after Tuesday, March 31
    preview = cli(home, "preview", str(INITECH))
    assert "I understand a decision is planned by Tuesday, March 31." in preview
    assert "decision: end of month" not in preview


def test_the_command_lines_date_wins_over_the_notes(home: list[str]) -> None:
    cli(home, "note", str(INITECH), "decision: end of month")
    cli(home, "note", str(INITECH), "--decision-by", "2026-03-20")
    assert _inquiry_due(home) == "2026-03-23"
    assert "decision is planned by Friday, March 20." in cli(home, "preview", str(INITECH))
    cli(home, "note", str(INITECH), "They expect a decision by March 13.")
    assert _inquiry_due(home) == "2026-03-23"


def test_editing_the_notes_in_the_calendar_moves_the_inquiry_again(home: list[str]) -> None:
    for description, due in [
        ("Notes:\nThey expect a decision by March 13.", "2026-03-16"),
        ("Notes:\nEntscheidung bis 20.3.", "2026-03-23"),
        ("Notes:\nthe billing migration", "5 business days"),
    ]:
        _set_description(home, description)
        cli(home, "run", "--once", "--now", NOW)
        assert _inquiry_due(home) == due, description


def test_labels_in_the_notes_become_the_next_step_not_the_topic(home: list[str]) -> None:
    cli(home, "note", str(INITECH), "next step: take-home", "--about", "bill@initech.example")
    cli(home, "note", str(INITECH), "Great chat about on-call, very friendly.")
    preview = cli(home, "preview", str(INITECH))
    assert "I especially enjoyed our conversation about on-call." in preview
    assert "I look forward to the take-home assignment." in preview
    assert "next step:" not in preview and "Great chat" not in preview


def test_build_context_takes_the_decision_from_the_notes_unless_given() -> None:
    bill = Person("bill@initech.example", "Bill Lumbergh")
    found = Detection(True, "title", (bill,), bill, "Initech", "Engineer", ("initech.example",))
    start = datetime(2026, 3, 3, 10, tzinfo=UTC)
    event = CalendarEvent("e1", "Interview - Initech", start, start + timedelta(hours=1))
    notes = Notes(general=("decision: end of month",),
                  by_person={"bill@initech.example": ("she is rebuilding the TPS pipeline",)})  # fmt: skip
    candidate = Candidate("Alex Morgan", (), "", "", ())
    ctx = build_context(candidate=candidate, person=bill, detection=found, event=event,
                        timezone="Europe/Berlin", notes=notes)  # fmt: skip
    assert ctx.decision_expected == date(2026, 3, 31)
    assert ctx.mention == "I especially enjoyed hearing how you are rebuilding the TPS pipeline."
    given = build_context(candidate=candidate, person=bill, detection=found, event=event,
                          timezone="Europe/Berlin", notes=notes,
                          decision_expected=date(2026, 3, 20))  # fmt: skip
    assert given.decision_expected == date(2026, 3, 20)
