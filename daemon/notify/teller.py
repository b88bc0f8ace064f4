"""The engine's side of notifications: when in a round to look, what to tell, and after what.

Told after the transaction that records it, and only then: an interview that ended (at the
start of a round of due work, so that the notes window is announced before anything is
drafted), the drafts made and the follow-ups failed in the round (at its end), an account that
came to need ``followupd auth`` (after the poll that found it). Nothing here may stop the
engine: a bug in telling is logged; only the database's failure is the engine's business.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from daemon.config import Config
from daemon.notify import events, watch
from daemon.notify.events import Event
from daemon.notify.fanout import Fanout
from daemon.store.database import StoreError

log = logging.getLogger(__name__)


class Teller:
    def __init__(
        self,
        config: Config,
        sessions: sessionmaker[Session],
        accounts: Collection[str],
        notifier: Fanout,
        progress: Callable[[], None] = lambda: None,
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.accounts = accounts
        self.notifier = notifier
        self.progress = progress  # the engine's watchdog feed, after each event told
        # Where a session that writes comes from: the engine's one writer at a time on SQLite
        # (daemon/store/writer.py), since the engine's threads write beside this one.
        self.writing: Callable[[], AbstractContextManager[Session]] = sessions
        self._unsaid: list[Event] = []  # recorded in a transaction not committed yet

    @property
    def active(self) -> bool:
        return self.notifier.active

    def tell(self, said: list[Event]) -> None:
        for event in said:
            self.notifier.send(event)  # never raises; waits [notify].timeout at the most
            self.progress()

    # -- accounts -------------------------------------------------------------------------

    def needs_auth(self, account: str, fix: str | None) -> None:
        """An account just came to need re-authorization: told once its state is committed."""
        self._unsaid.append(events.needs_auth(account, fix))

    def recorded(self) -> None:
        """What :meth:`needs_auth` queued is committed now: tell it."""
        said, self._unsaid = self._unsaid, []
        self.tell(said)

    def not_recorded(self) -> None:
        """The transaction was lost: the next poll finds the same news again."""
        self._unsaid = []

    # -- rounds of due work ---------------------------------------------------------------

    def round_begins(self, now: datetime) -> int | None:
        """Tell about the interviews that ended; return where this round's transitions begin
        (None when nothing is configured to tell, or the telling failed)."""
        if not self.active:
            return None
        try:
            with self.writing() as session:
                mark = watch.last_transition(session)
                said = watch.interviews_ended(
                    session, now, self.accounts, self.config.daemon.timezone
                )
                # Marked before told: a notifier that fails or hangs, or a crash while
                # telling, costs one notification, never a flood of repeats.
                session.commit()
        except StoreError:
            raise
        except Exception:  # a bug in telling must not stop the drafting
            log.exception("cannot tell about the interviews that ended")
            return None
        self.tell(said)
        return mark

    def round_ends(self, mark: int | None) -> None:
        """Tell about the drafts made and the follow-ups failed in the round since ``mark``."""
        self.recorded()
        if mark is None:
            return
        named = len(self.config.accounts) > 1
        try:
            with self.sessions() as session:
                said = watch.round_events(session, mark, self.accounts, named)
        except StoreError:
            raise
        except Exception:
            log.exception("cannot tell about this round's drafts")
            return
        self.tell(said)

    def next_end(self, session: Session, now: datetime) -> datetime | None:
        """The next interview end to tell about (the service wakes up then), or None."""
        return watch.next_end(session, now, self.accounts) if self.active else None
