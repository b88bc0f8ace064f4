"""What can be known about an RRULE without expanding it.

dateutil expands a rule by walking it from DTSTART; the checks here decide beforehand, cheaply,
whether that walk would ever end (INTERVAL=0 repeats DTSTART forever) or find anything at all.
Used for events (:mod:`connectors.ics.expand`) and for VTIMEZONE transitions
(:mod:`connectors.ics.timezones`), which icalendar expands with dateutil too.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from dateutil.rrule import rrulestr
from icalendar.prop import vRecur


def bad_interval(rule: vRecur) -> object | None:
    """The INTERVAL value when it is not a positive integer (dateutil would loop forever)."""
    return next((n for n in rule.get("INTERVAL", []) if not isinstance(n, int) or n < 1), None)


_DAY_PARTS = ("BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY", "WKST")
# Weekdays and leap years repeat after 400 Gregorian years: a probe of one such cycle, as
# close to the year 9999 as it fits, sees every day a rule can ever match.
_CYCLE_START = datetime(9599, 1, 1)


def never_repeats(rule: vRecur) -> bool:
    """Whether a rule's BY parts match no day at all ("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30").

    dateutil checks UNTIL and COUNT only against matching days, so such a rule makes it walk
    from DTSTART to the year 9999: about 18 s for one hourly event, on every sync. The probe
    walks one 400-year cycle a year (or a month) at a time instead. Below MONTHLY it asks
    whether any day passes the day filters, with BYDAY ordinals and BYSETPOS left out: they
    only ever remove days, so no day without them means no day with them.
    """
    freq = str((rule.get("FREQ") or [""])[0]).upper()
    if freq in ("YEARLY", "MONTHLY"):
        probe = {k: v for k, v in rule.items() if k not in ("COUNT", "UNTIL", "INTERVAL")}
    else:
        probe = {"FREQ": ["YEARLY"], **{k: v for k, v in rule.items() if k in _DAY_PARTS}}
        if "BYDAY" in probe:
            probe["BYDAY"] = [re.sub(r"^[+-]?\d+", "", str(day)) for day in probe["BYDAY"]]
    try:
        found = rrulestr(vRecur(probe).to_ical().decode(), dtstart=_CYCLE_START)
        return found.after(_CYCLE_START, inc=True) is None  # type: ignore[union-attr]
    except Exception:  # dateutil raises many kinds on odd rules; the library reports them
        return False


_PERIOD = {
    "SECONDLY": timedelta(seconds=1),
    "MINUTELY": timedelta(minutes=1),
    "HOURLY": timedelta(hours=1),
    "DAILY": timedelta(days=1),
    "WEEKLY": timedelta(weeks=1),
    "MONTHLY": timedelta(days=28),  # the shortest month
    "YEARLY": timedelta(days=365),
}
_SUB_DAILY = ("SECONDLY", "MINUTELY", "HOURLY")
_WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
DAY = timedelta(days=1)


def shortest_interval(rule: vRecur, start: date | datetime) -> timedelta | None:
    """The shortest time between two instances of ``rule``, or None when it never repeats.

    Exact for the rules people write: FREQ times INTERVAL, narrowed by several times of day
    (DAILY;BYHOUR=9,17: 8 hours) or several weekdays (WEEKLY;BYDAY=MO,WE: 2 days). For the
    sub-daily frequencies it is a lower bound: BY parts that only thin the rule out are not
    counted (MINUTELY;BYMINUTE=0 gives 1 minute, not 1 hour), unless they pin it to one time
    a day (MINUTELY;BYHOUR=9;BYMINUTE=0 repeats daily). Either way a rule that repeats more
    often than daily is seen as such, which is what detection needs to know.
    """
    freq = str((rule.get("FREQ") or [""])[0]).upper()
    period = _PERIOD.get(freq)
    count = rule.get("COUNT") or [None]
    if period is None or count[0] == 1:
        return None
    interval = next(iter(rule.get("INTERVAL") or [1]))
    period *= interval if isinstance(interval, int) and interval > 0 else 1
    hours, minutes, seconds = (_ints(rule, part) for part in ("BYHOUR", "BYMINUTE", "BYSECOND"))
    if freq in _SUB_DAILY:
        pinned = {"HOURLY": (hours,), "MINUTELY": (hours, minutes)}.get(
            freq, (hours, minutes, seconds)
        )
        if all(len(values) == 1 for values in pinned):
            return max(period, DAY)
        # BY parts finer than the frequency add instances within one period (HOURLY;BYMINUTE=0,20)
        finer = {"HOURLY": ((seconds, 1), (minutes, 60)), "MINUTELY": ((seconds, 1),)}
        for values, unit in finer.get(freq, ()):
            if len(values) > 1:
                step = _smallest_step(values)
                return min(period, timedelta(seconds=step * unit))
        return period
    when = start if isinstance(start, datetime) else datetime.combine(start, datetime.min.time())
    times = sorted(
        h * 3600 + m * 60 + s
        for h in hours or [when.hour]
        for m in minutes or [when.minute]
        for s in seconds or [when.second]
    )
    shortest = period
    if len(times) > 1:
        shortest = min(shortest, timedelta(seconds=_smallest_step(times)))
    days = sorted({_WEEKDAYS[d] for d in map(str, rule.get("BYDAY") or []) if d in _WEEKDAYS})
    if freq != "DAILY" and len(days) > 1:
        wrapped = days[0] + 7 - days[-1]  # from the last weekday to the first of next week
        shortest = min(shortest, timedelta(days=min(_smallest_step(days), wrapped)))
    return shortest


def _smallest_step(values: list[int]) -> int:
    """The smallest difference between neighbours of a sorted list of two or more values."""
    return min(b - a for a, b in zip(values, values[1:], strict=False))


def _ints(rule: vRecur, part: str) -> list[int]:
    return sorted({v for v in rule.get(part) or [] if isinstance(v, int)})


def describe_interval(span: timedelta) -> str:
    """'1 minute', '8 hours', '1 hour 30 minutes' for a Problem message."""
    total = int(span.total_seconds())
    parts = []
    for unit, seconds in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        amount, total = divmod(total, seconds)
        if amount:
            parts.append(f"{amount} {unit}{'' if amount == 1 else 's'}")
    return " ".join(parts) or "0 seconds"
