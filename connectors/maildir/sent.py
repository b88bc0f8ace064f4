"""The user's own sent messages to some people or domains, read from the Sent folders.

Only the header block of each file is read, and only files whose raw headers mention one of
the watched addresses or domains are parsed (:func:`connectors.maildir.reading.mentions`): a
Sent folder of years costs one pass of small reads. A file flagged ``D`` (Draft) is a client's
copy of a draft, not something that went out, and is skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import getaddresses

from connectors.maildir.folders import Entry, Folder, entries
from connectors.maildir.reading import Head, mentions, read_head
from daemon.errors import BadItem
from daemon.protocols import SENT_LIMIT, Problem, SentMessage, SentMessages, watched

log = logging.getLogger(__name__)


def sent_since(
    folders: Sequence[Folder],
    since: datetime,
    recipients: Sequence[str],
    domains: Sequence[str],
) -> SentMessages:
    """Messages of ``folders`` sent after ``since`` to a watched address (To or Cc)."""
    people = sorted({r.strip().lower() for r in recipients if r.strip()})
    zones = sorted({d.strip().lower().lstrip("@.") for d in domains if d.strip()})
    result = SentMessages(messages=[])
    needles = [n.encode() for n in people + zones]
    if not needles:
        return result
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    found: dict[str, SentMessage] = {}
    for folder in folders:
        for entry in entries(folder, result.problems):
            if "D" in entry.flags:
                continue
            message = _one(entry, needles, people, zones, since, result.problems)
            if message is not None:
                found.setdefault(message.message_id, message)  # the same copy in two folders
    newest = sorted(found.values(), key=lambda m: m.sent_at, reverse=True)
    result.messages = newest[:SENT_LIMIT]
    return result


def _one(
    entry: Entry,
    needles: list[bytes],
    people: list[str],
    zones: list[str],
    since: datetime,
    problems: list[Problem],
) -> SentMessage | None:
    try:
        data = read_head(entry.path)
        if not mentions(data, needles):
            return None
        head = Head.parse(entry.path, data)
        pairs = getaddresses(head.raw("to") + head.raw("cc"))
        to = [(a.strip().lower(), n) for n, a in pairs if "@" in a]
        if not any(watched(a, people, zones) for a, _ in to):
            return None
        sent_at = head.date() or _mtime(entry)
        message_id = head.message_id()
        if sent_at is None or sent_at < since or not message_id:
            return None
        return SentMessage(
            message_id=message_id,
            sent_at=sent_at,
            recipients=tuple(a for a, _ in to),
            subject=head.text("subject"),
            thread_id=head.thread_id(),
            references=head.references(),
            names=tuple((a, n) for a, n in to if n),
        )
    except FileNotFoundError:
        return None  # moved or deleted by a mail client while we scanned
    except OSError as err:
        problems.append(Problem(str(entry.path), f"cannot read the file: {err.strerror or err}"))
    except BadItem as err:
        problems.append(Problem(err.item, err.message))
    except ValueError as err:  # getaddresses on hostile input
        problems.append(Problem(str(entry.path), f"unreadable To or Cc header ({err})"))
    return None


def _mtime(entry: Entry) -> datetime | None:
    try:
        return datetime.fromtimestamp(entry.path.stat().st_mtime, UTC)
    except OSError:
        return None
