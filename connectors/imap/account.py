"""One IMAP account as the mailbox's parts share it: the connection, the options naming its
mailboxes, what LIST showed on this connection, and the STATUS fingerprints of a poll."""

from __future__ import annotations

from typing import Any

from imapclient import IMAPClient

from connectors.imap.folders import Mailboxes, discover
from connectors.imap.session import Server, Session
from connectors.imap.states import MailboxStates


class ImapAccount:
    def __init__(self, options: dict[str, Any], server: Server) -> None:
        self.session = Session(server)
        self.where = server.password.where
        self.drafts_option: str | None = options.get("drafts_folder")
        self.sent_option: str | None = options.get("sent_folder")
        self.inbox_option: list[str] | None = options.get("inbox_folders")
        self.states = MailboxStates()
        self._boxes: tuple[IMAPClient, Mailboxes] | None = None

    @property
    def condstore(self) -> bool:
        return b"CONDSTORE" in self.session.capabilities

    def mailboxes(self, client: IMAPClient) -> Mailboxes:
        """The account's mailboxes, listed once per connection (a new connection may follow
        a rename the user made meanwhile)."""
        if self._boxes is None or self._boxes[0] is not client:
            boxes = discover(
                client, self.where, self.drafts_option, self.sent_option, self.inbox_option
            )
            self._boxes = (client, boxes)
        return self._boxes[1]

    def relist(self) -> None:
        """List again at the next question (after we created a mailbox)."""
        self._boxes = None

    def missing(self, boxes: Mailboxes) -> list[str]:
        """Configured mailboxes (inbox_folders, sent_folder) that the server does not have."""
        named = list(self.inbox_option or []) + ([self.sent_option] if self.sent_option else [])
        listed = {n.casefold() for n in boxes.all}
        return [n for n in named if n.casefold() not in listed]

    def missing_text(self, name: str, boxes: Mailboxes) -> str:
        option = "sent_folder" if name == self.sent_option else "inbox_folders"
        have = ", ".join(repr(n) for n in sorted(boxes.all))
        return f"{self.where}.{option}: the server has no mailbox {name!r} (it has {have})"
