"""A notes window that fits (issue 11, point 2): ``[thank_you].wait_for_notes``.

A thank-you without the user's notes waits up to ``wait_for_notes`` after the interview for
them; ``followupd note`` releases it at once (for everyone, or for the one interviewer the note
is about), and without notes it is drafted when the wait ends. Never later than 24 h after the
interview, and ``max_lateness`` never skips a thank-you that only waited. Run through the real
CLI against the demo's ics calendar and Maildir: ``run --once --now`` for the daemon, and
``time_machine`` for the commands that read the clock (``note``, ``status``, ``preview``).
"""

from __future__ import annotations

import mailbox
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner

from daemon import demo
from daemon.cli import main
from daemon.running.service import DUE_RECHECK_ENV
from tests.demo_home import cli, records

# The demo's Acme interview (id 3) ran 09:00-11:00 UTC; its thank-yous are due at 12:00 (delay
# 1h), and without notes they wait until 13:00 (wait_for_notes 2h). Its description has notes
# for Jane and Raj, from the invitation: those do not end the wait.
NOW = "2026-03-03T12:00+00:00"
ACME = "3"
JANE, RAJ = "jane.smith@acme.example", "raj.patel@acme.example"
BILL = "bill@initech.example"  # tomorrow's Initech interview (id 4), 12:00-13:00, no notes at all
NOTE = "the Kafka migration timeline"


def home_with(root: Path, thank_you: str, now: str = NOW) -> list[str]:
    """The demo's home with ``thank_you`` as its [thank_you] table, after one run at ``now``."""
    config = demo.create(root / "demo", now=datetime.fromisoformat(NOW))
    config.write_text(config.read_text() + f"\n[thank_you]\n{thank_you}\n")
    base = ["--config", str(config)]
    run(base, now)
    return base


def run(base: list[str], now: str) -> str:
    return cli(base, "run", "--once", "--now", now)


def at(when: str, base: list[str], *args: str) -> str:
    """``followupd <args>`` with the clock at ``when`` (``note`` and ``status`` read it)."""
    with time_machine.travel(datetime.fromisoformat(when), tick=False):
        return cli(base, *args)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[list[str]]:
    yield home_with(tmp_path, 'wait_for_notes = "2h"')


def thank_yous(base: list[str]) -> dict[str, str]:
    """Body of each thank-you draft in the demo's Maildir, by the recipient's address."""
    folder = Path(base[1]).parent / "Maildir"
    found = {}
    for message in mailbox.Maildir(folder, create=False).get_folder("Drafts"):
        to = message["To"].split("<")[-1].rstrip(">").strip()
        if to in (JANE, RAJ, BILL):
            part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
            found[to] = part.get_payload(decode=True).decode()
    return found


def acme_rows(base: list[str], when: str) -> dict[str, tuple[str, str, str]]:
    """(state, due, why) of the Acme thank-yous, as ``status`` shows them at ``when``."""
    return {
        row["to"]: (row["state"], row["due"], row["why"])
        for row in records(at(when, base, "status"))
        if row["id"] == ACME and row["follow-up"] == "thank-you"
    }


def test_without_notes_the_thank_yous_wait_and_a_note_for_everyone_releases_them(
    home: list[str],
) -> None:
    assert thank_yous(home) == {}  # due at 12:00 without the wait: it waits until 13:00
    rows = acme_rows(home, "2026-03-03T12:05+00:00")
    why = f"waiting for your notes until 13:00; 'followupd note {ACME} ...' releases it"
    assert rows == {
        "Jane Smith": ("scheduled", "2026-03-03 13:00", why),
        "Raj Patel": ("scheduled", "2026-03-03 13:00", why),
    }
    preview = at("2026-03-03T12:05+00:00", home, "preview", ACME)
    assert preview.count(why) == 2

    said = at("2026-03-03T12:10+00:00", home, "note", ACME, NOTE)
    assert said.strip() == (
        "Saved; the thank-you to Jane Smith is due now; the thank-you to Raj Patel is due now."
    )
    run(home, "2026-03-03T12:11+00:00")  # the next run, well before 13:00
    assert set(thank_yous(home)) == {JANE, RAJ}


