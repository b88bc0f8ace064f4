"""What a poll cycle learns that nobody needs at once, written for all accounts together when
the cycle ends.

Most polls of most accounts change nothing but two times (the last poll, the last success) and,
for some providers, a cursor that moved although nothing came with it: Microsoft Graph hands
out a new delta link at every calendar round, changed or not. A thousand accounts polled at
once would each open a writing session to say so, and on SQLite those queue behind one writer
(issue 14). They are kept here and written in one transaction by :meth:`CycleWrites.flush`.

Losing them costs nothing. A process killed before the cycle ends leaves the previous times
(``status`` shows the previous cycle's) and the previous cursor, which reads the same empty
changes again plus anything that came since. A cursor is written only where the store still
holds the one it replaces: a real change recorded meanwhile (this instance or, on PostgreSQL,
one that took the account over) is never overwritten by an older round's link.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, update

from daemon.store.models import AccountState, SyncCursor
from daemon.store.writer import Writer

_STATE = AccountState.__table__
_BY_NAME = update(_STATE).where(_STATE.c.name == bindparam("account"))
_SUCCEEDED = _BY_NAME.values(last_poll_at=bindparam("at"), last_success_at=bindparam("at"))
_SKIPPED = _BY_NAME.values(last_poll_at=bindparam("at"))
_CURSORS = SyncCursor.__table__
_MOVED = (
    update(_CURSORS)
    .where(
        _CURSORS.c.account == bindparam("of"),
        _CURSORS.c.kind == bindparam("cursor"),
        _CURSORS.c.value == bindparam("old"),
    )
    .values(value=bindparam("new"), updated_at=bindparam("at"))
)


@dataclass(frozen=True)
class _Moved:
    old: str
    new: str
    at: datetime


class CycleWrites:
    """Kept by the engine; filled by the cycle's units from many threads."""

    def __init__(self, writer: Writer) -> None:
        self.writer = writer
        self._lock = threading.Lock()
        self._polls: dict[str, tuple[datetime, bool]] = {}  # account -> (when, succeeded)
        self._cursors: dict[tuple[str, str], _Moved] = {}  # (account, kind) -> the move

    def polled(self, account: str, when: datetime, succeeded: bool) -> None:
        """An account was polled (``succeeded``: and it is fine), nothing else changed."""
        with self._lock:
            self._polls[account] = (when, succeeded)

    def cursor_moved(self, account: str, kind: str, old: str, new: str, when: datetime) -> None:
        """A stored cursor ``old`` has a newer equivalent ``new``: nothing came between them."""
        with self._lock:
            earlier = self._cursors.get((account, kind))
            # Two polls in one cycle (a poll asked for at once): the store still holds the first
            # one's old cursor, and the second one's new cursor is the newest.
            self._cursors[(account, kind)] = _Moved(earlier.old if earlier else old, new, when)

    def flush(self) -> None:
        """Write what was kept since the last flush, in one transaction. An account whose row
        went meanwhile (renamed, forgotten) costs the others nothing: plain statements, not
        the ORM's update by primary key, which fails the whole batch for one missing row."""
        with self._lock:
            polls, self._polls = self._polls, {}
            cursors, self._cursors = self._cursors, {}
        if not (polls or cursors):
            return
        ok = [{"account": n, "at": t} for n, (t, s) in polls.items() if s]
        skipped = [{"account": n, "at": t} for n, (t, s) in polls.items() if not s]
        moved = [
            {"of": a, "cursor": k, "old": m.old, "new": m.new, "at": m.at}
            for (a, k), m in cursors.items()
        ]
        with self.writer.session() as session:
            for statement, rows in ((_SUCCEEDED, ok), (_SKIPPED, skipped), (_MOVED, moved)):
                if rows:
                    session.execute(statement, rows)
            session.commit()
