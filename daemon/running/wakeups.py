"""An account whose source says it changed is polled within seconds, not at the next poll.

The service polls every account every ``[daemon].poll_interval`` (five minutes by default):
kind to servers and disks, but an interview saved to a calendar just after a poll waited for
the next one even when its thank-you was due already, and a reply waited as long to cancel its
status inquiry. Calendar sources and mailboxes that can learn of a change without polling offer
:class:`daemon.protocols.Watchable` (.ics folders and Maildir trees through inotify, IMAP
through IDLE); :class:`Wakeups` watches those of the accounts this instance holds and asks the
service to poll just the accounts that changed.

- **Grouped.** The first change of an account arms a timer of :data:`DEBOUNCE` seconds; the
  changes of any account until it fires join it, so a sync tool writing fifty files, or ten
  accounts' mail arriving at once, is one poll.
- **Followed.** :meth:`Wakeups.follow` is called with the engine's accounts at the start, after
  each poll cycle (the folder of account files may have changed them) and after a reload: a
  new or changed account's source is watched, a removed one's watch closed. An account whose
  lease went to another instance is let go of at once (:meth:`Wakeups.drop`).
- **Never in the way.** A source that cannot watch (:class:`~daemon.protocols.CannotWatch`: a
  folder not there yet, the inotify limit reached, a server without IDLE) is said once at INFO
  and polled at the interval, as before; it is tried again after each cycle. Nothing a watch
  does can stop the daemon: it runs in a thread of its own and its failures are logged.

What a wake-up polls, and when, is the service's business (its ``wake`` job, queued behind a
running one, never dropped); this module only knows which accounts to ask for.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from daemon.protocols import CannotWatch, Watch

if TYPE_CHECKING:
    from daemon.running.engine import Connection

log = logging.getLogger(__name__)

# Seconds from an account's first change to its poll; the changes meanwhile join it.
DEBOUNCE = 2.0
SIDES = ("calendar", "mailbox")


class Wakeups:
    """The watches of one process's accounts, and the timer that groups what they say."""

    def __init__(
        self, poll_soon: Callable[[set[str]], None], debounce: float | None = None
    ) -> None:
        self.poll_soon = poll_soon  # the service: poll these accounts now (from the timer)
        self.debounce = DEBOUNCE if debounce is None else debounce
        self._watches: dict[tuple[str, str], tuple[Any, Watch]] = {}  # (account, side)
        self._said: dict[tuple[str, str], str] = {}  # why a watch could not start, said once
        self._following = threading.RLock()  # one change of the set of watches at a time
        self._lock = threading.Lock()  # the accounts woken and the timer
        self._pending: set[str] = set()
        self._timer: threading.Timer | None = None
        self._closed = False

    # -- which sources are watched --------------------------------------------------------

    def follow(self, connections: Mapping[str, Connection], holds: Callable[[str], bool]) -> None:
        """Watch the sources of ``connections`` that can be watched, of the accounts ``holds``
        says are this instance's; close every other watch. A source watched already (the same
        object) is left alone, so calling this after every poll costs nothing."""
        wanted: dict[tuple[str, str], Any] = {}
        for name, connection in list(connections.items()):
            if connection.error is not None or not holds(name):
                continue
            for side in SIDES:
                source = getattr(connection, side)
                if source is not None and callable(getattr(source, "watch", None)):
                    wanted[(name, side)] = source
        with self._following:
            if self._closed:
                return
            for key, (source, watch) in list(self._watches.items()):
                if wanted.get(key) is not source:
                    del self._watches[key]
                    _close(key, watch)
            for key, source in wanted.items():
                if key not in self._watches:
                    self._start(key, source)
            for key in list(self._said):
                if key not in wanted:
                    del self._said[key]

    def _start(self, key: tuple[str, str], source: Any) -> None:
        account, side = key
        try:
            watch = source.watch(partial(self.woken, account))
        except CannotWatch as err:
            self._cannot(key, str(err))
            return
        except Exception as err:  # a provider's bug must not stop the daemon: poll instead
            log.debug("%s: starting the %s's watch", account, side, exc_info=True)
            self._cannot(key, f"{account}: {type(err).__name__}: {err}")
            return
        self._watches[key] = (source, watch)
        self._said.pop(key, None)
        log.debug("%s: watching the %s for changes", account, side)

    def _cannot(self, key: tuple[str, str], why: str) -> None:
        if self._said.get(key) != why:
            self._said[key] = why
            log.info("%s; %s changes are read at the next poll", why, key[1])

    def drop(self, account: str) -> None:
        """Stop watching ``account`` (its lease went to another instance, which watches it)."""
        with self._following:
            for key in [k for k in self._watches if k[0] == account]:
                _close(key, self._watches.pop(key)[1])

    def watching(self) -> list[tuple[str, str]]:
        """(account, side) of every watch running, for tests and ``status``-like questions."""
        with self._following:
            return sorted(self._watches)

    def close(self) -> None:
        """Stop every watch and the timer; nothing is asked of the service afterwards."""
        with self._lock:
            self._closed = True
            timer, self._timer = self._timer, None
            self._pending.clear()
        if timer is not None:
            timer.cancel()
        with self._following:
            watches, self._watches = self._watches, {}
        for key, (_, watch) in watches.items():
            _close(key, watch)

    # -- what the watches say -------------------------------------------------------------

    def woken(self, account: str) -> None:
        """A watch saw a change of ``account`` (any thread): poll it once the timer fires."""
        with self._lock:
            if self._closed:
                return
            self._pending.add(account)
            if self._timer is not None:
                return
            self._timer = threading.Timer(self.debounce, self._fire)
            self._timer.name = "wakeups"
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            accounts, self._pending = self._pending, set()
            self._timer = None
            if self._closed or not accounts:
                return
        log.debug("changed: %s", ", ".join(sorted(accounts)))
        try:
            self.poll_soon(accounts)
        except Exception:  # the accounts are still polled at the interval
            log.exception("cannot ask for a poll of %s", ", ".join(sorted(accounts)))


def _close(key: tuple[str, str], watch: Watch) -> None:
    try:
        watch.close()
    except Exception as err:  # it stops with the process anyway
        log.debug("%s: closing the %s's watch: %s", key[0], key[1], err)
