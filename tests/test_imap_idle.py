"""The imap mailbox's watch: IMAP IDLE on INBOX against a real Dovecot (issue 14).

New mail wakes the daemon within seconds (a reply cancels its status inquiry then, not at the
next poll); a connection the server drops is opened again; closing the watch ends it at once.
What the server received is read from its own rawlog, not from a wrapper of our code.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import pytest

from tests.servers import dovecot as dc
from tests.test_imap_connector import client, connect, deliver, mail

pytestmark = pytest.mark.skipif(dc.binary() is None, reason="dovecot is not installed")


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.02)


def idles(server: dc.Dovecot) -> int:
    return sum(command == "IDLE" for command in server.commands())


def test_new_mail_in_the_inbox_wakes_the_account_and_a_dropped_connection_comes_back(
    tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with dc.dovecot() as server:
        box = connect(server, tmp_path)
        woken = threading.Event()
        watch = box.watch(woken.set)
        try:
            wait_for(lambda: idles(server) == 1, 5, "IDLE")
            # Mail filed elsewhere is the poll's business; mail in INBOX wakes at once.
            deliver(server, "Junk", mail(message_id="<spam@x.example>"))
            assert not woken.wait(0.3)
            deliver(server, "INBOX", mail())
            assert woken.wait(3), server.commands()

            # The server drops the connection (a restart, an autologout): opened again.
            woken.clear()
            server.kick()
            wait_for(lambda: idles(server) >= 3, 6, "IDLE on a new connection")
            deliver(server, "INBOX", mail(message_id="<reply-2@acme.com>"))
            assert woken.wait(3), server.commands()
        finally:
            began = time.monotonic()
            watch.close()
            closed = time.monotonic() - began
        assert closed < 1.5, closed
        wait_for(lambda: server.commands()[-1] == "LOGOUT", 2, f"LOGOUT {server.commands()}")
        # Read-only: the watch changed no flag (the user's unread mail stays unread).
        imap = client(server)
        imap.select_folder("INBOX", readonly=True)
        flags = imap.get_flags(imap.search(["ALL"]))
        imap.logout()
        assert all(b"\\Seen" not in f for f in flags.values()), flags
    said = [r.getMessage() for r in caplog.records if r.name == "connectors.imap.idle"]
    assert len(said) <= 2, said  # the lost connection, and its return: once each
