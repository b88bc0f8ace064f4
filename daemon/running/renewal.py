"""The thread that keeps this instance's account leases (:mod:`daemon.running.leases`).

Why a thread of its own: a lease must be renewed on time whatever the engine is doing; a poll
of a thousand accounts, or one slow server, must not let this instance's leases run out under
it. One round every quarter lease period renews what is held (releasing the surplus when an
instance joined) and claims what is free; a round that fails (the database away for a moment)
is only logged: two more may fail before any lease is lost.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from daemon.running.leases import Leases, leases_for
from daemon.store.database import StoreError

if TYPE_CHECKING:
    from daemon.running.engine import Engine

log = logging.getLogger(__name__)

STOP_WAIT = 5.0  # seconds a stop waits for a round in flight before releasing anyway


class Renewal:
    """Renew and claim leases every ``leases.tick_every`` until :meth:`stop`."""

    def __init__(
        self,
        leases: Leases,
        accounts: Callable[[], Iterable[str]],
        gained: Callable[[set[str]], None] | None = None,
    ) -> None:
        self.leases = leases
        self.accounts = accounts  # the accounts of the config in use now (it may be reloaded)
        # Told of the accounts a round took on (a dead instance's): the service polls them
        # then, not at its next poll, so a takeover is over within one lease period.
        self.gained = gained
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """A first round now, so the first poll finds this instance's accounts claimed, then
        the thread. Nothing to do for an instance alone on its database (SQLite)."""
        if not self.leases.shared:
            self.leases.claim(self.accounts())
            return
        self.round()
        self._thread = threading.Thread(target=self._run, name="leases", daemon=True)
        self._thread.start()

    def round(self) -> set[str]:
        """One renewal and claim; returns the leases lost since the last round."""
        before = self.leases.held()
        try:
            lost = self.leases.tick(self.accounts())
            new = set(self.leases.held() - before)
            if new and self.gained is not None and self._thread is not None:
                self.gained(new)
            return lost
        except StoreError as err:
            log.warning("cannot renew the account leases: %s; trying again shortly", err)
        except Exception:  # the thread must outlive a bug met once
            log.exception("cannot renew the account leases")
        return set()

    def _run(self) -> None:
        while not self._stop.wait(self.leases.tick_every.total_seconds()):  # may be reloaded
            self.round()

    def stop(self) -> None:
        """Stop renewing and free every lease at once, so other instances take the accounts
        at their next round instead of waiting for the leases to run out."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(STOP_WAIT)
        if not self.leases.shared:
            return
        try:
            self.leases.release_all()
        except Exception as err:  # they run out by themselves within a lease period
            log.warning("cannot release the account leases (%s); they run out by themselves", err)


@contextmanager
def leased(engine: Engine) -> Iterator[Leases]:
    """This process's leases for one run of ``engine`` (``run --once``): claimed before it,
    renewed while it lasts (a long first poll may outlast a lease period), released after."""
    daemon = engine.config.daemon
    leases = leases_for(engine.sessions, daemon.lease_period, daemon.state_dir)
    engine.leases = leases
    renewal = Renewal(leases, lambda: [account.name for account in engine.config.accounts])
    renewal.start()
    try:
        yield leases
    finally:
        renewal.stop()
