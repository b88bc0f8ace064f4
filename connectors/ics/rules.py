"""What can be known about an RRULE without expanding it.

dateutil expands a rule by walking it from DTSTART; the checks here decide beforehand, cheaply,
whether that walk would ever end (INTERVAL=0 repeats DTSTART forever) or find anything at all.
Used for events (:mod:`connectors.ics.expand`) and for VTIMEZONE transitions
(:mod:`connectors.ics.timezones`), which icalendar expands with dateutil too.
"""

from __future__ import annotations

import re
from datetime import datetime

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
