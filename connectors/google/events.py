"""Map one Google Calendar event resource to a :class:`~daemon.protocols.CalendarEvent`.

Only what detection uses is kept: title, description, location, attendees (with ``self``,
``resource``, ``organizer``, ``optional``, ``responseStatus``), the organizer, and labels as tags:
``color:<colorId>``, ``event-type:<eventType>`` and ``followupd:on``/``followupd:off`` from the
per-event opt-in ``extendedProperties.private.followupd``.

Event ids are ``<calendar id>/<event id>`` always (not only with several calendars), so adding a
second calendar later never renames the events already known.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from daemon.errors import BadItem
from daemon.protocols import Attendee, AttendeeKind, CalendarEvent, Response, Role

# Google event types that are never meetings with other people.
SKIPPED_EVENT_TYPES = frozenset({"outOfOffice", "focusTime", "workingLocation", "birthday"})
# What detection reads, by type: another type is a broken event (skipped and shown), not a
# title "7" or an interview whose attendees silently vanished.
SHAPES: dict[str, type] = {
    **dict.fromkeys(
        ("summary", "description", "location", "status", "eventType", "recurringEventId"), str
    ),
    "attendees": list,
    "organizer": dict,
    "extendedProperties": dict,
}

_RESPONSES = {
    "accepted": Response.ACCEPTED,
    "declined": Response.DECLINED,
    "tentative": Response.TENTATIVE,
    "needsAction": Response.NEEDS_ACTION,
}


def event_id(calendar_id: str, raw_id: str) -> str:
    return f"{calendar_id}/{raw_id}"


def item_name(calendar_id: str, raw: Any) -> str:
    raw_id = raw.get("id") if isinstance(raw, dict) else None
    return f"Google Calendar {calendar_id!r} event {raw_id or '(without id)'}"


def zone(name: str | None, fallback: str) -> ZoneInfo:
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def parse_time(value: Any, field: str, default_zone: ZoneInfo) -> tuple[datetime, bool, str | None]:
    """(aware datetime, all-day?, IANA zone) from an event's ``start``/``end`` object."""
    if not isinstance(value, dict):
        raise ValueError(f"expected '{field}' with dateTime or date")
    tz_name = value.get("timeZone") if isinstance(value.get("timeZone"), str) else None
    tz = zone(tz_name, default_zone.key)
    if isinstance(value.get("dateTime"), str):
        try:
            moment = datetime.fromisoformat(value["dateTime"])
        except ValueError as err:
            raise ValueError(
                f"expected '{field}.dateTime' in RFC 3339 form, got {value['dateTime']!r}"
            ) from err
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz)
        return moment, False, tz_name
    if isinstance(value.get("date"), str):
        try:
            day = date.fromisoformat(value["date"])
        except ValueError as err:
            raise ValueError(
                f"expected '{field}.date' like 2026-03-10, got {value['date']!r}"
            ) from err
        return datetime.combine(day, time(0), tzinfo=tz), True, tz_name
    raise ValueError(f"expected '{field}.dateTime' or '{field}.date'")


def person(raw: Any) -> Attendee | None:
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("email"), str)
        or "@" not in raw["email"]
    ):
        return None
    organizer = bool(raw.get("organizer"))
    role = Role.CHAIR if organizer else Role.OPTIONAL if raw.get("optional") else Role.REQUIRED
    return Attendee(
        email=raw["email"].strip().lower(),
        name=(raw.get("displayName") or None) if isinstance(raw.get("displayName"), str) else None,
        role=role,
        kind=AttendeeKind.RESOURCE if raw.get("resource") else AttendeeKind.PERSON,
        response=_RESPONSES.get(str(raw.get("responseStatus")), Response.UNKNOWN),
        is_self=bool(raw.get("self")),
        is_organizer=organizer,
    )


def tags_of(raw: dict[str, Any]) -> frozenset[str]:
    tags = set()
    if raw.get("colorId"):
        tags.add(f"color:{raw['colorId']}")
    if raw.get("eventType"):
        tags.add(f"event-type:{raw['eventType']}")
    private = (raw.get("extendedProperties") or {}).get("private") or {}
    flag = str(private.get("followupd", "")).strip().lower() if isinstance(private, dict) else ""
    if flag in ("on", "off"):
        tags.add(f"followupd:{flag}")
    return frozenset(tags)


def to_event(raw: Any, calendar_id: str, label: str, calendar_zone: str) -> CalendarEvent:
    """The event, or :class:`BadItem` naming it and saying what was expected."""
    name = item_name(calendar_id, raw)
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
        raise BadItem(name, "expected an event object with an 'id'")
    for key, kind in SHAPES.items():
        if raw.get(key) is not None and not isinstance(raw[key], kind):
            expected = {str: "text", list: "a list", dict: "an object"}[kind]
            raise BadItem(name, f"expected '{key}' to be {expected}, got {type(raw[key]).__name__}")
    for entry in raw.get("attendees") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("email", ""), str):
            # Dropping the attendee would look like "removed from the meeting".
            raise BadItem(
                name, f"expected each attendee to be an object with an email, got {entry!r:.60}"
            )
    try:
        return _event(raw, calendar_id, label, calendar_zone, name)
    except (TypeError, AttributeError, KeyError) as err:
        # Any other field of an unexpected type deeper inside: skip this event (and say so),
        # not the whole calendar.
        raise BadItem(name, f"expected an event as Google documents it ({err})") from err


def _event(
    raw: dict[str, Any], calendar_id: str, label: str, calendar_zone: str, name: str
) -> CalendarEvent:
    default_zone = zone(None, calendar_zone)
    try:
        start, all_day, tz_name = parse_time(raw.get("start"), "start", default_zone)
        end, _, _ = parse_time(raw.get("end") or raw.get("start"), "end", default_zone)
    except ValueError as err:
        raise BadItem(name, str(err)) from err
    updated = None
    if isinstance(raw.get("updated"), str):
        try:
            updated = datetime.fromisoformat(raw["updated"])
        except ValueError:
            updated = None
    attendees = tuple(a for a in map(person, raw.get("attendees") or []) if a is not None)
    organizer = person({**(raw.get("organizer") or {}), "organizer": True})
    series = raw.get("recurringEventId")
    return CalendarEvent(
        id=event_id(calendar_id, raw["id"]),
        title=str(raw.get("summary") or ""),
        start=start,
        end=max(end, start),
        calendar=label,
        series_id=event_id(calendar_id, series) if isinstance(series, str) and series else None,
        description=str(raw.get("description") or ""),
        location=str(raw.get("location") or ""),
        timezone=tz_name or calendar_zone or None,
        all_day=all_day,
        organizer=organizer,
        attendees=attendees,
        cancelled=raw.get("status") == "cancelled",
        tags=tags_of(raw),
        updated=updated,
    )
