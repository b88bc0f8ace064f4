"""A tiny sd_notify(3) client: tell systemd we are ready, alive, or stopping.

Why hand-written: the protocol is one datagram of newline-separated ``KEY=VALUE`` lines sent to
the unix socket named by ``$NOTIFY_SOCKET``; the libraries for it either need libsystemd headers
to build (systemd-python) or add little over these few lines. Outside systemd every call is a
cheap no-op, so the daemon calls it unconditionally.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


def _address() -> str | None:
    """The socket address from ``$NOTIFY_SOCKET``: a path, or an abstract name ('@' -> NUL)."""
    path = os.environ.get("NOTIFY_SOCKET", "")
    if not path:
        return None
    if path.startswith("@"):
        return "\0" + path[1:]
    if path.startswith("/"):
        return path
    # vsock: and other forms are for VMs; the daemon never runs there, so treat it as "not
    # under systemd" rather than fail.
    log.debug("NOTIFY_SOCKET=%r is not a unix socket path; not notifying", path)
    return None


def notify(*states: str) -> bool:
    """Send ``states`` (e.g. ``"READY=1"``, ``"STATUS=polling"``) to systemd in one datagram.

    Returns True when the message was sent, False when not running under systemd or when the
    send failed. A failed notification is logged, never raised: losing a STATUS line must not
    take the daemon down (a missed WATCHDOG=1 will, but that is systemd's decision to make).
    """
    address = _address()
    if address is None or not states:
        return False
    for state in states:
        if "\n" in state or "=" not in state:
            raise ValueError(f"sd_notify state must be one KEY=VALUE line, got {state!r}")
    payload = "\n".join(states).encode()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(payload)
    except OSError as err:
        log.warning("could not notify systemd at %s: %s", os.environ.get("NOTIFY_SOCKET"), err)
        return False
    return True


def watchdog_interval() -> float | None:
    """Seconds between ``WATCHDOG=1`` pings, or None when systemd expects none from us.

    systemd sets ``WATCHDOG_USEC`` (the timeout) and ``WATCHDOG_PID`` (who must ping). A child
    process that inherited the environment must not think it is the one being watched, hence
    the PID check. Pinging at half the timeout, as sd_watchdog_enabled(3) recommends, leaves
    room for one late ping.
    """
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if pid:
        try:
            if int(pid) != os.getpid():
                return None
        except ValueError:
            log.debug("ignoring malformed WATCHDOG_PID=%r", pid)
            return None
    try:
        timeout = int(usec)
    except ValueError:
        return None
    if timeout <= 0:
        return None
    return timeout / 1_000_000 / 2
