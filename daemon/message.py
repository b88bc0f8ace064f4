"""Build the RFC 5322 message for a draft with the stdlib ``email`` package.

Shared by every mailbox that stores raw messages (Maildir, Gmail). Event titles and attendee
names come from strangers, so every header value is flattened to one line of printable text
before it reaches a header, and an address must be one plain ``local@domain`` (see
:func:`header_address`). Non-ASCII names and subjects are RFC 2047-encoded by the ``email``
package itself.

The ``email`` package decodes RFC 2047 encoded-words in every value assigned to a header, and
Pythons without the fixes for CPython gh-121650 and gh-144125 (the 3.11.7 used here) then write
what they decode to verbatim: a title ``=?utf-8?q?=0D=0ABcc:_x@evil.test?=`` added a Bcc header
to the draft; fixed Pythons raise instead. So every value is decoded the way the package will
read it and flattened again until it reads back as itself (:func:`header_text`,
:func:`display_name`).

Nothing in the message names followupd (issue 10): no KEY header, no ``@followupd.invalid``.
The Message-ID, derived from the KEY by a hash at the user's own domain, is what lets a
mailbox find the draft again after a crash (:func:`message_id_for`); the KEY itself stays where
only the user's mailbox sees it (a Graph extended property, the connectors' records in the
state dir).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from email import policy
from email.errors import MessageError
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.utils import format_datetime

from daemon.errors import BadItem
from daemon.protocols import KEY_HEADER, Address, DraftRequest  # KEY_HEADER: legacy drafts

# C0/C1 controls, line and paragraph separators, and bidi overrides/isolates.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")
# Lone surrogates (undecodable bytes escaped by a decoder) cannot be encoded as UTF-8 at all.
_SURROGATES = re.compile(r"[\ud800-\udfff]")
# A dot-atom local part (RFC 5322 3.2.3): no quoted strings, comments or obsolete forms.
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
MAX_HEADER_TEXT = 300

# Fold only past RFC 5322's hard limit: the default 78 would RFC 2047-encode a long key header
# (it has no spaces to fold at), and a mailbox must find the key again by plain comparison.
POLICY = policy.default.clone(max_line_length=998)


def one_line(text: str, limit: int = MAX_HEADER_TEXT) -> str:
    """Header-safe text: no CR/LF or other controls, no bidi overrides, bounded length."""
    flat = " ".join(_UNSAFE.sub(" ", without_surrogates(text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def without_surrogates(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD, so that it can be encoded as UTF-8."""
    return _SURROGATES.sub("\ufffd", text)


def _stable(text: str, limit: int, read: Callable[[str], str]) -> str:
    """``one_line(text)`` changed until ``read`` (how the ``email`` package will read it back)
    returns it unchanged: encoded-words are decoded here, and what they decode to flattened.

    Each round removes one level of encoding, so a few rounds suffice; text that never settles
    or that the package cannot read gets its ``=?`` broken up, or is dropped as a last resort.
    """
    flat = one_line(text, limit)
    for _ in range(8):
        try:
            again = read(flat)
        except (ValueError, IndexError, MessageError):
            break
        if again == flat:
            return flat
        flat = one_line(again, limit)
    flat = one_line(flat.replace("=?", "= ?"), limit)
    try:
        return flat if read(flat) == flat else ""
    except (ValueError, IndexError, MessageError):
        return ""


def _written(name: str, value: str) -> str:
    """What a parser reads back from header ``name: value`` as ``as_bytes()`` writes it.

    Writing may fold the value into several lines, and CPython's folder sometimes drops a space
    between two encoded-words at a fold (3.11), so the round trip includes the fold. A value
    that cannot be written at all (non-ASCII in a Message-ID) raises UnicodeEncodeError here.
    """
    stored = POLICY.header_store_parse(name, value)[1]
    folded = POLICY.fold_binary(name, stored).decode("ascii").partition(":")[2]
    return "".join(folded.splitlines()).lstrip(" \t")


