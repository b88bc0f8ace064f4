"""The world of a Fastmail or iCloud user: the calendar on a real Radicale (CalDAV) and the
mailbox on a real Dovecot (IMAP), both started for the world. Nothing of its own: the calendar
side is :class:`CaldavWorld`'s (each interview a resource, put over HTTP), the mailbox side
:class:`ImapWorld`'s (the user's own IMAP client sends, deletes, receives); only the account's
two lines are put together here.
"""

from __future__ import annotations

from tests.campaign.caldav_world import CaldavWorld
from tests.campaign.imap import ImapWorld


class CaldavImapWorld(CaldavWorld, ImapWorld):
    """CaldavWorld's calendar methods come first in the MRO; its ``super().__init__`` starts
    ImapWorld's Dovecot, whose ``write_calendar`` is CaldavWorld's (nothing to write at once);
    ``close`` stops Radicale, then Dovecot."""

    provider = "caldav+imap"

    def account_text(self) -> str:
        return self.calendar_text() + self.mailbox_text()
