"""A Graph ``event`` (JSON) as a :class:`daemon.protocols.CalendarEvent`.

Detection works on what Outlook actually has: subject, body, attendees with their ``type``
(required/optional/resource) and response, ``categories`` (an "Interview" category is the
natural tag for Outlook users -> ``category:Interview``), ``showAs`` (``show-as:busy``),
``isOrganizer``, and ``type`` (an occurrence or exception belongs to ``seriesMasterId``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from connectors.outlook import timefmt
from daemon.errors import BadItem
from daemon.protocols import Attendee, AttendeeKind, CalendarEvent, Response, Role

ROLES = {"required": Role.REQUIRED, "optional": Role.OPTIONAL, "resource": Role.NON_PARTICIPANT}
RESPONSES = {
    "accepted": Response.ACCEPTED,
    "organizer": Response.ACCEPTED,
    "declined": Response.DECLINED,
    "tentativelyaccepted": Response.TENTATIVE,
    "notresponded": Response.NEEDS_ACTION,
    "none": Response.NEEDS_ACTION,
}
SERIES_TYPES = frozenset({"occurrence", "exception"})


def label(raw: Any) -> str:
    """How an event is named in a problem report: its subject and a short id."""
    if not isinstance(raw, dict):
        return "Outlook event (not an object)"
    ident = str(raw.get("id") or "?")
    short = ident if len(ident) <= 16 else ident[:6] + "…" + ident[-8:]
    subject = raw.get("subject")
    return f"Outlook event {subject!r} ({short})" if subject else f"Outlook event {short}"


def parse_event(raw: Any, calendar: str, own: Iterable[str]) -> CalendarEvent:
    """The event, or BadItem naming it and saying what was expected."""
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
        raise BadItem(label(raw), "expected an object with an 'id'")
    own_addresses = {a.lower() for a in own}
    people = raw.get("attendees")
    if people is not None and not (
        isinstance(people, list) and all(_person_shape(item) for item in people)
    ):
        # Dropping an attendee would look like "removed from the meeting".
        raise BadItem(
            label(raw), f"expected 'attendees' to be a list of people, got {people!r:.60}"
        )
    try:
        start = _when(raw, "start")
        end = _when(raw, "end")
    except ValueError as err:
        raise BadItem(label(raw), str(err)) from None
    if end < start:
        raise BadItem(label(raw), f"expected the end ({end}) not before the start ({start})")
    is_organizer = raw.get("isOrganizer") is True
    organizer = _organizer(raw.get("organizer"), is_organizer, own_addresses)
    attendees = tuple(
        a
        for a in (_attendee(item, organizer, own_addresses) for item in _list(raw, "attendees"))
        if a
    )
    kind = str(raw.get("type") or "singleInstance")
    updated = None
    if raw.get("lastModifiedDateTime"):
        try:
            updated = timefmt.parse(raw["lastModifiedDateTime"])
        except ValueError:
            updated = None  # cosmetic; not worth dropping the event
    return CalendarEvent(
        id=raw["id"],
        title=str(raw.get("subject") or ""),
        start=start,
        end=end,
        calendar=calendar,
        series_id=raw.get("seriesMasterId") if kind.lower() in SERIES_TYPES else None,
        description=_description(raw),
        location=str((raw.get("location") or {}).get("displayName") or ""),
        timezone=timefmt.iana_or_none(raw.get("originalStartTimeZone")),
        all_day=raw.get("isAllDay") is True,
        organizer=organizer,
        attendees=attendees,
        cancelled=raw.get("isCancelled") is True,
        tags=frozenset(_tags(raw)),
        updated=updated,
    )


def _when(raw: dict[str, Any], key: str) -> Any:
    value = raw.get(key)
    if not isinstance(value, dict) or "dateTime" not in value:
        raise ValueError(f"expected '{key}' with a dateTime and a timeZone, got {value!r}")
    return timefmt.parse(value.get("dateTime"), value.get("timeZone") or "UTC")


def _person_shape(item: Any) -> bool:
    """An attendee as Graph documents it: an object whose emailAddress (if any) is one."""
    if not isinstance(item, dict):
        return False
    email = item.get("emailAddress")
    if email is None:
        return True
    return isinstance(email, dict) and isinstance(email.get("address", ""), (str, type(None)))


def _list(raw: dict[str, Any], key: str) -> list[Any]:
    value = raw.get(key)
    return value if isinstance(value, list) else []


def _address(item: Any) -> tuple[str, str | None] | None:
    email = (item or {}).get("emailAddress") if isinstance(item, dict) else None
    if not isinstance(email, dict):
        return None
    address = str(email.get("address") or "").strip().lower()
    if not address or "@" not in address:
        return None
    return address.removeprefix("mailto:"), (str(email["name"]) if email.get("name") else None)


def _organizer(item: Any, is_organizer: bool, own: set[str]) -> Attendee | None:
    found = _address(item)
    if found is None:
        return None
    address, name = found
    return Attendee(
        email=address,
        name=name,
        role=Role.CHAIR,
        response=Response.ACCEPTED,
        is_self=is_organizer or address in own,
        is_organizer=True,
    )


def _attendee(item: Any, organizer: Attendee | None, own: set[str]) -> Attendee | None:
    found = _address(item)
    if found is None:
        return None
    address, name = found
    kind = str(item.get("type") or "required").lower()
    response = str(((item.get("status") or {}).get("response")) or "none").lower()
    return Attendee(
        email=address,
        name=name,
        role=ROLES.get(kind, Role.REQUIRED),
        kind=AttendeeKind.RESOURCE if kind == "resource" else AttendeeKind.PERSON,
        response=RESPONSES.get(response, Response.UNKNOWN),
        is_self=address in own,
        is_organizer=response == "organizer"
        or (organizer is not None and organizer.email == address),
    )


def _description(raw: dict[str, Any]) -> str:
    body = raw.get("body")
    if isinstance(body, dict) and str(body.get("contentType") or "").lower() == "text":
        return str(body.get("content") or "")
    return str(raw.get("bodyPreview") or "")


def _tags(raw: dict[str, Any]) -> list[str]:
    tags = [f"category:{c}" for c in _list(raw, "categories") if isinstance(c, str) and c]
    if raw.get("showAs"):
        tags.append(f"show-as:{raw['showAs']}")
    return tags