def test_the_notes_that_released_a_thank_you_are_in_its_draft(home: list[str]) -> None:
    """Initech's invitation has no notes, so the draft's mention comes from the user's."""
    run(home, "2026-03-04T14:05+00:00")  # an hour after its end: still waiting for notes
    assert BILL not in thank_yous(home)
    said = at("2026-03-04T14:10+00:00", home, "note", "4", NOTE)
    assert said.strip() == "Saved; the thank-you to Bill Lumbergh is due now."
    run(home, "2026-03-04T14:11+00:00")
    assert "the Kafka migration timeline" in thank_yous(home)[BILL]


def test_a_note_about_one_interviewer_releases_only_theirs(home: list[str]) -> None:
    said = at("2026-03-03T12:10+00:00", home, "note", ACME, "--about", RAJ, NOTE)
    assert (
        said.split()
        == (
            "Saved; the thank-you to Raj Patel is due now; the thank-you to Jane Smith still waits "
            f"for notes about them until 13:00 UTC (followupd note {ACME} --about {JANE} ...)."
        ).split()
    )
    run(home, "2026-03-03T12:11+00:00")
    assert set(thank_yous(home)) == {RAJ}
    rows = acme_rows(home, "2026-03-03T12:12+00:00")
    assert rows["Raj Patel"][0] == "drafted"
    assert rows["Jane Smith"][0] == "scheduled"
    assert rows["Jane Smith"][2].startswith("waiting for your notes until 13:00")

    run(home, "2026-03-03T13:00+00:00")  # the end of her wait
    assert set(thank_yous(home)) == {JANE, RAJ}


def test_a_note_before_the_delay_is_due_at_the_delay(tmp_path: Path) -> None:
    """Released, but never earlier than ``delay`` after the end."""
    base = home_with(tmp_path, 'delay = "90m"\nwait_for_notes = "3h"', "2026-03-03T11:10+00:00")
    said = at("2026-03-03T11:15+00:00", base, "note", ACME, NOTE)
    assert "the thank-you to Jane Smith is due at 12:30" in said
    run(base, "2026-03-03T12:29+00:00")
    assert thank_yous(base) == {}
    run(base, "2026-03-03T12:30+00:00")
    assert set(thank_yous(base)) == {JANE, RAJ}


def test_without_notes_the_thank_yous_are_drafted_when_the_wait_ends(home: list[str]) -> None:
    run(home, "2026-03-03T12:59+00:00")
    assert thank_yous(home) == {}
    run(home, "2026-03-03T13:00+00:00")
    drafts = thank_yous(home)
    assert set(drafts) == {JANE, RAJ}
    assert all("Kafka" not in body for body in drafts.values())
    # The invitation's notes are in the drafts all the same.
    assert "event sourcing" in drafts[JANE]


def test_without_the_setting_nothing_waits(tmp_path: Path) -> None:
    base = home_with(tmp_path, 'delay = "1h"')
    assert set(thank_yous(base)) == {JANE, RAJ}


def test_a_whole_day_of_waiting_ends_24_hours_after_the_interview(tmp_path: Path) -> None:
    """The longest wait: a note 20 hours after the interview still gets into the draft, and
    max_lateness (12h, counted from the release) does not skip it as 19 hours late."""
    base = home_with(tmp_path, 'wait_for_notes = "24h"')
    rows = acme_rows(base, "2026-03-03T12:05+00:00")
    assert rows["Jane Smith"][1] == "2026-03-04 11:00"
    run(base, "2026-03-04T07:00+00:00")
    assert thank_yous(base) == {}
    said = at("2026-03-04T07:00+00:00", base, "note", ACME, "--about", JANE, NOTE)
    assert "the thank-you to Jane Smith is due now" in said
    assert "the thank-you to Raj Patel still waits for notes about them until 11:00" in said
    run(base, "2026-03-04T07:01+00:00")
    assert set(thank_yous(base)) == {JANE}
    run(base, "2026-03-04T10:59+00:00")
    assert set(thank_yous(base)) == {JANE}
    run(base, "2026-03-04T11:00+00:00")  # 24 hours after the interview: no later
    assert set(thank_yous(base)) == {JANE, RAJ}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"25h"', "[thank_you].wait_for_notes: expected a duration of at most 24h, got '25h'"),
        ('"2d"', "[thank_you].wait_for_notes: expected a duration of at most 24h, got '2d'"),
        ('"soon"', "[thank_you].wait_for_notes: expected a duration like '90m' or '2h', got 'soon'"),
        ("2", "[thank_you].wait_for_notes: expected a duration like '90m' or '2h', got 2"),
    ],
)  # fmt: skip
def test_a_wait_past_24_hours_or_not_a_duration_is_refused(
    tmp_path: Path, value: str, expected: str
) -> None:
    config = demo.create(tmp_path / "demo", now=datetime.fromisoformat(NOW))
    config.write_text(config.read_text() + f"\n[thank_you]\nwait_for_notes = {value}\n")
    result = CliRunner(env={"COLUMNS": "250"}).invoke(main, ["--config", str(config), "check"])
    assert result.exit_code == 2
    assert f"config.toml: {expected}" in result.output


