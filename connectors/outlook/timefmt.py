"""Graph's date-time shapes, read and written in one place.

Graph writes seven fractional digits ("2026-03-02T15:00:00.0000000"), sometimes a "Z", sometimes
no zone at all with the zone in a sibling ``timeZone`` field. Python reads at most six digits
reliably across versions, so the fraction is cut to microseconds before parsing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse(value: object, zone: str | None = "UTC") -> datetime:
    """An aware datetime from a Graph date-time; ``zone`` applies when the text has none.

    Raises ValueError with what was expected, for the caller to wrap in a BadItem.
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a date-time like 2026-03-02T15:00:00.0000000, got {value!r}")
    text = _FRACTION.sub(r"\1", value.strip())
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"expected a date-time like 2026-03-02T15:00:00.0000000, got {value!r}"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone_info(zone or "UTC"))
    return parsed.astimezone(UTC)


def zone_info(name: str) -> ZoneInfo:
    if name.upper() in ("UTC", "Z", "COORDINATED UNIVERSAL TIME"):
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f'expected times in UTC (followupd asks Graph for outlook.timezone="UTC"), '
            f"got time zone {name!r}"
        ) from None


def iana_or_none(name: object) -> str | None:
    """``name`` when it is an IANA zone; Outlook's Windows zone names give None."""
    if not isinstance(name, str) or "/" not in name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def odata(value: datetime) -> str:
    """A datetime as Graph wants it in $filter and query parameters: UTC with a Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