def _read_display_name(value: str) -> str:
    formatted = str(HeaderAddress(display_name=value, username="x", domain="example.invalid"))
    found = POLICY.header_factory("to", _written("to", formatted)).addresses
    if len(found) != 1:
        raise ValueError("the display name reads back as another number of addresses")
    return str(found[0].display_name)


@functools.lru_cache(maxsize=4096)
def header_text(text: str, limit: int = MAX_HEADER_TEXT, name: str = "subject") -> str:
    """Text for header ``name``: ``one_line``, and read back as itself once written.

    Cached, as :func:`display_name`: a pure function of its arguments, and the ``email``
    package's round trips cost about a millisecond for every draft of a busy first poll."""

    def read(value: str) -> str:
        return str(POLICY.header_factory(name, _written(name, value)))

    return _stable(text, limit, read)


@functools.lru_cache(maxsize=4096)
def display_name(text: str) -> str:
    """A display name that reads back as itself from an address header (cached: the user's
    own name and the interviewers' recur in every draft)."""
    return _stable(text, MAX_HEADER_TEXT, _read_display_name)


@functools.lru_cache(maxsize=1024)
def key_value(key: str) -> str:
    """The legacy KEY header's value for ``key`` as drafts made before issue 10 carry it.

    Usually ``key`` itself; a mailbox that recognises such drafts compares with this (see
    :func:`names_key`), so that a key the header could not hold verbatim still finds its
    draft. Cached: a mailbox scan asks for the same few keys over and over. New drafts carry
    no KEY header at all (a recipient would see it): see :func:`message_id_for`.
    """
    return header_text(key, 998, KEY_HEADER)


def names_key(value: str | None, key: str) -> bool:
    """Whether a legacy KEY header read back from a mailbox (``value``) belongs to ``key``.

    True for ``key`` verbatim and for :func:`key_value` of it: a key with runs of spaces,
    controls or ``=?`` is written changed, and comparing with the key alone would not find the
    draft again after a crash and create a second one. Every mailbox that reads our header
    back compares through here, so they cannot disagree on what "ours" means.
    """
    if value is None or not value.strip():
        return False
    value = value.strip()
    return value == key or value == key_value(key)


LEGACY_DOMAIN = "followupd.invalid"  # Message-IDs of drafts made before issue 10


def message_token(key: str) -> str:
    """The left part of the Message-ID of ``key``'s draft: a hash, shaped like a UUID.

    Derived from the KEY alone, so a mailbox can find the draft again after a crash (even after
    the database is lost) without anything but the KEY. A hash reveals neither the interviewer
    nor followupd, and the UUID shape is what Thunderbird and many other clients write.
    """
    h = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
FALLBACK_DOMAIN = "localhost"  # for a sender without a usable domain (never followupd's)


def sender_domain(address: str) -> str | None:
    """The domain part of ``address``, lower-cased and in IDNA form (as :func:`header_address`
    writes it); None when it has none that a Message-ID can hold."""
    local, at, domain = address.strip().rpartition("@")
    domain = domain.strip().lower()
    if not at or not local or not domain:
        return None
    try:
        domain = domain if domain.isascii() else domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return domain if _DOT_ATOM.fullmatch(domain) else None


def draft_key(key: str, revision: int = 0) -> str:
    """The key of a follow-up's draft in the mailbox: the follow-up's own KEY for its first
    draft, marked with the revision for each redraft (``followupd redraft``), so that every
    revision has its own Message-ID and is found again, exactly once, after a crash."""
    return key if not revision else f"{key}#r{revision}"


def message_id_for(key: str, sender: str) -> str:
    """The deterministic Message-ID of ``key``'s draft, at the domain of ``sender`` (the user's
    own address): it reads like any message the user writes, and names no tool."""
    return f"<{message_token(key)}@{sender_domain(sender) or FALLBACK_DOMAIN}>"


def legacy_message_id(key: str) -> str:
    """The Message-ID drafts carried before issue 10 (users upgrading still have them)."""
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"<{digest}@{LEGACY_DOMAIN}>"


