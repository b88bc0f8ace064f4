"""Accounts worked side by side: a bounded pool, limits per provider, one unit per account.

Polling a thousand accounts one after the other waits for every request in turn: with 100 ms
per request an unchanged cycle took minutes. Here each account's unit of work (its poll, one
draft) runs in a worker thread, with three limits:

- at most ``[daemon].concurrency`` units at once, in all;
- at most ``[daemon].provider_concurrency.<provider>`` units of accounts using that provider
  (for a quota shared by all accounts of one app registration, or a server the user runs);
- one unit per account at a time: an account's connectors hold one connection each and are
  not made for two threads, and its units follow each other as before (its poll, then its
  drafts). A due draft waits for its own account's poll step, never for the others'.

Units are started only when a thread is free for them, in the order given, a unit whose
provider is at its limit letting the next ones pass. Two callers may use one pool at once (the
service's poll and its round of due work): they share the limits, and a due draft finds a free
thread as soon as any unit of the poll ends, instead of waiting for the whole cycle. Due work
is *urgent*: while an urgent unit waits for a thread, no other unit is started, so a thousand
accounts' poll cannot take every thread that frees up (the draft is late by one unit at most).

A unit's failure is the unit's (:meth:`daemon.running.engine.Engine._guarded` records it per
account); what escapes is either the database failing (:class:`StoreError`, raised to the
caller once the units in flight are done, since the other accounts would fail the same way) or
a bug, which is logged and does not stop the others.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from daemon.store.database import StoreError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Unit:
    """One account's unit of work, and what limits it."""

    account: str
    providers: frozenset[str]
    work: Callable[[], None]


class Workers:
    def __init__(
        self,
        total: int,
        per_provider: Mapping[str, int] | None = None,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.total = max(1, total)
        self.per_provider = dict(per_provider or {})
        self.stopping = stopping
        self._pool: ThreadPoolExecutor | None = None
        self._changed = threading.Condition()  # guards the counts below
        self._running = 0
        self._by_provider: dict[str, int] = {}
        self._busy_accounts: set[str] = set()  # accounts with a unit in flight
        self._urgent = 0  # urgent units given to run() and not yet started
        self.peak = 0  # the most units ever in flight at once (bench and tests read it)

    # -- running units --------------------------------------------------------------------

    def run(self, units: Iterable[Unit], urgent: bool = False) -> None:
        """Run ``units`` within the limits and return when all have ended (or, once stopping,
        when those already started have). ``urgent`` units (due work) go before any other
        caller's. Raises the first :class:`StoreError` met, or what stands for the process
        ending (a BaseException that is no Exception); units not begun by then are not begun
        at all."""
        pending = list(units)
        if self.total == 1 or len(pending) <= 1:
            self._serial(pending)  # no thread for a single unit: same order, same stack
            return
        if urgent:
            with self._changed:
                self._urgent += len(pending)
        try:
            self._run(pending, urgent)
        finally:
            if urgent and pending:  # stopped or failed before they began
                with self._changed:
                    self._urgent -= len(pending)
                    self._changed.notify_all()

    def _run(self, pending: list[Unit], urgent: bool) -> None:
        abort = threading.Event()
        # Each unit's end is posted here, so that a thousand units cost a thousand waits, not
        # a thousand scans of every unit in flight (concurrent.futures.wait's way).
        ended: queue.SimpleQueue[Future[None]] = queue.SimpleQueue()
        flying = 0
        failed: BaseException | None = None
        while pending or flying:
            if (self.stopping() or failed is not None) and pending:
                if urgent:
                    with self._changed:
                        self._urgent -= len(pending)
                        self._changed.notify_all()
                pending.clear()
            for future in self._start(pending, abort, urgent):
                flying += 1
                future.add_done_callback(ended.put)
            if not flying:
                with self._changed:  # all threads, or this provider's share, are taken
                    self._changed.wait(timeout=0.5)
                continue
            try:
                done = [ended.get(timeout=0.5)]
            except queue.Empty:
                continue
            while True:  # and every other that ended meanwhile
                try:
                    done.append(ended.get_nowait())
                except queue.Empty:
                    break
            flying -= len(done)
            for future in done:
                err = future.exception()
                if failed is None and (
                    isinstance(err, StoreError) or (err and not isinstance(err, Exception))
                ):
                    failed = err
                    abort.set()
        if failed is not None:
            raise failed

    def _serial(self, units: list[Unit]) -> None:
        for unit in units:
            if self.stopping():
                return
            with self._changed:
                while unit.account in self._busy_accounts:  # the other caller works it
                    self._changed.wait(timeout=0.5)
                self._busy_accounts.add(unit.account)
            try:
                unit.work()
            finally:
                with self._changed:
                    self._busy_accounts.discard(unit.account)
                    self._changed.notify_all()

    def _start(
        self, pending: list[Unit], abort: threading.Event, urgent: bool = False
    ) -> list[Future[None]]:
        """Start what the limits allow now, in order; remove it from ``pending``. Nothing
        but urgent units while some wait. Looks no further than the first unit that finds
        every thread taken: a call costs what it starts or lets pass, not the whole list."""
        started: list[Future[None]] = []
        with self._changed:
            if self._urgent and not urgent:
                return started
            waiting = []
            looked = 0
            for unit in pending:
                if self._running >= self.total:
                    break
                looked += 1
                if not self._fits(unit):
                    waiting.append(unit)
                    continue
                if urgent:
                    self._urgent -= 1
                self._running += 1
                self._busy_accounts.add(unit.account)
                for name in unit.providers:
                    self._by_provider[name] = self._by_provider.get(name, 0) + 1
                self.peak = max(self.peak, self._running)
                started.append(self._executor().submit(self._do, unit, abort))
            if looked:
                pending[:looked] = waiting
        return started

    def _fits(self, unit: Unit) -> bool:
        if unit.account in self._busy_accounts:
            return False
        return all(
            self._by_provider.get(name, 0) < self.per_provider[name]
            for name in unit.providers
            if name in self.per_provider
        )

    def _do(self, unit: Unit, abort: threading.Event) -> None:
        try:
            if not abort.is_set():
                unit.work()
        except StoreError:
            abort.set()
            raise
        except Exception:  # the engine records an account's failures; this is a bug
            log.exception("%s: unexpected error in a unit of work", unit.account)
        except BaseException:
            abort.set()
            raise
        finally:
            with self._changed:
                self._running -= 1
                self._busy_accounts.discard(unit.account)
                for name in unit.providers:
                    self._by_provider[name] -= 1
                self._changed.notify_all()

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.total, thread_name_prefix="followupd-unit")
        return self._pool

    def close(self) -> None:
        """Let the threads go once their units end (the engine is being replaced)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
