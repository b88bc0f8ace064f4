"""The service's ``wake`` job: an account whose files or INBOX changed is polled alone, at once.

A mixin of :class:`daemon.running.service.Service`, kept apart because the service's other
jobs (poll, due, recheck) and its life (signals, reload, leases) read better without it.
:mod:`daemon.running.wakeups` keeps the accounts' watches and groups their changes; this
turns a group into a job. One job is queued at most: accounts woken while it waits join it,
and those woken while it runs wait for the next, never dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from daemon.running.wakeups import Wakeups

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

    from daemon.running.engine import Engine
    from daemon.running.leases import Leases

log = logging.getLogger("daemon.running.service")  # the name users' logs have always shown


class WakeJobs:
    engine: Engine
    leases: Leases
    scheduler: BackgroundScheduler
    _scheduling: threading.Lock
    # The accounts' own watches ([daemon].wake_on_change), the accounts they woke and not yet
    # polled, and whether a ``wake`` job is queued that has not begun (it takes them).
    wakeups: Wakeups | None
    _woken: set[str]
    _wake_queued: bool

    _job: Callable[..., None]  # the service's: a poll (of these accounts), then due work

    def _follow(self, engine: Engine, start: bool = False) -> None:
        """Watch the accounts ``engine`` works now, as ``[daemon].wake_on_change`` says;
        ``start``: the engine has just begun (else only watches running already follow)."""
        settings = getattr(getattr(engine, "config", None), "daemon", None)
        if engine.stopping or engine is not self.engine:
            return
        if not getattr(settings, "wake_on_change", False):
            if self.wakeups is not None:
                self.wakeups.close()
                self.wakeups = None
            return
        if self.wakeups is None:
            if not start:
                return
            self.wakeups = Wakeups(self._poll_soon)
        try:
            self.wakeups.follow(engine.connections, self.leases.holds)
        except Exception:  # the accounts are polled at the interval all the same
            log.exception("cannot watch the accounts for changes")

    def _poll_soon(self, accounts: set[str]) -> None:
        """Some accounts changed (the wake-ups' timer): poll them now, in the ``wake`` job.

        One job queued at most: accounts woken while it waits join it, and those woken while
        it runs wait for the next, which APScheduler holds until the running one ends (two
        instances allowed; one would make it drop the second, a one-off date job)."""
        with self._scheduling:
            engine = self.engine
            if engine.stopping or self.scheduler.get_job("poll") is None:
                return  # stopping, or a reload under way, whose first poll reads everything
            self._woken |= accounts
            if self._wake_queued:
                return
            self._wake_queued = True
            self.scheduler.add_job(
                self._woken_job,
                "date",
                run_date=datetime.now(UTC),
                args=[engine],
                id="wake",
                executor="wake",
                replace_existing=True,
                max_instances=2,
            )

    def _woken_job(self, engine: Engine) -> None:
        with self._scheduling:
            accounts, self._woken = self._woken, set()
            self._wake_queued = False
        if accounts and not engine.stopping:
            self._job(True, engine, accounts)
