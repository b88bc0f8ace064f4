"""Drafts in an Outlook mailbox over Graph: create (never send), find again by KEY, follow up.

Every draft carries its KEY in a single-value extended property (a fixed GUID, name
``FollowupKey``). Unlike a custom x-header, which Graph accepts only on create and shows only on
received copies, an extended property can be set on a reply draft, survives sending (the sent
item is the same item, with ImmutableId even the same id) and can be searched with the
documented ``$filter`` ``singleValueExtendedProperties/Any(...)``. :meth:`find_draft` uses it,
so a crash between "Graph created it" and "we recorded it" never yields a second draft. The
property is part of the item in the user's mailbox, not a header of its MIME message; nothing
in the headers a recipient receives names followupd (issue 10): no ``X-Followupd-Key`` header
any more (drafts made before still have it), and the deterministic Message-ID is at the user's
domain.

Status inquiries are ``createReply`` drafts on the *sent* thank-you, which keeps Outlook's
threading; because that message is the user's own, Graph would address the reply to the user,
so the recipients are set explicitly (in the createReply call and again by PATCH).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from connectors.outlook import timefmt
from connectors.outlook.http import Graph, NotFound
from connectors.outlook.inbound import Inbound
from connectors.outlook.inbound import message_path as item
from connectors.outlook.lookups import Lookups
from connectors.outlook.redraft import OutlookRedraft
from connectors.outlook.rounds import Rounds
from connectors.outlook.sent import sent_since
from connectors.outlook.shapes import obj, objects, text
from daemon.errors import InvalidResponse
from daemon.message import header_address, one_line
from daemon.protocols import (
    AccountContext,
    Address,
    DraftContent,
    DraftRef,
    DraftRequest,
    DraftState,
    DraftStatus,
    InboundMessages,
    ReplyTarget,
    SentMessages,
)

log = logging.getLogger(__name__)

PROPERTY_SET = "2d61415a-ad25-49fe-930f-c6965b891e7c"  # followupd's own; never change it
KEY_PROPERTY = f"String {{{PROPERTY_SET}}} Name FollowupKey"
FIELDS = "id,isDraft,sentDateTime,parentFolderId,conversationId,internetMessageId,subject"


def literal(text: str) -> str:
    """An OData string literal: single quotes doubled."""
    return "'" + text.replace("'", "''") + "'"


class OutlookMailbox:
    """A :class:`daemon.protocols.Mailbox` over Graph. Never calls a send endpoint."""

    def __init__(self, graph: Graph, ctx: AccountContext, lookups: Lookups | None = None) -> None:
        self._graph = graph
        self._ctx = ctx
        self._lookups = lookups
        self._rounds = Rounds(graph, lookups)
        self._inbound = Inbound(graph, ctx, lookups, self._rounds)
        self._folders: dict[str, str] = {}
        self._redraft = OutlookRedraft(graph, self._by_key, self._deleted_items)

    # -- protocol ----------------------------------------------------------------------------

    def check(self) -> str:
        me = self._inbound.me(fresh=True)
        address = text(me.get("mail")) or text(me.get("userPrincipalName")) or "unknown address"
        who = text(me.get("displayName")) or address
        line = f"Outlook mailbox of {who} <{address}> via {self._graph.base}"
        if address.lower() not in self._ctx.addresses:
            line += (
                f" (note: {address} is not among the addresses of account {self._ctx.name!r}: "
                f"{', '.join(self._ctx.addresses) or 'none'})"
            )
        return line

    def find_draft(self, key: str) -> DraftRef | None:
        found = self._by_key(key)
        if not found:
            return None
        best = next((m for m in found if m.get("isDraft") is False), found[0])
        return self._ref(best, None)

    def create_draft(self, request: DraftRequest) -> DraftRef:
        recipients = [_recipient(a) for a in request.to]
        prop = [{"id": KEY_PROPERTY, "value": request.key}]
        target = request.reply_to
        if target is not None:
            parent = target.provider_id or self._by_message_id(target.message_id)
            if parent:
                try:
                    return self._create_reply(parent, request, recipients, prop)
                except NotFound:
                    # The stored id is stale (moved to an archive mailbox, re-imported): the
                    # Message-ID may still find it; if not, start a new conversation.
                    again = self._by_message_id(target.message_id) if target.message_id else None
                    if again and again != parent:
                        return self._create_reply(again, request, recipients, prop)
            log.warning(
                "the sent message %s is no longer in the mailbox; the draft for %s starts a new "
                "conversation",
                one_line(target.message_id, 120),
                request.key,
            )
        body: dict[str, Any] = {
            "subject": one_line(request.subject, 998),
            "body": _body(request),
            "toRecipients": recipients,
            "singleValueExtendedProperties": prop,
        }
        if request.message_id:
            body["internetMessageId"] = request.message_id
        ref = self._ref(self._graph.post("/me/messages", body), request.message_id)
        self._rounds.drafted(ref.id)
        return ref

    def draft_state(self, ref: DraftRef, key: str) -> DraftState:
        if ref.id and self._rounds.in_drafts(ref.id):
            return DraftState(DraftStatus.DRAFT)  # still in Drafts: no request of its own
        found = (
            self._graph.get(item(ref.id), {"$select": FIELDS}, missing_ok=True) if ref.id else None
        )
        if found is not None and not isinstance(found, dict):
            raise InvalidResponse(
                f"Microsoft Graph answered GET /me/messages/{{id}} for draft {key} with "
                f"{type(found).__name__}, expected a message object"
            )
        if found is None:
            # Gone from where it was: sent under another id, moved out, or deleted for good.
            by_key = self._by_key(key)
            sent = next((m for m in by_key if m.get("isDraft") is False), None)
            if sent is None and not by_key and ref.thread_id:
                sent = self._sent_in_conversation(ref, key)
            if sent is not None:
                return self._sent(sent)
            if not by_key:
                return DraftState(DraftStatus.GONE)
            found = by_key[0]
        if found.get("isDraft") is False:
            return self._sent(found)
        if found.get("parentFolderId") and found.get("parentFolderId") == self._deleted_items():
            return DraftState(DraftStatus.GONE)
        return DraftState(DraftStatus.DRAFT)

    def read_draft(self, ref: DraftRef, key: str) -> DraftContent | None:
        return self._redraft.read(ref, key)

    def delete_draft(self, ref: DraftRef, key: str) -> None:
        self._redraft.delete(ref, key)

    def messages_since(
        self,
        since: datetime,
        senders: Sequence[str],
        domains: Sequence[str],
        cursor: str | None = None,
    ) -> InboundMessages:
        return self._inbound.messages_since(since, senders, domains, cursor)

    def sent_since(
        self, since: datetime, recipients: Sequence[str], domains: Sequence[str]
    ) -> SentMessages:
        return sent_since(self._graph, since, recipients, domains, self._rounds)

    # -- helpers -----------------------------------------------------------------------------

    def _create_reply(
        self, parent: str, request: DraftRequest, recipients: list[Any], prop: list[Any]
    ) -> DraftRef:
        message: dict[str, Any] = {
            "toRecipients": recipients,
            "singleValueExtendedProperties": prop,
        }
        # The plain-text comment, not the HTML body: Graph forbids both together, and only the
        # comment keeps Outlook's quote of the thank-you below it, as a reply should.
        payload: dict[str, Any] = {"message": message, "comment": request.text}
        created = self._graph.post(item(parent) + "/createReply", payload)
        ident = created.get("id") if isinstance(created, dict) else None
        if not ident:
            raise InvalidResponse("Microsoft Graph createReply answered without the new draft's id")
        patch: dict[str, Any] = {"toRecipients": recipients, "singleValueExtendedProperties": prop}
        if request.message_id:
            patch["internetMessageId"] = request.message_id
        updated = self._graph.patch(item(ident), patch)
        final = updated if isinstance(updated, dict) and updated.get("id") else created
        ref = self._ref(final, request.message_id)
        self._rounds.drafted(ref.id)
        return ref

    def _by_key(self, key: str) -> list[dict[str, Any]]:
        flt = (
            f"singleValueExtendedProperties/Any(ep: ep/id eq {literal(KEY_PROPERTY)} "
            f"and ep/value eq {literal(key)})"
        )
        page = self._graph.get("/me/messages", {"$filter": flt, "$select": FIELDS, "$top": "10"})
        what = "messages with a followupd key"
        found = page.get("value") if isinstance(page, dict) else None
        if isinstance(found, list) and not all(
            isinstance(m, dict) and text(m.get("id")) for m in found
        ):
            # "Unreadable" must never pass for "none": that could create a second draft.
            raise InvalidResponse(
                f"Microsoft Graph answered the search for {what} with an entry that is not a "
                "message with an id"
            )
        return _values(page, what)

    def _by_message_id(self, message_id: str) -> str | None:
        flt = f"internetMessageId eq {literal(message_id)}"
        page = self._graph.get("/me/messages", {"$filter": flt, "$select": "id", "$top": "1"})
        found = _values(page, "messages by Message-ID")
        return str(found[0]["id"]) if found and found[0].get("id") else None

    def _sent_in_conversation(self, ref: DraftRef, key: str) -> dict[str, Any] | None:
        page = self._graph.get(
            "/me/messages",
            {
                "$filter": f"conversationId eq {literal(ref.thread_id or '')}",
                "$select": FIELDS,
                "$expand": f"singleValueExtendedProperties($filter=id eq {literal(KEY_PROPERTY)})",
                "$top": "50",
            },
        )
        for message in _values(page, "the conversation"):
            if message.get("isDraft") is not False:
                continue
            props = objects(message.get("singleValueExtendedProperties"))
            if any(p.get("value") == key for p in props):  # written raw, so compared raw
                return message
            # The Message-ID follows from the invitation: anyone can send the user a message
            # carrying it (and joining the conversation). Only Sent Items holds what the user sent.
            if (
                ref.message_id
                and message.get("internetMessageId") == ref.message_id
                and message.get("parentFolderId") == self._sent_items()
            ):
                return message
        return None

    def _deleted_items(self) -> str:
        return self._folder("deleteditems")

    def _sent_items(self) -> str | None:
        return self._folder("sentitems") or None  # unknown: nothing matches it

    def _folder(self, name: str) -> str:
        """The id of a well-known folder ("" when Graph does not say), asked once a day."""
        found = self._folders.get(name)
        if found is None:

            def ask() -> str:
                folder = self._graph.get(f"/me/mailFolders/{name}", {"$select": "id"})
                return text(obj(folder).get("id")) or ""

            key = f"{self._graph.base} folder {name}"
            found = self._lookups.remember(key, ask) if self._lookups else ask()
            self._folders[name] = found = str(found or "")
        return found

    def _sent(self, message: dict[str, Any]) -> DraftState:
        sent_at = None
        if message.get("sentDateTime"):
            try:
                sent_at = timefmt.parse(message["sentDateTime"])
            except ValueError:
                sent_at = None  # the core then records "now"
        return DraftState(
            DraftStatus.SENT,
            sent_at=sent_at,
            sent=ReplyTarget(
                message_id=text(message.get("internetMessageId")) or "",
                thread_id=text(message.get("conversationId")),
                provider_id=text(message.get("id")),
                subject=text(message.get("subject")) or "",
            ),
        )

    @staticmethod
    def _ref(message: Any, message_id: str | None) -> DraftRef:
        if not isinstance(message, dict) or not text(message.get("id")):
            raise InvalidResponse("Microsoft Graph answered a draft request without the draft's id")
        return DraftRef(
            id=message["id"],
            thread_id=text(message.get("conversationId")),
            message_id=text(message.get("internetMessageId")) or message_id,
        )


def _recipient(address: Address) -> dict[str, Any]:
    checked = header_address(address)  # BadItem naming the address when it is not one
    email = f"{checked.username}@{checked.domain}"
    entry: dict[str, Any] = {"address": email}
    if checked.display_name:
        entry["name"] = checked.display_name
    return {"emailAddress": entry}


def _body(request: DraftRequest) -> dict[str, str]:
    if request.html:
        return {"contentType": "HTML", "content": request.html}
    return {"contentType": "Text", "content": request.text}


def _values(page: Any, what: str) -> list[dict[str, Any]]:
    values = page.get("value") if isinstance(page, dict) else None
    if not isinstance(values, list):
        raise InvalidResponse(
            f"Microsoft Graph answered the search for {what} without a 'value' list"
        )
    return objects(values)
