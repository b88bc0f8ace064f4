"""What a poll cycle writes once at its end (daemon/running/cyclewrites.py): the times of the
accounts that are fine, and the calendar cursors that moved with nothing new (Graph hands out a
new delta link at every round). The Outlook calendar is the real connector against the fake
Graph (tests/fakes/graph_server.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.outlook import PROVIDER
from daemon import config as config_mod
from daemon.clock import SystemClock
from daemon.protocols import AccountContext
from daemon.running.cyclewrites import CycleWrites
from daemon.running.polling import AccountPoll
from daemon.store import repository as repo
from daemon.store.database import open_store
from daemon.store.models import SyncCursor
from daemon.store.writer import Writer
from tests.fakes.graph_server import MicrosoftFakes, running_microsoft

NOW = datetime.now(UTC).replace(microsecond=0)
ME = "casey@contoso.example"


class CountingWriter(Writer):
    """The engine's writer, counting the writing sessions opened: the thing an unchanged
    poll of a thousand accounts must not queue a thousand of."""

    opened = 0

    def session(self):  # type: ignore[no-untyped-def]
        self.opened += 1
        return super().session()


@pytest.fixture
def ms(tmp_path: Path) -> Iterator[MicrosoftFakes]:
    with running_microsoft(tmp_path / "fakes") as fakes:
        yield fakes


def cursors(sessions) -> dict[tuple[str, str], str | None]:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return {(c.account, c.kind): c.value for c in session.scalars(select(SyncCursor))}


def test_an_outlook_calendar_with_nothing_new_stores_its_new_link_when_the_cycle_ends(
    ms: MicrosoftFakes, tmp_path: Path, db_url: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[daemon]\ndatabase = "{db_url}"\ntimezone = "UTC"\n'
        '[candidate]\nname = "Casey Candidate"\n'
        f'[[accounts]]\nname = "work"\naddresses = ["{ME}"]\n'
        'calendar = { provider = "ics", path = "unused" }\n'
        'mailbox = { provider = "maildir", path = "unused" }\n'
    )
    config = config_mod.load(path)
    account = config.accounts[0]
    ctx = AccountContext("work", (ME,), tmp_path / "state", SystemClock(), "UTC")
    PROVIDER.authorize(ctx, ms.account_options(), lambda line: None)
    calendar = PROVIDER.calendar(ctx, {}, ms.account_options())
    ms.graph.add_event("Onsite interview", NOW + timedelta(days=2))
    sessions = open_store(db_url)
    writer = CountingWriter(sessions)
    writes = CycleWrites(writer)
    poll = AccountPoll(config, sessions, writer, writes, lambda: None, lambda: False)

    assert poll.calendar(calendar, account, NOW, None)  # the first round: recorded at once
    first = cursors(sessions)[("work", "calendar")]
    assert writer.opened == 1 and first is not None

    # Nothing new; Graph's link is new all the same. Twice in one cycle: the newest is kept.
    assert not poll.calendar(calendar, account, NOW, first)
    assert not poll.calendar(calendar, account, NOW, first)
    assert writer.opened == 1, "a round with nothing new opened a writing session"
    assert cursors(sessions)[("work", "calendar")] == first  # not yet: when the cycle ends
    writes.flush()
    assert writer.opened == 2
    newest = cursors(sessions)[("work", "calendar")]
    assert newest not in (None, first)
    # The stored link is the newest round's: a change made now is the next round's news.
    ms.graph.add_event("Second interview", NOW + timedelta(days=3))
    assert [e.title for e in calendar.changes(newest, poll_window(config)).events] == [
        "Second interview"
    ]


def poll_window(config: config_mod.Config) -> tuple[datetime, datetime]:
    return (NOW - config.daemon.sync_past, NOW + config.daemon.sync_ahead)


def test_a_cursor_recorded_meanwhile_is_not_overwritten_and_a_gone_row_fails_nothing(
    db_url: str,
) -> None:
    sessions = open_store(db_url)
    writer = Writer(sessions)
    with writer.session() as session:
        for account in ("a", "b"):
            repo.set_cursor(session, account, "calendar", f"{account}-old", NOW)
        session.commit()
    writes = CycleWrites(writer)
    writes.cursor_moved("a", "calendar", "a-old", "a-new", NOW)
    writes.cursor_moved("b", "calendar", "b-old", "b-newer-round", NOW)
    writes.cursor_moved("gone", "calendar", "x", "y", NOW)  # its row went meanwhile
    with writer.session() as session:  # b's next round brought events: recorded at once
        repo.set_cursor(session, "b", "calendar", "b-with-events", NOW)
        session.commit()
    writes.flush()
    assert cursors(sessions) == {("a", "calendar"): "a-new", ("b", "calendar"): "b-with-events"}
    writes.flush()  # nothing kept: nothing written
    assert cursors(sessions)[("a", "calendar")] == "a-new"
