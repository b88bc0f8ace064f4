"""The campaign's world with its calendar on a real CalDAV server: Radicale, started for the
world (a subprocess on a free loopback port), with a Maildir as the mailbox until the IMAP
world joins it. The test plays the calendar app: each interview is a resource of its own, put
and replaced over HTTP as a CalDAV client does; the daemon under test reads it through the
caldav provider.
"""

from __future__ import annotations

from pathlib import Path

from tests.campaign.worlds import Interview, LocalWorld
from tests.harness import Event, Person
from tests.servers.radicale import DavUser, Radicale, start


class CaldavWorld(LocalWorld):
    provider = "caldav"

    def __init__(self, root: Path) -> None:
        self.radicale: Radicale = start(root / "radicale")
        self.user = DavUser(self.radicale, "alex", "campaign-app-password")
        self.radicale.add_user(self.user.name, self.user.password)
        self.calendar = self.user.make_calendar("interviews", "Interviews")
        super().__init__(root)

    def calendar_text(self) -> str:
        """The account's calendar line (the caldav+imap world pairs it with Dovecot's)."""
        return (
            f'calendar = {{ provider = "caldav", url = "{self.radicale.url}", '
            f'username = "{self.user.name}", password = "{self.user.password}" }}\n'
        )

    def account_text(self) -> str:
        return (
            self.calendar_text()
            + f'mailbox = {{ provider = "maildir", path = "{self.root / "mail"}" }}\n'
        )

    def put(self, interview: Interview) -> None:
        assert interview.has_uid, "a CalDAV server gives an event without UID one of its own"
        event = Event(
            interview.ident,
            interview.start,
            interview.minutes,
            interview.title,
            [Person(name, address) for address, name in interview.people],
            status="CANCELLED" if interview.cancelled else "CONFIRMED",
        ).ics()
        body = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//campaign//EN\r\n{event}\r\nEND:VCALENDAR\r\n"
        self.user.put(self.calendar, f"{interview.ident}.ics", body)

    def write_calendar(self) -> None:
        """Nothing to write at once: each interview is put on its own."""

    def close(self) -> None:
        try:
            self.radicale.stop()
        finally:
            super().close()
