"""What every notifier offers: whether it can work here, a check, and sending one event.

A notifier that cannot work (no session bus, Apprise not installed, no such program) says why
in :meth:`Notifier.problem`, without any I/O but imports; the fan-out then leaves it out and
the log says so once. :meth:`Notifier.check` asks the other side (``followupd check``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from daemon.notify.events import Event


class NotifyError(Exception):
    """A notification was not delivered; the message says why and what to do."""


class Notifier(Protocol):
    name: str  # "desktop", "apprise", "command": as in the [notify] keys

    def problem(self) -> str | None:
        """Why this notifier cannot work on this machine, or None."""
        ...

    def check(self, timeout: timedelta) -> str:
        """What answers (e.g. the notification server's name); raises :class:`NotifyError`."""
        ...

    def send(self, event: Event, timeout: timedelta) -> None:
        """Deliver ``event`` within about ``timeout``; raises :class:`NotifyError`."""
        ...
