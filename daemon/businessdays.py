"""Business-day arithmetic in the user's time zone.

"No reply within 5 business days" is a promise about the user's working week, not about UTC:
a status inquiry planned for 09:00 must still be due at 09:00 local time after a change to or
from daylight saving time, must skip the configured weekend (which is not Saturday/Sunday
everywhere) and the user's holidays, and must land on the same wall-clock time the count
started from. All arithmetic therefore happens on local calendar dates with :mod:`zoneinfo`;
only the result is converted back to UTC.

Conventions (the engine relies on them):

* A start that falls on a weekend day or holiday counts from the next business day, at the
  same wall-clock time: Saturday 10:00 plus one business day is Tuesday 10:00 (Monday is the
  first business day the company had; Tuesday 10:00 is one full business day later).
* A local time that does not exist on the target day (the hour skipped when clocks go forward)
  is shifted forward by the length of the gap, as PEP 495 prescribes for ``fold=0``; a time
  that occurs twice (clocks go back) means its first occurrence.
* :func:`business_days_between` is the inverse of :func:`add_business_days`: the largest ``n``
  with ``add_business_days(a, n) <= b`` (0 when ``b`` is not after ``a``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from daemon.config import CalendarDays
from daemon.errors import ConfigError

# A guard against a configuration where no day is ever a business day (seven weekend days, or
# years of holidays): searching further than this is a configuration problem, not a loop.
_MAX_SEARCH_DAYS = 3700


def is_business_day(d: date, days: CalendarDays) -> bool:
    """True when ``d`` is neither a configured weekend day nor a holiday."""
    return d.isoweekday() not in days.weekend and d not in days.holidays


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as err:
        message = f"time zone {tz!r}: expected an IANA name like 'Europe/Berlin'"
        raise ConfigError([message]) from err


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        # A naive datetime here is a programming error in the caller, not user input.
        raise ValueError(f"expected a timezone-aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(zone)


def _next_business_day(d: date, days: CalendarDays) -> date:
    """``d`` itself when it is a business day, else the first business day after it."""
    for offset in range(_MAX_SEARCH_DAYS):
        if is_business_day(d + timedelta(days=offset), days):
            return d + timedelta(days=offset)
    raise ConfigError(
        [
            f"[days]: no business day within {_MAX_SEARCH_DAYS} days of {d.isoformat()}; "
            "expected at least one weekday that is not in [days].weekend or [days].holidays"
        ]
    )


def _at_wall_clock(d: date, local: datetime, zone: ZoneInfo) -> datetime:
    """``d`` at the wall-clock time of ``local``, in UTC (gaps shift forward, see module doc)."""
    wall = datetime.combine(d, local.time().replace(fold=0), tzinfo=zone)
    return wall.astimezone(UTC)


def add_business_days(start: datetime, n: int, tz: str, days: CalendarDays) -> datetime:
    """The moment ``n`` business days after ``start``, at the same local time in ``tz``, in UTC.

    ``n == 0`` returns ``start`` itself on a business day, else the next business day at the
    same wall-clock time (the weekend rule of the module docstring).
    """
    if n < 0:
        raise ValueError(f"expected a number of business days >= 0, got {n}")
    zone = _zone(tz)
    local = _local(start, zone)
    d = _next_business_day(local.date(), days)
    if n == 0 and d == local.date():
        return start.astimezone(UTC)
    for _ in range(n):
        d = _next_business_day(d + timedelta(days=1), days)
    return _at_wall_clock(d, local, zone)


def business_days_between(a: datetime, b: datetime, tz: str, days: CalendarDays) -> int:
    """How many whole business days lie between ``a`` and ``b`` (0 when ``b <= a``).

    Defined as the largest ``n`` with ``add_business_days(a, n, tz, days) <= b``, so the
    engine's "has the wait passed?" and "how long has it been?" can never disagree.
    """
    zone = _zone(tz)
    la, lb = _local(a, zone), _local(b, zone)
    if lb <= la:
        return 0
    d = _next_business_day(la.date(), days)
    count = 0
    # Count business days after the (normalised) start up to b's local date...
    cursor = d + timedelta(days=1)
    while cursor <= lb.date():
        if is_business_day(cursor, days):
            count += 1
        cursor += timedelta(days=1)
    # ...then drop the last one if b's wall-clock time has not reached a's on that day.
    if count and add_business_days(a, count, tz, days) > b.astimezone(UTC):
        count -= 1
    return count
