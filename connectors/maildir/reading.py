"""Read one message file: its header block alone, and a text excerpt only when needed.

A poll looks at every file of the watched folders, so the common path reads just the header
block (up to the first blank line) and parses it with ``BytesHeaderParser``; bodies are parsed
only for the few messages that match. Real mail is messy (CR-only line endings, a leading mbox
``From`` line, 8-bit headers, undecodable charsets): anything that keeps a file from being an
e-mail message becomes :class:`daemon.errors.BadItem`, never an exception from the ``email``
package.

:func:`parse_inbound` is the whole path from file to :class:`InboundMessage`; the connector
runs the same steps with its filters in between, and the corpus test calls it directly.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.policy import EmailPolicy
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from daemon.autoreply import is_auto_reply
from daemon.bodytext import message_text
from daemon.errors import BadItem
from daemon.files import open_regular
from daemon.protocols import KEY_HEADER, DraftContent, InboundMessage

log = logging.getLogger(__name__)

HEAD_LIMIT = 256 * 1024  # a header block larger than this is not worth reading further
BODY_LIMIT = 2 * 1024 * 1024  # enough for the text part of any real reply
EXCERPT_CHARS = 500
EXPECTED = "expected an RFC 5322 e-mail message"
_HEADER_END = re.compile(rb"\r\n\r\n|\n\r?\n|\r\r")
# The email package's header parsers are quadratic in a value's length: a 100 KB Content-Type
# took 29 s, a 200 KB Subject of short words 11 s, on every poll. No header we read needs more,
# except our KEY: up to 998 characters, RFC 2047-encoded when not ASCII (about 5.4 KB).
VALUE_LIMIT = 2048
KEY_VALUE_LIMIT = 8192


class _BoundedPolicy(EmailPolicy):
    """``policy.default``, but a header value is parsed from its first characters only."""

    def header_fetch_parse(self, name: str, value: str) -> object:
        limit = KEY_VALUE_LIMIT if name.lower() == KEY_HEADER.lower() else VALUE_LIMIT
        return super().header_fetch_parse(name, value[:limit])


POLICY = _BoundedPolicy()
_MSGID = re.compile(r"<[^<>\s]+>")


def read_head(path: Path) -> bytes:
    """The bytes of the header block, including the blank line that ends it.

    Regular files only (:func:`open_regular`): anything else raises an OSError instead of
    blocking, whoever calls this.
    """
    data = b""
    with open_regular(path, follow_symlinks=False) as fh:
        while len(data) < HEAD_LIMIT:
            chunk = fh.read(16384)
            if not chunk:
                break
            start = max(0, len(data) - 3)
            data += chunk
            end = _HEADER_END.search(data, start)
            if end:
                return data[: end.end()]
    return data


def _unfold(value: str) -> str:
    """One line of text; undecoded 8-bit bytes (surrogate escapes) read as UTF-8, NUL as U+FFFD.

    Surrogates must not leave this module: they cannot be encoded, so a Message-ID or address
    holding one would fail later, far from here, when the core stores it.
    """
    text = str(value).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = text.replace("\x00", "\ufffd")  # PostgreSQL cannot store NUL in text
    return re.sub(r"(?:\r\n|\r|\n)(?=[ \t])", "", text).strip()


@dataclass
class Head:
    """The parsed header block of one file, with lenient accessors for the fields we use."""

    path: Path
    msg: EmailMessage

    @classmethod
    def parse(cls, path: Path, data: bytes) -> Head:
        try:
            msg = BytesHeaderParser(policy=POLICY).parsebytes(data)
        except Exception as err:  # the email package's internals on hostile input
            raise BadItem(str(path), f"{EXPECTED}: the header parser failed ({err})") from err
        if not any(True for _ in msg.raw_items()):
            raise BadItem(str(path), f"{EXPECTED}: no header lines found at the start of the file")
        return cls(path, msg)  # type: ignore[arg-type]

    def raw(self, name: str) -> list[str]:
        name = name.lower()
        return [_unfold(v) for k, v in self.msg.raw_items() if k.lower() == name]

    def text(self, name: str) -> str:
        """A header decoded for display (RFC 2047, 8-bit); the raw value if decoding fails."""
        try:
            value = self.msg.get(name)
            return "" if value is None else _unfold(" ".join(str(value).split()))
        except Exception:  # a broken encoded-word must not lose the message
            raw = self.raw(name)
            return raw[0] if raw else ""

    def sender(self) -> str:
        """The From address, lower-cased; BadItem when there is none."""
        values = [value[:VALUE_LIMIT] for value in self.raw("from")]
        if not values:
            raise BadItem(str(self.path), f"{EXPECTED}: it has no From header")
        try:
            pairs = getaddresses(values)
        except Exception as err:
            raise BadItem(str(self.path), f"{EXPECTED}: unreadable From header ({err})") from err
        for _, address in pairs:
            local, at, domain = address.strip().rpartition("@")
            if at and local and "." in domain and not re.search(r"[\s<>]", address):
                return address.strip().lower()
        shown = values[0][:100]
        raise BadItem(
            str(self.path),
            f"{EXPECTED}: its From header {shown!r} holds no address like name@example.com",
        )

    def message_id(self) -> str | None:
        for value in self.raw("message-id"):
            found = _MSGID.search(value)
            if found:
                return found.group(0)
            if value.strip():
                return value.strip()
        return None

    def recipients(self) -> list[str]:
        """The To and Cc addresses, lower-cased (unreadable values are skipped)."""
        values = [v[:VALUE_LIMIT] for name in ("to", "cc") for v in self.raw(name)]
        try:
            pairs = getaddresses(values)
        except Exception:  # a broken address list must not lose the message
            return []
        return [a.strip().lower() for _, a in pairs if "@" in a]

    def in_reply_to(self) -> tuple[str, ...]:
        return tuple(m for v in self.raw("in-reply-to") for m in _MSGID.findall(v))

    def references(self) -> tuple[str, ...]:
        return tuple(ref for value in self.raw("references") for ref in _MSGID.findall(value))

    def thread_id(self) -> str | None:
        """The thread root: the first References entry, else In-Reply-To, else our own id.

        Replies to a message name it first in References, so a conversation started by the
        user's thank-you and every answer to it share the thank-you's Message-ID as thread id.
        """
        refs = self.references()
        if refs:
            return refs[0]
        parent = [m for v in self.raw("in-reply-to") for m in _MSGID.findall(v)]
        return parent[0] if parent else self.message_id()

    def date(self) -> datetime | None:
        for value in self.raw("date"):
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError, OverflowError):
                continue
            return when if when.tzinfo else when.replace(tzinfo=UTC)
        return None

    def key(self) -> str | None:
        """The legacy X-Followupd-Key header of a draft made before issue 10 (decoded, in case
        a client re-encoded it)."""
        if not self.raw(KEY_HEADER):
            return None
        return self.text(KEY_HEADER).strip() or None


def mentions(head: bytes, needles: list[bytes]) -> bool:
    """Cheap pre-filter: do the raw header bytes contain any needle (lower-case)?

    Addresses are never RFC 2047-encoded, so a message from ``jane@example.com`` has that
    text in its header block; most files of a large folder are skipped without parsing.
    """
    low = head.lower()
    return any(needle in low for needle in needles)


def excerpt(path: Path) -> str:
    """The first ~500 characters of the text (plain preferred, else HTML as text); "" if none."""
    try:
        with open_regular(path, follow_symlinks=False) as fh:
            msg = BytesParser(policy=POLICY).parsebytes(fh.read(BODY_LIMIT))
        text = message_text(msg)  # type: ignore[arg-type]
    except Exception as err:  # the excerpt is a nicety; the message still counts
        log.debug("no excerpt from %s: %s", path, err)
        return ""
    return " ".join(text.split())[:EXCERPT_CHARS]


def draft_content(path: Path) -> DraftContent:
    """The subject and text of a draft file (:func:`daemon.bodytext.message_text`). The whole
    file is read (up to :data:`BODY_LIMIT`): unlike a reply, a draft of ours is asked about on
    request only.

    OSError when the file cannot be read (FileNotFoundError: a client moved it meanwhile);
    BadItem when it is no e-mail message.
    """
    with open_regular(path, follow_symlinks=False) as fh:
        data = fh.read(BODY_LIMIT)
    head = Head.parse(path, data)  # BadItem for a file that is no message at all
    try:
        text = message_text(BytesParser(policy=POLICY).parsebytes(data))  # type: ignore[arg-type]
    except Exception as err:  # the email package's internals on hostile input
        raise BadItem(str(path), f"{EXPECTED}: its body could not be parsed ({err})") from err
    return DraftContent(subject=head.text("subject"), text=text)


def to_inbound(head: Head, message_key: str, sender: str, received: datetime) -> InboundMessage:
    """The InboundMessage for a file whose header block matched.

    The body is read (for the excerpt) only for auto-replies: the excerpt's one use is finding
    an out-of-office return date, and skipping bodies keeps a scan cheap even when many
    messages match. ``id`` is the Message-ID when there is one: unlike the Maildir key it
    survives the message being moved or copied to another folder, so the same reply in INBOX
    and in an archive counts once.
    """
    subject = head.text("subject")
    automated = is_auto_reply(head.msg, subject)
    return InboundMessage(
        id=head.message_id() or f"maildir:{message_key}",
        sender=sender,
        received_at=received,
        subject=subject,
        thread_id=head.thread_id(),
        auto_reply=automated,
        excerpt=excerpt(head.path) if automated else "",
    )


def parse_inbound(path: Path, message_key: str | None = None) -> InboundMessage:
    """File -> InboundMessage, or BadItem naming the file and what was expected."""
    try:
        data = read_head(path)
        mtime = path.stat().st_mtime
    except OSError as err:
        raise BadItem(str(path), f"cannot read the file: {err.strerror or err}") from err
    head = Head.parse(path, data)
    sender = head.sender()
    received = head.date() or datetime.fromtimestamp(mtime, UTC)
    return to_inbound(head, message_key or path.name, sender, received)
