"""Times and durations of raw iCalendar property values, read only in their plain forms.

:mod:`connectors.ics.prescan` judges events from their raw lines before icalendar parses
anything; what it may judge is what these functions read. Each answers None for anything
written otherwise (other parameters, odd values): the full parse decides such events.

A property's raw value here is its "rest": the text after the name, parameters included
(``;TZID=Europe/Berlin:20250131T090000``); ``props`` maps a VEVENT's names to their rests.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from connectors.ics.timezones import zone

# (naive value, its zone as written: a TZID, "Z" or "", is it a date)
When = tuple[datetime, str, bool]

TIME_PARAMS = re.compile(r'((?:;(?:TZID|VALUE)=(?:"[^"\r\n]*"|[^";:,\r\n]*))*):(.*)', re.I)
_TIME_PARAM = re.compile(r';(TZID|VALUE)=("[^"]*"|[^;]*)', re.IGNORECASE)
_TIME = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?")
_DURATION = re.compile(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")


def when(rest: str) -> When | None:
    """(naive value, its zone as written: a TZID, "Z" or "", is it a date) of a DTSTART or
    DTEND in a plain form; None otherwise."""
    found = TIME_PARAMS.fullmatch(rest)
    if found is None:
        return None
    params: dict[str, str] = {}
    for name, value in _TIME_PARAM.findall(found.group(1)):
        name = name.upper()
        if name in params:
            return None
        params[name] = value[1:-1] if value.startswith('"') else value
    moment = _TIME.fullmatch(found.group(2))
    if moment is None:
        return None
    is_date = moment.group(4) is None
    kind = params.get("VALUE", "DATE" if is_date else "DATE-TIME").upper()
    if kind != ("DATE" if is_date else "DATE-TIME"):
        return None
    tz = params.get("TZID")
    if is_date and tz is not None or moment.group(7) and tz is not None:
        return None
    if tz is not None and not tz.strip():
        return None
    try:
        parts = [int(p) for p in moment.groups()[:6] if p is not None]
        value = datetime(*parts)  # type: ignore[arg-type]
    except ValueError:
        return None
    return value, "Z" if moment.group(7) else (tz or ""), is_date


def compared(when: When, xwr: str) -> datetime:
    """What the full parse compares to tell whether an event ends before it starts: times in
    one zone compare as written, except UTC ones, which X-WR-TIMEZONE moves into its zone."""
    value, tz, _ = when
    if tz == "Z" and xwr:
        moved = zone(xwr)
        if moved is not None:
            return value.replace(tzinfo=UTC).astimezone(moved).replace(tzinfo=None)
    return value


def span(rest: str) -> timedelta | None:
    """A plain, non-negative DURATION value."""
    if not rest.startswith(":"):
        return None
    found = _DURATION.fullmatch(rest[1:])
    if found is None or rest[1:] in ("P", "PT") or rest.endswith("T"):
        return None
    weeks, days, hours, minutes, seconds = (int(p or 0) for p in found.groups())
    try:
        return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:
        return None


def extent(props: dict[str, list[str]], xwr: str) -> tuple[datetime, datetime] | None:
    """(start, end) of an event's DTSTART and DTEND or DURATION as written (naive, in the
    zone each names), when they are in plain forms the full parse reads without a problem;
    None otherwise."""
    if len(props.get("DTSTART", ())) != 1:
        return None
    start = when(props["DTSTART"][0])
    if start is None:
        return None
    ends, durations = props.get("DTEND", []), props.get("DURATION", [])
    if len(ends) + len(durations) > 1:
        return None
    value, tz, is_date = start
    if ends:
        end = when(ends[0])
        if end is None or end[1:] != start[1:]:
            return None  # another zone or kind: whether it ends before it starts is the parse's
        if compared(end, xwr) < compared(start, xwr):
            return None  # "ends before it starts": a problem the full parse records
        finish = end[0]
    elif durations:
        length = span(durations[0])
        if length is None:
            return None
        try:
            finish = value + length
        except OverflowError:
            return None
    else:
        finish = value + timedelta(days=1) if is_date else value
    return value, finish
