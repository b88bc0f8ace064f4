"""One expanded instance -> :class:`daemon.protocols.CalendarEvent`.

Only iCalendar vocabulary is translated here (RFC 5545 parameters, RFC 7986 COLOR, the
Microsoft busy-status extension, our own X-FOLLOWUPD); the core never sees a raw property.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, tzinfo
from typing import Any

from icalendar import Event

from connectors.ics.components import address, first, format_recurrence_id, text, values
from connectors.ics.expand import Instance
from connectors.ics.timezones import aware, zone_name
from daemon.protocols import Attendee, AttendeeKind, CalendarEvent, Response, Role

_ROLES = {
    "REQ-PARTICIPANT": Role.REQUIRED,
    "OPT-PARTICIPANT": Role.OPTIONAL,
    "CHAIR": Role.CHAIR,
    "NON-PARTICIPANT": Role.NON_PARTICIPANT,
}
_KINDS = {
    "INDIVIDUAL": AttendeeKind.PERSON,
    "ROOM": AttendeeKind.RESOURCE,
    "RESOURCE": AttendeeKind.RESOURCE,
    "GROUP": AttendeeKind.GROUP,
    "UNKNOWN": AttendeeKind.UNKNOWN,
}
_RESPONSES = {
    "ACCEPTED": Response.ACCEPTED,
    "DECLINED": Response.DECLINED,
    "TENTATIVE": Response.TENTATIVE,
    "NEEDS-ACTION": Response.NEEDS_ACTION,
}


def to_event(instance: Instance, local: tzinfo, addresses: frozenset[str]) -> CalendarEvent:
    event = instance.event
    all_day = not isinstance(instance.start, datetime)
    start = aware(instance.start, local)
    end = aware(instance.end, local)
    rid = instance.recurrence_id
    organizer = _person(event.get("ORGANIZER"), addresses, organizer_email=None)
    if organizer is not None:
        organizer = replace(organizer, is_organizer=True)
    attendees = _attendees(event, addresses, organizer.email if organizer else None)
    return CalendarEvent(
        id=instance.key if rid is None else f"{instance.key}/{format_recurrence_id(rid)}",
        title=text(event.get("SUMMARY")),
        start=start,
        end=max(end, start),
        calendar=instance.origin.calendar,
        series_id=instance.key if rid is not None else None,
        description=text(event.get("DESCRIPTION")),
        location=text(event.get("LOCATION")),
        timezone=None if all_day else zone_name(instance.start),
        all_day=all_day,
        organizer=organizer,
        attendees=attendees,
        cancelled=(
            instance.origin.method == "CANCEL" or text(event.get("STATUS")).upper() == "CANCELLED"
        ),
        tags=tags(event),
        updated=_updated(event, local),
        repeats_every=instance.repeats_every,
    )


def tags(event: Event) -> frozenset[str]:
    found: set[str] = set()
    for categories in values(event, "CATEGORIES"):
        for value in getattr(categories, "cats", [categories]):
            if str(value).strip():
                found.add(f"category:{str(value).strip()}")
    color = text(event.get("COLOR"))
    if color:
        found.add(f"color:{color}")
    busy = text(event.get("X-MICROSOFT-CDO-BUSYSTATUS")).upper()
    if busy == "FREE" or text(event.get("TRANSP")).upper() == "TRANSPARENT":
        found.add("show-as:free")
    switch = text(event.get("X-FOLLOWUPD")).lower()
    if switch in ("on", "off"):
        found.add(f"followupd:{switch}")
    return frozenset(found)


def _person(prop: Any, addresses: frozenset[str], organizer_email: str | None) -> Attendee | None:
    prop = first(prop)
    email = address(prop)
    if email is None:
        return None
    params = getattr(prop, "params", {})
    cn = params.get("CN", "")
    if isinstance(cn, list | tuple):
        # An unquoted comma (CN=Smith, Jane), which RFC 5545 forbids but some calendars
        # write, makes the parser split the name into a list; str() of it greeted "Jane']".
        cn = ", ".join(str(part).strip() for part in cn)
    # A line break in a name (RFC 6868's ^n, a stray CR) is a space: a name is one line.
    name = " ".join(str(cn).strip().strip('"').split()) or None
    if name and "@" in name:
        name = None  # Exchange/Teams put the address in CN; it is not a name to greet
    return Attendee(
        email=email,
        name=name,
        role=_ROLES.get(str(params.get("ROLE", "")).upper(), Role.REQUIRED),
        kind=_KINDS.get(str(params.get("CUTYPE", "INDIVIDUAL")).upper(), AttendeeKind.UNKNOWN),
        response=_RESPONSES.get(str(params.get("PARTSTAT", "")).upper(), Response.UNKNOWN),
        is_self=email in addresses,
        is_organizer=email == organizer_email,
    )


def _attendees(
    event: Event, addresses: frozenset[str], organizer_email: str | None
) -> tuple[Attendee, ...]:
    seen: dict[str, Attendee] = {}
    for prop in values(event, "ATTENDEE"):
        person = _person(prop, addresses, organizer_email)
        if person is not None and person.email not in seen:
            seen[person.email] = person
    return tuple(seen.values())


def _updated(event: Event, local: tzinfo) -> datetime | None:
    for name in ("LAST-MODIFIED", "DTSTAMP"):
        value = getattr(first(event.get(name)), "dt", None)
        if isinstance(value, date):
            return aware(value, local)
    return None
