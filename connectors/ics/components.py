"""One VEVENT component on its own: how to name it, whether it is usable, what to repair.

Real exporters break things in ways that either lose nothing when repaired (an empty EXDATE,
blanks inside an RRULE, a SEQUENCE beyond 32 bits) or make the event meaningless (no DTSTART,
an unreadable DTEND, an end before the start). The first kind is fixed silently, the second
becomes a :class:`daemon.protocols.Problem` naming the event, and the rest of the file is used.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from icalendar import Event
from icalendar.prop import vBroken, vRecur

from connectors.ics.rules import bad_interval
from connectors.ics.timezones import aware

_DATES = "a date (20250131) or date-time (20250131T090000Z)"
_ESSENTIAL = {
    "DTSTART": _DATES,
    "DTEND": _DATES,
    "DURATION": "a duration like PT1H",
    "RRULE": "a rule like FREQ=WEEKLY;BYDAY=MO",
    "RDATE": "dates or date-times",
    "EXDATE": "dates or date-times",
    "RECURRENCE-ID": _DATES,
}


def first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def text(value: Any) -> str:
    value = first(value)
    return "" if value is None else str(value).strip()


def describe(event: Event) -> str:
    """How problems name an event: its UID and SUMMARY, or what else there is."""
    start = first(event.get("DTSTART"))
    raw = start.to_ical().decode() if start is not None else None
    return describe_parts(text(event.get("UID")), text(event.get("SUMMARY")), raw)


def describe_parts(uid: str, summary: str, start: str | None) -> str:
    """:func:`describe` from the raw values (for lines read before icalendar parses them)."""
    if uid:
        return f'UID {uid} ("{summary}")' if summary else f"UID {uid}"
    if summary:
        return f'"{summary}" (no UID)'
    when = f" starting {start}" if start is not None else ""
    return f"without UID or SUMMARY{when}"


def series_key(event: Event) -> str:
    """The UID, or for an event without one (RFC 5545 requires it; hand-written files and some
    exporters omit it) an id derived from what identifies the meeting: its start, organizer
    and attendees.

    Not the title and not the file: retitling "Call" to "Interview with ACME" or renaming the
    file must not make it a new meeting (a second thank-you to the same person). The start
    is compared as an instant (UTC) when it has a zone, so rewriting it in another zone keeps
    the id; addresses are compared lower-cased and as a set, in any order.

    An event with nobody on it (no organizer, no attendee) can never get a thank-you, but two
    of them at the same time ("Dentist", "Gym") must not merge into one: its title counts.
    """
    uid = text(event.get("UID"))
    if uid:
        return uid
    organizer = uri_address(first(event.get("ORGANIZER"))) or ""
    attendees = sorted({a for a in map(uri_address, values(event, "ATTENDEE")) if a})
    nobody = "" if organizer or attendees else text(event.get("SUMMARY"))
    basis = "\0".join(
        ("noid2", _instant(event.get("DTSTART")), organizer, ",".join(attendees), nobody)
    )
    return "noid-" + hashlib.sha256(basis.encode()).hexdigest()[:24]


def _instant(start: Any) -> str:
    """DTSTART as an instant: UTC for aware times, else the local value and its TZID."""
    if start is None or isinstance(start, list):
        return ""
    value = getattr(start, "dt", None)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    if isinstance(value, date):  # a floating time, a date, or a TZID nobody knows
        tzid = str(getattr(start, "params", {}).get("TZID", ""))
        return f"{start.to_ical().decode()};{tzid}"
    return ""


def address(prop: Any) -> str | None:
    """The e-mail address of a CAL-ADDRESS (lower-cased): the EMAIL parameter when it holds
    one, else its mailto: value.

    EMAIL (RFC 7986) is the person's real address where the value is not one: iCloud puts a
    relay (``mailto:2_GEZ...@imip.me.com``) in the value and the real address in EMAIL, and a
    draft to the relay would reach nobody; Exchange puts an X.500 path or a bare name there.
    """
    if prop is None:
        return None
    email = str(getattr(prop, "params", {}).get("EMAIL", "")).strip()
    if email.lower().startswith("mailto:"):
        email = email[7:].strip()
    if _ADDRESS.fullmatch(email):
        return email.lower()
    return uri_address(prop)


def uri_address(prop: Any) -> str | None:
    """The address in the CAL-ADDRESS value alone (the mailto: URI), lower-cased.

    What :func:`series_key` identifies an event without UID by, unchanged since ids were
    first derived, so that such an event keeps its id."""
    if prop is None:
        return None
    value = str(prop).strip()
    if value.lower().startswith("mailto:"):
        value = value[7:].strip()
    if "@" not in value:
        value = str(getattr(prop, "params", {}).get("EMAIL", "")).strip()
    return value.lower() if "@" in value else None


_ADDRESS = re.compile(r"[^\s@<>\"(),;:]+@[^\s@<>\"(),;:]+\.[^\s@<>\"(),;:]+")


def format_recurrence_id(value: date | datetime) -> str:
    """UTC ISO for date-times, the date for all-day series, local ISO for floating times."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.strftime("%Y-%m-%dT%H:%M:%S")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def check(event: Event, local: tzinfo) -> str | None:
    """Why the component cannot be used, or None. Repairs or drops what it safely can."""
    _repair(event)
    for name, value in list(event.items()):
        broken = [v for v in as_list(value) if isinstance(v, vBroken)]
        if not broken:
            continue
        if name.upper() in _ESSENTIAL:
            reason = broken[0].parse_error or "unreadable"
            return f"has an unreadable {name} ({reason}); expected {_ESSENTIAL[name.upper()]}"
        del event[name]  # e.g. a SEQUENCE beyond 32 bits: not worth losing the event for
    for rule in values(event, "RRULE"):
        interval = bad_interval(rule)
        if interval is not None:  # dateutil would repeat DTSTART forever: the sync never ends
            return (
                f"has an RRULE with INTERVAL={interval}; expected a positive INTERVAL like"
                " FREQ=WEEKLY;INTERVAL=2"
            )
    start = event.get("DTSTART")
    if start is None:
        return f"has no DTSTART; expected {_DATES}"
    if isinstance(start, list) or not isinstance(start.dt, date):
        return f"has an unusable DTSTART; expected one DTSTART with {_DATES}"
    rid = event.get("RECURRENCE-ID")  # icalendar also reads a duration ("P1W") here
    if rid is not None and (isinstance(rid, list) or not isinstance(rid.dt, date)):
        return f"has an unusable RECURRENCE-ID; expected one RECURRENCE-ID with {_DATES}"
    end = event.get("DTEND")
    if end is not None:
        if isinstance(end, list) or not isinstance(end.dt, date):
            return f"has an unusable DTEND; expected one DTEND with {_DATES}"
        if aware(end.dt, local) < aware(start.dt, local):
            return (
                f"ends before it starts (DTSTART {_show(start.dt)}, DTEND {_show(end.dt)});"
                " expected DTEND at or after DTSTART"
            )
    duration = event.get("DURATION")
    if end is None and isinstance(duration, list):
        return "has more than one DURATION; expected one duration like PT1H"
    if end is None and duration is not None:
        span = getattr(duration, "dt", None)
        if not isinstance(span, timedelta) or span < timedelta(0):
            return "has an unusable DURATION; expected a positive duration like PT1H"
    return None


