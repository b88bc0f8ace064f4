"""The ``calendar = { provider = "caldav", ... }`` options as data, and what they resolve to.

Imported by the config (for the schema) without loading requests.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from daemon import options as o
from daemon.passwords import SOURCE_OPTIONS, PasswordSource, validate_source


def base_url(value: Any) -> str:
    """An http(s) URL; the path is kept with a trailing slash (WebDAV collections end in one,
    and a server may answer the path without it with a redirect a PROPFIND cannot follow)."""
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+(/\S*)?$", value.strip()):
        raise o.Invalid("an http(s) URL like 'https://caldav.fastmail.com/' ")
    text = value.strip()
    return text if text.endswith("/") else text + "/"


def seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 600:
        raise o.Invalid("a number of seconds from 1 to 600")
    return float(value)


CALENDAR_OPTIONS: o.Schema = {
    "url": o.Option(
        base_url,
        help="the server's CalDAV address, e.g. 'https://caldav.fastmail.com/' or "
        "'https://caldav.icloud.com/' (its /.well-known/caldav is tried too)",
    ),
    "username": o.Option(o.non_empty_string, help="the login name, usually your address"),
    **SOURCE_OPTIONS,
    "calendars": o.Option(
        o.list_of(o.non_empty_string, "calendar names or URLs"),
        [],
        "calendars to read, by name ('Work') or URL; default: every calendar that holds events",
    ),
    "ca_bundle": o.Option(o.path, None, "a PEM file of CA certificates (self-hosted servers)"),
    "timeout": o.Option(seconds, 30.0, "seconds to wait for the server's answer"),
}


def validate_options(side: str, options: dict[str, Any], where: str, problems: list[str]) -> None:
    """Exactly one password source (the schema cannot say it)."""
    if side == "calendar":
        validate_source(options, where, problems)


@dataclass(frozen=True)
class Settings:
    account: str
    url: str
    username: str
    password: PasswordSource
    calendars: tuple[str, ...]
    ca_bundle: Path | None
    timeout: float

    @classmethod
    def from_options(cls, account: str, options: dict[str, Any]) -> Settings:
        where = f"account {account!r}: calendar (caldav)"
        return cls(  # the config filled every default in
            account=account,
            url=options["url"],
            username=options["username"],
            password=PasswordSource.from_options(options, where),
            calendars=tuple(options.get("calendars") or ()),
            ca_bundle=options.get("ca_bundle"),
            timeout=float(options.get("timeout") or 30.0),
        )

    def fingerprint(self, timezone: str) -> str:
        """What a cursor was made for: another server, login, choice of calendars or time zone
        (it gives floating times their meaning) makes it useless."""
        parts = (self.url, self.username, "\0".join(self.calendars), timezone)
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
