"""The ics provider against small real .ics texts written to disk (no mocks: real icalendar,
real recurring-ical-events, real files)."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connectors.ics import PROVIDER, IcsCalendar, Limits
from daemon import options as o
from daemon.clock import FrozenClock
from daemon.errors import ConnectorError
from daemon.protocols import (
    AccountContext,
    AttendeeKind,
    CalendarChanges,
    CalendarEvent,
    CalendarSource,
    Response,
    Role,
)
from daemon.registry import provider

BERLIN = ZoneInfo("Europe/Berlin")
WINDOW = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 12, 31, tzinfo=UTC))
EXPECTED = "expected an iCalendar file (BEGIN:VCALENDAR ... END:VCALENDAR)"


def context(tmp_path: Path, timezone: str = "Europe/Berlin") -> AccountContext:
    return AccountContext(
        name="personal",
        addresses=("me@example.com",),
        state_dir=tmp_path / "state",
        clock=FrozenClock(datetime(2025, 3, 1, tzinfo=UTC)),
        timezone=timezone,
    )


def calendar(*events: str, head: str = "", tail: str = "") -> str:
    """A VCALENDAR around VEVENT bodies (each given without BEGIN/END:VEVENT)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//followupd tests//EN"]
    lines += [line.strip() for line in head.strip().splitlines() if line.strip()]
    for body in events:
        lines += ["BEGIN:VEVENT", *(x.strip() for x in body.strip().splitlines()), "END:VEVENT"]
    lines += [line.strip() for line in tail.strip().splitlines() if line.strip()]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def sync(
    path: Path,
    tmp_path: Path,
    *,
    timezone: str = "Europe/Berlin",
    window: tuple[datetime, datetime] = WINDOW,
    limits: Limits | None = None,
) -> CalendarChanges:
    return IcsCalendar(path, context(tmp_path, timezone), limits).changes(None, window)


def by_id(changes: CalendarChanges) -> dict[str, CalendarEvent]:
    return {event.id: event for event in changes.events}


SIMPLE = """
UID:interview-1@acme.example
DTSTAMP:20250201T120000Z
LAST-MODIFIED:20250202T080000Z
DTSTART;TZID=Europe/Berlin:20250310T140000
DTEND;TZID=Europe/Berlin:20250310T150000
SUMMARY:Interview with ACME
DESCRIPTION:Second round\\, bring the slides\\nRoom 4
LOCATION:ACME HQ\\, Berlin
"""


# --------------------------------------------------------------------------------------------
# Mapping of single events
# --------------------------------------------------------------------------------------------


def test_single_event_is_mapped_with_aware_times(tmp_path: Path) -> None:
    path = write(tmp_path, "work.ics", calendar(SIMPLE))
    changes = sync(path, tmp_path)
    assert changes.complete is True
    assert changes.problems == []
    assert changes.cursor and changes.cursor.startswith("ics3:")
    [event] = changes.events
    assert event.id == "interview-1@acme.example"
    assert event.series_id is None
    assert event.title == "Interview with ACME"
    assert event.description == "Second round, bring the slides\nRoom 4"
    assert event.location == "ACME HQ, Berlin"
    assert event.start == datetime(2025, 3, 10, 14, 0, tzinfo=BERLIN)
    assert event.end == datetime(2025, 3, 10, 15, 0, tzinfo=BERLIN)
    assert event.start.utcoffset() == timedelta(hours=1)
    assert event.timezone == "Europe/Berlin"
    assert event.all_day is False
    assert event.cancelled is False
    assert event.calendar == "work"
    assert event.updated == datetime(2025, 2, 2, 8, 0, tzinfo=UTC)


def test_updated_falls_back_to_dtstamp_and_calendar_to_x_wr_calname(tmp_path: Path) -> None:
    body = SIMPLE.replace("LAST-MODIFIED:20250202T080000Z\n", "")
    path = write(tmp_path, "export.ics", calendar(body, head="X-WR-CALNAME:Job hunt"))
    [event] = sync(path, tmp_path).events
    assert event.calendar == "Job hunt"
    assert event.updated == datetime(2025, 2, 1, 12, 0, tzinfo=UTC)


def test_events_outside_the_window_are_left_out(tmp_path: Path) -> None:
    inside = SIMPLE
    outside = SIMPLE.replace("interview-1", "old").replace("20250310", "20240310")
    path = write(tmp_path, "c.ics", calendar(inside, outside))
    assert [e.id for e in sync(path, tmp_path).events] == ["interview-1@acme.example"]


def test_floating_time_is_read_in_the_account_time_zone(tmp_path: Path) -> None:
    body = "UID:f1\nDTSTART:20250310T100000\nDTEND:20250310T110000\nSUMMARY:Phone screen"
    path = write(tmp_path, "c.ics", calendar(body))
    [event] = sync(path, tmp_path, timezone="America/New_York").events
    assert event.start == datetime(2025, 3, 10, 10, 0, tzinfo=ZoneInfo("America/New_York"))
    assert event.end - event.start == timedelta(hours=1)
    assert event.timezone is None


def test_all_day_event_starts_at_local_midnight(tmp_path: Path) -> None:
    body = "UID:d1\nDTSTART;VALUE=DATE:20250310\nDTEND;VALUE=DATE:20250312\nSUMMARY:Onsite"
    path = write(tmp_path, "c.ics", calendar(body))
    [event] = sync(path, tmp_path).events
    assert event.all_day is True
    assert event.start == datetime(2025, 3, 10, 0, 0, tzinfo=BERLIN)
    assert event.end == datetime(2025, 3, 12, 0, 0, tzinfo=BERLIN)
    assert event.timezone is None


