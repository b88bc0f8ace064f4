"""The caldav cursor: what the next poll needs to ask "anything new?" in one request per
calendar, as JSON in the opaque string the core stores::

    {"v": 1, "for": "<settings fingerprint>",
     "since": "2026-11-06T10:00:00+00:00", "until": "2027-03-07T10:00:00+00:00",
     "calendars": [{"url": "https://.../work/", "name": "Work",
                    "token": "<sync token>", "ctag": null, "etags": null,
                    "keys": {"https://.../work/a.ics": ["uid-a"]}}]}

``since``/``until`` is the span the last full read covered; ``keys`` are the event keys of each
resource read then, so that a resource the server reports deleted names the events to remove.
The calendars' URLs are kept too: an idle poll needs no discovery.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

log = logging.getLogger(__name__)

VERSION = 1


@dataclass
class CalendarMarks:
    url: str
    name: str
    token: str | None = None  # RFC 6578 sync token
    ctag: str | None = None  # CalendarServer ctag, when there is no sync token
    etags: str | None = None  # digest of the members' ETags, when there is neither
    keys: dict[str, list[str]] = field(default_factory=dict)  # href -> event keys


@dataclass
class Cursor:
    setup: str  # Settings.fingerprint: another server, login or choice makes it useless
    since: datetime
    until: datetime
    calendars: list[CalendarMarks]

    def dump(self) -> str:
        return json.dumps(
            {
                "v": VERSION,
                "for": self.setup,
                "since": self.since.isoformat(),
                "until": self.until.isoformat(),
                "calendars": [vars(marks) for marks in self.calendars],
            },
            separators=(",", ":"),
            sort_keys=True,
        )

    @classmethod
    def load(cls, text: str | None, setup: str) -> Cursor | None:
        """The cursor, or None when there is none or it cannot be used (another version or
        setup, damaged): the caller then reads everything again, which loses nothing."""
        if not text:
            return None
        try:
            raw: Any = json.loads(text)
            if raw.get("v") != VERSION or raw.get("for") != setup:
                return None
            return cls(
                setup=setup,
                since=datetime.fromisoformat(raw["since"]),
                until=datetime.fromisoformat(raw["until"]),
                calendars=[
                    CalendarMarks(
                        url=str(c["url"]),
                        name=str(c["name"]),
                        token=c.get("token"),
                        ctag=c.get("ctag"),
                        etags=c.get("etags"),
                        keys={str(k): [str(x) for x in v] for k, v in c.get("keys", {}).items()},
                    )
                    for c in raw["calendars"]
                ],
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            log.info("caldav: the stored cursor is unreadable; reading everything again")
            return None
