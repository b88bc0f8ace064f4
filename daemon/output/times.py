"""One way to show a time to a person: in the configured zone, the zone named once per screen.

Times are stored in UTC; a person reads them in ``[daemon].timezone``. Which form depends on
where the time stands, never on who prints it:

- in a table or a tab-separated record: :func:`local` (``2026-03-03 12:00``: sorts as text,
  ``cut`` and ``sort`` work on it), the zone named once in the table's title
  (:func:`times_in`);
- in a sentence on a screen that names the zone once (a header or footer line,
  :func:`times_in`): :func:`short` (``Tue 03 Mar 12:00``) or, beside a time of the same day,
  :func:`near` (``15:30``);
- in a sentence that stands alone (a notification, a log line, an error): :func:`zoned`
  (``Tue 03 Mar 12:00 CET``), which names the zone itself.

``--json`` is not for people: ISO 8601 with the offset (:mod:`daemon.output.as_json`).

Only the standard library is used here, so that planning, notify and corrections can import it
without pulling in the output's dependencies.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

NO_TIME = "-"


@lru_cache(maxsize=8)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def in_zone(value: datetime, tz: str) -> datetime:
    """``value`` (aware) as a wall-clock time in ``tz``."""
    return value.astimezone(_zone(tz))


def local(value: datetime | None, tz: str) -> str:
    """``2026-03-03 12:00`` in ``tz`` (tables, records); "-" for no time."""
    if value is None:
        return NO_TIME
    return in_zone(value, tz).strftime("%Y-%m-%d %H:%M")


def short(value: datetime, tz: str) -> str:
    """``Tue 03 Mar 12:00`` in ``tz``: a time in a sentence (the weekday helps more than the
    year). Always the English names: followupd's own messages are English."""
    moment = in_zone(value, tz)
    return f"{_DAYS[moment.weekday()]} {moment.day:02d} {_MONTHS[moment.month - 1]} {moment:%H:%M}"


def near(value: datetime, tz: str, today: datetime) -> str:
    """``15:30`` when ``value`` falls on the same day as ``today`` in ``tz``, else as
    :func:`short`: "add notes before 15:30"."""
    if in_zone(value, tz).date() == in_zone(today, tz).date():
        return f"{in_zone(value, tz):%H:%M}"
    return short(value, tz)


def day(value: datetime, tz: str) -> str:
    """``2026-03-03``: the date in ``tz`` (a day is a local thing too)."""
    return in_zone(value, tz).date().isoformat()


def abbreviation(value: datetime, tz: str) -> str:
    """The zone's name at ``value`` as clocks say it: ``CET``, ``CEST``, ``UTC`` (``+03``
    where the zone has no letters)."""
    return in_zone(value, tz).tzname() or tz


def zoned(value: datetime, tz: str, today: datetime | None = None) -> str:
    """A time in a sentence that stands alone: ``Tue 03 Mar 12:00 CET`` (with ``today``:
    ``12:00 CET`` on that day)."""
    text = near(value, tz, today) if today is not None else short(value, tz)
    return f"{text} {abbreviation(value, tz)}"


def times_in(tz: str) -> str:
    """``times in Europe/Berlin``: said once per screen (a table's title, a header line)."""
    return f"times in {tz}"


def zone_line(tz: str) -> str:
    """``(times in Europe/Berlin)``: the line that names the zone of a screen of sentences."""
    return f"({times_in(tz)})"


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
