"""What ``followupd redraft`` asks of Gmail: a draft as it is now, and deleting ours.

* Reading: ``users.drafts.get`` with ``format=raw``, the draft's MIME message as Gmail holds it
  after any edit the user saved (Gmail keeps the draft id across saves; it drops it when the
  draft is sent or deleted, so a 404 means "no draft any more": None). The full grant cannot
  ask this: Gmail refuses the ``full`` and ``raw`` formats to any token that holds
  ``gmail.metadata``, whatever else it holds. So the body is read on a second session whose
  access token carries ``gmail.compose`` alone, refreshed from the stored grant
  (:func:`connectors.google.auth.narrowed`): no new scope, no new consent, and the daemon's own
  calls keep a token that cannot read a body.
* Deleting: ``users.drafts.delete`` (``gmail.compose``; the daemon never calls it). A draft
  already gone (404) is what was asked. Never ``drafts.send``.

A ref found as an already-sent message (``sent:<message id>``) is no draft: None, nothing to
delete.
"""

from __future__ import annotations

import base64
import binascii
import logging
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from connectors.google.auth import DRAFT_BODY_SCOPES
from connectors.google.drafts import SENT_PREFIX
from connectors.google.errors import NotFound
from connectors.google.http import GoogleSession
from daemon.bodytext import message_text
from daemon.errors import InvalidResponse
from daemon.protocols import DraftContent, DraftRef

log = logging.getLogger(__name__)


class GmailRedraft:
    def __init__(self, session: GoogleSession) -> None:
        self.session = session
        self._bodies: GoogleSession | None = None  # the narrowed session, made on first use

    def _body_session(self) -> GoogleSession:
        if self._bodies is None:
            self._bodies = self.session.narrowed(DRAFT_BODY_SCOPES)
        return self._bodies

    def read(self, ref: DraftRef, key: str) -> DraftContent | None:
        if not ref.id or ref.id.startswith(SENT_PREFIX):
            return None
        bodies = self._body_session()
        what = f"Gmail drafts.get of draft {ref.id} (format=raw, for redraft)"
        try:
            draft = bodies.execute(
                bodies.service("gmail").users().drafts().get(userId="me", id=ref.id, format="raw"),
                what,
            )
        except NotFound:
            return None
        message = draft.get("message")
        raw = message.get("raw") if isinstance(message, dict) else None
        if not isinstance(raw, str):
            raise InvalidResponse(f"{what}: no raw message in the answer (the draft for {key})")
        try:
            data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        except (binascii.Error, ValueError) as err:
            raise InvalidResponse(f"{what}: the raw message is not base64url ({err})") from err
        try:
            msg = BytesParser(policy=policy.default).parsebytes(data)
            text = message_text(msg)
        except Exception as err:  # the email package's internals on a hostile message
            raise InvalidResponse(f"{what}: the message could not be parsed ({err})") from err
        return DraftContent(subject=_subject(msg), text=text)

    def delete(self, ref: DraftRef, key: str) -> None:
        if not ref.id or ref.id.startswith(SENT_PREFIX):
            return
        try:
            self.session.execute(
                self.session.service("gmail").users().drafts().delete(userId="me", id=ref.id),
                f"Gmail drafts.delete of draft {ref.id} (redraft)",
                empty=True,
            )
        except NotFound:
            return  # deleted already: what was asked
        log.info("draft %s for %s deleted at the user's request", ref.id, key)


def _subject(msg: EmailMessage) -> str:
    """The Subject decoded (RFC 2047) on one line; the raw value if it cannot be decoded."""
    try:
        value = str(msg.get("Subject") or "")
    except Exception:  # a broken encoded word must not hide the draft
        value = next((str(v) for k, v in msg.raw_items() if k.lower() == "subject"), "")
    return " ".join(value.split())
