"""Provider ``caldav``: the calendars of any CalDAV server (iCloud, Fastmail, Nextcloud,
mailbox.org, Posteo, Radicale, Baïkal...), read directly, without vdirsyncer in between.

Offers only the calendar side (the mailbox of such an account is ``imap`` or ``maildir``).
User documentation: ``docs/caldav.md``. Example::

    [[accounts]]
    name = "fastmail"
    addresses = ["me@fastmail.com"]
    calendar = { provider = "caldav", url = "https://caldav.fastmail.com/",
                 username = "me@fastmail.com",
                 password_command = ["pass", "show", "fastmail/app-password"] }
    mailbox = { provider = "imap", ... }

CalDAV is spoken with ``requests`` and the standard library's XML parser, not python-caldav:
its 3.x releases pull in niquests, whose urllib3-future overwrites the real urllib3 that
requests, google-auth and msal rely on under the other providers (see :mod:`.session`).

Modules, one job each: :mod:`.settings` (options as data), :mod:`.session` (the HTTP requests,
and errors as :mod:`daemon.errors`), :mod:`.davxml` (the WebDAV XML written and read),
:mod:`.discovery` (base URL -> calendars), :mod:`.queries`
(the requests made of one calendar), :mod:`.cursor` (what the next poll needs) and
:mod:`.calendar` (the CalendarSource). Events are read by :mod:`connectors.ics.changes`, the same
code as .ics files.

Importing this package (which the config does, for the schema) loads only :mod:`.settings`:
requests and the XML code are loaded when an account is actually set up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.caldav.settings import CALENDAR_OPTIONS, Settings, validate_options
from daemon.protocols import AccountContext, Resource

if TYPE_CHECKING:
    from connectors.caldav.calendar import CaldavCalendar


class CaldavProvider:
    name = "caldav"
    calendar_options = CALENDAR_OPTIONS
    mailbox_options = None
    account_options: dict[str, Any] = {}

    def calendar(
        self, ctx: AccountContext, options: dict[str, Any], account_options: dict[str, Any]
    ) -> CaldavCalendar:
        from connectors.caldav.calendar import CaldavCalendar

        return CaldavCalendar(Settings.from_options(ctx.name, options), ctx)

    def mailbox(
        self, ctx: AccountContext, options: dict[str, Any], account_options: dict[str, Any]
    ) -> None:
        return None

    def authorize(self, ctx: AccountContext, account_options: dict[str, Any], echo: Any) -> None:
        echo(
            "The caldav provider signs in with a username and password (password_command,"
            " keyring or password): nothing to authorize. 'followupd check' tries them."
        )

    def resource(
        self,
        side: str,
        options: dict[str, Any],
        account_options: dict[str, Any],
        addresses: tuple[str, ...],
    ) -> Resource:
        # One user's calendars on one server, whatever the account is called; read only, so
        # two instances reading it need no lock.
        return Resource(f"caldav:{options.get('username')} at {options.get('url')}")

    def validate_options(
        self, side: str, options: dict[str, Any], where: str, problems: list[str]
    ) -> None:
        validate_options(side, options, where, problems)


PROVIDER = CaldavProvider()

__all__ = ["PROVIDER", "CaldavProvider"]
