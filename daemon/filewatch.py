"""Watching local files for the providers that read them (.ics folders, Maildir trees).

Through ``watchfiles`` (Rust's ``notify`` crate: inotify on Linux, FSEvents, kqueue), which
watches a folder recursively, follows the folders created in it and groups a burst of events,
so a sync tool that writes fifty files costs one wake-up. ``watchfiles.watch`` is a generator
that only learns whether watching started when first asked for changes; its documented Rust
backend (``RustNotify``) starts in the constructor, so a path that is missing or the system's
limit of inotify watches is told to the caller at once (:class:`daemon.protocols.CannotWatch`)
and the account is simply polled, as before.

One thread per watch, waiting in Rust with the GIL released; it looks at its stop flag every
``STEP_MS``, so :meth:`FileWatch.close` returns within a fraction of a second.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from daemon.protocols import CannotWatch

log = logging.getLogger(__name__)

# Changes are grouped for up to this long after the first, and the grouping ends after
# STEP_MS without a change: one call of the filter per burst, not per file.
DEBOUNCE_MS = 1600
STEP_MS = 50
TIMEOUT_MS = 5000  # how long one wait in Rust lasts before it looks at the stop flag again
CLOSE_WAIT = 2.0  # seconds close() waits for the thread


# What happened to a path, as watchfiles numbers it (watchfiles.Change); a rename is the old
# name DELETED and the new one ADDED, usually in one batch.
ADDED, MODIFIED, DELETED = 1, 2, 3
Changes = list[tuple[int, Path]]


class FileWatch:
    """Watch ``paths`` (folders, recursively unless ``recursive`` is False); call ``wake()``
    when ``wanted`` says a batch of changes matters. ``label`` names the watch in the log."""

    def __init__(
        self,
        paths: Sequence[Path],
        wanted: Callable[[Changes], bool],
        wake: Callable[[], None],
        label: str,
        recursive: bool = True,
    ) -> None:
        try:
            from watchfiles._rust_notify import RustNotify
        except ImportError as err:  # an install without it: poll as before
            raise CannotWatch(f"{label}: the watchfiles library is not installed ({err})") from None
        try:
            self._notify = RustNotify([str(p) for p in paths], False, False, 300, recursive, True)
        except FileNotFoundError:
            missing = ", ".join(str(p) for p in paths if not p.exists()) or "a path"
            raise CannotWatch(f"{label}: {missing} does not exist (yet)") from None
        except Exception as err:  # OSError: the inotify limit reached; watchfiles' own error
            raise CannotWatch(f"{label}: cannot watch for changes ({_text(err)})") from None
        self.wanted = wanted
        self.wake = wake
        self.label = label
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"watch {label}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                changes = self._notify.watch(DEBOUNCE_MS, STEP_MS, TIMEOUT_MS, self._stop)
                if isinstance(changes, str):  # "timeout", "stop" (or "signal")
                    continue
                if self.wanted([(change, Path(path)) for change, path in changes]):
                    self.wake()
        except Exception as err:  # the watch is a shortcut: the account is still polled
            log.info(
                "%s: stopped watching for changes (%s); they are read at the next poll",
                self.label,
                _text(err),
            )
        finally:
            self._notify.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(CLOSE_WAIT)


def _text(err: Exception) -> str:
    return " ".join(str(err).split())[:300] or type(err).__name__
