"""Build the RFC 5322 message for a draft with the stdlib ``email`` package.

Shared by every mailbox that stores raw messages (Maildir, Gmail). Event titles and attendee
names come from strangers, so every header value is flattened to one line of printable text
before it reaches a header, and addresses go through ``email.headerregistry.Address``, which
rejects anything that is not an address. Non-ASCII names and subjects are RFC 2047-encoded by the
``email`` package itself.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email import policy
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from daemon.errors import BadItem
from daemon.protocols import KEY_HEADER, Address, DraftRequest

# C0/C1 controls, line and paragraph separators, and bidi overrides/isolates.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")
MAX_HEADER_TEXT = 300

# Fold only past RFC 5322's hard limit: the default 78 would RFC 2047-encode a long key header
# (it has no spaces to fold at), and a mailbox must find the key again by plain comparison.
POLICY = policy.default.clone(max_line_length=998)


def one_line(text: str, limit: int = MAX_HEADER_TEXT) -> str:
    """Header-safe text: no CR/LF or other controls, no bidi overrides, bounded length."""
    flat = " ".join(_UNSAFE.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def message_id_for(key: str, domain: str = "followupd.invalid") -> str:
    """A deterministic Message-ID for a KEY, so the same draft always has the same id."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def header_address(address: Address) -> HeaderAddress:
    try:
        local, _, dom = address.email.partition("@")
        if not local or not dom or _UNSAFE.search(address.email):
            raise ValueError("not an address")
        return HeaderAddress(display_name=one_line(address.name or ""), username=local, domain=dom)
    except (ValueError, IndexError) as err:
        raise BadItem(
            repr(address.email), "expected an e-mail address like name@example.com"
        ) from err


def build_message(request: DraftRequest, date: datetime | None = None) -> EmailMessage:
    """The complete message for ``request``: plain text, optional HTML alternative, threading."""
    msg = EmailMessage(policy=POLICY)
    msg["From"] = header_address(request.sender)
    msg["To"] = [header_address(a) for a in request.to]
    msg["Subject"] = one_line(request.subject, 998)
    if date is not None:
        msg["Date"] = format_datetime(date)
    msg["Message-ID"] = request.message_id or make_msgid(domain="followupd.invalid")
    msg[KEY_HEADER] = one_line(request.key, 998)
    if request.reply_to is not None:
        parent = one_line(request.reply_to.message_id, 998)
        refs = [one_line(r, 998) for r in request.reply_to.references if r]
        if parent not in refs:
            refs.append(parent)
        msg["In-Reply-To"] = parent
        msg["References"] = " ".join(refs)
    msg.set_content(request.text, subtype="plain", charset="utf-8")
    if request.html:
        msg.add_alternative(request.html, subtype="html", charset="utf-8")
    return msg
