"""An account's failures, kept per account: what a unit of work's failure does next.

Failures are classified by :mod:`daemon.errors` into what happens next: an account that needs
re-authorization, hit its quota or is unreachable is marked so (``followupd status`` shows it)
and the other accounts carry on. A failure of the database itself is no account's: it is
raised, since every account would fail the same way.

A mixin of :class:`daemon.running.engine.Engine`, kept apart because it is the one thing every
unit of work goes through, and the engine's loop reads better without it.

The usual poll of an account that is fine changes nothing of its state but two times (the last
poll, the last success): those are written for every such account at once when the cycle ends
(daemon/running/cyclewrites.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from daemon import metrics
from daemon.errors import AuthNeeded, FollowupdError, QuotaExceeded, TransientError
from daemon.logsetup import RECORDED, tracebacks
from daemon.running.leases import LeaseLost
from daemon.running.sharing import MailboxBusy
from daemon.store import repository as repo
from daemon.store.database import StoreError
from daemon.store.models import AccountState
from daemon.worlderrors import world_error

if TYPE_CHECKING:
    from daemon.clock import Clock
    from daemon.config import Config
    from daemon.notify.teller import Teller
    from daemon.running.cyclewrites import CycleWrites
    from daemon.running.engine import Connection
    from daemon.running.leases import Leases
    from daemon.store.writer import Writer

log = logging.getLogger("daemon.running.engine")  # the name users' logs have always shown

MAX_BACKOFF = timedelta(hours=1)
# Built once: read before every unit of every account.
_STATE = select(AccountState.status, AccountState.failures, AccountState.backoff_until).where(
    AccountState.name == bindparam("name")
)


class AccountFailures:
    """``_guarded``: one unit of an account's work, its failure made that account's state."""

    config: Config
    clock: Clock
    writer: Writer
    leases: Leases
    teller: Teller
    connections: dict[str, Connection]
    sessions: sessionmaker[Session]
    cycle_writes: CycleWrites

    def _guarded(
        self,
        connection: Connection,
        work: Callable[[Connection, datetime], None],
        poll: bool = True,
    ) -> None:
        """Run ``work`` for one account; turn its failure into that account's visible state.

        ``work`` opens its own sessions (reads, then short writing sessions). A
        :class:`StoreError` (database locked, full, damaged, unreachable) is not the account's
        failure and is raised: the other accounts would fail the same way.
        """
        name = connection.account.name
        if not self.leases.holds(name):
            return  # another instance works it now (several instances on one PostgreSQL)
        now = self.clock.now()
        with self.sessions() as session:  # a read: the usual poll writes nothing before it
            seen = session.execute(_STATE, {"name": name}).first()
        known = seen is not None
        status, failures, backoff_until = seen if seen is not None else (None, 0, None)
        clean = (status, failures) == ("ok", 0)
        # A poll retries an account that needs re-authorization (`followupd auth` may have
        # fixed it meanwhile); drafting waits until a poll has succeeded again.
        waiting = backoff_until is not None and backoff_until > now
        reauth = status == "needs_reauth"
        if poll and (not known or connection.error is not None):
            with self.writer.session() as session:
                row = repo.account_state(session, name)
                row.last_poll_at = now
                if connection.error is not None:
                    self._fail(row, connection.error, now)
                session.commit()
            if connection.error is not None:
                return
        if waiting or (not poll and (reauth or connection.error)):
            if poll:
                self.cycle_writes.polled(name, now, succeeded=False)
            return
        try:
            # Every commit of the unit checks that the account's lease is still this
            # instance's (a no-op with one instance): a unit that lost it commits nothing.
            with self.leases.unit(name) as fence, self.writer.fencing(fence):
                if connection.lock is not None:
                    connection.lock.acquire()
                work(connection, now)
        except LeaseLost as err:
            log.info("%s: %s", name, err)  # not this instance's failure, nor the account's
            return
        except StoreError:
            # The database failed, not the account: nothing can be recorded about it, and
            # the other accounts would fail the same way. The caller reports it once.
            raise
        except FollowupdError as err:
            self._record_failure(name, err, now, poll)
            return
        except OSError as err:  # the world's (a folder it cannot write, a full disk)
            log.debug("%s: %s", name, err, exc_info=tracebacks())
            self._record_failure(name, world_error(err), now, poll)
            return
        except Exception as err:  # one broken account or item must not stop the daemon
            log.exception("%s: internal error", name)
            self._record_failure(
                name, FollowupdError(f"internal error: {type(err).__name__}: {err}"), now, poll
            )
            return
        if not poll:
            return
        if clean:
            self.cycle_writes.polled(name, now, succeeded=True)
            return
        with self.writer.session() as session:
            state = repo.account_state(session, name)
            state.status, state.last_error, state.fix = "ok", None, None
            state.failures, state.backoff_until = 0, None
            state.last_poll_at = state.last_success_at = now
            session.commit()

    def _record_failure(
        self, name: str, err: FollowupdError, now: datetime, poll: bool = False
    ) -> None:
        with self.writer.session() as session:
            state = repo.account_state(session, name)
            if poll:
                state.last_poll_at = now
            self._fail(state, err, now)
            session.commit()

    def _fail(self, state, err: FollowupdError, now: datetime) -> None:  # noqa: ANN001
        if (
            isinstance(err, MailboxBusy)
            and state.status == "error"
            and state.last_error == str(err)
        ):
            return  # said once; the other instance may hold it for days
        connection = self.connections.get(state.name)
        if connection is not None:
            account = connection.account
            metrics.failure(
                (account.calendar.provider, account.mailbox.provider), failure_kind(err)
            )
        state.failures = (state.failures or 0) + 1
        state.last_error = str(err)
        if isinstance(err, AuthNeeded):
            if state.status != "needs_reauth":  # told on the change, not at every poll after it
                self.teller.needs_auth(state.name, err.fix)
            state.status, state.fix = "needs_reauth", err.fix
            log.error("%s needs re-authorization: %s", state.name, err, extra=RECORDED)
            return
        if isinstance(err, QuotaExceeded):
            state.status = "backoff"
            state.backoff_until = err.until or now + MAX_BACKOFF
        elif isinstance(err, TransientError):
            state.status = "backoff"
            wait = (
                timedelta(seconds=err.retry_after)
                if err.retry_after
                else self._backoff(state.failures)
            )
            state.backoff_until = now + min(wait, MAX_BACKOFF)
        else:
            state.status = "error"
        log.error("%s: %s", state.name, err, extra=RECORDED)

    def _backoff(self, failures: int) -> timedelta:
        return min(self.config.daemon.poll_interval * (2 ** max(failures - 1, 0)), MAX_BACKOFF)


def failure_kind(err: BaseException) -> str:
    """An account's failure as a metrics label (daemon/metrics.py): what happens next."""
    if isinstance(err, MailboxBusy):
        return "busy"
    if isinstance(err, AuthNeeded):
        return "needs_reauth"
    if isinstance(err, QuotaExceeded):
        return "quota"
    if isinstance(err, TransientError):
        return "transient"
    return "error"