def test_all_day_event_is_in_the_window_by_local_date(tmp_path: Path) -> None:
    # 23:30 UTC on the 9th is already the 10th in Berlin: the all-day event overlaps.
    body = "UID:d1\nDTSTART;VALUE=DATE:20250310\nSUMMARY:Onsite"
    path = write(tmp_path, "c.ics", calendar(body))
    window = (datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 9, 23, 30, tzinfo=UTC))
    assert [e.id for e in sync(path, tmp_path, window=window).events] == ["d1"]
    window = (datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 9, 22, 30, tzinfo=UTC))
    assert sync(path, tmp_path, window=window).events == []


@pytest.mark.parametrize(
    ("lines", "length"),
    [
        ("DTSTART;VALUE=DATE:20250310", timedelta(days=1)),  # RFC 5545: a date lasts one day
        ("DTSTART:20250310T090000Z", timedelta(0)),  # a date-time without end is an instant
        ("DTSTART:20250310T090000Z\nDURATION:PT45M", timedelta(minutes=45)),
        ("DTSTART;VALUE=DATE:20250310\nDURATION:P2D", timedelta(days=2)),
    ],
)
def test_missing_dtend_uses_duration_or_rfc_defaults(
    tmp_path: Path, lines: str, length: timedelta
) -> None:
    path = write(tmp_path, "c.ics", calendar(f"UID:x\nSUMMARY:Call\n{lines}"))
    [event] = sync(path, tmp_path).events
    assert event.end - event.start == length


# --------------------------------------------------------------------------------------------
# Recurrence
# --------------------------------------------------------------------------------------------

WEEKLY = """
UID:weekly@acme.example
DTSTART;TZID=Europe/Berlin:20250303T100000
DTEND;TZID=Europe/Berlin:20250303T110000
RRULE:FREQ=WEEKLY;COUNT=5
EXDATE;TZID=Europe/Berlin:20250310T100000
SUMMARY:Weekly sync
"""


def test_recurrence_with_exdate_and_override(tmp_path: Path) -> None:
    override = """
    UID:weekly@acme.example
    RECURRENCE-ID;TZID=Europe/Berlin:20250317T100000
    DTSTART;TZID=Europe/Berlin:20250317T153000
    DTEND;TZID=Europe/Berlin:20250317T163000
    SUMMARY:Weekly sync (moved to the afternoon)
    """
    path = write(tmp_path, "c.ics", calendar(WEEKLY, override))
    events = by_id(sync(path, tmp_path))
    # 09:00 UTC is 10:00 in Berlin (CET). The EXDATE'd 10 March is absent.
    assert sorted(events) == [
        "weekly@acme.example/2025-03-03T09:00:00Z",
        "weekly@acme.example/2025-03-17T09:00:00Z",
        "weekly@acme.example/2025-03-24T09:00:00Z",
        "weekly@acme.example/2025-03-31T08:00:00Z",  # CEST from 30 March: 10:00 is 08:00 UTC
    ]
    assert {e.series_id for e in events.values()} == {"weekly@acme.example"}
    moved = events["weekly@acme.example/2025-03-17T09:00:00Z"]
    assert moved.title == "Weekly sync (moved to the afternoon)"
    assert moved.start == datetime(2025, 3, 17, 15, 30, tzinfo=BERLIN)
    later = events["weekly@acme.example/2025-03-31T08:00:00Z"]
    assert later.start == datetime(2025, 3, 31, 10, 0, tzinfo=BERLIN)
    assert later.title == "Weekly sync"


def test_instance_moved_to_another_day_keeps_its_original_id(tmp_path: Path) -> None:
    override = """
    UID:weekly@acme.example
    RECURRENCE-ID:20250324T090000Z
    DTSTART;TZID=Europe/Berlin:20250326T090000
    DTEND;TZID=Europe/Berlin:20250326T100000
    SUMMARY:Weekly sync
    """
    path = write(tmp_path, "c.ics", calendar(WEEKLY, override))
    events = by_id(sync(path, tmp_path))
    moved = events["weekly@acme.example/2025-03-24T09:00:00Z"]
    assert moved.start == datetime(2025, 3, 26, 9, 0, tzinfo=BERLIN)
    assert len(events) == 4  # no second copy on the 24th


def test_cancelled_override_cancels_only_that_instance(tmp_path: Path) -> None:
    override = """
    UID:weekly@acme.example
    RECURRENCE-ID;TZID=Europe/Berlin:20250324T100000
    DTSTART;TZID=Europe/Berlin:20250324T100000
    DTEND;TZID=Europe/Berlin:20250324T110000
    STATUS:CANCELLED
    SUMMARY:Weekly sync
    """
    path = write(tmp_path, "c.ics", calendar(WEEKLY, override))
    cancelled = {e.id for e in sync(path, tmp_path).events if e.cancelled}
    assert cancelled == {"weekly@acme.example/2025-03-24T09:00:00Z"}


