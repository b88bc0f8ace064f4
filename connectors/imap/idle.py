"""IMAP IDLE (RFC 2177) on the INBOX: the server says when mail arrives, so a reply is read
within seconds and its status inquiry cancelled then, not at the next poll.

A connection of its own, in a thread of its own: the poll's connection is used by one unit of
work at a time and sits idle between polls, and IMAPClient is not made for two threads. The
mailbox is selected read-only (EXAMINE), so nothing the watch does changes a flag. Only the new
message counts (``EXISTS``); expunges and flag changes are the poll's business.

- IDLE is renewed every :data:`RENEW` seconds: servers drop an IDLE after 30 minutes (RFC 2177
  asks clients to renew before 29) and NAT boxes forget quieter connections sooner.
- A connection lost (a restart, ``doveadm kick``, a network change) is opened again after
  :data:`FIRST_RETRY` seconds, doubling up to :data:`LAST_RETRY`; the reason is said once at
  INFO, and the account is polled at its interval meanwhile.
- A server without the IDLE capability is said once, and the account is polled as before.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from connectors.imap.session import Server, Session
from daemon.errors import FollowupdError

log = logging.getLogger(__name__)

RENEW = 10 * 60.0  # seconds one IDLE lasts before it is renewed
CHECK = 1.0  # seconds one wait for the server lasts: how soon close() is heard
FIRST_RETRY = 1.0  # seconds before opening a lost connection again, doubled each time...
LAST_RETRY = 15 * 60.0  # ...up to this
CLOSE_WAIT = 3.0


class InboxIdle:
    """:class:`daemon.protocols.Watch` of one account's ``folder`` through IMAP IDLE."""

    def __init__(self, server: Server, folder: str, wake: Callable[[], None], label: str) -> None:
        self.session = Session(server)
        self.folder = folder
        self.wake = wake
        self.label = label
        self._said: str | None = None  # the last problem said, said once
        self.delay = FIRST_RETRY  # seconds before the next attempt to connect
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"idle {label}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self._idle()
                    return  # closed, or no IDLE on this server (said): polled as before
                except FollowupdError as err:
                    self._say(str(err))
                except Exception as err:  # a lost connection, the server's BAD
                    self._say(f"{self.label}: {type(err).__name__}: {err}")
                self.session.drop()
                if self._stop.wait(self.delay):
                    return
                self.delay = min(self.delay * 2, LAST_RETRY)
        finally:
            self.session.close()

    def _idle(self) -> None:
        """Wait for new mail until stopped, or the connection breaks (raises), or at once when
        the server cannot IDLE (said)."""
        client = self.session.client()
        if b"IDLE" not in self.session.capabilities:
            self._say(f"{self.label}: the server does not offer IMAP IDLE")
            return
        client.select_folder(self.folder, readonly=True)
        if self._said is not None:
            log.info("%s: watching %s for new mail again", self.label, self.folder)
            self._said = None
        self.delay = FIRST_RETRY  # connected: the next loss is retried soon again
        while not self._stop.is_set():
            client.idle()
            renew = time.monotonic() + RENEW
            arrived = False
            while not self._stop.is_set() and time.monotonic() < renew:
                began = time.monotonic()
                responses = client.idle_check(timeout=CHECK)
                bye = [r for r in responses if r[:1] == (b"BYE",)]
                if bye:
                    raise ConnectionError(f"the server ended the connection: {_text(bye[0])}")
                if not responses and time.monotonic() - began < CHECK / 10:
                    # Readable, and no line: the connection's end (idle_check swallows EOF).
                    raise ConnectionError("the server closed the connection")
                if any(len(r) > 1 and r[1] == b"EXISTS" for r in responses):
                    arrived = True
                    break
            client.idle_done()
            if arrived:
                self.wake()

    def _say(self, why: str) -> None:
        if why != self._said:
            self._said = why
            log.info("%s; new mail is read at the next poll", why)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(CLOSE_WAIT)


def _text(response: tuple[object, ...]) -> str:
    """An untagged response as the server wrote it ("BYE Server shutting down.")."""
    words = (w.decode("utf-8", "replace") if isinstance(w, bytes) else str(w) for w in response)
    return " ".join(words)[:200]
