"""Any service Apprise reaches (ntfy, Pushover, Telegram, Matrix, mail to self, ...).

Apprise is an optional extra (``followupd[apprise]``): it brings a hundred services and their
dependencies that most users never need. Without it this notifier says how to install it, and
the daemon works on without it. The URLs carry tokens and passwords: they are registered with
the log's redaction and are named by their scheme only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from daemon.notify.events import Event
from daemon.notify.notifiers import NotifyError
from daemon.redaction import register_secret

INSTALL = "install it with: pip install 'followupd[apprise]'"


def _apprise() -> Any:
    try:
        import apprise
    except ImportError:
        return None
    return apprise


def shown(url: str) -> str:
    """How a URL is named in messages: its scheme only ('ntfy://…')."""
    return url.split("://", 1)[0] + "://…"


class AppriseNotifier:
    name = "apprise"

    def __init__(self, urls: Sequence[str]) -> None:
        self.urls = tuple(urls)
        for url in self.urls:
            register_secret(url.split("://", 1)[-1])

    def problem(self) -> str | None:
        apprise = _apprise()
        if apprise is None:
            return f"the apprise package is not installed; {INSTALL}"
        for number, url in enumerate(self.urls, 1):
            if apprise.Apprise.instantiate(url) is None:
                return f"URL #{number} ({shown(url)}) is not one Apprise understands"
        return None

    def _targets(self) -> Any:
        apprise = _apprise()
        if apprise is None:
            raise NotifyError(f"the apprise package is not installed; {INSTALL}")
        targets = apprise.Apprise()
        for url in self.urls:
            targets.add(url)
        return targets

    def check(self, timeout: timedelta) -> str:
        problem = self.problem()
        if problem:
            raise NotifyError(problem)
        schemes = ", ".join(shown(url) for url in self.urls)
        return f"OK ({schemes}; followupd notify --test sends one)"

    def send(self, event: Event, timeout: timedelta) -> None:
        # Apprise's own connect/read timeouts (4 s each by default) apply per URL; the fan-out
        # stops waiting after ``timeout`` in any case.
        if not self._targets().notify(title=event.title, body=event.message):
            raise NotifyError(
                "Apprise could not deliver to at least one URL (its log lines say which)"
            )