def test_this_and_future_override_shifts_later_instances(tmp_path: Path) -> None:
    override = """
    UID:weekly@acme.example
    RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20250324T100000
    DTSTART;TZID=Europe/Berlin:20250324T120000
    DTEND;TZID=Europe/Berlin:20250324T130000
    SUMMARY:Weekly sync at noon
    """
    path = write(tmp_path, "c.ics", calendar(WEEKLY, override))
    events = by_id(sync(path, tmp_path))
    assert events["weekly@acme.example/2025-03-24T09:00:00Z"].start.hour == 12
    later = events["weekly@acme.example/2025-03-31T08:00:00Z"]
    assert later.start == datetime(2025, 3, 31, 12, 0, tzinfo=BERLIN)
    assert later.title == "Weekly sync at noon"
    assert events["weekly@acme.example/2025-03-17T09:00:00Z"].start.hour == 10


def test_rdate_adds_an_instance_and_all_day_series_use_dates_in_ids(tmp_path: Path) -> None:
    body = """
    UID:days
    DTSTART;VALUE=DATE:20250303
    RRULE:FREQ=DAILY;COUNT=2
    RDATE;VALUE=DATE:20250310
    SUMMARY:Assessment days
    """
    path = write(tmp_path, "c.ics", calendar(body))
    events = by_id(sync(path, tmp_path))
    assert sorted(events) == ["days/2025-03-03", "days/2025-03-04", "days/2025-03-10"]
    assert all(e.all_day for e in events.values())


def test_floating_series_ids_do_not_depend_on_the_account_zone(tmp_path: Path) -> None:
    body = "UID:fl\nDTSTART:20250303T100000\nRRULE:FREQ=DAILY;COUNT=1\nSUMMARY:Call"
    path = write(tmp_path, "c.ics", calendar(body))
    for zone in ("Europe/Berlin", "Asia/Tokyo"):
        assert [e.id for e in sync(path, tmp_path, timezone=zone).events] == [
            "fl/2025-03-03T10:00:00"
        ]


def test_event_without_uid_gets_a_stable_derived_id(tmp_path: Path) -> None:
    body = "DTSTART:20250310T090000Z\nSUMMARY:No uid here\nATTENDEE:mailto:bob@acme.example"
    first = write(tmp_path, "a/one.ics", calendar(body))
    write(tmp_path, "a/two.ics", calendar(body))
    ids = [e.id for e in sync(tmp_path / "a", tmp_path).events]
    assert len(ids) == 1  # the same meeting in two files: one id (see test_ics_hostile.py)
    assert all(i.startswith("noid-") for i in ids)
    assert [e.id for e in sync(tmp_path / "a", tmp_path).events] == ids
    alone = sync(first, tmp_path).events[0].id
    assert alone == sync(first, tmp_path).events[0].id == ids[0]


def test_uid_less_events_with_nobody_on_them_at_the_same_time_stay_apart(tmp_path: Path) -> None:
    dentist = "DTSTART:20250310T090000Z\nSUMMARY:Dentist"
    path = write(tmp_path, "c.ics", calendar(dentist, dentist.replace("Dentist", "Gym")))
    assert sorted(e.title for e in sync(path, tmp_path).events) == ["Dentist", "Gym"]


# --------------------------------------------------------------------------------------------
# Time zones
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tzid", "zone", "utc_hour"),
    [
        ("W. Europe Standard Time", "Europe/Berlin", 13),
        ("Pacific Standard Time", "America/Los_Angeles", 21),
        ("/freeassociation.sourceforge.net/Europe/Berlin", "Europe/Berlin", 13),
        ("America/Los Angeles", "America/Los_Angeles", 21),
    ],
)
def test_tzids_that_name_a_known_zone(tmp_path: Path, tzid: str, zone: str, utc_hour: int) -> None:
    body = f'UID:w\nDTSTART;TZID="{tzid}":20250310T140000\nDURATION:PT1H\nSUMMARY:Call'
    path = write(tmp_path, "c.ics", calendar(body))
    [event] = sync(path, tmp_path).events
    assert event.timezone == zone
    assert event.start.astimezone(UTC).hour == utc_hour


def vtimezone(tzid: str, offset: str) -> str:
    return f"""
    BEGIN:VTIMEZONE
    TZID:{tzid}
    BEGIN:STANDARD
    DTSTART:16010101T000000
    TZOFFSETFROM:{offset}
    TZOFFSETTO:{offset}
    END:STANDARD
    END:VTIMEZONE
    """


def test_windows_name_wins_over_a_wrong_vtimezone(tmp_path: Path) -> None:
    # khal once wrote CET offsets under a New Zealand name; the name is what the user chose.
    body = 'UID:nz\nDTSTART;TZID="New Zealand Standard Time":20250310T140000\nSUMMARY:Call'
    path = write(
        tmp_path, "c.ics", calendar(body, head=vtimezone("New Zealand Standard Time", "+0100"))
    )
    [event] = sync(path, tmp_path).events
    assert event.timezone == "Pacific/Auckland"
    assert event.start.utcoffset() == timedelta(hours=13)


def test_custom_vtimezones_with_the_same_name_stay_per_file(tmp_path: Path) -> None:
    # Office 365 calls every custom zone "Customized Time Zone"; icalendar caches zones by TZID
    # process-wide, so without care the second file would get the first file's definition.
    for name, offset in (("east.ics", "+0300"), ("west.ics", "-0500")):
        body = f'UID:{name}\nDTSTART;TZID="Customized Time Zone":20250310T120000\nSUMMARY:Call'
        write(
            tmp_path, f"cals/{name}", calendar(body, head=vtimezone("Customized Time Zone", offset))
        )
    events = by_id(sync(tmp_path / "cals", tmp_path))
    assert events["east.ics"].start.astimezone(UTC).hour == 9
    assert events["west.ics"].start.astimezone(UTC).hour == 17
    assert events["east.ics"].timezone is None


