"""Outlook calendar: calendarView/delta against the fake Graph, through the real HTTP layer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.outlook import PROVIDER, forget_runtimes
from connectors.outlook.calendar import OutlookCalendar
from connectors.outlook.lookups import Lookups
from daemon.clock import SystemClock
from daemon.errors import ConnectorError, CursorExpired
from daemon.protocols import AccountContext, AttendeeKind, Problem, Response, Role
from tests.fakes.graph_server import MicrosoftFakes, running_microsoft

NOW = datetime.now(UTC).replace(microsecond=0)
WINDOW = (NOW - timedelta(days=30), NOW + timedelta(days=90))
PANEL = (
    ("ian@acme.example", "Ian Interviewer", "required", "accepted"),
    ("olga@acme.example", "Olga Optional", "optional", "tentativelyAccepted"),
    ("room-4@acme.example", "Room 4", "resource", "accepted"),
    ("casey@contoso.example", "Casey Candidate", "required", "accepted"),
)


@pytest.fixture
def ms(tmp_path: Path):
    with running_microsoft(tmp_path / "fakes") as fakes:
        yield fakes


@pytest.fixture
def ctx(ms: MicrosoftFakes, tmp_path: Path) -> AccountContext:
    context = AccountContext(
        name="work",
        addresses=("casey@contoso.example",),
        state_dir=tmp_path / "state",
        clock=SystemClock(),
        timezone="UTC",
    )
    PROVIDER.authorize(context, ms.account_options(), lambda line: None)
    return context


def calendar(ms: MicrosoftFakes, ctx: AccountContext, **options: object) -> OutlookCalendar:
    return PROVIDER.calendar(ctx, dict(options), ms.account_options())


def delta_calls(ms: MicrosoftFakes) -> int:
    return len(ms.graph.requests("GET", "calendarView/delta"))


def test_first_sync_maps_what_outlook_has(ms: MicrosoftFakes, ctx: AccountContext) -> None:
    start = NOW + timedelta(days=2, hours=3, microseconds=123456)
    ident = ms.graph.add_event(
        "Onsite interview - Acme",
        start,
        start + timedelta(hours=2),
        attendees=PANEL,
        categories=("Interview",),
        show_as="tentative",
        body="Bring your laptop #followup",
        location="Acme HQ, Room 4",
    )
    changes = calendar(ms, ctx).changes(None, WINDOW)
    assert changes.complete and changes.problems == [] and changes.removed == []
    (event,) = changes.events
    assert event.id == ident and event.title == "Onsite interview - Acme"
    assert event.start == start.replace(microsecond=123456) and event.end == start + timedelta(
        hours=2
    )
    assert event.start.tzinfo is not None
    assert event.calendar == "Calendar" and event.location == "Acme HQ, Room 4"
    assert event.description == "Bring your laptop #followup"
    assert event.tags == frozenset({"category:Interview", "show-as:tentative"})
    assert event.organizer is not None and event.organizer.email == "recruiter@acme.example"
    assert event.organizer.is_organizer and not event.organizer.is_self
    ian, olga, room, me = event.attendees
    assert (ian.role, ian.kind, ian.response) == (
        Role.REQUIRED,
        AttendeeKind.PERSON,
        Response.ACCEPTED,
    )
    assert (olga.role, olga.response) == (Role.OPTIONAL, Response.TENTATIVE)
    assert (room.role, room.kind) == (Role.NON_PARTICIPANT, AttendeeKind.RESOURCE)
    assert me.is_self and not ian.is_self
    assert event.series_id is None and not event.cancelled
    assert event.updated is not None
    # What made the times UTC and the ids immutable: the Prefer header on every request.
    (request,) = ms.graph.requests("GET", "calendarView/delta")
    assert 'IdType="ImmutableId"' in request.prefer
    assert 'outlook.timezone="UTC"' in request.prefer
    assert "odata.maxpagesize=50" in request.prefer


def test_organizer_is_self_when_outlook_says_so(ms: MicrosoftFakes, ctx: AccountContext) -> None:
    ms.graph.add_event(
        "Mock interview practice",
        NOW + timedelta(days=1),
        is_organizer=True,
        organizer=("casey@contoso.example", "Casey"),
    )
    (event,) = calendar(ms, ctx).changes(None, WINDOW).events
    assert event.organizer is not None and event.organizer.is_self


def test_an_unchanged_calendar_costs_one_request(ms: MicrosoftFakes, ctx: AccountContext) -> None:
    ms.graph.add_event("Phone screen", NOW + timedelta(days=3))
    source = calendar(ms, ctx)
    first = source.changes(None, WINDOW)
    before = len(ms.graph.log)
    second = source.changes(first.cursor, WINDOW)
    assert len(ms.graph.log) - before == 1
    assert second.events == [] and second.removed == [] and not second.complete
    assert json.loads(second.cursor or "")["window"] == json.loads(first.cursor or "")["window"]


def test_delta_reports_changes_and_deletions(ms: MicrosoftFakes, ctx: AccountContext) -> None:
    keep = ms.graph.add_event("Phone screen", NOW + timedelta(days=3))
    gone = ms.graph.add_event("Tech screen", NOW + timedelta(days=4))
    source = calendar(ms, ctx)
    cursor = source.changes(None, WINDOW).cursor
    ms.graph.update_event(
        keep,
        subject="Phone screen (moved)",
        start=NOW + timedelta(days=5),
        end=NOW + timedelta(days=5, hours=1),
    )
    ms.graph.delete_event(gone)
    changes = source.changes(cursor, WINDOW)
    assert [e.title for e in changes.events] == ["Phone screen (moved)"]
    assert changes.events[0].start == NOW + timedelta(days=5)
    assert changes.removed == [gone] and not changes.complete


def test_next_links_are_followed(ms: MicrosoftFakes, ctx: AccountContext) -> None:
    ids = {ms.graph.add_event(f"Interview {i}", NOW + timedelta(hours=i)) for i in range(120)}
    changes = calendar(ms, ctx).changes(None, WINDOW)
    assert {e.id for e in changes.events} == ids and len(changes.events) == 120
    assert delta_calls(ms) == 3  # 50 + 50 + 20


@pytest.mark.parametrize("code", ["syncStateNotFound", "resyncRequired"])
def test_expired_delta_token_resyncs_without_duplicates(
    ms: MicrosoftFakes, ctx: AccountContext, code: str
) -> None:
    ids = {ms.graph.add_event(f"Interview {i}", NOW + timedelta(days=i)) for i in range(1, 4)}
    source = calendar(ms, ctx)
    cursor = source.changes(None, WINDOW).cursor
    ms.graph.expire_delta_tokens(code)
    before = delta_calls(ms)
    changes = source.changes(cursor, WINDOW)
    assert changes.complete  # the core treats absent interviews as deleted, present as upserts
    assert sorted(e.id for e in changes.events) == sorted(ids)  # each exactly once
    assert delta_calls(ms) - before == 2  # the 410, then the fresh round
    again = source.changes(changes.cursor, WINDOW)
    assert again.events == [] and not again.complete


def test_cancelled_moved_and_deleted_occurrences(ms: MicrosoftFakes, ctx: AccountContext) -> None:
    master, (first, second, third) = ms.graph.add_series(
        "Weekly interview loop", NOW + timedelta(days=1), 3, attendees=PANEL[:1]
    )
    source = calendar(ms, ctx)
    initial = source.changes(None, WINDOW)
    assert {e.series_id for e in initial.events} == {master}
    moved_to = NOW + timedelta(days=9, hours=2)
    ms.graph.move_occurrence(second, moved_to)
    ms.graph.cancel_event(third)
    ms.graph.delete_event(first)
    changes = source.changes(initial.cursor, WINDOW)
    by_id = {e.id: e for e in changes.events}
    assert by_id[second].start == moved_to and by_id[second].series_id == master
    assert by_id[third].cancelled and by_id[third].title == "Canceled: Weekly interview loop"
    assert changes.removed == [first]


def test_a_new_round_starts_when_the_window_moves_past_it(
    ms: MicrosoftFakes, ctx: AccountContext
) -> None:
    ms.graph.add_event("Phone screen", NOW + timedelta(days=3))
    source = calendar(ms, ctx)
    first = source.changes(None, WINDOW)
    small = (WINDOW[0] + timedelta(days=1), WINDOW[1] + timedelta(days=1))
    assert not source.changes(first.cursor, small).complete  # still inside the padded round
    far = (WINDOW[0] + timedelta(days=30), WINDOW[1] + timedelta(days=30))
    moved = source.changes(first.cursor, far)
    assert moved.complete and [e.title for e in moved.events] == ["Phone screen"]
    start, end = json.loads(moved.cursor or "")["window"]
    assert datetime.fromisoformat(start) == far[0] and datetime.fromisoformat(end) > far[1]


def test_a_broken_event_is_a_problem_not_a_crash(ms: MicrosoftFakes, ctx: AccountContext) -> None:
    good = ms.graph.add_event("Phone screen", NOW + timedelta(days=3))
    bad = ms.graph.add_event("Broken", NOW + timedelta(days=4), ident="EVT-broken")
    ms.graph.update_event(bad, raw={"start": {"dateTime": "tomorrow", "timeZone": "UTC"}})
    changes = calendar(ms, ctx).changes(None, WINDOW)
    assert [e.id for e in changes.events] == [good]
    assert changes.problems == [
        Problem(
            item="Outlook event 'Broken' (EVT-broken)",
            message="expected a date-time like 2026-03-02T15:00:00.0000000, got 'tomorrow'",
        )
    ]


def test_times_in_another_zone_are_reported(ms: MicrosoftFakes, ctx: AccountContext) -> None:
    bad = ms.graph.add_event("Zoned", NOW + timedelta(days=4), ident="EVT-zoned")
    ms.graph.update_event(
        bad,
        raw={
            "end": {
                "dateTime": "2026-03-02T15:00:00.0000000",
                "timeZone": "W. Europe Standard Time",
            }
        },
    )
    (problem,) = calendar(ms, ctx).changes(None, WINDOW).problems
    assert problem.message == (
        'expected times in UTC (followupd asks Graph for outlook.timezone="UTC"), got time zone '
        "'W. Europe Standard Time'"
    )


def test_an_unusable_cursor_asks_for_a_resync(ms: MicrosoftFakes, ctx: AccountContext) -> None:
    with pytest.raises(CursorExpired) as err:
        calendar(ms, ctx).changes("not json", WINDOW)
    assert str(err.value).startswith("the stored Outlook calendar cursor is unusable (")
    assert str(err.value).endswith("); a full resync follows")


def test_named_calendars(ms: MicrosoftFakes, ctx: AccountContext) -> None:
    ms.graph.add_event("Dentist", NOW + timedelta(days=1))
    jobs = ms.graph.add_event("Interview with Acme", NOW + timedelta(days=2), calendar="CAL-JOBS")
    source = calendar(ms, ctx, calendars=["job search"])
    changes = source.changes(None, WINDOW)
    assert [(e.id, e.calendar) for e in changes.events] == [(jobs, "Job search")]
    assert ms.graph.requests("GET", "/me/calendars/CAL-JOBS/calendarView/delta")
    assert source.check() == f"Outlook calendar 'Job search' via {ms.graph_root}/v1.0"


def test_an_unknown_calendar_name_is_explained(ms: MicrosoftFakes, ctx: AccountContext) -> None:
    with pytest.raises(ConnectorError) as err:
        calendar(ms, ctx, calendars=["Nope"]).changes(None, WINDOW)
    assert str(err.value) == (
        "Outlook calendar 'Nope' not found in account 'work' "
        "(calendars: 'Calendar', 'Job search'); fix the calendar's 'calendars' option"
    )


def test_check_names_the_default_calendar(ms: MicrosoftFakes, ctx: AccountContext) -> None:
    assert calendar(ms, ctx).check() == f"Outlook calendar 'Calendar' via {ms.graph_root}/v1.0"


def test_calendars_are_looked_up_once_a_day_and_afresh_by_check(
    ms: MicrosoftFakes, ctx: AccountContext
) -> None:
    """Issue 14: a `run --once` process does not ask again what the last one looked up."""
    calendar(ms, ctx, calendars=["job search"]).changes(None, WINDOW)
    forget_runtimes()  # a new process
    calendar(ms, ctx, calendars=["job search"]).changes(None, WINDOW)
    assert len([r for r in ms.graph.log if r.path == "/me/calendars"]) == 1
    # A calendar made since the list was kept is found (the list is asked again) ...
    ms.graph.calendars["CAL-NEW"] = {
        "id": "CAL-NEW",
        "name": "Recruiters",
        "isDefaultCalendar": False,
    }
    assert calendar(ms, ctx, calendars=["recruiters"]).changes(None, WINDOW).complete
    # ... and `check` proves Graph answers, whatever is kept.
    assert calendar(ms, ctx).check() == f"Outlook calendar 'Calendar' via {ms.graph_root}/v1.0"
    assert calendar(ms, ctx).check()
    assert len([r for r in ms.graph.log if r.path == "/me/calendar"]) == 2
    assert len([r for r in ms.graph.log if r.path == "/me/calendars"]) == 2


def test_a_lookup_is_kept_a_day(tmp_path: Path) -> None:
    now = [1_000_000.0]
    kept = Lookups(tmp_path / "state", now=lambda: now[0])
    asked: list[int] = []
    assert kept.remember("k", lambda: asked.append(1) or "v") == "v"
    now[0] += 23 * 3600
    assert Lookups(tmp_path / "state", now=lambda: now[0]).remember("k", lambda: "w") == "v"
    now[0] += 2 * 3600
    assert Lookups(tmp_path / "state", now=lambda: now[0]).remember("k", lambda: "w") == "w"
    (tmp_path / "state" / "outlook-lookups.json").write_text("{not json")
    assert Lookups(tmp_path / "state").remember("k", lambda: "x") == "x"  # a cache: asked again