def message_ids_for(key: str, addresses: Iterable[str]) -> list[str]:
    """Every Message-ID a draft of ``key`` may carry: one per domain of the user's
    ``addresses`` (the sender is one of them), then the legacy one."""
    ids: list[str] = []
    for address in addresses:
        domain = sender_domain(address)
        mid = f"<{message_token(key)}@{domain}>" if domain else None
        if mid and mid not in ids:
            ids.append(mid)
    ids.append(legacy_message_id(key))
    return ids


def is_message_id_of(message_id: str | None, key: str) -> bool:
    """Whether ``message_id`` is the one a draft of ``key`` was given, at any domain (the
    user may have changed their first address since), or the legacy one."""
    if not message_id:
        return False
    mid = message_id.strip()
    left, at, _ = mid.strip("<>").partition("@")
    return bool(at and left.lower() == message_token(key)) or mid == legacy_message_id(key)


def header_address(address: Address) -> HeaderAddress:
    """``address`` for a header; BadItem unless it is one plain ``local@domain`` address.

    Checked with the ``email`` package's own addr-spec parser, and then required to be exactly
    the text given: ``a@b>, x@evil.test`` would otherwise add a recipient, ``a(c)@b`` lose a
    comment. Quoted local parts are refused; so are non-ASCII ones, which need SMTPUTF8 (the
    package would RFC 2047-encode them, which RFC 2047 5.(3) forbids inside an address). A
    non-ASCII domain is written in its IDNA (``xn--``) form for the same reason, which also
    shows a look-alike domain for what it is.
    """
    text = address.email.strip()
    try:
        local, at, domain = text.rpartition("@")
        if not at or not _LOCAL_PART.fullmatch(local) or _UNSAFE.search(domain):
            raise ValueError("not a plain local@domain address")
        if not domain.isascii():
            domain = domain.encode("idna").decode("ascii")
        parsed = HeaderAddress(addr_spec=f"{local}@{domain}")
        if (parsed.username, parsed.domain) != (local, domain):
            raise ValueError("the address reads back as another one")
        return HeaderAddress(
            display_name=display_name(address.name or ""), username=local, domain=domain
        )
    except (ValueError, IndexError, MessageError) as err:  # UnicodeError is a ValueError
        raise BadItem(
            repr(address.email), "expected an e-mail address like name@example.com"
        ) from err


def draft_message_id(request: DraftRequest) -> str:
    """The Message-ID the draft of ``request`` carries: ``request.message_id`` when it is one
    derived from the KEY (and can be written as given), else :func:`message_id_for`.

    A mailbox finds a draft again by its KEY alone (after a crash, even with the database
    lost), so a Message-ID not derived from it would leave the draft unfindable and bring a
    second one: never written.
    """
    given = header_text(request.message_id or "", 998, "message-id")
    if (
        given
        and given == (request.message_id or "").strip()
        and is_message_id_of(given, request.key)
    ):
        return given
    return message_id_for(request.key, request.sender.email)


def build_message(request: DraftRequest, date: datetime | None = None) -> EmailMessage:
    """The complete message for ``request``: plain text, optional HTML alternative, threading."""
    msg = EmailMessage(policy=POLICY)
    msg["From"] = header_address(request.sender)
    msg["To"] = [header_address(a) for a in request.to]
    msg["Subject"] = header_text(request.subject, 998, "subject")
    if date is not None:
        msg["Date"] = format_datetime(date)
    msg["Message-ID"] = draft_message_id(request)
    if request.reply_to is not None:
        parent = header_text(request.reply_to.message_id, 998, "in-reply-to")
        refs = [one_line(r, 998) for r in request.reply_to.references if r]
        if parent not in refs:
            refs.append(parent)
        msg["In-Reply-To"] = parent
        msg["References"] = header_text(" ".join(refs), 998 * 8, "references")
    msg.set_content(without_surrogates(request.text), subtype="plain", charset="utf-8")
    if request.html:
        msg.add_alternative(without_surrogates(request.html), subtype="html", charset="utf-8")
    return msg