def test_unknown_tzid_without_vtimezone_is_read_in_the_account_zone(tmp_path: Path) -> None:
    body = "UID:u\nDTSTART;TZID=Mars/Olympus_Mons:20250310T140000\nSUMMARY:Call"
    path = write(tmp_path, "c.ics", calendar(body))
    [event] = sync(path, tmp_path).events
    assert event.start == datetime(2025, 3, 10, 14, 0, tzinfo=BERLIN)


def test_broken_vtimezones_do_not_lose_the_file(tmp_path: Path) -> None:
    # iCloud's historic Europe/Berlin has TZOFFSETFROM:+5328; a custom zone may be garbage too.
    broken = """
    BEGIN:VTIMEZONE
    TZID:Europe/Berlin
    BEGIN:STANDARD
    DTSTART:18930401T000000
    TZOFFSETFROM:+5328
    TZOFFSETTO:+0100
    END:STANDARD
    END:VTIMEZONE
    BEGIN:VTIMEZONE
    TZID:My Zone
    BEGIN:STANDARD
    TZOFFSETTO:+0900
    END:STANDARD
    END:VTIMEZONE
    """
    known = "UID:k\nDTSTART;TZID=Europe/Berlin:20250310T140000\nSUMMARY:Known"
    custom = 'UID:c\nDTSTART;TZID="My Zone":20250310T140000\nSUMMARY:Custom'
    path = write(tmp_path, "c.ics", calendar(known, custom, head=broken))
    changes = sync(path, tmp_path)
    assert changes.problems == []
    events = by_id(changes)
    assert events["k"].start == datetime(2025, 3, 10, 14, 0, tzinfo=BERLIN)
    assert events["k"].timezone == "Europe/Berlin"
    assert events["c"].start == datetime(2025, 3, 10, 14, 0, tzinfo=BERLIN)  # as floating


def test_x_wr_timezone_is_honoured(tmp_path: Path) -> None:
    body = "UID:g\nDTSTART:20250310T170000Z\nDTEND:20250310T180000Z\nSUMMARY:Google"
    head = "X-WR-TIMEZONE:America/New_York"
    path = write(tmp_path, "c.ics", calendar(body, head=head))
    [event] = sync(path, tmp_path).events
    assert event.timezone == "America/New_York"
    assert event.start == datetime(2025, 3, 10, 13, 0, tzinfo=ZoneInfo("America/New_York"))


# --------------------------------------------------------------------------------------------
# People and tags
# --------------------------------------------------------------------------------------------


def test_an_unquoted_comma_in_a_name_keeps_the_name(tmp_path: Path) -> None:
    body = """
    UID:comma
    DTSTART:20250310T090000Z
    SUMMARY:Interview
    ATTENDEE;CN=Müller, Jürgen;PARTSTAT=ACCEPTED:mailto:j.mueller@acme.example
    ATTENDEE;CN=Smith, Jane, PhD:mailto:jane@acme.example
    """
    path = write(tmp_path, "c.ics", calendar(body))
    [event] = sync(path, tmp_path).events
    assert [a.name for a in event.attendees] == ["Müller, Jürgen", "Smith, Jane, PhD"]


def test_attendees_and_organizer(tmp_path: Path) -> None:
    body = """
    UID:people
    DTSTART:20250310T090000Z
    SUMMARY:Panel
    ORGANIZER;CN="Rita Recruiter":MAILTO:Rita@ACME.example
    ATTENDEE;CN="Rita Recruiter";ROLE=CHAIR;PARTSTAT=ACCEPTED:mailto:rita@acme.example
    ATTENDEE;CN=Me Myself;PARTSTAT=ACCEPTED:mailto:ME@example.com
    ATTENDEE;CN="Doe, Jane";ROLE=OPT-PARTICIPANT;PARTSTAT=TENTATIVE:mailto:jane@acme.example
    ATTENDEE;CN=Bob;PARTSTAT=DECLINED;CUTYPE=INDIVIDUAL:mailto:bob@acme.example
    ATTENDEE;CN=Bob again:mailto:bob@acme.example
    ATTENDEE;CUTYPE=ROOM;ROLE=NON-PARTICIPANT;CN=Room 4.12:mailto:room-412@acme.example
    ATTENDEE;CUTYPE=RESOURCE;CN=Projector:mailto:projector@acme.example
    ATTENDEE;CUTYPE=GROUP;CN=Hiring team;PARTSTAT=NEEDS-ACTION:mailto:hiring@acme.example
    ATTENDEE;CUTYPE=X-ROBOT:mailto:bot@acme.example
    ATTENDEE;CN=carl@acme.example:mailto:carl@acme.example
    ATTENDEE;EMAIL=dana@acme.example;CN=Dana:urn:uuid:0d5e
    ATTENDEE;CN=Nobody:urn:uuid:1234
    """
    path = write(tmp_path, "c.ics", calendar(body))
    [event] = sync(path, tmp_path).events
    org = event.organizer
    assert org is not None
    assert (org.email, org.name, org.is_organizer) == ("rita@acme.example", "Rita Recruiter", True)
    people = {a.email: a for a in event.attendees}
    assert list(people) == [
        "rita@acme.example", "me@example.com", "jane@acme.example", "bob@acme.example",
        "room-412@acme.example", "projector@acme.example", "hiring@acme.example",
        "bot@acme.example", "carl@acme.example", "dana@acme.example",
    ]  # fmt: skip
    assert people["rita@acme.example"].role is Role.CHAIR
    assert people["rita@acme.example"].is_organizer is True
    assert people["me@example.com"].is_self is True
    assert people["me@example.com"].is_organizer is False
    assert people["jane@acme.example"].name == "Doe, Jane"
    assert people["jane@acme.example"].role is Role.OPTIONAL
    assert people["jane@acme.example"].response is Response.TENTATIVE
    assert people["bob@acme.example"].response is Response.DECLINED
    assert people["bob@acme.example"].name == "Bob"
    assert people["bob@acme.example"].kind is AttendeeKind.PERSON
    assert people["room-412@acme.example"].kind is AttendeeKind.RESOURCE
    assert people["room-412@acme.example"].role is Role.NON_PARTICIPANT
    assert people["projector@acme.example"].kind is AttendeeKind.RESOURCE
    assert people["hiring@acme.example"].kind is AttendeeKind.GROUP
    assert people["hiring@acme.example"].response is Response.NEEDS_ACTION
    assert people["bot@acme.example"].kind is AttendeeKind.UNKNOWN
    assert people["bot@acme.example"].response is Response.UNKNOWN
    assert people["bot@acme.example"].role is Role.REQUIRED
    assert people["carl@acme.example"].name is None  # a CN that is an address is no name
    assert people["dana@acme.example"].name == "Dana"


