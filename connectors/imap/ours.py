"""Finding a draft of ours by its KEY: one SEARCH per mailbox, checked on the headers.

The Message-ID of a draft is derived from its KEY (:func:`daemon.message.message_token`, the
same at any domain), and drafts made before issue 10 carry the KEY in ``X-Followupd-Key``. IMAP
``SEARCH HEADER`` is a substring match, so each hit is read back and compared exactly
(:func:`daemon.message.is_message_id_of`, :func:`daemon.message.names_key`) before it counts.
Messages flagged ``\\Deleted`` are gone already (a client that deletes by flagging, expunging
later) and never count.
"""

from __future__ import annotations

from dataclasses import dataclass

from imapclient import IMAPClient

from connectors.imap.reading import Fetched, fetch_heads
from connectors.imap.states import leave
from daemon.message import is_message_id_of, key_value, legacy_message_id, message_token, names_key
from daemon.protocols import KEY_HEADER


@dataclass(frozen=True)
class Found:
    folder: str
    uidvalidity: int
    message: Fetched


def criteria(key: str, message_id: str | None) -> tuple[list[object], str | None]:
    """The SEARCH criteria matching a draft of ``key`` (and a recorded ``message_id``), and
    the charset to send them in (None: ASCII)."""
    needles: list[tuple[str, str]] = [
        ("Message-ID", message_token(key)),
        ("Message-ID", legacy_message_id(key).strip("<>")),
        (KEY_HEADER, key_value(key)),
    ]
    if message_id and not is_message_id_of(message_id, key):
        needles.append(("Message-ID", message_id.strip().strip("<>")))
    terms: list[object] = []
    for i, (name, value) in enumerate(needles):
        if i < len(needles) - 1:
            terms.append("OR")
        terms += ["HEADER", name, value]
    charset = None if all(v.isascii() for _, v in needles) else "UTF-8"
    return ["NOT", "DELETED", *terms], charset


def ours(found: Fetched, key: str, message_id: str | None) -> bool:
    head = found.head
    if head is None:
        return False
    mid = head.message_id()
    return (
        is_message_id_of(mid, key)
        or names_key(head.key(), key)
        or bool(message_id and mid == message_id.strip())
    )


def find_in(
    client: IMAPClient,
    folder: str,
    key: str,
    message_id: str | None,
    readonly: bool = True,
    keep: bool = False,
) -> Found | None:
    """The first message of ``folder`` that is ``key``'s draft (or its copy). ``keep``: the
    mailbox stays selected (to read or flag the message next); else it is left."""
    selected = client.select_folder(folder, readonly=readonly)
    terms, charset = criteria(key, message_id)
    uids = client.search(terms, charset=charset)
    found = None
    for message in fetch_heads(client, folder, uids) if uids else []:
        if ours(message, key, message_id):
            found = Found(folder, int(selected.get(b"UIDVALIDITY", 0)), message)
            break
    if not keep:
        leave(client, readonly)
    return found
