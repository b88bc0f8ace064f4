"""Replies from the company: messages received since a time from watched senders or domains.

Graph cannot filter by sender domain, so the list is filtered by ``receivedDateTime`` on the
server and by sender here. ``$orderby=receivedDateTime desc`` is allowed only because
``receivedDateTime`` leads the ``$filter`` (otherwise Graph answers ``InefficientFilter``).
Headers are costly, so they are fetched (``$select=internetMessageHeaders``) only for the few
messages from watched senders, 20 to a ``$batch`` request (:mod:`.batch`; one Graph refuses is
skipped and recorded, and read again at the next poll when it was only throttled), and handed
to :func:`daemon.autoreply.is_auto_reply`:
``Auto-Submitted`` and "Automatic reply:" subjects mark Exchange auto-replies;
``X-Auto-Response-Suppress`` and ``inferenceClassification`` are not markers.

The cursor (JSON) makes an unchanged mailbox cost one request (which :mod:`.rounds` may have
read already, with the poll's other questions): it keeps the latest
``receivedDateTime`` seen and the ids already returned from the last minutes (a small overlap
covers messages that become visible a little after their timestamp). When the watched senders
or domains grow, or ``since`` moves back, the whole range is read again.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from connectors.outlook import batch, timefmt
from connectors.outlook.http import Graph, with_query
from connectors.outlook.lookups import Lookups
from connectors.outlook.rounds import Rounds
from connectors.outlook.shapes import obj, objects, text
from daemon.autoreply import is_auto_reply
from daemon.protocols import AccountContext, InboundMessage, InboundMessages, Problem

log = logging.getLogger(__name__)

CURSOR_VERSION = 1
OVERLAP = timedelta(minutes=10)
PAGE_SIZE = 100
MAX_PAGES = 100
LIST_FIELDS = "id,subject,from,receivedDateTime,conversationId,bodyPreview,isDraft"
GONE, LATER, SKIPPED = "gone", "later", "skipped"  # a message whose headers are not read


def message_path(ident: str) -> str:
    """The path of one message; ids are URL-safe base64 but quoted anyway."""
    return "/me/messages/" + quote(ident, safe="=-_")


class Inbound:
    def __init__(
        self,
        graph: Graph,
        ctx: AccountContext,
        lookups: Lookups | None = None,
        rounds: Rounds | None = None,
    ) -> None:
        self._graph = graph
        self._ctx = ctx
        self._lookups = lookups
        self._rounds = rounds
        self._me: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def me(self, fresh: bool = False) -> dict[str, Any]:
        """The signed-in user (asked once a day, :mod:`.lookups`; ``fresh`` for ``check``):
        their addresses are never replies."""
        with self._lock:
            if self._me is None or fresh:
                if self._lookups is None:
                    self._me = self._profile()
                else:
                    key = f"{self._graph.base} me"
                    self._me = obj(self._lookups.remember(key, self._profile, fresh=fresh))
            return self._me

    def _profile(self) -> dict[str, Any]:
        found = obj(self._graph.get("/me", {"$select": "displayName,mail,userPrincipalName"}))
        return {k: found[k] for k in ("displayName", "mail", "userPrincipalName") if k in found}

    def own(self) -> set[str]:
        me = self.me()
        found = {(text(me.get(k)) or "").lower() for k in ("mail", "userPrincipalName")}
        return ({a.lower() for a in self._ctx.addresses} | found) - {""}

    def messages_since(
        self, since: datetime, senders: Sequence[str], domains: Sequence[str], cursor: str | None
    ) -> InboundMessages:
        people = sorted({s.strip().lower() for s in senders if s and s.strip()})
        companies = sorted({d.strip().lower().lstrip("@") for d in domains if d and d.strip()})
        prev = _load(cursor)
        incremental = (
            prev is not None
            and since >= prev["since"]
            and set(people) <= set(prev["senders"])
            and set(companies) <= set(prev["domains"])
        )
        lower = max(since, prev["hwm"] - OVERLAP) if incremental and prev else since
        seen: set[str] = set(prev["seen"]) if incremental and prev else set()
        own = self.own()
        messages: list[InboundMessage] = []
        problems: list[Problem] = []
        recent: dict[str, datetime] = {}
        hwm = max(lower, prev["hwm"]) if incremental and prev else lower
        new: list[tuple[dict[str, Any], datetime, str]] = []
        for raw in self._list(lower, problems):
            try:
                received = timefmt.parse(raw.get("receivedDateTime"))
            except ValueError as err:
                problems.append(Problem(item=_label(raw), message=str(err)))
                continue
            hwm = max(hwm, received)
            sender = _sender(raw)
            if raw.get("isDraft") is True or not sender or sender in own or received < since:
                continue
            if not _watched(sender, people, companies):
                continue
            recent[raw["id"]] = received
            if raw["id"] not in seen:
                new.append((raw, received, sender))
        again_from: datetime | None = None
        for (raw, received, sender), headers in zip(
            new, self._headers([raw["id"] for raw, _, _ in new], problems), strict=True
        ):
            if headers is LATER:  # not marked seen; the next poll reads from it again
                recent.pop(raw["id"], None)
                again_from = received if again_from is None else min(again_from, received)
            if not isinstance(headers, dict):
                continue  # deleted between the list and now, or skipped (and recorded)
            subject = str(raw.get("subject") or "")
            messages.append(
                InboundMessage(
                    id=raw["id"],
                    sender=sender,
                    received_at=received,
                    subject=subject,
                    thread_id=text(raw.get("conversationId")),
                    auto_reply=is_auto_reply(headers, subject),
                    excerpt=str(raw.get("bodyPreview") or ""),
                )
            )
        if again_from is not None:
            hwm = min(hwm, again_from + OVERLAP)
        keep = [i for i, at in recent.items() if at >= hwm - OVERLAP]
        cursor_out = json.dumps(
            {
                "v": CURSOR_VERSION,
                "since": since.isoformat(),
                "senders": people,
                "domains": companies,
                "hwm": hwm.isoformat(),
                "seen": sorted(set(keep)),
            },
            sort_keys=True,
        )
        if self._rounds is not None:  # what the next poll asks, with this cursor
            self._rounds.expect("inbound", "/me/messages", _listing(max(since, hwm - OVERLAP)))
        return InboundMessages(messages=messages, cursor=cursor_out, problems=problems)

    def _list(self, lower: datetime, problems: list[Problem]) -> list[dict[str, Any]]:
        params = _listing(lower)
        if self._rounds is not None:  # the first page may be in this poll's round
            page = self._rounds.get("inbound", "/me/messages", params)
        else:
            page = self._graph.get("/me/messages", params)
        out: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            values = page.get("value") if isinstance(page, dict) else None
            if not isinstance(values, list):
                problems.append(
                    Problem(item="Outlook message list", message="expected a 'value' list")
                )
                return out
            for raw in values:
                if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                    out.append(raw)
                else:
                    problems.append(
                        Problem(item=_label(raw), message="expected a message with an 'id'")
                    )
            link = page.get("@odata.nextLink")
            if not link:
                return out
            page = self._graph.get(str(link))
        problems.append(
            Problem(
                item="Outlook message list",
                message=f"more than {MAX_PAGES * PAGE_SIZE} messages since {lower.isoformat()}; "
                "only the newest were read",
            )
        )
        return out

    def _headers(self, idents: list[str], problems: list[Problem]) -> list[Any]:
        """Each message's headers, 20 to a ``$batch`` request (the first scan after the
        watched people change may find a hundred); GONE for one deleted since the listing,
        LATER (recorded) for one Graph kept refusing, SKIPPED (recorded) for one it refused."""
        if not idents:
            return []
        fields = {"$select": "internetMessageHeaders"}
        asked = [batch.Request(with_query(message_path(i), fields)) for i in idents]
        found: list[Any] = []
        for ident, answer in zip(idents, batch.send(self._graph, asked), strict=True):
            if answer.status == 404:
                found.append(GONE)
                continue
            if not answer.ok:
                again = answer.status in batch.AGAIN | batch.AGAIN_IF_GET
                what = "it is read again at the next poll" if again else "skipped"
                problems.append(
                    Problem(
                        item=_label({"id": ident}),
                        message=f"Microsoft Graph did not give its headers ({answer.detail}); "
                        f"expected them to tell a reply from an automatic one; {what}",
                    )
                )
                found.append(LATER if again else SKIPPED)
                continue
            headers: dict[str, str] = {}
            for entry in objects(obj(answer.body).get("internetMessageHeaders")):
                if text(entry.get("name")):
                    headers.setdefault(entry["name"], str(entry.get("value") or ""))
            found.append(headers)
        return found


def _listing(lower: datetime) -> dict[str, str]:
    """The query of the messages received since ``lower``, newest first."""
    return {
        "$filter": f"receivedDateTime ge {timefmt.odata(lower)}",
        "$orderby": "receivedDateTime desc",
        "$select": LIST_FIELDS,
        "$top": str(PAGE_SIZE),
    }


def _sender(raw: dict[str, Any]) -> str:
    address = text(obj(obj(raw.get("from")).get("emailAddress")).get("address"))
    return (address or "").strip().lower()


def _watched(sender: str, people: list[str], companies: list[str]) -> bool:
    if sender in people:
        return True
    domain = sender.rpartition("@")[2]
    return any(domain == d or domain.endswith("." + d) for d in companies)


def _label(raw: Any) -> str:
    ident = str(raw.get("id") if isinstance(raw, dict) else "?")
    return f"Outlook message {ident[:12]}…" if len(ident) > 12 else f"Outlook message {ident}"


def _load(cursor: str | None) -> dict[str, Any] | None:
    """The previous scan, or None (a broken cursor only costs one full read)."""
    if not cursor:
        return None
    try:
        data = json.loads(cursor)
        if data.get("v") != CURSOR_VERSION:
            return None
        return {
            "since": timefmt.parse(data["since"]),
            "senders": [str(s) for s in data["senders"]],
            "domains": [str(d) for d in data["domains"]],
            "hwm": timefmt.parse(data["hwm"]),
            "seen": [str(i) for i in data["seen"]],
        }
    except (ValueError, TypeError, KeyError, AttributeError):
        log.info("stored Outlook mail cursor is unusable; reading the whole range again")
        return None
