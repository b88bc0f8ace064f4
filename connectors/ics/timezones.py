"""Time zones of .ics files: IANA names, Windows names, and a file's own VTIMEZONE definitions.

icalendar resolves every ``TZID`` through one process-wide provider (``icalendar.timezone.tzp``)
and caches each VTIMEZONE it meets under its TZID, first one wins. Left alone, that means:

* a Windows name sent together with a VTIMEZONE (Exchange, Outlook, Office 365) uses the
  hand-written definition instead of the real zone, even when that definition is wrong (khal's
  "New Zealand Standard Time" carrying CET offsets);
* two files that define the same custom TZID ("Customized Time Zone") differently share the
  definition of whichever file was read first;
* a VTIMEZONE that cannot be turned into a zone makes the whole file unreadable.

So every file is parsed inside :func:`file_zones`, which installs :class:`_Zones` (icalendar's
documented way to plug in a provider) with an empty cache. :class:`_Zones` treats Windows names,
``/vendor/Europe/Berlin`` style ids and case variants as the IANA zone they name, so VTIMEZONEs
are only used for truly custom ids; a VTIMEZONE that cannot be used resolves to nothing, which
makes its times floating, and floating times are read in the account's time zone.
"""

from __future__ import annotations

import logging
import threading
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, tzinfo
from functools import cache, lru_cache
from typing import Any

from icalendar.timezone import tzp
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
from icalendar.timezone.zoneinfo import ZONEINFO

from connectors.ics.rules import bad_interval, never_repeats

logger = logging.getLogger(__name__)

# icalendar's provider and its cache are process-wide: one file at a time.
_LOCK = threading.Lock()


@cache
def _known_zones() -> dict[str, str]:
    """IANA zone names by their lower-cased spelling (tzdata lookups are case-sensitive)."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}


@lru_cache(maxsize=2048)
def iana_name(tzid: str) -> str | None:
    """The IANA zone a TZID means, or None when it is a custom name.

    Accepts IANA names in any case, with spaces for underscores ("America/Los Angeles"),
    Windows names ("W. Europe Standard Time", via the CLDR table icalendar ships) and RFC 5545
    "globally unique" ids with a vendor prefix ("/freeassociation.sourceforge.net/Europe/Berlin").
    """
    cleaned = tzid.strip().strip('"').strip("/").strip()
    if not cleaned:
        return None
    known = _known_zones()
    candidates = [cleaned, cleaned.replace(" ", "_"), WINDOWS_TO_OLSON.get(cleaned, "")]
    parts = cleaned.split("/")
    candidates += ["/".join(parts[i:]) for i in range(1, len(parts))]
    for candidate in candidates:
        name = known.get(candidate.lower()) if candidate else None
        if name is not None:
            return name
    return None


class _Zones(ZONEINFO):
    """zoneinfo, plus the names above; broken VTIMEZONEs become 'unknown' instead of errors."""

    def knows_timezone_id(self, tzid: str) -> bool:
        # Known ids are never replaced by the file's VTIMEZONE (see the module docstring).
        return iana_name(tzid) is not None

    def timezone(self, name: str) -> tzinfo | None:
        key = iana_name(name)
        return zoneinfo.ZoneInfo(key) if key else None

    # ZONEINFO's own signature; icalendar's abstract base still shows an older one.
    def create_timezone(self, tz: Any) -> tzinfo:  # type: ignore[override]
        reason = _unusable_rules(tz)
        if reason:  # icalendar would expand the rule with dateutil, maybe forever
            logger.info("ignoring VTIMEZONE %r: %s", str(tz.get("TZID", "")), reason)
            return None  # type: ignore[return-value]
        try:
            return super().create_timezone(tz)
        except Exception as err:  # dateutil's tzical raises many kinds on odd definitions
            logger.info("ignoring unusable VTIMEZONE %r (%s)", str(tz.get("TZID", "")), err)
            # None makes icalendar treat the TZID as unknown: the times stay floating.
            return None  # type: ignore[return-value]


def _unusable_rules(tz: Any) -> str | None:
    """Why the transition rules of a VTIMEZONE cannot be expanded safely, or None.

    Real zones change offsets at most a few times a year, with YEARLY rules. A rule of another
    frequency ("FREQ=SECONDLY;COUNT=999999999" took longer than a minute), with INTERVAL=0
    (endless) or matching no day at all (a walk to the year 9999) makes the zone unusable.
    """
    for part in getattr(tz, "subcomponents", []):
        found = part.get("RRULE")
        for rule in found if isinstance(found, list) else [found]:
            if not isinstance(rule, dict):
                continue  # none, or unreadable: icalendar decides, as before
            freq = str((rule.get("FREQ") or [""])[0]).upper()
            if freq != "YEARLY":
                return f"a transition rule with FREQ={freq or 'nothing'}; expected FREQ=YEARLY"
            if bad_interval(rule) is not None or never_repeats(rule):
                return "a transition rule that never ends or never repeats"
    return None


_PROVIDER = _Zones()


@contextmanager
def file_zones() -> Iterator[None]:
    """Parse one file with our provider and a cache that holds only this file's VTIMEZONEs."""
    with _LOCK:
        tzp.use(_PROVIDER)  # also empties the cache
        try:
            yield
        finally:
            tzp.use_default()


def zone(name: str) -> tzinfo | None:
    """A tzinfo for a name found in a file (X-WR-TIMEZONE), or None when unknown."""
    key = iana_name(name)
    return zoneinfo.ZoneInfo(key) if key else None


def aware(value: date | datetime, local: tzinfo) -> datetime:
    """A timezone-aware datetime: dates start at local midnight, floating times are local."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), tzinfo=local)
    if value.tzinfo is None:
        return value.replace(tzinfo=local)
    return value


def zone_name(value: date | datetime) -> str | None:
    """The IANA name of the zone a value was written in, when it has one."""
    tz = value.tzinfo if isinstance(value, datetime) else None
    key = getattr(tz, "key", None)
    return key if isinstance(key, str) else None