def test_without_organizer_nobody_is_the_organizer(tmp_path: Path) -> None:
    body = "UID:x\nDTSTART:20250310T090000Z\nSUMMARY:Chat\nATTENDEE:mailto:a@b.example"
    path = write(tmp_path, "c.ics", calendar(body))
    [event] = sync(path, tmp_path).events
    assert event.organizer is None
    assert event.attendees[0].is_organizer is False


def test_tags_from_categories_color_busy_status_and_switch(tmp_path: Path) -> None:
    body = """
    UID:t1
    DTSTART:20250310T090000Z
    SUMMARY:Tagged
    CATEGORIES:Interview,Job search
    CATEGORIES:ACME
    COLOR:turquoise
    X-MICROSOFT-CDO-BUSYSTATUS:FREE
    X-FOLLOWUPD:Off
    """
    transparent = "UID:t2\nDTSTART:20250311T090000Z\nTRANSP:TRANSPARENT\nX-FOLLOWUPD:ON"
    plain = "UID:t3\nDTSTART:20250312T090000Z\nTRANSP:OPAQUE\nX-FOLLOWUPD:maybe"
    path = write(tmp_path, "c.ics", calendar(body, transparent, plain))
    events = by_id(sync(path, tmp_path))
    assert events["t1"].tags == {
        "category:Interview", "category:Job search", "category:ACME", "color:turquoise",
        "show-as:free", "followupd:off",
    }  # fmt: skip
    assert events["t2"].tags == {"show-as:free", "followupd:on"}
    assert events["t3"].tags == frozenset()


def test_cancellation_by_status_and_by_cancel_method(tmp_path: Path) -> None:
    write(tmp_path, "f/a.ics", calendar(SIMPLE + "STATUS:CANCELLED"))
    other = SIMPLE.replace("interview-1", "interview-2")
    write(tmp_path, "f/b.ics", calendar(other, head="METHOD:CANCEL"))
    write(tmp_path, "f/c.ics", calendar(SIMPLE.replace("interview-1", "interview-3")))
    events = by_id(sync(tmp_path / "f", tmp_path))
    assert {k: e.cancelled for k, e in events.items()} == {
        "interview-1@acme.example": True,
        "interview-2@acme.example": True,
        "interview-3@acme.example": False,
    }


def test_saved_invitations_merge_by_uid_and_sequence(tmp_path: Path) -> None:
    write(tmp_path, "inv/1-request.ics", calendar(SIMPLE + "SEQUENCE:0", head="METHOD:REQUEST"))
    update = SIMPLE.replace("T140000", "T160000").replace("T150000", "T170000")
    write(tmp_path, "inv/2-update.ics", calendar(update + "SEQUENCE:1", head="METHOD:REQUEST"))
    [event] = sync(tmp_path / "inv", tmp_path).events
    assert event.start == datetime(2025, 3, 10, 16, 0, tzinfo=BERLIN)
    assert event.cancelled is False
    write(tmp_path, "inv/3-cancel.ics", calendar(update + "SEQUENCE:2", head="METHOD:CANCEL"))
    [event] = sync(tmp_path / "inv", tmp_path).events
    assert event.cancelled is True


def test_saved_reply_does_not_replace_the_invitation(tmp_path: Path) -> None:
    invite = SIMPLE + "ATTENDEE;CN=Jane:mailto:jane@acme.example\nATTENDEE:mailto:me@example.com"
    reply = SIMPLE + "ATTENDEE;PARTSTAT=ACCEPTED:mailto:me@example.com"
    write(tmp_path, "inv/0-reply.ics", calendar(reply, head="METHOD:REPLY"))
    write(tmp_path, "inv/1-invite.ics", calendar(invite, head="METHOD:REQUEST"))
    [event] = sync(tmp_path / "inv", tmp_path).events
    assert [a.email for a in event.attendees] == ["jane@acme.example", "me@example.com"]


