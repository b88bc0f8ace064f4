"""One event to every configured notifier, each with a timeout; a failure is logged, never raised.

A notification is a courtesy: a desktop session that is gone, a push service that is down or a
hook that exits 1 must never stop drafting. So each notifier runs in a thread of its own and
the daemon waits for it at most ``[notify].timeout`` (plus a moment): a notifier that hangs past
that is left behind, logged, and its thread dies with the process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from daemon.config import NotifySettings
from daemon.notify.desktop import DesktopNotifier
from daemon.notify.events import Event
from daemon.notify.hook import CommandNotifier
from daemon.notify.notifiers import Notifier, NotifyError
from daemon.notify.push import AppriseNotifier

log = logging.getLogger(__name__)

GRACE = 2.0  # seconds past the timeout before the fan-out stops waiting for a notifier


@dataclass(frozen=True)
class Outcome:
    notifier: str
    error: str | None  # None: delivered


def notifiers_for(settings: NotifySettings) -> list[Notifier]:
    """The notifiers ``[notify]`` asks for, usable or not (``problem()`` tells)."""
    found: list[Notifier] = []
    if settings.desktop:
        found.append(DesktopNotifier())
    if settings.apprise:
        found.append(AppriseNotifier(settings.apprise))
    if settings.command:
        found.append(CommandNotifier(settings.command))
    return found


class Fanout:
    """The configured notifiers; :meth:`send` never raises and never waits long."""

    def __init__(self, notifiers: Sequence[Notifier], timeout: timedelta) -> None:
        self.notifiers = list(notifiers)
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: NotifySettings) -> Fanout:
        return cls(notifiers_for(settings), settings.timeout)

    @property
    def active(self) -> bool:
        """True when anything is configured: only then is the store watched for events."""
        return bool(self.notifiers)

    def log_unavailable(self) -> None:
        """Say once (at start and at each reload) which notifiers cannot work, and why."""
        for notifier in self.notifiers:
            problem = notifier.problem()
            if problem:
                log.warning("[notify].%s is not available: %s", notifier.name, problem)

    def send(self, event: Event) -> list[Outcome]:
        """Deliver ``event`` through every usable notifier at once; log what failed."""
        usable = [n for n in self.notifiers if n.problem() is None]
        outcomes: dict[str, str | None] = {n.name: "did not answer in time" for n in usable}

        def deliver(notifier: Notifier) -> None:
            try:
                notifier.send(event, self.timeout)
                outcomes[notifier.name] = None
            except NotifyError as err:
                outcomes[notifier.name] = str(err)
            except Exception as err:  # a bug or a library's surprise: still only this notifier
                log.exception("[notify].%s failed", notifier.name)
                outcomes[notifier.name] = f"internal error: {type(err).__name__}: {err}"

        threads = [
            threading.Thread(target=deliver, args=(n,), name=f"notify-{n.name}", daemon=True)
            for n in usable
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(self.timeout.total_seconds() + GRACE)
        final = dict(outcomes)  # a notifier left behind may still write to ``outcomes``
        said = [name for name, error in final.items() if error is None]
        for name, error in final.items():
            if error is not None:
                log.warning("[notify].%s could not tell you %r: %s", name, event.message, error)
        if said:
            log.info("told you (%s): %s", ", ".join(said), event.message)
        return [Outcome(name, error) for name, error in final.items()]

    def send_all(self, events: Sequence[Event]) -> None:
        for event in events:
            self.send(event)
