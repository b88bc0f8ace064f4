"""A draft a mail client saved or sent under a new Message-ID, recognised by what it says.

Most clients keep a draft's Message-ID when they save it again and when they send it; some make
a new one. For those, the Maildir provider's records (:mod:`connectors.maildir.records`: the
recipients, subject, parent and time of each draft written, owner-only in the state dir) say
which message is the draft now: in Drafts, the latest save to the same people with the same
subject (and parent), written after ours; in Sent, the earliest such message sent after it,
claimed so that no other draft takes it. The rules are the Maildir provider's, so both read
the same mailbox the same way; only the finding is IMAP (one SEARCH per mailbox: TO each
recipient, since the draft was written).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from imapclient import IMAPClient

from connectors.imap.ours import Found
from connectors.imap.reading import Fetched, fetch_heads
from connectors.imap.states import leave
from connectors.maildir.records import DraftRecords, Record
from daemon.message import names_key

FILE_NAME = "imap-drafts.json"
# A copy may be dated a little before the draft was written (clock skew between machines).
SLACK_SECONDS = 600


def _same_subject(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


class Renewals:
    def __init__(self, records: DraftRecords) -> None:
        self.records = records

    def remember(self, key: str, message: Fetched) -> None:
        """Record the draft as it is now in Drafts."""
        head = message.head
        if head is None:
            return
        written = message.date()
        parents = head.in_reply_to()
        self.records.remember(
            key,
            Record(
                message_id=head.message_id() or "",
                to=tuple(head.recipients()),
                subject=head.text("subject"),
                in_reply_to=parents[0] if parents else None,
                written=written.timestamp() if written else 0.0,
            ),
        )

    def forget(self, key: str) -> None:
        self.records.forget(key)

    def sent_copy(self, client: IMAPClient, folders: tuple[str, ...], key: str) -> Found | None:
        """The earliest message in Sent that is ``key``'s draft sent under a new Message-ID."""
        best = self._best(client, folders, key, draft=False)
        if best is not None and best.message.head is not None:
            self.records.claim(key, best.message.head.message_id() or "")
        return best

    def resaved(self, client: IMAPClient, drafts: str, key: str) -> Found | None:
        """The latest message in Drafts that is ``key``'s draft saved again under a new one."""
        return self._best(client, (drafts,), key, draft=True)

    def _best(
        self, client: IMAPClient, folders: tuple[str, ...], key: str, draft: bool
    ) -> Found | None:
        record = self.records.get(key)
        if record is None or not record.to:
            return None
        taken = self.records.others(key)
        since = datetime.fromtimestamp(record.written - SLACK_SECONDS, UTC) - timedelta(days=1)
        best: tuple[datetime, Found] | None = None
        for folder in folders:
            selected = client.select_folder(folder, readonly=True)
            terms: list[object] = ["NOT", "DELETED", "SINCE", since.date()]
            for address in record.to:
                terms += ["TO", address]
            charset = None if all(a.isascii() for a in record.to) else "UTF-8"
            uids = client.search(terms, charset=charset)
            for message in fetch_heads(client, folder, uids) if uids else []:
                when = self._when(message, record, key, taken, draft)
                if when is None:
                    continue
                if best is None or (when > best[0] if draft else when < best[0]):
                    uidvalidity = int(selected.get(b"UIDVALIDITY", 0))
                    best = (when, Found(folder, uidvalidity, message))
            leave(client)
        return best[1] if best else None

    @staticmethod
    def _when(
        message: Fetched, record: Record, key: str, taken: set[str], draft: bool
    ) -> datetime | None:
        """When ``message`` was written, if it can be ``record``'s draft under a new
        Message-ID (see :meth:`connectors.maildir.connector.MaildirMailbox._renewal_time`)."""
        head = message.head
        if head is None or (b"\\draft" in message.flags and not draft):
            return None
        if head.message_id() in taken:
            return None
        legacy = head.key()
        if legacy and not names_key(legacy, key):
            return None
        if not _same_subject(head.text("subject"), record.subject):
            return None
        if not set(record.to) <= set(head.recipients()):
            return None
        if record.in_reply_to and record.in_reply_to not in head.in_reply_to():
            return None
        when = message.date()
        if when is None or when.timestamp() < record.written - SLACK_SECONDS:
            return None
        return when