def test_a_moved_interview_keeps_its_wait_and_its_released_thank_yous(home: list[str]) -> None:
    """The calendar moves tomorrow's Initech interview (id 4, 12:00-13:00): its thank-you
    waits until two hours after the new end; once notes are given, it is due an hour after it,
    wherever the interview moves."""
    calendar = Path(home[1]).parent / "calendar" / "interviews.ics"
    text = calendar.read_text()

    def bill(when: str) -> tuple[str, str, str]:
        row = next(r for r in records(at(when, home, "status")) if r["to"] == "Bill Lumbergh")
        return row["state"], row["due"], row["why"]

    assert bill("2026-03-03T12:05+00:00")[1] == "2026-03-04 15:00"
    calendar.write_text(
        text.replace("DTSTART:20260304T120000Z", "DTSTART:20260304T140000Z").replace(
            "DTEND:20260304T130000Z", "DTEND:20260304T150000Z"
        ),
        newline="",
    )
    run(home, "2026-03-03T12:10+00:00")
    state, due, why = bill("2026-03-03T12:15+00:00")
    assert (state, due) == ("scheduled", "2026-03-04 17:00")
    assert (
        why == "waiting for your notes until Wed 04 Mar 17:00; 'followupd note 4 ...' releases it"
    )

    said = at("2026-03-03T12:20+00:00", home, "note", "4", "budget for the platform team")
    assert "the thank-you to Bill Lumbergh is due at Wed 04 Mar 16:00 UTC" in said
    calendar.write_text(text, newline="")  # back to 12:00-13:00
    run(home, "2026-03-03T12:30+00:00")
    assert bill("2026-03-03T12:35+00:00")[:2] == ("scheduled", "2026-03-04 14:00")


@pytest.mark.timeout(120)
def test_a_running_daemon_drafts_a_released_thank_you_within_its_recheck(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``note`` runs in another process than the daemon, which polls only daily here: the
    daemon reads the earliest due time again every minute (a second here) and drafts the
    thank-yous the note released without waiting for the poll or the end of the wait."""
    from tests.test_reload import Daemon, drafts, wait_for

    config = demo.create(tmp_path / "demo", now=datetime.now(UTC))
    text = config.read_text().replace("[daemon]", '[daemon]\npoll_interval = "24h"')
    config.write_text(text + '\n[thank_you]\nwait_for_notes = "2h"\n')
    maildir = config.parent / "Maildir"
    monkeypatch.setenv(DUE_RECHECK_ENV, "1")
    running = Daemon(config, tmp_path)
    try:
        wait_for(lambda: running.said("READY=1") == 1, 60, "READY=1")
        # The status inquiry to Maria; Acme's thank-yous wait for notes for another hour.
        wait_for(lambda: len(drafts(maildir)) == 1, 60, f"the first draft\n{running.output()}")
        time.sleep(2)
        assert len(drafts(maildir)) == 1, running.output()
        said = cli(["--config", str(config)], "note", ACME, NOTE)
        assert "the thank-you to Jane Smith is due now" in said
        noted = time.monotonic()
        wait_for(lambda: len(drafts(maildir)) == 3, 30, f"the released drafts\n{running.output()}")
        print(f"note to its drafts in the running daemon: {time.monotonic() - noted:.1f} s")
        running.proc.send_signal(signal.SIGTERM)
        assert running.proc.wait(timeout=10) == 0, running.output()
        assert "Traceback" not in running.output(), running.output()
    finally:
        running.close()
