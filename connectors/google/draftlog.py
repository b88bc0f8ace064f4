"""A small owner-only record of the drafts this connector created, kept in the state dir.

Why it exists: when the user sends a draft from Gmail's web interface, Gmail builds a new message
(new id, new Message-ID, our ``X-Followupd-Key`` header may be dropped) in the same thread, and
the draft id disappears. In a status inquiry's thread the earlier thank-you is a SENT message too,
so "a SENT message in the thread" alone cannot tell "the user sent the inquiry" from "the user
deleted the inquiry". Remembering which messages were in the thread *before* the draft settles
it. The record also answers ``find_draft`` without any request when the crash fell after the
API call returned.

It is a cache, not the source of truth: when it is lost, drafts are still found by their key
header and sent messages by key header or Message-ID (see :mod:`connectors.google.drafts`).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from daemon.paths import write_private

log = logging.getLogger(__name__)

KEEP_SECONDS = 400 * 86400  # drafts older than this are long resolved


class DraftLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            log.warning("ignoring unreadable draft record %s: %s", self.path, err)
            return {}
        drafts = data.get("drafts") if isinstance(data, dict) else None
        return {str(k): v for k, v in (drafts or {}).items() if isinstance(v, dict)}

    def get(self, draft_id: str) -> dict[str, Any] | None:
        return self._load().get(draft_id)

    def by_key(self, key: str) -> tuple[str, dict[str, Any]] | None:
        for draft_id, entry in self._load().items():
            if entry.get("key") == key:
                return draft_id, entry
        return None

    def remember(self, draft_id: str, key: str, thread_id: str | None, prior: list[str]) -> None:
        """Record a draft; never raises (the draft exists whether or not this is written)."""
        now = time.time()
        try:
            drafts = {
                k: v
                for k, v in self._load().items()
                if now - float(v.get("created", now)) < KEEP_SECONDS
            }
            drafts[draft_id] = {"key": key, "thread": thread_id, "prior": prior, "created": now}
            payload = json.dumps({"v": 1, "drafts": drafts}, sort_keys=True).encode("utf-8")
            write_private(self.path, payload)
        except (OSError, ValueError, TypeError) as err:
            log.warning("could not record draft %s in %s: %s", draft_id, self.path, err)
