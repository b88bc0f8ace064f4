"""Provider ``ics``: a calendar read from local .ics files (exports, vdirsyncer/khal folders).

Offers only the calendar side; there is no mailbox and nothing to authorize. Another tool keeps
the files up to date (vdirsyncer, a cron'd download, saved invitations); followupd only reads.

Example::

    [accounts.personal.calendar]
    provider = "ics"
    path = "~/.calendars/work"   # one .ics file, or a folder searched recursively for *.ics

Floating times and all-day events are read in the daemon's time zone (``[daemon].timezone``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from daemon import options as o
from daemon.protocols import AccountContext, Resource

if TYPE_CHECKING:
    from connectors.ics.expand import Limits
    from connectors.ics.source import IcsCalendar

CALENDAR_OPTIONS: o.Schema = {
    "path": o.Option(
        o.path, help="an .ics file or a folder of .ics files, e.g. '~/.calendars/work'"
    ),
}


class IcsProvider:
    name = "ics"
    calendar_options = CALENDAR_OPTIONS
    mailbox_options = None
    account_options: o.Schema = {}

    def calendar(
        self, ctx: AccountContext, options: dict[str, Any], account_options: dict[str, Any]
    ) -> IcsCalendar:
        # The reader (icalendar, recurring-ical-events) only when a calendar is read: a config
        # that names this provider is loaded by every command, status and check too.
        from connectors.ics.source import IcsCalendar

        return IcsCalendar(options["path"], ctx)

    def mailbox(
        self, ctx: AccountContext, options: dict[str, Any], account_options: dict[str, Any]
    ) -> None:
        return None

    def authorize(self, ctx: AccountContext, account_options: dict[str, Any], echo: Any) -> None:
        echo("The ics provider reads local files: no authorization is needed.")

    def resource(
        self,
        side: str,
        options: dict[str, Any],
        account_options: dict[str, Any],
        addresses: tuple[str, ...],
    ) -> Resource:
        # Read only: two instances reading one calendar write nothing there, so no lock.
        return Resource(f"ics:{Path(options['path']).resolve()}")


PROVIDER = IcsProvider()


def __getattr__(name: str) -> Any:
    """``IcsCalendar`` and ``Limits``, imported when first asked for (see ``calendar``)."""
    if name == "IcsCalendar":
        from connectors.ics.source import IcsCalendar

        return IcsCalendar
    if name == "Limits":
        from connectors.ics.expand import Limits

        return Limits
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["PROVIDER", "IcsCalendar", "IcsProvider", "Limits"]
