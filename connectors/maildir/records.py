"""What the Maildir mailbox remembers of each draft it wrote, in the account's state dir.

Why it exists: nothing in a draft names its KEY any more (a recipient would see it; issue 10),
so a sent copy is recognised by the draft's Message-ID. mutt (since it keeps the Message-ID of
a recalled postponed message) and aerc (whose composer makes a Message-ID only when the
recalled header has none) send with that Message-ID; older mutt, and clients that make a new
one, do not. For those, the copy in Sent is recognised by what the user sees and rarely changes:
the recipients, the subject, the message it replies to, and a send time after the draft was
written. Those are recorded here, owner-only, when the draft is written or found again.

It is a help, not the source of truth: when it is lost, drafts and sent copies that kept the
Message-ID are still found; only a copy with a new Message-ID then reads as a deleted draft.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from daemon.paths import read_private_table, write_private

log = logging.getLogger(__name__)

KEEP_SECONDS = 400 * 86400  # drafts older than this are long resolved
FILE_NAME = "maildir-drafts.json"


@dataclass(frozen=True)
class Record:
    """One draft as written: enough to recognise its sent copy under another Message-ID."""

    message_id: str
    to: tuple[str, ...]  # lower-cased addresses
    subject: str
    in_reply_to: str | None
    written: float  # epoch seconds: a sent copy cannot be older


class DraftRecords:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, dict[str, Any]]:
        return read_private_table(self.path, "drafts", "draft record")

    @staticmethod
    def _record(entry: dict[str, Any]) -> Record | None:
        try:
            return Record(
                message_id=str(entry["message_id"]),
                to=tuple(str(a).lower() for a in entry["to"]),
                subject=str(entry["subject"]),
                in_reply_to=str(entry["in_reply_to"]) if entry.get("in_reply_to") else None,
                written=float(entry["written"]),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def get(self, key: str) -> Record | None:
        entry = self._load().get(key)
        return self._record(entry) if entry is not None else None

    def others(self, key: str) -> set[str]:
        """The Message-IDs of every other recorded draft and of the copies already taken for
        theirs: a copy with one is not ours (two drafts to one person with one subject)."""
        return {
            str(v.get(field))
            for k, v in self._load().items()
            if k != key
            for field in ("message_id", "sent_as")
            if v.get(field)
        }

    def claim(self, key: str, message_id: str) -> None:
        """Note that the sent copy ``message_id`` was taken for ``key``'s draft."""
        drafts = self._load()
        if key not in drafts or drafts[key].get("sent_as") == message_id:
            return
        drafts[key]["sent_as"] = message_id
        try:
            payload = json.dumps({"v": 1, "drafts": drafts}, sort_keys=True).encode("utf-8")
            write_private(self.path, payload)
        except (OSError, ValueError, TypeError) as err:
            log.warning("could not record the sent copy of %s in %s: %s", key, self.path, err)

    def forget(self, key: str) -> None:
        """Drop ``key``'s record: its draft was deleted at the user's request (``followupd
        redraft``), so no later copy in Drafts or Sent can be that draft. Never raises."""
        try:
            drafts = self._load()
            if drafts.pop(key, None) is None:
                return
            payload = json.dumps({"v": 1, "drafts": drafts}, sort_keys=True).encode("utf-8")
            write_private(self.path, payload)
        except (OSError, ValueError, TypeError) as err:
            log.warning("could not forget the draft for %s in %s: %s", key, self.path, err)

    def remember(self, key: str, record: Record) -> None:
        """Record (or refresh) a draft; never raises: the draft exists whether or not this is
        written, and only the rare client that renews the Message-ID needs it."""
        now = time.time()
        try:
            drafts = self._load()
            entry = asdict(record) | {"to": list(record.to)}
            old = drafts.get(key) or {}
            if old.get("sent_as"):
                entry["sent_as"] = old["sent_as"]
            if old == entry:
                return
            drafts = {
                k: v for k, v in drafts.items() if now - float(v.get("written", now)) < KEEP_SECONDS
            }
            drafts[key] = entry
            payload = json.dumps({"v": 1, "drafts": drafts}, sort_keys=True).encode("utf-8")
            write_private(self.path, payload)
        except (OSError, ValueError, TypeError) as err:
            log.warning("could not record the draft for %s in %s: %s", key, self.path, err)
