"""The user's own sent messages to some people or domains, read from the Sent mailboxes.

Asked only while a status inquiry waits for something the user sent: one SEARCH per Sent
mailbox (``SINCE`` and ``TO``/``CC`` substrings, filtered exactly afterwards), then the header
blocks of the hits. A message still flagged ``\\Draft`` is a client's copy of a draft, not
something that went out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from email.utils import getaddresses

from imapclient import IMAPClient

from connectors.imap.inbound import SLACK
from connectors.imap.reading import Fetched, fetch_heads
from connectors.imap.states import leave
from daemon.protocols import (
    SENT_LIMIT,
    Problem,
    SentMessage,
    SentMessages,
    watch_list,
    watched,
)


def _to_terms(needles: Sequence[str]) -> list[object]:
    terms: list[object] = []
    for i, needle in enumerate(needles):
        if i < len(needles) - 1:
            terms.append("OR")
        terms += ["OR", "TO", needle, "CC", needle]
    return terms


def sent_since(
    client: IMAPClient,
    folders: Iterable[str],
    since: datetime,
    recipients: Sequence[str],
    domains: Sequence[str],
) -> SentMessages:
    people, zones = watch_list(recipients, domains)
    result = SentMessages(messages=[])
    if not people and not zones:
        return result
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    found: dict[str, SentMessage] = {}
    charset = None if all(n.isascii() for n in people + zones) else "UTF-8"
    for folder in folders:
        client.select_folder(folder, readonly=True)
        criteria = ["SINCE", (since - SLACK).date(), *_to_terms(people + zones)]
        uids = client.search(criteria, charset=charset)
        for message in fetch_heads(client, folder, uids[-SENT_LIMIT * 2 :]):
            sent = _one(message, people, zones, since, result.problems)
            if sent is not None:
                found.setdefault(sent.message_id, sent)  # the same copy in two mailboxes
        leave(client)
    newest = sorted(found.values(), key=lambda m: m.sent_at, reverse=True)
    result.messages = newest[:SENT_LIMIT]
    return result


def _one(
    message: Fetched,
    people: list[str],
    zones: list[str],
    since: datetime,
    problems: list[Problem],
) -> SentMessage | None:
    head = message.head
    if head is None:
        if message.problem is not None:
            problems.append(Problem(message.problem.item, message.problem.message))
        return None
    if b"\\draft" in message.flags:
        return None
    try:
        pairs = getaddresses(head.raw("to") + head.raw("cc"))
    except ValueError as err:  # getaddresses on hostile input
        problems.append(Problem(message.label, f"unreadable To or Cc header ({err})"))
        return None
    to = [(a.strip().lower(), n) for n, a in pairs if "@" in a]
    if not any(watched(a, people, zones) for a, _ in to):
        return None
    sent_at = message.date()
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