def test_equal_sequence_newest_dtstamp_wins(tmp_path: Path) -> None:
    newer = SIMPLE.replace("DTSTAMP:20250201T120000Z", "DTSTAMP:20250205T120000Z")
    write(tmp_path, "inv/a.ics", calendar(SIMPLE.replace("Interview with", "Old:")))
    write(tmp_path, "inv/b.ics", calendar(newer.replace("Interview with", "New:")))
    [event] = sync(tmp_path / "inv", tmp_path).events
    assert event.title == "New: ACME"


# --------------------------------------------------------------------------------------------
# Folders, cursor
# --------------------------------------------------------------------------------------------


def test_vdirsyncer_folder_one_event_per_file(tmp_path: Path) -> None:
    root = tmp_path / "calendars"
    write(root, "work/interview-1.ics", calendar(SIMPLE))
    write(
        root,
        "work/deep/dentist@acme.example.ics",
        calendar(SIMPLE.replace("interview-1", "dentist")),
    )
    write(root, "home/c3d4.ics", calendar(SIMPLE.replace("interview-1", "gym")))
    write(root, "home/displayname", "Home calendar\n")
    write(root, "home/.a1b2.ics.tmp", "half written")
    write(root, "home/.hidden.ics", "half written")
    write(root, ".git/x.ics", "not a calendar")
    write(root, "home/notes.txt", "not a calendar")
    write(
        root,
        "all.ics",
        calendar(SIMPLE.replace("interview-1", "x1"), SIMPLE.replace("interview-1", "x2")),
    )
    write(root, "one.ics", calendar(SIMPLE.replace("interview-1", "x3")))
    changes = sync(root, tmp_path)
    assert changes.problems == []
    names = {e.id.split("@")[0]: e.calendar for e in changes.events}
    assert names == {
        "interview-1": "work",
        "dentist": "deep",
        "gym": "Home calendar",
        "x1": "all",
        "x2": "all",
        "x3": "one",  # a one-event export is not an item: its name stays as events come and go
    }
    assert IcsCalendar(root, context(tmp_path)).check() == f"ics: 5 files in {root}"


def test_unchanged_files_cost_no_parsing_and_changes_are_seen(tmp_path: Path) -> None:
    path = write(tmp_path, "c.ics", calendar(SIMPLE))
    source = IcsCalendar(path, context(tmp_path))
    first = source.changes(None, WINDOW)
    assert first.complete and len(first.events) == 1
    again = source.changes(first.cursor, WINDOW)
    assert (again.events, again.cursor, again.complete) == ([], first.cursor, False)
    os.utime(path, ns=(1, 1))  # only the timestamp moved: the content is what counts
    assert source.changes(first.cursor, WINDOW).cursor == first.cursor
    write(tmp_path, "c.ics", calendar(SIMPLE.replace("Interview with", "Call with")))
    changed = source.changes(first.cursor, WINDOW)
    assert changed.complete is True and changed.cursor != first.cursor
    assert changed.events[0].title == "Call with ACME"


def test_cursor_changes_when_the_window_moves_to_another_day(tmp_path: Path) -> None:
    path = write(tmp_path, "c.ics", calendar(WEEKLY))
    source = IcsCalendar(path, context(tmp_path))
    first = source.changes(None, WINDOW)
    later_same_day = (WINDOW[0] + timedelta(hours=1), WINDOW[1] + timedelta(hours=1))
    assert source.changes(first.cursor, later_same_day).complete is False
    next_day = (WINDOW[0] + timedelta(days=1), WINDOW[1] + timedelta(days=1))
    assert source.changes(first.cursor, next_day).complete is True


def test_a_file_added_or_removed_changes_the_cursor(tmp_path: Path) -> None:
    write(tmp_path, "f/a.ics", calendar(SIMPLE))
    source = IcsCalendar(tmp_path / "f", context(tmp_path))
    first = source.changes(None, WINDOW)
    extra = write(tmp_path, "f/b.ics", calendar(SIMPLE.replace("interview-1", "b")))
    second = source.changes(first.cursor, WINDOW)
    assert second.complete and len(second.events) == 2
    extra.unlink()
    third = source.changes(second.cursor, WINDOW)
    assert third.complete and third.cursor == first.cursor and len(third.events) == 1


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


def test_broken_file_next_to_a_good_one(tmp_path: Path) -> None:
    write(tmp_path, "f/good.ics", calendar(SIMPLE))
    write(tmp_path, "f/bad.ics", "Hello, this is a shopping list.\n")
    changes = sync(tmp_path / "f", tmp_path)
    assert [e.id for e in changes.events] == ["interview-1@acme.example"]
    assert [(p.item, p.container, p.message) for p in changes.problems] == [
        ("bad.ics", "bad.ics", f"{EXPECTED}: no BEGIN:VCALENDAR line found")
    ]
    # The good file's events are there, but the result does not claim to be everything: an
    # interview in the broken file must not be taken for deleted.
    assert changes.complete is False


