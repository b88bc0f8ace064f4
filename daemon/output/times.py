"""One way to show a time to a person: in the configured zone, the zone named once per screen."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local(value: datetime | None, tz: str) -> str:
    """``2026-03-03 12:00`` in ``tz``; "-" for no time."""
    if value is None:
        return "-"
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