def _repair(event: Event) -> None:
    """Fix the breakages that lose no information when fixed: an empty EXDATE/RDATE (excludes
    or adds nothing), an RRULE with blanks in it ("BYDAY=MO, TU" from Exchange/CDO), and a
    repeated SEQUENCE (the highest one counts; recurring-ical-events fails on a list)."""
    sequences = values(event, "SEQUENCE")
    if len(sequences) > 1:
        numbers = [v for v in sequences if isinstance(v, int)]  # vBroken is a str
        del event["SEQUENCE"]
        if numbers:
            event.add("SEQUENCE", max(numbers))
    for name in ("EXDATE", "RDATE"):
        found = values(event, name)
        kept = [v for v in found if not (isinstance(v, vBroken) and not str(v).strip())]
        if len(kept) != len(found):
            del event[name]
            for value in kept:
                event.add(name, value, encode=False)
    rules = values(event, "RRULE")
    if any(isinstance(rule, vBroken) for rule in rules):
        repaired = []
        for rule in rules:
            if isinstance(rule, vBroken):
                with contextlib.suppress(ValueError):
                    rule = vRecur(vRecur.from_ical(re.sub(r"\s+", "", str(rule))))
            repaired.append(rule)
        del event["RRULE"]
        for rule in repaired:
            event.add("RRULE", rule, encode=False)


def values(event: Event, name: str) -> list[Any]:
    """All values of a property (none, one or repeated); an empty value still counts."""
    return as_list(event[name]) if name in event else []


def as_list(value: Any) -> list[Any]:
    """icalendar gives a list for a property that occurs more than once, else the value."""
    return value if isinstance(value, list) else [value]


def _show(value: date | datetime) -> str:
    return value.isoformat()
