"""What a mailbox looks like from outside (STATUS), to skip a search when nothing changed.

A poll asks :meth:`~daemon.protocols.Mailbox.draft_state` about every draft in a row: with a
fingerprint of Drafts taken by one ``STATUS`` (reused for a few seconds), a draft seen there at
the same fingerprint is still there, without a SEARCH. With CONDSTORE (RFC 7162) the
fingerprint includes HIGHESTMODSEQ, which moves with every change, a ``\\Deleted`` flag
included; without it, UIDNEXT and MESSAGES (a deleted draft shows once it is expunged).
"""

from __future__ import annotations

import time

from imapclient import IMAPClient

TTL = 5.0  # seconds a STATUS answer is reused: one poll's questions, not the next poll's


class MailboxStates:
    def __init__(self) -> None:
        self._seen: dict[str, tuple[float, tuple[int, ...]]] = {}

    def state(self, client: IMAPClient, folder: str, condstore: bool) -> tuple[int, ...]:
        cached = self._seen.get(folder)
        now = time.monotonic()
        if cached is not None and now - cached[0] < TTL:
            return cached[1]
        items = [b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES"]
        if condstore:
            items.append(b"HIGHESTMODSEQ")
        answer = client.folder_status(folder, items)
        value = tuple(int(answer.get(item, 0)) for item in items)
        self._seen[folder] = (now, value)
        return value

    def forget(self) -> None:
        """After we changed a mailbox ourselves (APPEND, delete): ask again."""
        self._seen.clear()


def leave(client: IMAPClient, readonly: bool = True) -> None:
    """Deselect the mailbox without expunging anything: STATUS must not be asked of the
    selected mailbox (RFC 3501 6.3.10). UNSELECT (RFC 3691) where offered; else CLOSE, which
    expunges only in a read-write selection, so a read-write one is left by EXAMINE INBOX."""
    if client.has_capability("UNSELECT"):
        client.unselect_folder()
    elif readonly:
        client.close_folder()
    else:
        client.select_folder("INBOX", readonly=True)
