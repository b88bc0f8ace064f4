"""Replies: messages from the watched people and domains, read incrementally by UID.

The cursor remembers, per mailbox, its UIDVALIDITY and its UIDNEXT when last read. An idle
poll is one ``STATUS <mailbox> (UIDNEXT UIDVALIDITY)`` per watched mailbox and nothing else:
an unchanged UIDNEXT means nothing arrived (every new or moved-in message gets a UID at or
above it). HIGHESTMODSEQ (CONDSTORE) is not the signal: it moves whenever a flag changes, so
the user reading their mail would make every next poll a search; replies never change in
place. A new UIDVALIDITY means the server renumbered the mailbox: that mailbox is read again
from ``since``; the core applies what it gets idempotently, and the same message seen in two
mailboxes is returned once (by Message-ID).

The server filters (``SEARCH FROM``, a substring match, so a domain also finds its
subdomains); each hit's header block is then checked exactly (:func:`daemon.protocols.watched`).
Headers only; an auto-reply's first 64 KB are PEEKed for its return date.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from imapclient import IMAPClient

from connectors.imap.reading import Fetched, excerpt, fetch_heads
from connectors.imap.states import leave
from daemon.autoreply import is_auto_reply
from daemon.errors import BadItem
from daemon.protocols import InboundMessage, InboundMessages, Problem, watch_list, watched

CURSOR_VERSION = 1
# SEARCH SINCE compares dates in the server's time zone and ignores the time: a day earlier
# never misses a message; the exact time is checked on each message.
SLACK = timedelta(days=1)


def _load(cursor: str | None) -> dict[str, tuple[int, int]]:
    """Mailbox -> (UIDVALIDITY, UIDNEXT) from a cursor; {} for None or another format."""
    if not cursor:
        return {}
    try:
        data = json.loads(cursor)
        if data.get("v") != CURSOR_VERSION:
            return {}
        return {str(k): (int(v[0]), int(v[1])) for k, v in data["boxes"].items()}
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return {}


def _dump(boxes: dict[str, tuple[int, int]]) -> str:
    return json.dumps({"v": CURSOR_VERSION, "boxes": boxes}, sort_keys=True)


def from_terms(people: Sequence[str], zones: Sequence[str]) -> list[object]:
    """``FROM a OR FROM b ...`` as one criterion (IMAP's OR takes two)."""
    needles = list(people) + list(zones)
    terms: list[object] = []
    for i, needle in enumerate(needles):
        if i < len(needles) - 1:
            terms.append("OR")
        terms += ["FROM", needle]
    return terms


def messages_since(
    client: IMAPClient,
    folders: Iterable[str],
    since: datetime,
    senders: Sequence[str],
    domains: Sequence[str],
    cursor: str | None,
    own: set[str],
) -> InboundMessages:
    people, zones = watch_list(senders, domains)
    before = _load(cursor)
    result = InboundMessages(messages=[], cursor=cursor)
    if not people and not zones:
        return result
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    after: dict[str, tuple[int, int]] = {}
    seen: set[str] = set()
    for folder in folders:
        status = client.folder_status(folder, [b"UIDNEXT", b"UIDVALIDITY"])
        now = (int(status[b"UIDVALIDITY"]), int(status[b"UIDNEXT"]))
        after[folder] = now
        old = before.get(folder)
        if old == now:
            continue  # nothing arrived: the whole idle poll for this mailbox
        client.select_folder(folder, readonly=True)
        criteria: list[object] = ["SINCE", (since - SLACK).date()]
        if old is not None and old[0] == now[0]:
            criteria = ["UID", f"{old[1]}:{max(old[1], now[1] - 1)}"]
        uids = client.search(criteria + from_terms(people, zones), charset=_charset(people, zones))
        if old is not None and old[0] == now[0]:
            # "n:*" and a range past the last UID match the last message whatever its UID.
            uids = [u for u in uids if old[1] <= u < now[1]]
        else:
            uids = [u for u in uids if u < now[1]]  # arrived after STATUS: the next poll's
        for message in fetch_heads(client, folder, uids):
            found = _inbound(client, message, people, zones, since, own, result.problems)
            if found is not None and found.id not in seen:
                seen.add(found.id)
                result.messages.append(found)
        leave(client)
    result.cursor = _dump(after)
    return result


def _charset(people: Sequence[str], zones: Sequence[str]) -> str | None:
    return None if all(n.isascii() for n in [*people, *zones]) else "UTF-8"


def _inbound(
    client: IMAPClient,
    message: Fetched,
    people: Sequence[str],
    zones: Sequence[str],
    since: datetime,
    own: set[str],
    problems: list[Problem],
) -> InboundMessage | None:
    if message.problem is not None or message.head is None:
        err = message.problem or BadItem(message.label, "expected an e-mail message")
        problems.append(Problem(err.item, err.message))
        return None
    head = message.head
    try:
        sender = head.sender()
    except BadItem as err:
        problems.append(Problem(err.item, err.message))
        return None
    if sender in own or not watched(sender, people, zones):
        return None
    received = message.date()
    if received is None or received < since:
        return None
    subject = head.text("subject")
    automated = is_auto_reply(head.msg, subject)
    return InboundMessage(
        id=head.message_id() or f"imap:{message.label}",
        sender=sender,
        received_at=received,
        subject=subject,
        thread_id=head.thread_id(),
        auto_reply=automated,
        excerpt=excerpt(client, message.uid) if automated else "",
    )