TRUNCATED = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20250310T090000Z\r\n"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b"  \r\n\r\n", "the file is empty"),
        (TRUNCATED.encode(), "the file ends inside VEVENT (END:VEVENT missing)"),
        (
            TRUNCATED.encode() + b"END:VEVENT\r\n",
            "the file ends inside VCALENDAR (END:VCALENDAR missing)",
        ),
        (
            b"BEGIN:VCALENDAR\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "END encountered without an accompanying BEGIN!",
        ),
        (
            b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:X\r\nEND:VTIMEZONE\r\n",
            None,  # an empty calendar next to a stray zone: nothing to report, nothing to use
        ),
        (b"BEGIN:VEVENTS\r\nEND:VEVENTS\r\n", "no BEGIN:VCALENDAR line found"),
    ],
)  # fmt: skip
def test_file_level_error_messages(tmp_path: Path, content: bytes, reason: str | None) -> None:
    path = write(tmp_path, "broken.ics", content)
    changes = sync(path, tmp_path)
    assert changes.events == []
    expected = [] if reason is None else [("broken.ics", f"{EXPECTED}: {reason}")]
    assert [(p.item, p.message) for p in changes.problems] == expected
    assert all(p.container == path.name for p in changes.problems)


def test_file_of_only_other_components_is_reported(tmp_path: Path) -> None:
    content = "BEGIN:VTODO\r\nUID:t\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\nEND:VTODO\r\n"
    path = write(tmp_path, "todo.ics", content)
    changes = sync(path, tmp_path)
    assert [p.message for p in changes.problems] == [
        f"{EXPECTED}: found only VTODO, no VCALENDAR or VEVENT"
    ]


def test_broken_events_are_reported_and_the_rest_is_used(tmp_path: Path) -> None:
    no_start = "UID:no-start\nSUMMARY:Lost\nDTEND:20250310T100000Z"
    backwards = (
        "UID:backwards\nSUMMARY:Time travel\nDTSTART:20250310T100000Z\nDTEND:20250310T090000Z"
    )
    garbage = "UID:garbage\nSUMMARY:Typo\nDTSTART:2025-03-10 10:00"
    bad_end = "SUMMARY:Bad end\nDTSTART:20250310T100000Z\nDTEND:tomorrow"
    bad_duration = "UID:neg\nDTSTART:20250310T100000Z\nDURATION:-PT1H"
    path = write(
        tmp_path, "c.ics", calendar(SIMPLE, no_start, backwards, garbage, bad_end, bad_duration)
    )
    changes = sync(path, tmp_path)
    assert [e.id for e in changes.events] == ["interview-1@acme.example"]
    assert {p.container for p in changes.problems} == {path.name}
    assert [p.item for p in changes.problems] == [
        'UID no-start ("Lost")',
        'UID backwards ("Time travel")',
        'UID garbage ("Typo")',
        '"Bad end" (no UID)',
        "UID neg",
    ]  # one row per broken event in status, not one per file
    assert [p.message for p in changes.problems] == [
        'event UID no-start ("Lost") has no DTSTART; expected a date (20250131) or date-time'
        " (20250131T090000Z)",
        'event UID backwards ("Time travel") ends before it starts (DTSTART 2025-03-10T10:00:00'
        "+00:00, DTEND 2025-03-10T09:00:00+00:00); expected DTEND at or after DTSTART",
        'event UID garbage ("Typo") has an unreadable DTSTART (Wrong datetime format:'
        " 2025-03-10 10:00); expected a date (20250131) or date-time (20250131T090000Z)",
        'event "Bad end" (no UID) has an unreadable DTEND (Wrong date format tomorrow);'
        " expected a date (20250131) or date-time (20250131T090000Z)",
        "event UID neg has an unusable DURATION; expected a positive duration like PT1H",
    ]  # fmt: skip


def test_harmless_breakage_is_repaired(tmp_path: Path) -> None:
    body = """
    UID:fixable
    SUMMARY:Daily standup
    DTSTART:20250303T090000Z
    DURATION:PT15M
    RRULE:FREQ=DAILY;COUNT=3;BYDAY=MO, TU, WE
    EXDATE:
    SEQUENCE:1407317367304
    """
    path = write(tmp_path, "c.ics", calendar(body))
    changes = sync(path, tmp_path)
    assert changes.problems == []
    assert [e.id for e in changes.events] == [
        "fixable/2025-03-03T09:00:00Z",
        "fixable/2025-03-04T09:00:00Z",
        "fixable/2025-03-05T09:00:00Z",
    ]


def test_too_many_instances_per_series(tmp_path: Path) -> None:
    daily = "UID:daily\nSUMMARY:Standup\nDTSTART:20250101T090000Z\nRRULE:FREQ=DAILY"
    weekly = "UID:weekly\nSUMMARY:1:1\nDTSTART:20250106T100000Z\nRRULE:FREQ=WEEKLY;COUNT=3"
    write(tmp_path, "f/busy.ics", calendar(daily, weekly))
    write(tmp_path, "f/quiet.ics", calendar(SIMPLE))
    changes = sync(tmp_path / "f", tmp_path, limits=Limits(max_instances=3))
    assert len([e for e in changes.events if e.series_id == "daily"]) == 3
    # The cap is per series: the other series of the same file keeps all its instances.
    assert len([e for e in changes.events if e.series_id == "weekly"]) == 3
    assert "interview-1@acme.example" in by_id(changes)
    assert [(p.item, p.container, p.message) for p in changes.problems] == [
        (
            'UID daily ("Standup")',
            "busy.ics",
            'event UID daily ("Standup") has more than 3 instances in the sync window; the rest'
            " were skipped; expected a calendar of ordinary size",
        )
    ]


