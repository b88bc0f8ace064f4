"""A small owner-only record of the drafts this connector created, kept in the state dir.

Why it exists: when the user sends a draft from Gmail's web interface, Gmail builds a new message
(new id, new Message-ID, custom headers dropped) in the same thread, and
the draft id disappears. In a status inquiry's thread the earlier thank-you is a SENT message too,
so "a SENT message in the thread" alone cannot tell "the user sent the inquiry" from "the user
deleted the inquiry". Remembering which messages were in the thread *before* the draft settles
it. The record also answers ``find_draft`` without any request when the crash fell after the
API call returned.

It is also the only place the KEY of a draft is written down next to the draft's id: nothing in
the message names it (a recipient would see it; issue 10). It is a cache, not the source of
truth: when it is lost, drafts and sent messages are still found by their Message-ID, derived
from the KEY (see :mod:`connectors.google.drafts`), unless Gmail replaced it.

The table is read once and kept, and read again only when the file is another one (its
mtime, size or inode changed: another process, such as the CLI or a second instance, wrote it);
reading and parsing it on every call was about 8 % of the CPU of a first poll of 1,000 accounts
(issue 14). Every write is the whole file, atomically replaced and fsync'd (:meth:`intend` must
be on disk before ``drafts.create``).
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from daemon.paths import read_private_table, write_private

log = logging.getLogger(__name__)

KEEP_SECONDS = 400 * 86400  # drafts older than this are long resolved
PENDING = "pending:"  # prefix of the entry written before a creation Gmail has not confirmed


class DraftLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        # The file's (mtime_ns, size, inode) and its table; callers never change the table.
        self._kept: tuple[tuple[int, int, int], dict[str, dict[str, Any]]] | None = None

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            mark = _mark(os.stat(self.path))
        except OSError:
            mark = None  # missing (or unreadable: read_private_table says so)
        kept = self._kept
        if mark is not None and kept is not None and kept[0] == mark:
            return kept[1]
        # Read after the stat: the table is at least as new as the mark it is kept under.
        table = read_private_table(self.path, "drafts", "draft record")
        self._kept = (mark, table) if mark is not None else None
        return table

    def get(self, draft_id: str) -> dict[str, Any] | None:
        return self._load().get(draft_id)

    def by_key(self, key: str) -> tuple[str, dict[str, Any]] | None:
        for draft_id, entry in self._load().items():
            if entry.get("key") == key and not entry.get("pending"):
                return draft_id, entry
        return None

    def pending(self, key: str) -> dict[str, Any] | None:
        """What :meth:`intend` wrote for ``key`` before a creation that was never confirmed."""
        return self._load().get(PENDING + key)

    def recorded_ids(self) -> set[str]:
        """The ids of every confirmed draft (each is some key's, and only that key's)."""
        return {k for k, v in self._load().items() if not v.get("pending")}

    def intend(self, key: str, to: list[str], subject: str) -> None:
        """Note, before ``drafts.create``, what the draft of ``key`` will look like.

        Gmail may replace a Message-ID it is given; a crash between its answer and
        :meth:`remember` would then leave a draft nothing names. With this note, the draft is
        still recognised by its recipients and subject among the drafts no record claims.
        Never raises.
        """
        self._write(PENDING + key, {"key": key, "to": to, "subject": subject, "pending": True})

    def remember(
        self,
        draft_id: str,
        key: str,
        thread_id: str | None,
        prior: list[str],
        message_id: str | None = None,
    ) -> None:
        """Record a draft; never raises (the draft exists whether or not this is written)."""
        entry = {
            "key": key,
            "thread": thread_id,
            "prior": prior,
            "message_id": message_id,
        }
        self._write(draft_id, entry, drop=PENDING + key)

    def _write(self, name: str, entry: dict[str, Any], drop: str | None = None) -> None:
        now = time.time()
        try:
            drafts = {
                k: v
                for k, v in self._load().items()
                if now - float(v.get("created", now)) < KEEP_SECONDS and k != drop
            }
            drafts[name] = entry | {"created": now}
            payload = json.dumps({"v": 1, "drafts": drafts}, sort_keys=True).encode("utf-8")
            self._kept = (_mark(write_private(self.path, payload)), drafts)
        except (OSError, ValueError, TypeError) as err:
            log.warning("could not record draft %s in %s: %s", name, self.path, err)


def _mark(status: os.stat_result) -> tuple[int, int, int]:
    """What tells one version of the file from another: every write replaces it."""
    return status.st_mtime_ns, status.st_size, status.st_ino
