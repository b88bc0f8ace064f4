"""Does a whole series certainly lie outside the sync window? Judged from raw lines.

The part of :mod:`connectors.ics.prescan` that removes a series (its master and overrides)
before icalendar parses it: exports keep years of finished weekly meetings, a third of what a
10,000-event calendar still parsed once the plain events outside the window were cut. Only
the simplest series are judged, those the full parse expands without a word; see
:func:`series_outside`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from connectors.ics.plaintimes import TIME_PARAMS, When, extent, when

# The properties that make a VEVENT a series, an override or part of one.
SERIES = frozenset(["RRULE", "RDATE", "EXDATE", "EXRULE", "RECURRENCE-ID"])
_DAYS = frozenset(["MO", "TU", "WE", "TH", "FR", "SA", "SU"])
_WEEKDAYS = re.compile(r"(?:MO|TU|WE|TH|FR|SA|SU)(?:,(?:MO|TU|WE|TH|FR|SA|SU))*")
_RULE_PART = re.compile(
    r"(FREQ|COUNT|UNTIL|INTERVAL|BYDAY|WKST)=([A-Z,]+|\d{1,4}|\d{8}(?:T\d{6}Z?)?)"
)
_LONGEST = timedelta(days=366 * 50)  # an UNTIL further from DTSTART than this: the parse decides


def series_outside(
    group: list[dict[str, list[str]]], low: datetime, high: datetime, xwr: str
) -> bool:
    """Does every instance of this series, its overrides included, certainly end before
    ``low`` or start after ``high``?

    Judged only for a series the full parse expands without a word: one master with one
    RRULE of FREQ=DAILY or WEEKLY that ends (COUNT up to 1,000, or UNTIL), plain weekdays
    at most, no RDATE or EXRULE, EXDATEs in the form of DTSTART; every other VEVENT of the UID
    an override of one instance (no RANGE) with times of its own. Its instances start at
    DTSTART at the earliest (no RDATE) and at the last COUNT or UNTIL allows at the latest;
    an override is wherever its own DTSTART puts it. Such a rule never repeats more often
    than daily and walks at most a few thousand steps, so the expansion's limits
    (expand.Limits, as the sync uses them) have nothing to say about it either."""
    masters = [props for props in group if "RECURRENCE-ID" not in props]
    if len(masters) != 1:
        return False  # updates of the series (a higher SEQUENCE): the full parse chooses
    props = masters[0]
    if "RDATE" in props or "EXRULE" in props or len(props.get("RRULE", ())) != 1:
        return False
    first = extent(props, xwr)
    start = when(props["DTSTART"][0]) if first is not None else None
    if first is None or start is None:
        return False
    last = _last_start(props["RRULE"][0], start)
    if last is None or not all(_plain_dates(rest, start) for rest in props.get("EXDATE", ())):
        return False
    try:
        last_end = last + (first[1] - first[0])
    except OverflowError:
        return False
    if not (last_end < low or first[0] > high):
        return False
    for found in group:
        if found is props:
            continue
        if SERIES.difference(["RECURRENCE-ID"]).intersection(found):
            return False
        if len(found["RECURRENCE-ID"]) != 1 or when(found["RECURRENCE-ID"][0]) is None:
            return False
        moved = extent(found, xwr)
        if moved is None or not (moved[1] < low or moved[0] > high):
            return False
    return True


def _last_start(rest: str, start: When) -> datetime | None:
    """The latest start an instance of this RRULE can have (naive, as DTSTART is written),
    for the plain rules :func:`series_outside` judges; None for any other rule."""
    if not rest.startswith(":"):
        return None
    parts: dict[str, str] = {}
    for part in rest[1:].split(";"):
        found = _RULE_PART.fullmatch(part)
        if found is None or found.group(1) in parts:
            return None
        parts[found.group(1)] = found.group(2)
    if parts.get("FREQ") not in ("DAILY", "WEEKLY") or ("COUNT" in parts) == ("UNTIL" in parts):
        return None
    if not _WEEKDAYS.fullmatch(parts.get("BYDAY", "MO")) or parts.get("WKST", "MO") not in _DAYS:
        return None
    interval = int(parts.get("INTERVAL", "1"))
    if not 1 <= interval <= 1000:
        return None
    value, tz, is_date = start
    if "COUNT" in parts:
        count = int(parts["COUNT"])
        if not 1 <= count <= 1000:
            return None
        # A day of BYDAY comes at least once in each INTERVAL weeks (a DAILY rule with BYDAY
        # steps INTERVAL days: its weekdays come round within 7 steps, or never).
        return value + timedelta(weeks=(count + 1) * interval)
    until = when(":" + parts["UNTIL"])
    if until is None or until[2] != is_date or not is_date and (until[1] == "Z") != (tz != ""):
        return None  # UNTIL as RFC 5545 has it: a date for dates, UTC for zoned times
    if until[1] not in ("Z", "") or not value <= until[0] <= value + _LONGEST:
        return None
    return until[0]


def _plain_dates(rest: str, start: When) -> bool:
    """An EXDATE (one or more values) in the plain form and zone of DTSTART."""
    found = TIME_PARAMS.fullmatch(rest)
    if found is None:
        return False
    params = found.group(1)
    for value in found.group(2).split(","):
        found_when = when(f"{params}:{value}")
        if found_when is None or found_when[1:] != start[1:]:
            return False
    return True
