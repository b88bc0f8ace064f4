"""Write transactions one at a time on SQLite, each from the newest state.

The engine works many accounts at once, each unit in a thread with its own session. SQLite lets
one connection write at a time, and a transaction that read before another one committed is
refused its first write at once (SQLITE_BUSY_SNAPSHOT: it decided on old data, no waiting
helps). Between threads of one process that would fail nearly every poll, since any two
accounts' writes meet in the one file.

So the engine asks for every session that may write through :meth:`Writer.session`: on SQLite
each of its transactions holds the process's write gate from before its first statement to its
end, so it reads the newest state and no thread of this process commits under it. The
refusal stays for what it was meant for: another process (``followupd note`` while the service
runs) writing between a transaction's first read and its first write.

Reading needs no gate (WAL: readers never wait and never block a writer), and network calls
belong outside the gate: the engine's poll steps read, ask the server with no transaction open,
then record the answers in a short writing session that reads again what it changes. On
PostgreSQL, whose rows lock one by one, the gate is open: writers of different accounts run
side by side.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker


class Writer:
    """Where the engine's writing sessions come from (see the module's docstring)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        bind = sessions.kw.get("bind")
        self.serial = bind is not None and bind.dialect.name == "sqlite"
        # Re-entrant: a unit holding it may open a second session in the same thread (they
        # must not both write, which SQLite would refuse anyway, but reading is fine).
        self._gate = threading.RLock()
        self._local = threading.local()  # the fence of the unit this thread works, if any

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session that may write; on SQLite, while one of its transactions is open, the
        only one in this process: the gate is taken as a transaction begins (before its first
        statement, so it reads the newest state) and given back when it ends. Between two
        transactions (a draft being created at the server after its intent was committed) the
        others write. What is not committed when the block ends is rolled back. Inside
        :meth:`fencing`, each of its commits is checked first."""
        with self.sessions() as session:
            fence = getattr(self._local, "fence", None)
            if fence is not None:
                event.listen(session, "before_commit", fence)
            if not self.serial:
                yield session
                return
            held = [False]

            # The outermost transaction only: a savepoint, or the transaction a flush opens
            # inside the current one, must neither take nor give back the gate.
            def begun(_session: Session, transaction: Any, _connection: Any) -> None:
                if transaction.parent is None and not held[0]:
                    self._gate.acquire()
                    held[0] = True

            def ended(_session: Session, transaction: Any) -> None:
                if transaction.parent is None and held[0]:
                    held[0] = False
                    self._gate.release()

            event.listen(session, "after_begin", begun)
            event.listen(session, "after_transaction_end", ended)
            try:
                yield session
            finally:
                session.close()  # ends (rolls back) what is left open: the gate goes with it
                if held[0]:
                    held[0] = False
                    self._gate.release()

    @contextlib.contextmanager
    def fencing(self, fence: Callable[[Session], None] | None) -> Iterator[None]:
        """Check every commit of the writing sessions this thread opens in the block with
        ``fence`` (an account's lease, daemon/running/leases.py: a unit of an instance that
        lost the account commits nothing)."""
        before = getattr(self._local, "fence", None)
        self._local.fence = fence
        try:
            yield
        finally:
            self._local.fence = before
