"""One .ics file's bytes -> its VEVENT components, or the reason it is not a calendar.

Parsing is deliberately forgiving where the content is still usable (a wrong encoding, a BOM,
a bare VEVENT without VCALENDAR, a broken line or property anywhere) and strict where it is not
(no iCalendar structure at all, a component that never ends). A broken property is recorded by
icalendar in the component's ``errors``; :mod:`connectors.ics.expand` decides whether the event
can still be used.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, ClassVar, cast

import x_wr_timezone
from icalendar import Calendar, Event
from icalendar.cal.component_factory import ComponentFactory

from connectors.ics import addresslines, encoding, prescan
from connectors.ics.timezones import file_zones, zone
from daemon.protocols import Problem

logger = logging.getLogger(__name__)

EXPECTED = "expected an iCalendar file (BEGIN:VCALENDAR ... END:VCALENDAR)"


class NotACalendar(ValueError):
    """The file is not usable as iCalendar; the message says why (without the expectation)."""


@dataclass
class ParsedFile:
    events: list[Event]
    calendar_name: str | None = None  # X-WR-CALNAME
    method: str = ""  # METHOD of the calendar ("CANCEL" cancels every event in it)
    notes: list[str] = field(default_factory=list)  # tolerated oddities, for the log
    # UIDs of the events left unparsed as certainly outside the sync window (prescan.py)
    skipped_uids: frozenset[str] = frozenset()
    # What the user should see: bytes that were replaced, lines that were repaired or lost.
    problems: list[Problem] = field(default_factory=list)


def _tolerant_factory() -> ComponentFactory:
    """Components that keep going past a broken line or property, as icalendar's VEVENT does.

    Without this, one unparsable line in a VTIMEZONE (iCloud's historic "TZOFFSETFROM:+5328")
    or a VALARM makes icalendar reject the whole file.
    """
    factory = ComponentFactory()
    for cls in set(factory.values()):
        if not cls.ignore_exceptions:
            factory.add_component_class(type(cls.__name__, (cls,), {"ignore_exceptions": True}))
    return factory


class _TolerantCalendar(Calendar):
    _factory: ClassVar[ComponentFactory] = _tolerant_factory()

    @classmethod
    def _get_component_factory(cls) -> ComponentFactory:
        return cls._factory


_BEGIN = re.compile(r"^BEGIN:(VCALENDAR|VEVENT)\s*$", re.IGNORECASE | re.MULTILINE)


def _unclosed(text: str) -> str | None:
    """The innermost component a truncated file is still inside of."""
    stack: list[str] = []
    for line in text.splitlines():
        upper = line.strip().upper()
        if upper.startswith("BEGIN:"):
            stack.append(upper[6:])
        elif upper.startswith("END:") and stack:
            stack.pop()
    return stack[-1] if stack else None


def _mend_vtimezones(text: str, notes: list[str]) -> str:
    """Remove the two VTIMEZONE breakages that make icalendar reject the whole file.

    icalendar hands every component closed by ``END:VTIMEZONE`` that has a TZID to the zone
    cache, which fails on anything but a VTIMEZONE with exactly one TZID. So a second TZID
    line in a VTIMEZONE is dropped, and an ``END:VTIMEZONE`` that closes no VTIMEZONE either
    closes the component that is open instead (its BEGIN line was damaged) or, when only
    VCALENDAR is open (the BEGIN line is missing), is dropped. The zone may then be unknown;
    its times are read as floating, as for any unusable VTIMEZONE.
    """
    stack: list[str] = []
    kept: list[str] = []
    tzid_seen = dropping = False
    for line in text.splitlines(keepends=True):
        if line[:1] in (" ", "\t"):  # a folded continuation belongs to the line before
            if not dropping:
                kept.append(line)
            continue
        dropping = False
        upper = line.strip().upper()
        if upper.startswith("BEGIN:"):
            stack.append(upper[6:])
            tzid_seen = tzid_seen and stack[-1] != "VTIMEZONE"
        elif upper == "END:VTIMEZONE" and stack and stack[-1] != "VTIMEZONE":
            if stack[-1] == "VCALENDAR":
                notes.append("skipped an END:VTIMEZONE line without BEGIN:VTIMEZONE")
                continue
            notes.append(f"END:VTIMEZONE read as END:{stack[-1]}")
            line = f"END:{stack.pop()}\r\n"
        elif upper.startswith("END:") and stack:
            stack.pop()
        elif stack[-1:] == ["VTIMEZONE"] and re.match(r"TZID[;:]", upper):
            if tzid_seen:
                notes.append("skipped a second TZID line in a VTIMEZONE")
                dropping = True
                continue
            tzid_seen = True
        kept.append(line)
    return "".join(kept)


def parse(
    data: bytes, label: str = "", window: tuple[datetime, datetime] | None = None
) -> ParsedFile:
    """Parse one file. Raises :class:`NotACalendar` when nothing in it can be used.

    ``label`` names the file in problems (its path relative to the configured source). With
    a ``window`` (aware), the events that certainly have no instance in it, and alarms, are
    left out before icalendar parses anything (:mod:`connectors.ics.prescan`); the UIDs of
    those events are in ``skipped_uids``.
    """
    decoded = encoding.decode(data)
    text, decoded.text = decoded.text, ""  # one reference to the text, dropped when done
    if not text.strip():
        raise NotACalendar("the file is empty")
    if not _BEGIN.search(text):
        raise NotACalendar("no BEGIN:VCALENDAR line found")
    notes: list[str] = []
    scan = prescan.Prescan(text)
    if window is not None:
        scan = prescan.prescan(text, window)
        del text  # the full text is not needed any more: only what is left is parsed
    text = _mend_vtimezones(scan.text, notes)
    if notes and len(scan.runs) > 1:
        # A broken VTIMEZONE is mended line by line, which would shift the numbers of lines
        # that problems name: such a rare file is read whole, as before.
        return parse(data, label)
    text, mended = addresslines.mend(text, label, scan.original_line)
    with file_zones():
        try:
            components = _TolerantCalendar.from_ical(text, multiple=True)
        except (ValueError, TypeError) as err:  # icalendar's InvalidCalendar is a ValueError
            raise NotACalendar(str(err) or type(err).__name__) from err
        if not components:
            inside = _unclosed(text) or "VCALENDAR"
            raise NotACalendar(f"the file ends inside {inside} (END:{inside} missing)")
        parsed = _collect(components)
    parsed.notes[:0] = notes
    parsed.skipped_uids = scan.skipped_uids
    if decoded.legacy:
        parsed.notes.append(f"not UTF-8 anywhere: read as {decoded.legacy}")
    replaced = decoded.summary()
    if replaced:
        parsed.problems.append(Problem(item=label, message=replaced, container=label, warning=True))
    parsed.problems.extend(mended)
    return parsed


def _collect(components: list[Any]) -> ParsedFile:
    calendars = [c for c in components if c.name == "VCALENDAR"]
    bare = [c for c in components if c.name == "VEVENT"]
    if not calendars and not bare:
        found = ", ".join(sorted({c.name for c in components}))
        raise NotACalendar(f"found only {found}, no VCALENDAR or VEVENT")
    result = ParsedFile(events=[])
    if bare:
        result.notes.append("VEVENT outside of a VCALENDAR")
        wrapper = Calendar()
        for event in bare:
            wrapper.add_component(event)
        calendars.append(wrapper)
    for calendar in calendars:
        calendar = _standardize(calendar, result.notes)
        name = _text(calendar.get("X-WR-CALNAME"))
        result.calendar_name = result.calendar_name or name or None
        result.method = result.method or _text(calendar.get("METHOD")).upper()
        for error in getattr(calendar, "errors", []):
            result.notes.append(f"skipped calendar line ({error[1]})")
        result.events.extend(cast(Event, c) for c in calendar.subcomponents if c.name == "VEVENT")
    return result


def _standardize(calendar: Calendar, notes: list[str]) -> Calendar:
    """Honour X-WR-TIMEZONE (Google exports): UTC and floating times move to that zone."""
    name = _text(calendar.get("X-WR-TIMEZONE"))
    if not name:
        return calendar
    tz: tzinfo | None = zone(name)
    if tz is None:
        notes.append(f"unknown X-WR-TIMEZONE {name!r} ignored")
        return calendar
    return x_wr_timezone.to_standard(calendar, timezone=tz)


def _text(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else None
    return "" if value is None else str(value).strip()
