"""Answers that hardly ever change, kept a day in the account's state folder.

A ``followupd run --once`` process (from a timer, say) used to ask them all again: the
sign-in service's endpoints (MSAL's OpenID discovery), the user's profile (their own
addresses), their default calendar's name, the Deleted Items and Sent Items folder ids. Five
requests per process and account, for answers that are the same every time. Kept here, a
second process asks none of them; the daemon asks each once a day.

The record is a cache, never the source of truth: a missing, unreadable or unwritable file
only costs the lookups again (an unwritable one is said once in the log). It holds no token
and nothing secret (the profile is the user's name and address), but lives owner-only beside
the token cache all the same, written atomically (:func:`daemon.paths.write_private`).
``followupd check`` asks afresh (:meth:`Lookups.remember` with ``fresh``), so it still proves
the service answers, and renews the record.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from daemon.paths import read_private_table, write_private

log = logging.getLogger(__name__)

FILE = "outlook-lookups.json"
KEEP = 24 * 3600.0  # seconds; MSAL itself keeps its discovery answers a day


class Lookups:
    """One account's record of lookups; thread-safe (calendar and mailbox share it)."""

    def __init__(
        self, folder: Path, keep: float = KEEP, now: Callable[[], float] = time.time
    ) -> None:
        self.path = folder / FILE
        self._keep = keep
        self._now = now
        self._lock = threading.Lock()
        self._table: dict[str, dict[str, Any]] | None = None
        self._unwritable = False

    def get(self, key: str) -> Any:
        """The value kept for ``key`` if it is younger than a day, else None."""
        with self._lock:
            entry = self._entries().get(key)
        if entry is None:
            return None
        at = entry.get("at")
        if not isinstance(at, (int, float)) or not 0 <= self._now() - at < self._keep:
            return None
        return entry.get("value")

    def put(self, key: str, value: Any) -> None:
        """Keep ``value``; the same value as kept is written again only once half its day is
        gone (so a value asked about every poll is not rewritten every poll)."""
        with self._lock:
            table = self._entries()
            kept = table.get(key)
            now = self._now()
            if kept is not None and kept.get("value") == value:
                at = kept.get("at")
                if isinstance(at, (int, float)) and 0 <= now - at < self._keep / 2:
                    return
            table[key] = {"at": now, "value": value}
            self._save(table)

    def remember(self, key: str, fetch: Callable[[], Any], *, fresh: bool = False) -> Any:
        """The kept value of ``key``, else (or when ``fresh``) ``fetch()``, then kept.

        ``fetch`` runs outside the lock: two threads may both ask once, which is harmless."""
        if not fresh:
            found = self.get(key)
            if found is not None:
                return found
        value = fetch()
        if value is not None:
            self.put(key, value)
        return value

    # -- the file ----------------------------------------------------------------------------

    def _entries(self) -> dict[str, dict[str, Any]]:
        if self._table is None:
            self._table = read_private_table(self.path, "lookups", "Outlook lookup record")
        return self._table

    def _save(self, table: dict[str, dict[str, Any]]) -> None:
        payload = json.dumps({"lookups": table}, sort_keys=True, indent=1).encode("utf-8")
        try:
            write_private(self.path, payload)
        except OSError as err:
            if not self._unwritable:
                self._unwritable = True
                log.info("cannot keep Outlook lookups in %s (%s); asking again", self.path, err)
