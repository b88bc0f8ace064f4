"""Read Gmail message resources fetched with ``format=metadata`` (headers, labels, dates).

Only headers are ever fetched (the ``gmail.metadata`` scope cannot see bodies), so this is the
whole of what followupd knows about a message.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

from daemon.errors import BadItem
from daemon.protocols import ReplyTarget


def header_pairs(message: dict[str, Any]) -> list[tuple[str, str]]:
    payload = message.get("payload") if isinstance(message, dict) else None
    headers = payload.get("headers") if isinstance(payload, dict) else None
    out = []
    for entry in headers if isinstance(headers, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            out.append((entry["name"], str(entry.get("value") or "")))
    return out


def header(message: dict[str, Any], name: str) -> str | None:
    wanted = name.lower()
    for key, value in header_pairs(message):
        if key.lower() == wanted:
            return value
    return None


def decoded(value: str | None) -> str:
    """Header text for people: Gmail shows values decoded, but an encoded word may remain."""
    if not value or "=?" not in value:
        return value or ""
    try:
        return str(make_header(decode_header(value)))
    except (HeaderParseError, LookupError, ValueError):
        return value


def as_headers(message: dict[str, Any]) -> Message:
    """The headers as an ``email.message.Message`` (keeps repeated headers, no parsing)."""
    parsed = Message()
    for key, value in header_pairs(message):
        parsed[key] = value
    return parsed


def labels(message: dict[str, Any]) -> set[str]:
    found = message.get("labelIds") if isinstance(message, dict) else None
    return {x for x in found if isinstance(x, str)} if isinstance(found, list) else set()


def internal_date(message: dict[str, Any]) -> datetime:
    """When Gmail accepted (or the user sent) the message; more reliable than the Date header."""
    value = message.get("internalDate") if isinstance(message, dict) else None
    try:
        return datetime.fromtimestamp(int(str(value)) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError) as err:
        raise BadItem(
            f"Gmail message {message.get('id') if isinstance(message, dict) else '?'}",
            f"expected internalDate in epoch milliseconds, got {value!r}",
        ) from err


def message_ids(value: str | None) -> tuple[str, ...]:
    """The ``<...>`` ids of a References / In-Reply-To header, in order."""
    out: list[str] = []
    for part in (value or "").replace(">", "> ").split():
        part = part.strip()
        if part.startswith("<") and part.endswith(">") and len(part) > 2:
            out.append(part)
    return tuple(out)


def reply_target(message: dict[str, Any]) -> ReplyTarget | None:
    """What a later status inquiry needs to reply to this (sent) message in its thread."""
    mid = (header(message, "Message-ID") or "").strip()
    if not mid:
        return None
    return ReplyTarget(
        message_id=mid,
        thread_id=id_text(message.get("threadId")),
        provider_id=id_text(message.get("id")),
        subject=decoded(header(message, "Subject")),
        references=message_ids(header(message, "References")),
    )


def id_text(value: object) -> str | None:
    """An id as Google sends it (a non-empty string), or None for anything else."""
    return value if isinstance(value, str) and value else None
