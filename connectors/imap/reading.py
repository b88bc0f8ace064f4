"""Fetching header blocks by UID and reading them leniently.

Every fetch PEEKs (``BODY.PEEK[...]``): reading never sets ``\\Seen``, so a reply the user has
not opened stays unread. Headers are read with the Maildir provider's lenient :class:`Head`
(hostile and broken mail already tested there); a block that is no message at all becomes a
:class:`daemon.errors.BadItem` for that message alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesParser
from pathlib import PurePosixPath

from imapclient import IMAPClient

from connectors.maildir.reading import POLICY, Head
from daemon.bodytext import message_text
from daemon.errors import BadItem

HEADER = b"BODY.PEEK[HEADER]"
HEADER_KEY = b"BODY[HEADER]"  # the key the answer comes back under
EXCERPT_BYTES = 65536  # an auto-reply's first part: enough for any out-of-office text
EXCERPT_CHARS = 500
BATCH = 200  # UIDs per FETCH: a long UID set is one long command line


@dataclass(frozen=True)
class Fetched:
    """One message's header block (or why it could not be read), date and flags."""

    uid: int
    label: str  # "INBOX/42" for messages and problems
    head: Head | None
    problem: BadItem | None
    internal: datetime | None
    flags: frozenset[bytes]

    def date(self) -> datetime | None:
        """The Date header, else INTERNALDATE (when the server stored it)."""
        return (self.head.date() if self.head else None) or self.internal


def label(folder: str, uid: int) -> str:
    return f"{folder}/{uid}"


def fetch_heads(client: IMAPClient, folder: str, uids: Iterable[int]) -> list[Fetched]:
    """The header blocks of ``uids`` in the selected ``folder``, in UID order."""
    wanted = sorted(set(uids))
    out: list[Fetched] = []
    for start in range(0, len(wanted), BATCH):
        answer = client.fetch(wanted[start : start + BATCH], [HEADER, b"INTERNALDATE", b"FLAGS"])
        for uid in sorted(answer):
            data = answer[uid]
            out.append(_read(folder, uid, data))
    return out


def _read(folder: str, uid: int, data: dict[bytes, object]) -> Fetched:
    name = label(folder, uid)
    raw = data.get(HEADER_KEY) or b""
    internal = data.get(b"INTERNALDATE")
    when = None
    if isinstance(internal, datetime):
        when = internal if internal.tzinfo else internal.astimezone(UTC)  # naive: local time
    got_flags = data.get(b"FLAGS")
    flags = frozenset(
        f.lower()
        for f in (got_flags if isinstance(got_flags, tuple) else ())
        if isinstance(f, bytes)
    )
    try:
        head = Head.parse(PurePosixPath(name), raw if isinstance(raw, bytes) else b"")  # type: ignore[arg-type]
        return Fetched(uid, name, head, None, when, flags)
    except BadItem as err:
        return Fetched(uid, name, None, err, when, flags)


def excerpt(client: IMAPClient, uid: int) -> str:
    """The first ~500 characters of a message's text, from its first 64 KB (PEEKed); "" when
    none can be read. Asked for auto-replies only: their one use is a return date."""
    part = f"BODY.PEEK[]<0.{EXCERPT_BYTES}>".encode()
    try:
        answer = client.fetch([uid], [part])
        data: dict[bytes, object] = next(iter(answer.values()), {})
        raw = next((v for k, v in data.items() if k.startswith(b"BODY[]")), b"")
        text = message_text(BytesParser(policy=POLICY).parsebytes(raw))  # type: ignore[arg-type]
    except Exception:  # the excerpt is a nicety; the message still counts
        return ""
    return " ".join(text.split())[:EXCERPT_CHARS]


def whole(client: IMAPClient, uid: int) -> bytes | None:
    """The whole message (PEEKed), for ``followupd redraft``'s look at a draft."""
    answer = client.fetch([uid], [b"BODY.PEEK[]"])
    data = answer.get(uid)
    raw = data.get(b"BODY[]") if data else None
    return raw if isinstance(raw, bytes) else None