def test_rules_too_long_to_expand_are_refused_quickly(tmp_path: Path) -> None:
    """dateutil walks a rule from DTSTART: a daily series from the year 1400 is ~228,000
    steps before the window even starts."""
    body = "UID:old\nSUMMARY:Old\nDTSTART:14000101T090000Z\nRRULE:FREQ=DAILY"
    path = write(tmp_path, "c.ics", calendar(body, SIMPLE))
    changes = sync(path, tmp_path)
    assert [e.id for e in changes.events] == ["interview-1@acme.example"]
    [problem] = changes.problems
    assert problem.message.startswith(
        'event UID old ("Old") repeats too often to expand (FREQ=DAILY;INTERVAL=1, about 228,'
    )
    assert problem.message.endswith(
        "repetitions from DTSTART to the end of the sync window); expected at most 200,000"
    )


def test_invalid_recurrence_rule_is_a_problem(tmp_path: Path) -> None:
    body = "UID:odd\nSUMMARY:Odd\nDTSTART:20250303T090000Z\nRRULE:FREQ=FORTNIGHTLY"
    path = write(tmp_path, "c.ics", calendar(body, SIMPLE))
    changes = sync(path, tmp_path)
    assert [e.id for e in changes.events] == ["interview-1@acme.example"]
    assert [p.message for p in changes.problems] == [
        'event UID odd ("Odd") has an unreadable RRULE (Expected frequency, got: FORTNIGHTLY);'
        " expected a rule like FREQ=WEEKLY;BYDAY=MO"
    ]


def test_encodings_bom_and_bare_vevent(tmp_path: Path) -> None:
    latin = calendar(SIMPLE.replace("Interview with ACME", "Vorstellungsgespräch")).encode(
        "latin-1"
    )
    write(tmp_path, "f/latin.ics", latin)
    bom = calendar(SIMPLE.replace("interview-1", "bom")).encode("utf-8-sig")
    write(tmp_path, "f/bom.ics", bom)
    bare = "BEGIN:VEVENT\r\nUID:bare\r\nDTSTART:20250310T090000Z\r\nSUMMARY:Bare\r\nEND:VEVENT\r\n"
    write(tmp_path, "f/bare.ics", bare)
    changes = sync(tmp_path / "f", tmp_path)
    assert changes.problems == []
    titles = {e.id: e.title for e in changes.events}
    assert titles == {
        "interview-1@acme.example": "Vorstellungsgespräch",
        "bom@acme.example": "Interview with ACME",
        "bare": "Bare",
    }


def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "f/good.ics", calendar(SIMPLE))
    loop = tmp_path / "f" / "loop.ics"
    loop.symlink_to(loop)  # unreadable even for root
    changes = sync(tmp_path / "f", tmp_path)
    assert [e.id for e in changes.events] == ["interview-1@acme.example"]
    assert [(p.item, p.message) for p in changes.problems] == [
        (
            "loop.ics",
            "cannot be read (Too many levels of symbolic links); expected a readable .ics file",
        )
    ]


# --------------------------------------------------------------------------------------------
# check() and the provider
# --------------------------------------------------------------------------------------------


def test_check_and_missing_path(tmp_path: Path) -> None:
    path = write(tmp_path, "c.ics", calendar(SIMPLE))
    assert IcsCalendar(path, context(tmp_path)).check() == f"ics: {path}"
    write(tmp_path, "one/c.ics", calendar(SIMPLE))
    assert IcsCalendar(tmp_path / "one", context(tmp_path)).check() == (
        f"ics: 1 file in {tmp_path / 'one'}"
    )
    missing = tmp_path / "nope"
    message = (
        f"ics: {missing} does not exist; expected an .ics file or a folder of .ics files"
        " (calendar.path)"
    )
    source = IcsCalendar(missing, context(tmp_path))
    with pytest.raises(ConnectorError) as err:
        source.check()
    assert str(err.value) == message
    with pytest.raises(ConnectorError) as err:  # never "an empty calendar": that deletes all
        source.changes(None, WINDOW)
    assert str(err.value) == message


def test_provider(tmp_path: Path) -> None:
    assert provider("ics") is PROVIDER
    assert PROVIDER.name == "ics"
    assert PROVIDER.mailbox_options is None
    assert PROVIDER.account_options == {}
    problems: list[str] = []
    o.validate({}, PROVIDER.calendar_options, "config.toml: [accounts.me.calendar]", problems)
    assert problems == [
        "config.toml: [accounts.me.calendar].path: missing; expected an .ics file or a folder"
        " of .ics files, e.g. '~/.calendars/work'"
    ]
    path = write(tmp_path, "c.ics", calendar(SIMPLE))
    options = o.validate({"path": str(path)}, PROVIDER.calendar_options, "x", problems := [])
    assert problems == []
    source = PROVIDER.calendar(context(tmp_path), options, {})
    assert isinstance(source, CalendarSource)
    assert len(source.changes(None, WINDOW).events) == 1
    assert PROVIDER.mailbox(context(tmp_path), {}, {}) is None
    said: list[str] = []
    PROVIDER.authorize(context(tmp_path), {}, said.append)
    assert said == ["The ics provider reads local files: no authorization is needed."]


def test_dates_are_never_naive(tmp_path: Path) -> None:
    bodies = [
        SIMPLE,
        WEEKLY,
        "UID:f\nDTSTART:20250310T100000",
        "UID:d\nDTSTART;VALUE=DATE:20250310",
    ]
    path = write(tmp_path, "c.ics", calendar(*bodies))
    for event in sync(path, tmp_path).events:
        assert event.start.tzinfo is not None and event.end.tzinfo is not None
        assert event.end >= event.start
        assert not isinstance(event.start, date) or isinstance(event.start, datetime)
