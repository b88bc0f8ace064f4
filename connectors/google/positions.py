"""The Gmail history positions of a mailbox's readers, kept in the state folder across processes.

Why: a waiting draft costs no request of its own once the poll's one ``history.list``
(:mod:`connectors.google.history`) shows its thread untouched since the position at which it was
last seen as a draft; the sent-mail check likewise reuses its last answer. Kept in memory only,
every new process (each ``run --once``, every restart) paid one ``drafts.get`` per waiting draft
and one ``messages.list`` again (issue 14: an unchanged account costs one request per mailbox).

What is kept says only true things: "draft D was a draft as of history id P" (the history from P
then proves that nothing touched its thread), "the sent check's answer to this question held at
P". An old position is as true as a new one, only longer to check, so the file may lag behind
memory: it is written when a new poll's first history fetch starts (what the last poll moved),
and when the mailbox object goes away or the process exits normally (:func:`weakref.finalize`
runs at exit), which is the end of a ``run --once``. Nothing is written when nothing moved, so an
unchanged mailbox writes nothing. A lost, unreadable or foreign file is read as empty: each draft
is looked up, as without it. The file is owner-only and replaced atomically, as the connector's
other records (:mod:`connectors.google.draftlog`).
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from daemon.paths import write_private

log = logging.getLogger(__name__)

FILE = "google-history.json"
VERSION = 1


class Positions:
    """Each reader's position (``positions``) and what a reader keeps next to it (``notes``:
    the sent check's question and answer), loaded once and written when they changed.

    The dicts are changed in place by their one user at a time (an account's unit runs in one
    thread); :meth:`flush` may run in another (the garbage collector, exit), so it copies them
    under its lock first.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.positions: dict[str, str] = {}
        self.notes: dict[str, dict[str, Any]] = {}
        self._saved: tuple[dict[str, str], dict[str, dict[str, Any]]] = ({}, {})
        self._lock = threading.Lock()
        if path is not None:
            self.positions, self.notes = _read(path)
            self._saved = (dict(self.positions), dict(self.notes))

    def flush(self) -> None:
        """Write what changed since the last write, if anything; never raises (a position not
        written costs a look-up in the next process, nothing else). A folder that is gone (a
        dry run's copy, a renamed account) is not made again."""
        if self.path is None:
            return
        with self._lock:
            now = (dict(self.positions), dict(self.notes))
            if now == self._saved or not self.path.parent.is_dir():
                return
            try:
                payload = {"v": VERSION, "positions": now[0], "notes": now[1]}
                write_private(self.path, json.dumps(payload, sort_keys=True).encode("utf-8"))
            except (OSError, ValueError, TypeError) as err:
                log.warning("could not write the Gmail history positions %s: %s", self.path, err)
                return
            self._saved = now


def _read(path: Path) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """The positions and notes in ``path``; empty when it is missing, and empty with a warning
    naming it when it cannot be read or is not what this module writes."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, {}
    except (OSError, ValueError) as err:
        log.warning("ignoring unreadable Gmail history positions %s: %s", path, err)
        return {}, {}
    table = data if isinstance(data, dict) else {}
    positions, notes = table.get("positions"), table.get("notes")
    if (
        table.get("v") != VERSION
        or not isinstance(positions, dict)
        or not isinstance(notes, dict)
        or not all(isinstance(v, str) and v.isdigit() for v in positions.values())
        or not all(isinstance(v, dict) for v in notes.values())
    ):
        log.warning(
            "ignoring Gmail history positions %s: expected version %d with a position (digits) "
            "per reader; every waiting draft is looked up instead",
            path,
            VERSION,
        )
        return {}, {}
    return {str(k): v for k, v in positions.items()}, {str(k): v for k, v in notes.items()}
