"""The long-running process: APScheduler wakes the engine, systemd is kept informed.

Three kinds of wake-up, all rebuilt from the database at every start (nothing is pickled):

- ``poll`` every ``[daemon].poll_interval``, first right at start so downtime is caught up;
- ``due`` at the earliest due time of any pending follow-up, so a draft is created at its due
  time and not only at the next poll, or at the next end of an interview whose notes are
  wanted, so the user is told right then (:mod:`daemon.notify`), whichever comes first;
- ``recheck`` every minute (:data:`DUE_RECHECK`), in a thread of its own: the earliest due time
  read again, because another process may have moved it earlier (``followupd note`` releases a
  thank-you that waited for notes) and the poll may be hours away. It only reads one time and
  moves the ``due`` wake-up earlier; the work stays with the one worker.

- ``wake``: an account whose files or INBOX changed (:mod:`daemon.running.wakejobs`; inotify,
  IMAP IDLE) is polled alone, within seconds, and its due work done. Accounts that change
  while such a poll runs are kept and polled right after it, never dropped; it runs beside a
  poll cycle (the engine's pool works one unit per account at a time).

Polls run in one scheduler thread and due wake-ups in another, so a draft due at 10:00 is made
at 10:00 even while a poll of a thousand accounts is under way. Both hand their units of work
to the engine's pool (:mod:`daemon.running.workers`: one unit per account at a time, within
the configured limits), and the engine keeps its rounds of due work one at a time.
The main thread only waits: it turns SIGTERM/SIGINT into a clean stop between units of work,
sends READY/STOPPING, and feeds the systemd watchdog while work progresses. A poll that hangs
stops feeding it, and systemd restarts the service.

SIGHUP (``systemctl reload``) reloads the config, as daemons conventionally do: the main thread
loads and checks the new file (:mod:`daemon.running.reload`) and builds its engine while the old one
keeps working. An invalid config is logged and changes nothing. A valid one replaces the running
engine at the next safe point: the old engine is asked to stop after its unit of work, and once
no job is running the scheduler is rebuilt around the new engine (new accounts, templates,
poll interval), first poll right away. systemd hears RELOADING=1 and, when done, READY=1.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING

from daemon import metrics
from daemon.errors import ConfigError, FollowupdError
from daemon.output.times import zoned
from daemon.running import sdnotify
from daemon.running.accountswatch import AccountsWatch
from daemon.running.engine import Engine
from daemon.running.leases import Leases, leases_for
from daemon.running.renewal import Renewal
from daemon.running.wakejobs import WakeJobs
from daemon.store.database import StoreError

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

    from daemon.running.reload import Reloader
    from daemon.running.upcoming import Upcoming

log = logging.getLogger(__name__)

# A unit of work (one account's poll step, one draft) that makes no progress for this long is
# considered hung: the watchdog is no longer fed.
STALL_LIMIT = timedelta(minutes=4)
# A test and operations knob: seconds instead of STALL_LIMIT (keep it below WatchdogSec).
STALL_LIMIT_ENV = "FOLLOWUPD_STALL_LIMIT_SECONDS"


def stall_limit() -> timedelta:
    """STALL_LIMIT, or ``$FOLLOWUPD_STALL_LIMIT_SECONDS`` when set to a positive number."""
    raw = os.environ.get(STALL_LIMIT_ENV, "").strip()
    if not raw:
        return STALL_LIMIT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if seconds > 0:
        return timedelta(seconds=seconds)
    log.warning(
        "ignoring %s=%r: expected a number of seconds above 0; using %s",
        STALL_LIMIT_ENV,
        raw,
        STALL_LIMIT,
    )
    return STALL_LIMIT


# How often the earliest due time is read again (see the module's docstring).
DUE_RECHECK = timedelta(minutes=1)
# A test knob: seconds instead of DUE_RECHECK.
DUE_RECHECK_ENV = "FOLLOWUPD_DUE_RECHECK_SECONDS"


def due_recheck() -> timedelta:
    """DUE_RECHECK, or ``$FOLLOWUPD_DUE_RECHECK_SECONDS`` when set to a positive number."""
    raw = os.environ.get(DUE_RECHECK_ENV, "").strip()
    try:
        seconds = float(raw) if raw else 0.0
    except ValueError:
        seconds = 0.0
    if seconds > 0:
        return timedelta(seconds=seconds)
    if raw:
        log.warning("ignoring %s=%r: expected a number of seconds above 0", DUE_RECHECK_ENV, raw)
    return DUE_RECHECK


# On SIGTERM, how long the unit of work in flight may take to finish before the process leaves
# without it (systemd's TimeoutStopSec is 15 s; the issue asks for well under 5 s).
SHUTDOWN_GRACE = 3.0
SIGNAL_CHECK = 1.0  # seconds: the longest the main thread waits before looking for a signal


class Service(WakeJobs):
    def __init__(
        self, engine: Engine, poll_interval: timedelta, reloader: Reloader | None = None
    ) -> None:
        self.engine = engine
        self.poll_interval = poll_interval
        self.reloader = reloader
        self.stall_limit = stall_limit()
        self.stopped = threading.Event()
        self._wake = threading.Event()  # set by the signal handlers: the main thread looks now
        self._hangup = threading.Event()
        self._pending: Engine | None = None  # built from a reloaded config, waiting to take over
        # Running jobs by thread: whether it polls, and since when (monotonic).
        self._busy: dict[int, tuple[bool, float]] = {}
        self._said_next: Upcoming | None = None  # what "next: ..." said last
        self.watch: AccountsWatch | None = None  # the engine's [daemon].accounts_dir
        # The accounts' own watches and what they woke (daemon/running/wakejobs.py).
        self.wakeups = None
        self._woken = set()
        self._wake_queued = False
        # APScheduler's shutdown(wait=True) holds its job-store lock while it waits for the
        # running job; a job that then touched the scheduler (add_job, get_job) would wait for
        # that lock forever. Scheduling and stopping are serialised by this lock instead.
        self._scheduling = threading.Lock()
        self.scheduler = self._new_scheduler()
        # Which accounts this process works, kept for its whole life (a reload keeps them):
        # on PostgreSQL shared with other instances and renewed by a thread of its own.
        self.leases = _leases_of(engine)
        engine.leases = self.leases
        self.leases.on_release = self._let_go
        self.renewal = Renewal(self.leases, self._account_names, self._gained)

    def _account_names(self) -> list[str]:
        config = getattr(self.engine, "config", None)
        return [account.name for account in getattr(config, "accounts", ())]

    def _let_go(self, account: str) -> None:
        """An account's lease went to another instance: so does its mailbox's lock (that
        instance may run on this host). The engine takes it again before its next unit."""
        connection = self.engine.connections.get(account)
        if connection is not None and connection.lock is not None:
            connection.lock.release()
        wakeups = self.wakeups
        if wakeups is not None:  # the instance that took it watches it now
            wakeups.drop(account)

    @staticmethod
    def _new_scheduler() -> BackgroundScheduler:
        # Here, not at the top: `run --once` and the other commands need InstanceLock only.
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        return BackgroundScheduler(
            executors={
                "default": ThreadPoolExecutor(max_workers=1),  # polls
                # Due wake-ups beside a long poll: the engine's pool runs the units of both.
                "due": ThreadPoolExecutor(max_workers=1),
                # Never queued behind a long poll (which would make APScheduler skip it, warning).
                "recheck": ThreadPoolExecutor(max_workers=1),
                # An account that changed, polled beside a long poll cycle.
                "wake": ThreadPoolExecutor(max_workers=1),
            },
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )

    # -- jobs -----------------------------------------------------------------------------

    def _job(
        self, poll: bool, engine: Engine | None = None, accounts: set[str] | None = None
    ) -> None:
        # Each job keeps to the engine it was scheduled for: after a reload, a job of the old
        # engine must neither use nor schedule work for the new one.
        engine = engine or self.engine
        me = threading.get_ident()
        self._busy[me] = (poll, time.monotonic())
        try:
            if poll and accounts is not None:  # woken by a change: these accounts only
                began = time.monotonic()
                polled = engine.poll(accounts)
                log.info(
                    "changed: polled %s in %.1f s",
                    ", ".join(sorted(accounts)) if polled else "nothing",
                    time.monotonic() - began,
                )
            elif poll:
                self._refresh_accounts(engine)
                began = time.monotonic()
                polled = engine.poll()
                took = time.monotonic() - began
                metrics.cycle(took)
                # For whoever watches a large installation keep its interval (docs/bench.md).
                log.info("poll cycle: %d account(s) in %.1f s", polled, took)
                _count_accounts(engine)
                ended = zoned(datetime.now(UTC), engine.config.daemon.timezone)
                sdnotify.notify(f"STATUS=last poll {ended}")  # `systemctl status` shows it
                self._follow(engine)  # accounts added, changed, removed, taken over
            if not engine.stopping:
                engine.run_due()
        except StoreError as err:  # the database failed, not one account: try again later
            log.error("%s; trying again at the next poll", err)
        except Exception:  # the engine keeps failures per account; this is a last resort
            log.exception("unexpected error in a %s job", "poll" if poll else "due")
        finally:
            self._busy.pop(me, None)
            if not engine.stopping:
                self._schedule_due(engine)
                self._say_next(engine)

    def _gained(self, accounts: set[str]) -> None:
        """The renewal took on accounts (another instance stopped or died): poll now."""
        log.info("taking over %d account(s): %s", len(accounts), ", ".join(sorted(accounts)))
        with self._scheduling:
            if self.engine.stopping or self.scheduler.get_job("poll") is None:
                return
            self.scheduler.modify_job("poll", next_run_time=datetime.now(UTC))

    def _refresh_accounts(self, engine: Engine) -> None:
        """Added, changed and removed files of ``[daemon].accounts_dir``, before each poll."""
        watch = self.watch
        if watch is None or watch.engine is not engine:
            return
        try:
            watch.refresh()
        except StoreError:
            raise
        except Exception:  # the accounts running go on with the set they have
            log.exception("cannot read [daemon].accounts_dir again")

    def _say_next(self, engine: Engine) -> None:
        """Log what comes next ("next: thank-you to Jane Smith (Acme Corp) at 15:30 CET") at the
        normal level, when it changed since it was last said (daemon/running/upcoming.py)."""
        try:
            coming = engine.upcoming()
        except Exception as err:  # saying it is a courtesy: never let it fail a job
            log.debug("cannot tell what comes next: %s", err)
            return
        if coming != self._said_next:
            self._said_next = coming
            log.info("%s", coming.text)

    def _recheck(self, engine: Engine) -> None:
        """Wake up earlier if the earliest due time moved earlier behind our back."""
        self._schedule_due(engine, only_earlier=True)

    def _schedule_due(self, engine: Engine | None = None, only_earlier: bool = False) -> None:
        """(Re)place the ``due`` wake-up at the earliest due time. ``only_earlier``: leave it
        when it wakes in time already, or while due work runs (which places it when done)."""
        engine = engine or self.engine
        try:
            due = engine.next_due()
        except StoreError as err:
            log.warning("cannot read the next due time: %s", err)
            return
        except Exception:
            log.exception("cannot read the next due time")
            return
        with self._scheduling:
            if engine.stopping:  # its scheduler is being shut down or replaced: leave it alone
                return
            if only_earlier:
                job = self.scheduler.get_job("due")
                if due is None or any(not polling for polling, _ in self._busy.values()):
                    return
                if job is not None and job.next_run_time <= due:
                    return
            if due is None:
                if self.scheduler.get_job("due"):
                    self.scheduler.remove_job("due")
                return
            when = max(due, datetime.now(UTC))
            self.scheduler.add_job(
                self._job,
                "date",
                run_date=when,
                args=[False, engine],
                id="due",
                executor="due",
                replace_existing=True,
                # A due job places its successor from inside itself (and a poll may place one
                # while a due job runs): with one instance allowed, APScheduler would skip a
                # successor due at once ("maximum number of running instances reached") and
                # drop it, a one-off date job, leaving due work to the next recheck. Two: the
                # successor waits in the "due" executor's one thread and runs right after.
                max_instances=2,
            )
        log.debug("next wake-up (a follow-up due or an interview ending) at %s", when.isoformat())

    # -- process --------------------------------------------------------------------------

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info(
            "received %s, stopping after the current unit of work", signal.Signals(signum).name
        )
        self.engine.stop()
        self.stopped.set()
        self._wake.set()

    def _on_hangup(self, _signum: int, _frame: FrameType | None) -> None:
        # Only a flag: loading a config, opening a store and logging are no work for a signal
        # handler, which may run in the middle of anything the main thread does.
        self._hangup.set()
        self._wake.set()

    def healthy(self) -> bool:
        """True unless a job has been running without progress for longer than the limit."""
        busy = [since for _, since in self._busy.values()]
        if not busy:
            return True
        last = max(min(busy), self.engine.progress_at)
        return time.monotonic() - last < self.stall_limit.total_seconds()

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGHUP, self._on_hangup)
        self.renewal.start()  # claimed before the first poll
        self._serve_metrics()
        self._start()
        sdnotify.notify("READY=1", "STATUS=running")
        log.info("followupd running; polling every %s", self.poll_interval)
        ping = sdnotify.watchdog_interval()
        # Never wait without a timeout: the kernel may deliver SIGTERM to a worker thread, and
        # then Python runs our handler only once the main thread wakes up by itself.
        wake = min(ping, SIGNAL_CHECK) if ping is not None else SIGNAL_CHECK
        due = time.monotonic() + (ping or 0.0)
        try:
            while not self.stopped.is_set():
                self._wake.wait(timeout=wake)
                self._wake.clear()
                if self.stopped.is_set():
                    break
                if self._hangup.is_set():
                    self._hangup.clear()
                    self._reload()
                if self._pending is not None and not self._busy:
                    self._take_over()
                if ping is None or time.monotonic() < due - wake / 2:
                    continue
                due = time.monotonic() + ping
                if self.healthy():
                    sdnotify.notify("WATCHDOG=1")
                else:
                    log.error(
                        "a job has made no progress for %s; not feeding the watchdog",
                        self.stall_limit,
                    )
        finally:
            sdnotify.notify("STOPPING=1")
            self.stop_jobs(wait=False)
            self._leave()

    def stop_jobs(self, wait: bool) -> None:
        """No more jobs: the watches closed, the engine stopped after its unit of work, the
        scheduler shut down (``wait``: until its running jobs end; a service run in-process by
        a test or a benchmark)."""
        if self.wakeups is not None:
            self.wakeups.close()
        with self._scheduling:  # no job is inside the scheduler's API from now on
            self.engine.stop()
        self.scheduler.shutdown(wait=wait)

    def _serve_metrics(self) -> None:
        """``[daemon].metrics_port``, once for the life of the process (a reload does not move
        it). A port that cannot be served is logged: drafting matters more than the metrics."""
        settings = getattr(getattr(self.engine, "config", None), "daemon", None)
        if settings is None or settings.metrics_port is None:
            return
        try:
            metrics.serve(settings.metrics_port, settings.metrics_address)
        except metrics.MetricsUnavailable as err:
            log.error("%s; running without metrics", err)

    def _start(self) -> None:
        """Schedule the polls of the current engine, the first one right away, and start."""
        # The folder of account files, followed before each poll (an engine without a config,
        # as some tests build, has none).
        config = getattr(self.engine, "config", None)
        self.watch = AccountsWatch(self.engine) if config is not None else None
        self.scheduler.add_job(
            self._job,
            "interval",
            seconds=self.poll_interval.total_seconds(),
            args=[True, self.engine],
            id="poll",
            next_run_time=datetime.now(UTC),
        )
        self.scheduler.add_job(
            self._recheck,
            "interval",
            seconds=due_recheck().total_seconds(),
            args=[self.engine],
            id="recheck",
            executor="recheck",
        )
        # A new scheduler: a wake job of the old one never runs, and the first poll reads all.
        self._woken, self._wake_queued = set(), False
        self.scheduler.start()
        self._follow(self.engine, start=True)

    # -- reload (SIGHUP) ------------------------------------------------------------------

    def _reload(self) -> None:
        """Load and check the config again; on success, hand over at the next safe point."""
        sdnotify.notify(
            "RELOADING=1",
            f"MONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}",
            "STATUS=reloading the configuration",
        )
        if self.reloader is None:
            log.warning("received SIGHUP, but there is no configuration file to reload")
            sdnotify.notify("READY=1", "STATUS=running")
            return
        log.info("received SIGHUP, reloading %s", self.reloader.current.path)
        try:
            engine = self.reloader.load()
        except ConfigError as err:
            self._not_reloaded(err.problems)
            return
        except FollowupdError as err:
            self._not_reloaded([str(err)])
            return
        except Exception as err:  # a bug must not take the running daemon down with it
            log.exception("reloading the configuration failed")
            self._not_reloaded([f"internal error: {type(err).__name__}: {err}"])
            return
        if self._pending is not None:  # two reloads in a row: the newer file wins
            _dispose(self._pending)
        self._pending = engine
        self.engine.stop()  # returns after its current unit of work; _take_over does the rest

    def _not_reloaded(self, problems: list[str]) -> None:
        log.error(
            "configuration not reloaded, still running with the previous one: %s",
            "; ".join(problems),
        )
        sdnotify.notify("READY=1", "STATUS=running; the last reload failed, see the log")

    def _take_over(self) -> None:
        """Replace the stopped engine and its scheduler by the pending ones (no job running)."""
        engine, self._pending = self._pending, None
        assert engine is not None
        with self._scheduling:
            old = self.engine
            self.scheduler.shutdown(wait=False)
            engine.leases = self.leases
            self.leases.adopt(engine.sessions, engine.config.daemon.lease_period)
            self.engine = engine
            self.poll_interval = engine.config.daemon.poll_interval
            self.scheduler = self._new_scheduler()
            self._start()
        _dispose(old)
        if self.reloader is not None:
            self.reloader.applied(engine.config)
        log.info(
            "configuration reloaded from %s: %d account(s); polling every %s",
            engine.config.path,
            len(engine.config.accounts),
            self.poll_interval,
        )
        sdnotify.notify("READY=1", "STATUS=running")

    def _leave(self) -> None:
        """Give the unit of work in flight a short grace, then go without it.

        A unit stuck on a slow server may wait for its read timeout and retries, far longer than
        systemd's stop timeout. Leaving it is safe by design: a transaction not committed is
        rolled back by the database, and a draft created but not yet recorded is found again by
        its key at the next start.
        """
        deadline = time.monotonic() + SHUTDOWN_GRACE
        while self._busy and time.monotonic() < deadline:
            time.sleep(0.05)
        # Last, once no unit of work is left (or just before the one left dies with the
        # process): other instances take the accounts at once.
        self.renewal.stop()
        if not self._busy:
            log.info("stopped")
            return
        log.warning(
            "stopped while a unit of work was still waiting on the network; it is redone at "
            "the next start"
        )
        logging.shutdown()
        os._exit(0)  # the worker thread is not a daemon thread: do not wait for it


def _leases_of(engine: Engine) -> Leases:
    """The leases of this process, on the engine's database (none to share without one)."""
    sessions = getattr(engine, "sessions", None)
    daemon = getattr(getattr(engine, "config", None), "daemon", None)
    if sessions is None or daemon is None:
        return Leases()
    return leases_for(sessions, daemon.lease_period, daemon.state_dir)


def _count_accounts(engine: Engine) -> None:
    """The accounts-by-state gauge, after a poll cycle: one small query, only with metrics."""
    if not metrics.enabled():
        return
    from collections import Counter

    from sqlalchemy import select

    from daemon.store.models import AccountState

    names = list(engine.connections)
    try:
        with engine.sessions() as session:
            states = dict(session.execute(select(AccountState.name, AccountState.status)).all())
    except StoreError as err:
        log.debug("cannot count the accounts by state: %s", err)
        return
    metrics.accounts(Counter(states.get(name) or "never_polled" for name in names))


def _dispose(engine: Engine) -> None:
    """Close the database connections of an engine that is no longer used."""
    workers = getattr(engine, "workers", None)
    if workers is not None:
        workers.close()
    bind = getattr(getattr(engine, "sessions", None), "kw", {}).get("bind")
    if bind is not None:
        bind.dispose()
