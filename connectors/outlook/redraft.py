"""What ``followupd redraft`` asks of Outlook: a draft as it is now, and deleting ours.

* Reading: ``GET /me/messages/{id}?$select=subject,body,isDraft,parentFolderId``. The body is
  asked for as HTML (``Prefer: outlook.body-content-type="html"``, in place of the "text" every
  other call prefers) and turned into text by :func:`daemon.bodytext.html_to_text`, the same
  reading a Maildir or Gmail draft without a text part gets. Outlook keeps one body per item:
  a draft followupd wrote with an HTML alternative is stored as that HTML alone, and only our
  own reading of it gives back, to the character, the text followupd wrote beside it; Graph's
  HTML-to-text conversion is its own. A message that is no draft any more (``isDraft`` false:
  sent), or lies in Deleted Items, is None; so is one Graph no longer has (404) and that no
  draft with our KEY property replaces.
* Deleting: ``DELETE /me/messages/{id}``, which moves the draft to Deleted Items as Outlook's
  own delete does (recoverable there; :meth:`OutlookMailbox.draft_state` reads it as GONE). A
  404 is a draft already gone. Mail.ReadWrite, granted already, covers both.

A status inquiry (``createReply``) holds Outlook's quote of the thank-you below our text: it is
part of the draft as the mailbox holds it, so it is returned too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from connectors.outlook.http import PREFER, Graph
from connectors.outlook.inbound import message_path as item
from connectors.outlook.shapes import obj, text
from daemon.bodytext import html_to_text
from daemon.errors import InvalidResponse
from daemon.protocols import DraftContent, DraftRef

log = logging.getLogger(__name__)

FIELDS = "id,subject,body,isDraft,parentFolderId"
HTML_BODY = {"Prefer": PREFER.replace('body-content-type="text"', 'body-content-type="html"')}


class OutlookRedraft:
    def __init__(
        self,
        graph: Graph,
        by_key: Callable[[str], list[dict[str, Any]]],
        deleted_items: Callable[[], str],
    ) -> None:
        self._graph = graph
        self._by_key = by_key
        self._deleted_items = deleted_items

    def read(self, ref: DraftRef, key: str) -> DraftContent | None:
        found = self._draft(ref, key)
        if found is None:
            return None
        body = obj(found.get("body"))
        content = body.get("content")
        if not isinstance(content, str):
            raise InvalidResponse(
                f"Microsoft Graph answered GET /me/messages/{{id}} for the draft {key} without "
                "its body"
            )
        kind = str(body.get("contentType") or "").lower()
        plain = content if kind == "text" else html_to_text(content)
        plain = plain.replace("\r\n", "\n").replace("\r", "\n")
        return DraftContent(
            subject=" ".join((text(found.get("subject")) or "").split()), text=plain
        )

    def delete(self, ref: DraftRef, key: str) -> None:
        found = self._draft(ref, key, body=False)
        if found is None:
            return  # sent, deleted or in Deleted Items already: nothing of ours to delete
        self._graph.request("DELETE", item(str(found["id"])), missing_ok=True)
        log.info("draft %s for %s moved to Deleted Items at the user's request", found["id"], key)

    def _draft(
        self, ref: DraftRef, key: str, body: bool = True, fallback: bool = True
    ) -> dict[str, Any] | None:
        """The draft by its id, else (``fallback``) the draft carrying ``key``; None when it is
        no draft any more (sent, or in Deleted Items)."""
        fields = FIELDS if body else FIELDS.replace(",body", "")
        found: Any = None
        if ref.id:
            found = self._graph.request(
                "GET",
                item(ref.id),
                params={"$select": fields},
                headers=HTML_BODY,
                missing_ok=True,
            )
            if found is not None and not (isinstance(found, dict) and text(found.get("id"))):
                raise InvalidResponse(
                    f"Microsoft Graph answered GET /me/messages/{{id}} for the draft {key} with "
                    "something that is not a message with an id"
                )
        if found is None:  # hard-deleted, or sent under another id: our property tells
            if not fallback:
                return None
            drafts = [m for m in self._by_key(key) if m.get("isDraft") is True]
            drafts = [m for m in drafts if m.get("parentFolderId") != self._deleted_items()]
            if not drafts:
                return None
            return self._draft(DraftRef(id=str(drafts[0]["id"])), key, body, fallback=False)
        if not isinstance(found.get("isDraft"), bool):
            raise InvalidResponse(
                f"Microsoft Graph answered GET /me/messages/{{id}} for the draft {key} without "
                "saying whether it is still a draft (isDraft)"
            )
        if not found["isDraft"]:
            return None
        if found.get("parentFolderId") and found.get("parentFolderId") == self._deleted_items():
            return None
        return found
