"""The user's sent messages to some people or domains, from Sent Items, over Graph.

One request in the usual case: ``GET /me/mailFolders/sentitems/messages`` filtered on
``sentDateTime`` by the server and ordered newest first (allowed because ``sentDateTime`` leads
the ``$filter``; otherwise Graph answers ``InefficientFilter``), with only the fields needed
(never the body). Graph cannot filter on recipients' domains, so recipients are matched here.
Graph shows no References header for sent items; Outlook threads a reply by the sent item's
id (``createReply``), which :class:`daemon.protocols.SentMessage` carries as ``provider_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from connectors.outlook import timefmt
from connectors.outlook.http import Graph
from connectors.outlook.rounds import Rounds
from connectors.outlook.shapes import obj, objects, text
from daemon.protocols import SENT_LIMIT, Problem, SentMessage, SentMessages, watch_list, watched

PAGE_SIZE = 50
MAX_PAGES = SENT_LIMIT // PAGE_SIZE  # read at most, newest first
SENT_ITEMS = "/me/mailFolders/sentitems/messages"
FIELDS = (
    "id,isDraft,sentDateTime,toRecipients,ccRecipients,internetMessageId,subject,conversationId"
)


def sent_since(
    graph: Graph,
    since: datetime,
    recipients: Sequence[str],
    domains: Sequence[str],
    rounds: Rounds | None = None,
) -> SentMessages:
    people, zones = watch_list(recipients, domains)
    result = SentMessages(messages=[])
    if not people and not zones:
        return result
    params = {
        "$filter": f"sentDateTime ge {timefmt.odata(since)}",
        "$orderby": "sentDateTime desc",
        "$select": FIELDS,
        "$top": str(PAGE_SIZE),
    }
    page: Any = None
    link: Any = None
    seen: set[str | None] = set()  # a page served twice lists its messages once
    for number in range(MAX_PAGES):
        if number:
            page = graph.get(str(link))
        else:  # the first page may be in this poll's round (rounds.py)
            page = (
                rounds.get("sent", SENT_ITEMS, params) if rounds else graph.get(SENT_ITEMS, params)
            )
        values = page.get("value") if isinstance(page, dict) else None
        if not isinstance(values, list):
            result.problems.append(
                Problem(item="Outlook Sent Items", message="expected a 'value' list")
            )
            return result
        for raw in values:
            message = _one(raw, people, zones, since, result.problems)
            if message is not None and message.provider_id not in seen:
                seen.add(message.provider_id)
                result.messages.append(message)
        link = page.get("@odata.nextLink")
        if not link:
            return result
    # A listing that never ends (or a user who sent that much): the newest are what matter.
    result.problems.append(
        Problem(
            item="Outlook Sent Items",
            message=f"more than {SENT_LIMIT} sent messages since {since.isoformat()}; only the "
            "newest were read",
        )
    )
    return result


def _one(
    raw: Any, people: list[str], zones: list[str], since: datetime, problems: list[Problem]
) -> SentMessage | None:
    if not isinstance(raw, dict) or not text(raw.get("id")) or raw.get("isDraft") is not False:
        return None
    to = [
        (address.strip().lower(), text(who.get("name")))
        for entry in objects(raw.get("toRecipients")) + objects(raw.get("ccRecipients"))
        for who in (obj(entry.get("emailAddress")),)
        if (address := text(who.get("address"))) and "@" in address
    ]
    if not any(watched(a, people, zones) for a, _ in to):
        return None
    try:
        sent_at = timefmt.parse(raw.get("sentDateTime"))
    except ValueError as err:
        problems.append(Problem(item=f"Outlook sent message {raw['id'][:12]}", message=str(err)))
        return None
    message_id = text(raw.get("internetMessageId"))
    if sent_at < since or not message_id:
        return None
    return SentMessage(
        message_id=message_id,
        sent_at=sent_at,
        recipients=tuple(a for a, _ in to),
        subject=text(raw.get("subject")) or "",
        thread_id=text(raw.get("conversationId")),
        provider_id=raw["id"],
        names=tuple((a, n) for a, n in to if n),
    )
