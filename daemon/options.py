"""Configuration schemas as data: every option has a converter, a default and a help string.

Used by :mod:`daemon.config` for the core sections and by every provider for its own tables, so
that all configuration errors look alike: they name the file, the key, what was expected and
what was found, and all of them are reported at once.

A converter is a function ``value -> converted`` that raises :class:`Invalid` with the
expectation ("a duration like '90m' or '2h'") when the value does not fit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MISSING: Any = object()


class Invalid(ValueError):
    """Raised by a converter; the message says what was expected.

    ``found`` replaces the generic description of the value ("a list") when the converter can
    say better what is wrong with it ("all seven days").
    """

    def __init__(self, expected: str, found: str | None = None) -> None:
        super().__init__(expected)
        self.found = found


Converter = Callable[[Any], Any]


@dataclass(frozen=True)
class Option:
    convert: Converter
    default: Any = _MISSING  # _MISSING = required
    help: str = ""
    secret: bool = False  # never shown in logs or error messages

    @property
    def required(self) -> bool:
        return self.default is _MISSING


Schema = Mapping[str, Option]


def describe(value: Any) -> str:
    """How a found value is shown in an error message."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    if isinstance(value, date | time):  # as written in the TOML file, not Python's repr
        return value.isoformat()
    return repr(value)


def validate(
    table: Mapping[str, Any], schema: Schema, where: str, problems: list[str]
) -> dict[str, Any]:
    """Convert ``table`` by ``schema``; append every problem to ``problems``.

    ``where`` prefixes each message, e.g. ``"config.toml: [thank_you]"``. Unknown keys are
    problems too: a typo must not silently fall back to a default.
    """
    out: dict[str, Any] = {}
    for key, value in table.items():
        option = schema.get(key)
        if option is None:
            known = ", ".join(sorted(schema)) or "none"
            problems.append(f"{where}.{key}: unknown key (known keys: {shown(known)})")
            continue
        try:
            out[key] = option.convert(value)
        except Invalid as err:
            # A converter's own ``found`` names no value ("item 2, which is not one"): a secret
            # option may use it; otherwise a secret is only "a value".
            found = err.found or ("a value" if option.secret else describe(value))
            problems.append(f"{where}.{key}: expected {err}, got {found}")
    for key, option in schema.items():
        if key in out or key in table:
            continue
        if option.required:
            problems.append(f"{where}.{key}: missing; expected {option.help or 'a value'}")
        else:
            # Defaults are written as a user would write them ("5m") and converted the same way.
            out[key] = None if option.default is None else option.convert(option.default)
    return out


def shown(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ------------------------------------------------------------------------------------------
# Converters
# ------------------------------------------------------------------------------------------

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s)", re.IGNORECASE)
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
# Every duration is added to "now" somewhere (a due time, a calendar window, a scheduler
# interval); past this, datetime arithmetic overflows long after any value made sense.
MAX_DURATION = timedelta(days=3650)
MAX_DURATION_TEXT = "3650d"


def _seconds(value: Any) -> float:
    """The number of seconds '90m', '2h', '1h30m', '3d', '45s' or '1w' stands for."""
    expected = "a duration like '90m' or '2h'"
    if not isinstance(value, str) or not value.strip():
        raise Invalid(expected)
    text = value.strip().replace(" ", "")
    pos, seconds = 0, 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            raise Invalid(expected)
        seconds += float(match.group(1)) * _UNITS[match.group(2).lower()]
        pos = match.end()
    if pos != len(text) or pos == 0:
        raise Invalid(expected)
    return seconds


def duration(value: Any) -> timedelta:
    """'90m', '2h', '1h30m', '3d', '45s', '1w'; at most :data:`MAX_DURATION`."""
    return duration_at_most(MAX_DURATION, MAX_DURATION_TEXT)(value)


def duration_at_most(limit: timedelta, label: str) -> Converter:
    def convert(value: Any) -> timedelta:
        # Compared as seconds: timedelta() itself overflows on '100000000000w'.
        if _seconds(value) > limit.total_seconds():
            raise Invalid(f"a duration of at most {label}")
        return timedelta(seconds=_seconds(value))

    return convert


def string(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid("a string")
    return value


def non_empty_string(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid("a non-empty string")
    return value


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("true or false")
    return value


def integer_between(low: int, high: int) -> Converter:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Invalid(f"a whole number from {low} to {high}")
        return value

    return convert


def timezone(value: Any) -> str:
    expected = "an IANA time zone like 'Europe/Berlin' or 'America/New_York'"
    if not isinstance(value, str) or not value:
        raise Invalid(expected)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise Invalid(expected) from err
    return value


def path(value: Any) -> Path:
    """A filesystem path; '~' is expanded. Relative paths are resolved by the config loader."""
    if not isinstance(value, str) or not value:
        raise Invalid("a path")
    return Path(value).expanduser()


def url(value: Any) -> str:
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+", value):
        raise Invalid("an http(s) URL like 'https://example.com'")
    return value.rstrip("/")


def iso_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise Invalid("a date like 2026-12-24")


def list_of(convert: Converter, what: str) -> Converter:
    def convert_list(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise Invalid(f"a list of {what}")
        out = []
        for item in value:
            try:
                out.append(convert(item))
            except Invalid as err:
                raise Invalid(f"a list of {what} ({describe(item)} is not {err})") from err
        return out

    return convert_list


def mapping_of(convert: Converter, what: str, names: Callable[[], list[str]]) -> Converter:
    """A table of names to values (``{ google = 8 }``): ``what`` says what a value is, ``names``
    gives the names it may hold (asked when a value is checked)."""

    def convert_mapping(value: Any) -> dict[str, Any]:
        known = names()
        expected = f"a table of {', '.join(known)} to {what}, like {{ {known[0]} = 8 }}"
        if not isinstance(value, dict):
            raise Invalid(expected)
        out = {}
        for key, item in value.items():
            if key not in known:
                raise Invalid(expected, f"{key} = {describe(item)}")
            try:
                out[key] = convert(item)
            except Invalid:
                raise Invalid(expected, f"{key} = {describe(item)}") from None
        return out

    return convert_mapping


def non_empty(convert: Converter, what: str) -> Converter:
    """``convert`` (a list converter), refusing an empty list: ``what`` says what one item is."""

    def convert_non_empty(value: Any) -> list[Any]:
        result = convert(value)
        if not result:
            raise Invalid(f"at least one {what}")
        return result

    return convert_non_empty


def choice(*choices: str) -> Converter:
    def convert(value: Any) -> str:
        if value not in choices:
            raise Invalid("one of " + ", ".join(repr(c) for c in choices))
        return str(value)

    return convert


_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def email(value: Any) -> str:
    if not isinstance(value, str) or not _EMAIL.match(value.strip()):
        raise Invalid("an e-mail address like 'name@example.com'")
    return value.strip().lower()


def domain(value: Any) -> str:
    if not isinstance(value, str) or not re.match(
        r"^[a-z0-9.-]+\.[a-z]{2,}$", value.strip().lower()
    ):
        raise Invalid("a domain like 'example.com'")
    return value.strip().lower()


def regex(value: Any) -> re.Pattern[str]:
    if not isinstance(value, str):
        raise Invalid("a regular expression")
    try:
        return re.compile(value, re.IGNORECASE)
    except re.error as err:
        raise Invalid(f"a valid regular expression ({err})") from err


def table(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid("a table")
    return value
