"""Corrections the user makes take effect, and none loses anything (issue 11, point 5).

``note ID --contact`` moves the pending status inquiry to the new main contact instead of
cancelling it for good; moving it back plans the first one again. ``skip`` twice says it is
already skipped, and ``unskip`` restores what ``skip`` stopped, saying which of it is too late
now. Run through the real CLI against the demo's ics calendar and Maildir, at a fixed time.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner

from daemon import demo
from daemon.cli import main
from tests.demo_home import cli, demo_home, records

NOW = "2026-03-03T12:00+00:00"  # the demo's Acme interview (id 3) ended this morning
ACME = "3"
JANE, RAJ = "jane.smith@acme.example", "raj.patel@acme.example"


@pytest.fixture
def home(tmp_path: Path) -> list[str]:
    return demo_home(tmp_path, datetime.fromisoformat(NOW))


def _rows(base: list[str], kind: str) -> set[tuple[str, str]]:
    """(to, state) of the Acme interview's follow-ups of ``kind``, as ``status --all`` shows."""
    return {
        (row["to"], row["state"])
        for row in records(cli(base, "status", "--all"))
        if row["id"] == ACME and row["follow-up"].startswith(kind)
    }


def test_a_new_main_contact_gets_the_pending_inquiry(home: list[str]) -> None:
    assert _rows(home, "inquiry") == {("Jane Smith", "scheduled")}
    said = cli(home, "note", ACME, "--contact", RAJ)
    assert f"1 status inquiry moved to {RAJ}" in said
    assert _rows(home, "inquiry") == {("Jane Smith", "cancelled"), ("Raj Patel", "scheduled")}
    # Back to Jane: her own inquiry is planned again, not a second row for her.
    cli(home, "note", ACME, "--contact", JANE)
    assert _rows(home, "inquiry") == {("Jane Smith", "scheduled"), ("Raj Patel", "cancelled")}
    # The same contact again changes nothing.
    assert "status inquiries will go to" in cli(home, "note", ACME, "--contact", JANE)
    assert _rows(home, "inquiry") == {("Jane Smith", "scheduled"), ("Raj Patel", "cancelled")}


def test_skip_twice_says_so_and_unskip_restores_what_skip_stopped(home: list[str]) -> None:
    # Jane's and Raj's thank-yous are drafted already; the inquiry is still to come.
    said = cli(home, "skip", ACME)
    assert "Skipped 1 pending follow-up(s)" in said and f"followupd unskip {ACME}" in said
    assert _rows(home, "inquiry") == {("Jane Smith", "skipped")}
    assert "already skipped" in cli(home, "skip", ACME)

    said = cli(home, "unskip", ACME)
    assert "Restored 1 follow-up(s)" in said
    assert _rows(home, "inquiry") == {("Jane Smith", "scheduled")}
    assert _rows(home, "thank-you") == {("Jane Smith", "drafted"), ("Raj Patel", "drafted")}
    assert "is not skipped" in cli(home, "unskip", ACME)


def test_unskip_leaves_an_inquiry_that_still_waits_for_a_sent_thank_you_alone(
    home: list[str],
) -> None:
    """Unskipped the same day, the Acme inquiry waits for the thank-you to be sent (until a
    month after the interview): not "not drafted after all", which only the end of that wait
    makes true."""
    with time_machine.travel(datetime.fromisoformat(NOW), tick=False):
        cli(home, "skip", ACME)
        said = " ".join(cli(home, "unskip", ACME).split())
    assert said == f"Restored 1 follow-up(s) of interview {ACME}.", said
    assert _rows(home, "inquiry") == {("Jane Smith", "scheduled")}


def test_unskip_says_what_is_too_late_now(home: list[str]) -> None:
    """The Initech interview (id 4) is tomorrow: skipped today, unskipped two days after it,
    its thank-you is past max_lateness and says so instead of being drafted late."""
    cli(home, "skip", "4")
    base = home
    assert (
        CliRunner()
        .invoke(main, [*base, "run", "--once", "--now", "2026-03-06T12:00+00:00"])
        .exit_code
        == 0
    )
    said = " ".join(cli(home, "unskip", "4").split())
    assert "Restored 2 follow-up(s) of interview 4." in said
    assert "not drafted after all: thank-you to bill@initech.example" in said


def test_the_users_own_note_is_the_one_the_draft_mentions(tmp_path: Path) -> None:
    """The demo's invitation already says what Jane's part is about (billing, event sourcing);
    a note the user gives after the interview says what they actually talked about, and that
    is what her thank-you mentions: the invitation's agenda is only the fallback."""
    config = demo.create(tmp_path / "demo", now=datetime.fromisoformat(NOW))
    base = ["--config", str(config)]
    cli(base, "run", "--once", "--now", "2026-03-03T10:00+00:00")  # the onsite is on (9-11)
    cli(base, "note", ACME, "--about", JANE, "the migration to Kafka")
    cli(base, "run", "--once", "--now", NOW)
    drafts = (tmp_path / "demo" / "Maildir" / ".Drafts" / "cur").iterdir()
    to_jane = [p.read_text() for p in drafts if f"To: Jane Smith <{JANE}>" in p.read_text()]
    assert len(to_jane) == 1
    assert "our conversation about the migration to Kafka." in to_jane[0]
    assert "event sourcing" not in to_jane[0]


def test_a_general_note_of_the_users_beats_the_invitations_agenda(tmp_path: Path) -> None:
    """A note about the whole interview, given in the notes window, reaches every thank-you,
    even where the invitation gave that interviewer an agenda of their own."""
    config = demo.create(tmp_path / "demo", now=datetime.fromisoformat(NOW))
    base = ["--config", str(config)]
    cli(base, "run", "--once", "--now", "2026-03-03T10:00+00:00")  # the onsite is on (9-11)
    cli(base, "note", ACME, "the migration to Kafka")
    cli(base, "run", "--once", "--now", NOW)
    drafts = [p.read_text() for p in (tmp_path / "demo" / "Maildir" / ".Drafts" / "cur").iterdir()]
    to_acme = [d for d in drafts if "@acme.example>" in d.split("\n\n", 1)[0]]
    assert len(to_acme) == 2
    assert all("the migration to Kafka" in d for d in to_acme)
    assert not any("event sourcing" in d for d in to_acme)
