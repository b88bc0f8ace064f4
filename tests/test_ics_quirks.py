"""Real-world data quirks of calendar servers (issue 13), read by the shared iCalendar path
that the ``ics`` and ``caldav`` providers both use: iCloud's relay addresses, parameters that
break the line, RSCALE rules. Real files, real icalendar, real recurring-ical-events."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.ics import IcsCalendar
from daemon.clock import FrozenClock
from daemon.detection import detect
from daemon.protocols import AccountContext, CalendarChanges
from tests.test_detection import rules

WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 12, 31, tzinfo=UTC))
SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ics"


def read(tmp_path: Path, *lines: str, rule: str = "") -> CalendarChanges:
    body = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//followupd tests//EN",
        "BEGIN:VEVENT",
        "UID:quirk-1",
        "DTSTAMP:20261201T000000Z",
        "DTSTART:20261210T100000Z",
        "DTEND:20261210T110000Z",
        "SUMMARY:Interview with Acme",
        *([f"RRULE:{rule}"] if rule else []),
        *lines,
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    path = tmp_path / "cal.ics"
    path.write_text("\r\n".join(body), encoding="utf-8", newline="")
    ctx = AccountContext(
        name="a",
        addresses=("me@example.com",),
        state_dir=tmp_path,
        clock=FrozenClock(WINDOW[0]),
        timezone="UTC",
    )
    return IcsCalendar(path, ctx).changes(None, WINDOW)


def test_icloud_relay_in_mailto_gives_way_to_the_email_parameter(tmp_path: Path) -> None:
    found = read(
        tmp_path,
        "ORGANIZER;CN=Bob Stone;EMAIL=bob@acme.example:mailto:2_HEZDSOJZGEZT@imip.me.com",
        "ATTENDEE;CN=Jane Doe;EMAIL=jane@acme.example;PARTSTAT=ACCEPTED:mailto:",
        " 2_GEZTSMJZGI4T@imip.me.com",
        "ATTENDEE;CN=Me;EMAIL=me@example.com:urn:uuid:6a1f1a4e-0000-4000-8000-000000000001",
    )
    (event,) = found.events
    assert event.organizer is not None and event.organizer.email == "bob@acme.example"
    assert [(a.email, a.is_self) for a in event.attendees] == [
        ("jane@acme.example", False),
        ("me@example.com", True),
    ]
    assert not found.problems


@pytest.mark.parametrize(
    ("line", "fault"),
    [
        # an unusual parameter with an unquoted ':' before CN: icalendar read the address
        # as "b;cn=jane doe:mailto:jane@acme.example"
        ("ATTENDEE;X-APPLE-USER-KEY=a:b;CN=Jane Doe:mailto:jane@acme.example", "':'"),
        # a parameter value that is itself a mailto: URI: never the address
        (
            "ATTENDEE;X-USER-KEY=mailto:evil@other.example;CN=Jane Doe:mailto:jane@acme.example",
            "':'",
        ),
        # a parameter without a value
        ("ATTENDEE;RSVP;CN=Jane Doe:mailto:jane@acme.example", "without a value"),
        ("ATTENDEE;;CN=Jane Doe:mailto:jane@acme.example", "without a value"),
    ],
)
def test_the_address_is_the_mailto_value_never_parameter_text(
    tmp_path: Path, line: str, fault: str
) -> None:
    found = read(tmp_path, line)
    (event,) = found.events
    assert [(a.email, a.name) for a in event.attendees] == [("jane@acme.example", "Jane Doe")]
    (problem,) = found.problems
    assert problem.warning and fault in problem.message
    assert "read as Jane Doe <jane@acme.example>" in problem.message
    assert found.complete


def test_a_display_name_equal_to_the_local_part_is_a_name(tmp_path: Path) -> None:
    found = read(
        tmp_path,
        "ORGANIZER;CN=Me:mailto:me@example.com",
        "ATTENDEE;CN=Marge;EMAIL=marge@example.org:mailto:2_XYZ@imip.me.com",
    )
    (event,) = found.events
    found_people = detect(event, rules(), ["me@example.com"]).interviewers
    assert [(p.email, p.name) for p in found_people] == [("marge@example.org", "Marge")]


@pytest.mark.parametrize(
    ("rule", "shown"),
    [
        ("RSCALE=CHINESE;FREQ=YEARLY;BYMONTH=8L;BYMONTHDAY=15", "RSCALE=CHINESE"),
        ("RSCALE=HEBREW;FREQ=YEARLY", "RSCALE=HEBREW"),
        ("RSCALE=GREGORIAN;FREQ=MONTHLY;BYMONTHDAY=31;SKIP=FORWARD", "SKIP=FORWARD"),
    ],
)
def test_an_rscale_rule_is_not_supported_but_the_first_occurrence_counts(
    tmp_path: Path, rule: str, shown: str
) -> None:
    found = read(tmp_path, "ORGANIZER;CN=Jane Doe:mailto:jane@acme.example", rule=rule)
    (event,) = found.events
    assert event.id == "quirk-1" and event.start == datetime(2026, 12, 10, 10, tzinfo=UTC)
    (problem,) = found.problems
    assert shown in problem.message and "not supported" in problem.message
    assert "first occurrence (2026-12-10T10:00:00+00:00)" in problem.message
    assert problem.warning and found.complete


def test_a_gregorian_rscale_rule_is_an_ordinary_rule(tmp_path: Path) -> None:
    found = read(tmp_path, rule="RSCALE=GREGORIAN;FREQ=WEEKLY;COUNT=3;SKIP=OMIT")
    assert [e.start.day for e in found.events] == [10, 17, 24]
    assert not found.problems


def test_icloud_corpus_organizer_is_the_real_address(tmp_path: Path) -> None:
    source = SHARED / "nylas-sync-engine__event_with_no_participants.ics"
    if not source.exists():
        pytest.skip("../shared corpus is absent")
    path = tmp_path / "icloud.ics"
    path.write_bytes(source.read_bytes())
    ctx = AccountContext(
        name="a",
        addresses=("me@example.com",),
        state_dir=tmp_path,
        clock=FrozenClock(WINDOW[0]),
        timezone="UTC",
    )
    found = IcsCalendar(path, ctx).changes(
        None, (datetime(2015, 1, 1, tzinfo=UTC), datetime(2015, 12, 31, tzinfo=UTC))
    )
    (event,) = found.events
    assert event.organizer is not None
    assert event.organizer.email == "benbitdiddle@icloud.com"
