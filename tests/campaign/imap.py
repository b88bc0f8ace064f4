"""The IMAP world: the local world's calendar (ics) and its mailbox on a real Dovecot.

The user acts through an IMAP connection of their own (a mail client): sending a draft moves it
from Drafts to Sent under a new Message-ID and Date (as the local world's client does), deleting
it expunges it, replies are delivered into INBOX. The daemon under test reaches Dovecot over
127.0.0.1 with its TLS (the test CA as ca_bundle).
"""

from __future__ import annotations

import ssl
import uuid
from contextlib import ExitStack
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from imapclient import IMAPClient

from daemon.message import is_message_id_of
from tests.campaign.worlds import Item, LocalWorld, World, _addresses, _parse, key_of, known_keys
from tests.servers import dovecot as dc


class ImapWorld(LocalWorld):
    provider = "imap"
    me = dc.USER

    def __init__(self, root: Path) -> None:
        self._stack = ExitStack()
        # Its own login: followupd locks a mailbox by user and host, and passes run side by side.
        user = f"alex-{uuid.uuid4().hex[:12]}@example.org"
        self.server = self._stack.enter_context(dc.dovecot(user=user))
        (root / "cal").mkdir(parents=True, exist_ok=True)
        self.sent_keys: dict[str, str] = {}
        self.own_ids: set[str] = set()
        World.__init__(self, root)
        self.write_calendar()

    def mailbox_text(self) -> str:
        """The account's mailbox line (the caldav+imap world pairs it with Radicale's)."""
        s = self.server
        return (
            f'mailbox = {{ provider = "imap", host = "{dc.HOST}", port = {s.imaps_port}, '
            f'ca_bundle = "{s.ca_file}", username = "{s.user}", password = "{s.password}" }}\n'
        )

    def account_text(self) -> str:
        calendar = f'calendar = {{ provider = "ics", path = "{self.root / "cal"}" }}\n'
        return calendar + self.mailbox_text()

    def _client(self) -> IMAPClient:
        context = ssl.create_default_context(cafile=str(self.server.ca_file))
        imap = IMAPClient(dc.HOST, port=self.server.imaps_port, ssl=True, ssl_context=context)
        imap.login(self.server.user, self.server.password)
        return imap

    def _fetch(self, folder: str) -> list[tuple[int, int, EmailMessage]]:
        """(UIDVALIDITY, UID, message) of every message in ``folder``, PEEKed."""
        imap = self._client()
        try:
            selected = imap.select_folder(folder, readonly=True)
            uids = imap.search(["NOT", "DELETED"])
            found = imap.fetch(uids, [b"BODY.PEEK[]"]) if uids else {}
            validity = int(selected[b"UIDVALIDITY"])
            return [(validity, uid, _parse(v[b"BODY[]"])) for uid, v in sorted(found.items())]
        finally:
            imap.logout()

    def _remove(self, folder: str, uid: int) -> None:
        imap = self._client()
        try:
            imap.select_folder(folder)
            imap.delete_messages([uid])
            imap.uid_expunge([uid])
        finally:
            imap.logout()

    def _append(self, folder: str, msg: EmailMessage, flags: tuple[bytes, ...] = ()) -> None:
        imap = self._client()
        try:
            imap.append(folder, msg.as_bytes(), flags=flags)
        finally:
            imap.logout()

    def _draft(self, key: str) -> tuple[int, EmailMessage]:  # type: ignore[override]
        (found,) = [
            (uid, m)
            for _, uid, m in self._fetch("Drafts")
            if is_message_id_of(str(m["Message-ID"]), key)
        ]
        return found

    def send(self, key: str, when: datetime) -> None:
        uid, draft = self._draft(key)
        self._remove("Drafts", uid)
        sent = EmailMessage()  # what a client that renews the Message-ID leaves in Sent
        skip = ("message-id", "date", "content-type", "mime-version", "content-transfer-encoding")
        for header, value in draft.items():
            if header.lower() not in skip:
                sent[header] = value
        sent["Date"] = format_datetime(when)
        sent["Message-ID"] = make_msgid(domain="example.org")
        self.sent_keys[str(sent["Message-ID"])] = key
        body = draft.get_body(("plain",))
        sent.set_content(body.get_content() if body else "")
        self._append("Sent", sent, (b"\\Seen",))

    def delete(self, key: str) -> None:
        self._remove("Drafts", self._draft(key)[0])

    def receive(self, sender: str, name: str, subject: str, when: datetime) -> None:
        msg = EmailMessage()
        msg["From"] = f"{name} <{sender}>"
        msg["To"] = self.me
        msg["Subject"] = subject
        msg["Date"] = format_datetime(when)
        msg["Message-ID"] = make_msgid(domain="example.com")
        msg.set_content("Thanks, we will be in touch.")
        self._append("INBOX", msg)

    def write_own(self, to: str, name: str, subject: str, when: datetime) -> None:
        msg = EmailMessage()
        msg["From"] = f"Alex Candidate <{self.me}>"
        msg["To"] = f"{name} <{to}>"
        msg["Subject"] = subject
        msg["Date"] = format_datetime(when)
        msg["Message-ID"] = make_msgid(domain="example.org")
        msg.set_content("Thank you for the conversation.")
        self._append("Sent", msg, (b"\\Seen",))
        self.own_ids.add(str(msg["Message-ID"]))

    def view(self) -> list[Item]:
        sent = [m for _, _, m in self._fetch("Sent")]
        sent_ids = {str(m["Message-ID"]) for m in sent}
        keys = known_keys(self.db_url)
        drafts = [(key_of(m["Message-ID"], keys), m) for _, _, m in self._fetch("Drafts")]
        copies = [
            (self.sent_keys.get(str(m["Message-ID"])) or key_of(m["Message-ID"], keys), m)
            for m in sent
            if str(m["Message-ID"]) not in self.own_ids
        ]
        return [
            Item(key, where, _addresses(m["To"]), str(m["In-Reply-To"]) in sent_ids)
            for where, found in (("draft", drafts), ("sent", copies))
            for key, m in found
        ]

    def draft_ids(self) -> set[str]:
        return {f"{validity}/{uid}" for validity, uid, _ in self._fetch("Drafts")}

    def close(self) -> None:
        super().close()
        self._stack.close()
