"""The promises of :class:`daemon.protocols.CalendarSource`, stated once and checked on every
calendar provider (tests/contract/calendars.py: a folder of .ics files, a real Radicale over
CalDAV, the Google Calendar and Graph fakes). Provider-specific edge cases (recurrences, paging,
discovery, time zones) stay in each provider's own test file; here is what the core relies on
from all of them, checked the same way everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest

from daemon.errors import CursorExpired
from daemon.protocols import CalendarChanges, CalendarSource
from tests.contract.calendars import CALENDARS, JANE, CalendarHarness, calendar_harness
from tests.servers.radicale import dav_user, radicale

__all__ = ["dav_user", "radicale"]  # fixtures


@pytest.fixture(params=CALENDARS)
def cal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CalendarHarness]:
    user = request.getfixturevalue("dav_user") if request.param == "caldav" else None
    with ExitStack() as stack:
        yield calendar_harness(request.param, tmp_path, stack, user)


def ids(changes: CalendarChanges) -> list[str]:
    return [e.id for e in changes.events]


def gone(changes: CalendarChanges, ident: str) -> bool:
    """Does ``changes`` tell the core the event is no more (removed, cancelled, or absent
    from a complete read)?"""
    if ident in changes.removed:
        return True
    found = [e for e in changes.events if e.id == ident]
    if found:
        return all(e.cancelled for e in found)
    return changes.complete


def test_first_sync_returns_the_interview_with_its_attendees(cal):
    start = cal.now + timedelta(days=2)
    ident = cal.add("interview-1", start)
    source = cal.source()
    assert isinstance(source, CalendarSource)
    first = source.changes(None, cal.window)
    assert first.complete and not first.problems and first.cursor
    (event,) = first.events
    assert (event.id, event.start, event.end) == (ident, start, start + timedelta(hours=1))
    assert not event.cancelled
    people = {a.email: a for a in event.attendees}
    assert set(people) == {JANE[0], cal.me}
    assert people[JANE[0]].name == JANE[1] and not people[JANE[0]].is_self
    assert people[cal.me].is_self
    assert event.organizer is not None and event.organizer.email == JANE[0]


def test_an_unchanged_poll_returns_nothing(cal):
    cal.add("interview-1", cal.now + timedelta(days=2))
    source = cal.source()
    first = source.changes(None, cal.window)
    idle = source.changes(first.cursor, cal.window)
    assert idle.events == [] and idle.removed == [] and not idle.complete
    again = cal.source().changes(idle.cursor, cal.window)  # a new process, the stored cursor
    assert again.events == [] and again.removed == [] and not again.complete


def test_an_unchanged_poll_costs_at_most_its_budget(cal):
    if cal.idle_budget is None:
        pytest.skip(f"{cal.name}: reads local files, no server requests to count")
    cal.add("interview-1", cal.now + timedelta(days=2))
    source = cal.source()
    cursor = source.changes(None, cal.window).cursor
    mark = cal.mark()
    source.changes(cursor, cal.window)
    seen = cal.requests_since(mark)
    assert seen is not None and 0 < seen <= cal.idle_budget, seen  # it asked, and no more


def test_a_moved_interview_comes_back_with_its_new_time(cal):
    ident = cal.add("interview-1", cal.now + timedelta(days=2))
    cal.add("interview-2", cal.now + timedelta(days=3))
    source = cal.source()
    cursor = source.changes(None, cal.window).cursor
    moved_to = cal.now + timedelta(days=5, hours=3)
    cal.move("interview-1", moved_to)
    changed = source.changes(cursor, cal.window)
    (event,) = [e for e in changed.events if e.id == ident]
    assert event.start == moved_to and not event.cancelled
    assert len(set(ids(changed))) == len(ids(changed))
    assert source.changes(changed.cursor, cal.window).events == []


@pytest.mark.parametrize("how", ["cancelled", "deleted"])
def test_a_cancelled_or_deleted_interview_is_no_more(cal, how):
    ident = cal.add("interview-1", cal.now + timedelta(days=2))
    kept = cal.add("interview-2", cal.now + timedelta(days=3))
    source = cal.source()
    cursor = source.changes(None, cal.window).cursor
    (cal.cancel if how == "cancelled" else cal.delete)("interview-1")
    changed = source.changes(cursor, cal.window)
    assert gone(changed, ident)
    assert not gone(changed, kept)


def test_an_expired_cursor_means_a_complete_resync_without_duplicates(cal):
    if cal.expiry:
        pytest.skip(cal.expiry)
    idents = {cal.add(f"interview-{n}", cal.now + timedelta(days=n)) for n in (1, 2, 3)}
    source = cal.source()
    cursor = cal.expire(source.changes(None, cal.window).cursor)
    try:
        again = source.changes(cursor, cal.window)
    except CursorExpired:
        again = source.changes(None, cal.window)  # what the core does next
    assert again.complete
    assert sorted(ids(again)) == sorted(idents)
    assert source.changes(again.cursor, cal.window).events == []
