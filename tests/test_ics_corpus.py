"""Every real-world .ics file of the shared corpus goes through the ics provider.

Each file must either yield events or Problems whose messages say what was expected; nothing
may raise. A few files also have a known right answer (a Windows zone, a cancelled instance,
a broken event) checked below. Skips cleanly where ../shared is absent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.ics import IcsCalendar
from daemon.clock import FrozenClock
from daemon.protocols import AccountContext, CalendarChanges
from tests.conftest import corpus_files

FILES = corpus_files("ics")
WIDE = (datetime(1990, 1, 1, tzinfo=UTC), datetime(2040, 1, 1, tzinfo=UTC))
EXPECTED = "expected an iCalendar file (BEGIN:VCALENDAR ... END:VCALENDAR)"
ABSENT = pytest.mark.skip(reason="../shared/corpus is not present (only CI and developers have it)")


def sync(path: Path, tmp_path: Path) -> CalendarChanges:
    ctx = AccountContext(
        name="corpus",
        addresses=("me@example.com",),
        state_dir=tmp_path,
        clock=FrozenClock(datetime(2025, 1, 1, tzinfo=UTC)),
        timezone="Europe/Berlin",
    )
    return IcsCalendar(path, ctx).changes(None, WIDE)


@pytest.mark.parametrize(
    "path", FILES or [pytest.param(None, marks=ABSENT)], ids=lambda p: p.name if p else "none"
)
def test_every_corpus_file_yields_events_or_clear_problems(path: Path, tmp_path: Path) -> None:
    changes = sync(path, tmp_path)
    # "complete" only when nothing was skipped: a broken file must not make events look deleted
    # (a warning says what was repaired; nothing was skipped)
    assert changes.complete is all(problem.warning for problem in changes.problems)
    for problem in changes.problems:
        assert problem.container == path.name and problem.item
        assert "expected" in problem.message, problem.message
    ids = [event.id for event in changes.events]
    assert len(ids) == len(set(ids)), "instance ids must be unique"
    for event in changes.events:
        assert event.id
        assert event.start.tzinfo is not None and event.end.tzinfo is not None
        assert event.end >= event.start
    if not changes.events and not changes.problems:  # nothing silently dropped
        assert b"BEGIN:VEVENT" not in path.read_bytes().upper()


def _zones(changes: CalendarChanges) -> set[str | None]:
    return {event.timezone for event in changes.events}


def _messages(changes: CalendarChanges) -> list[str]:
    return [problem.message for problem in changes.problems]


KNOWN: dict[str, Callable[[CalendarChanges], bool]] = {
    # Windows TZIDs (with and without VTIMEZONE) become the IANA zone they name.
    "allenporter-ical__office_365_extended_timezone.ics": lambda c: _zones(c) == {"Europe/Berlin"},
    "nylas-sync-engine__windows_event.ics": lambda c: _zones(c) == {"Europe/Paris"},
    "mozilla-releases-comm-central__teams-meeting-invite.eml__text-calendar.ics": (
        lambda c: _zones(c) == {"Europe/Kiev"}
    ),
    "pimutils-khal__tz_windows_format.ics": lambda c: _zones(c) == {"Pacific/Auckland"},
    # A garbage offset in a historic VTIMEZONE must not lose the file.
    "jazzband-icalevents__icloud.ics": lambda c: len(c.events) > 0 and not c.problems,
    # Not UTF-8: decoded as Latin-1, umlauts intact.
    "jazzband-icalevents__basic_latin1.ics": (
        lambda c: any("ü" in e.title for e in c.events) and not c.problems
    ),
    # Cancelled instances of series, and a METHOD:CANCEL message.
    "niccokunzmann-python-recurring-ical-events__issue_18_cancel_status.ics": (
        lambda c: sum(e.cancelled for e in c.events) == 1 and len(c.events) == 3
    ),
    "pimutils-khal__event_rrule_recuid_cancelled.ics": (
        lambda c: sum(e.cancelled for e in c.events) == 1
    ),
    "nylas-sync-engine__google_cancelled2.ics": lambda c: all(e.cancelled for e in c.events),
    # Broken but repairable: blanks in BYDAY, a SEQUENCE beyond 32 bits.
    "collective-icalendar__issue_165_missing_event.ics": lambda c: c.events and not c.problems,
    "nylas-sync-engine__bogus_sequence_number.ics": lambda c: len(c.events) == 1,
    "jazzband-icalevents__no_uid.ics": lambda c: c.events[0].id.startswith("noid-"),
    "jazzband-icalevents__transparent.ics": (
        lambda c: any("show-as:free" in e.tags for e in c.events)
    ),
    "niccokunzmann-python-recurring-ical-events__x_wr_timezone_simple_events_issue_59.ics": (
        lambda c: _zones(c) == {"America/New_York"}
    ),
    # An ATTENDEE line folded inside its unquoted CN (CRLF, a space, then " Apptest"): read
    # whole, and no problem to report (it once was: the fold's CR stayed in the unfolded line).
    "nylas-sync-engine__invite_w_rsvps2.ics": lambda c: (
        any(
            (a.email, a.name) == ("test1@example.com", "Inbox Apptest")
            for a in c.events[0].attendees
        )
        and c.problems == []
    ),
    # Rejected, with the reason.
    "niccokunzmann-python-recurring-ical-events__issue_132_swapped_start_and_end.ics": (
        lambda c: not c.events and "ends before it starts" in _messages(c)[0]
    ),
    "Kozea-Radicale__broken-vevent.ics": (
        lambda c: _messages(c) == [f"{EXPECTED}: the file ends inside VEVENT (END:VEVENT missing)"]
    ),
    "collective-icalendar__fuzz_testcase_vtimezone_lone_cr.ics": (
        lambda c: _messages(c) == [f"{EXPECTED}: no BEGIN:VCALENDAR line found"]
    ),
}


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_known_answers(name: str, tmp_path: Path) -> None:
    path = next((p for p in FILES if p.name == name), None)
    if path is None:
        pytest.skip(f"{name} is not in this corpus")
    changes = sync(path, tmp_path)
    assert KNOWN[name](changes), (
        [(e.id, e.timezone, e.cancelled, sorted(e.tags)) for e in changes.events[:5]],
        _messages(changes),
    )
