"""An unchanged poll reads a fixed, small part of the store, however big the account's history.

Issue 14: with a thousand accounts an unchanged poll must cost a few milliseconds, so it may not
re-read the account's interviews (the planner's preload did, on every poll) nor load every
process's interviews to find the few a reply would change. Counted here, not timed: the SQL
statements sent and the rows loaded as objects for one unchanged poll of one account, with 10
and with 200 interviews in the store (bench/state.py prints the CPU figures).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event

from daemon.replies import ReplyTracker
from daemon.running.pollreads import CycleReads, PollReads
from daemon.running.sentwatch import SentWatch
from tests.harness import Event, Person, World

START = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)  # Acme, Wednesday 10:00 in Berlin
END = START + timedelta(hours=1)
JANE = Person("Jane Smith", "jane@acme.example")
RAJ = Person("Raj Patel", "raj@acme.example")
ACME = Event("acme-1", START, 60, "Interview: Acme (Backend Engineer)", [JANE, RAJ])
# The most statements an unchanged poll cycle of one account may send, BEGINs included: the
# cycle's one read of what every account's poll asks (5, whatever the number of accounts:
# daemon/running/pollreads.py), the account's state (2), the cycle's one write (2). 30 when
# the planner's state was loaded and the cursors stored again on every poll, 22 while the
# questions loaded the interviews as objects, 15 while the account's state was written before
# and after each poll, 13 while each step read in a session of its own, 10 while each
# account's poll read its questions itself.
MOST_STATEMENTS = 9


def at(hours: float) -> datetime:
    return END + timedelta(hours=hours)


def upcoming(n: int) -> list[Event]:
    """``n`` interviews to come with as many companies, spread over the next 60 days."""
    return [
        Event(
            f"later-{i}",
            START + timedelta(days=1 + i * 60 / n, hours=2),
            45,
            f"Interview: Company{i} (Engineer)",
            [Person(f"Lead {i}", f"lead{i}@company{i}.example")],
        )
        for i in range(n)
    ]


@dataclass
class Reads:
    statements: list[str]
    loaded: list[str]  # the class of every object loaded from a row


@contextmanager
def counting(world: World) -> Iterator[Reads]:
    reads = Reads([], [])
    bind = world.engine.sessions.kw["bind"]

    def statement(_conn, _cursor, sql: str, *_rest) -> None:  # noqa: ANN001
        reads.statements.append(" ".join(sql.split())[:120])

    def loaded(_session, instance) -> None:  # noqa: ANN001
        reads.loaded.append(type(instance).__name__)

    event.listen(bind, "before_cursor_execute", statement)
    event.listen(world.engine.sessions, "loaded_as_persistent", loaded)
    try:
        yield reads
    finally:
        event.remove(bind, "before_cursor_execute", statement)
        event.remove(world.engine.sessions, "loaded_as_persistent", loaded)


def unchanged_poll(world: World, hours: float) -> Reads:
    """What one unchanged poll at ``at(hours)`` reads (the poll before it read the changes)."""
    world.tick(at(hours - 1))
    world.clock.set(at(hours))
    with counting(world) as reads:
        world.engine.poll()
    return reads


def test_an_unchanged_poll_reads_the_same_whatever_the_history(tmp_path: Path, db_url: str) -> None:
    """An account with a thank-you waiting in Drafts and a status inquiry waiting for a reply
    (so the mailbox is searched) and 10, then 200 interviews to come."""
    world = World(tmp_path, db_url)
    world.add(ACME)
    later = upcoming(200)
    for e in later[:10]:
        world.add(e)
    world.tick(at(1))  # both thank-yous drafted
    world.send(world.drafts_to(JANE.email)[0], at(2))
    world.tick(at(3))  # Jane's is sent: her inquiry waits for a reply; Raj's is still a draft
    small = unchanged_poll(world, 5)
    for e in later[10:]:
        world.add(e)
    large = unchanged_poll(world, 7)

    assert world.states() == {
        (JANE.email, "thank_you", 1): "done",
        (JANE.email, "status_inquiry", 1): "scheduled",
        (RAJ.email, "thank_you", 1): "drafted",
        **{
            (e.people[0].email, kind, 1): "scheduled"
            for e in later
            for kind in ("thank_you", "status_inquiry")
        },
    }
    assert large.statements == small.statements
    assert sorted(large.loaded) == sorted(small.loaded)
    assert len(large.statements) <= MOST_STATEMENTS, "\n".join(large.statements)
    # The poll needs no object at all: the account's state, the cursors, the draft in Drafts
    # (Raj's thank-you) and who may answer about Acme, whose inquiry waits for a reply, are
    # read as plain columns, with statements built once (issue 14); none of the 200 to come
    # is read at all.
    assert large.loaded == []


def test_a_complete_read_without_events_still_cancels_the_window(
    tmp_path: Path, db_url: str
) -> None:
    """The other side of reading nothing when the calendar is unchanged: a calendar emptied
    of its events is read whole with no event at all, and every interview of the window
    was deleted."""
    world = World(tmp_path, db_url)
    world.add(ACME)
    later = world.add(upcoming(1)[0])
    world.tick(at(-3))
    assert {i.event_id: i.status for i in world.interviews()} == {
        "acme-1": "active",
        "later-0": "active",
    }
    world.events.clear()
    world.write_calendar()
    world.tick(at(-2))
    interviews = {i.event_id: (i.status, i.reason) for i in world.interviews()}
    gone = ("cancelled", "the event was deleted from the calendar")
    assert interviews == {"acme-1": gone, later.uid: gone}
    assert set(world.states().values()) == {"cancelled"}


def test_the_cycle_s_shared_read_asks_what_each_poll_would_ask(tmp_path: Path, db_url: str) -> None:
    """The questions a poll takes from the cycle's read of all accounts equal those it reads
    for itself: a draft waiting (Raj's), a thank-you sent whose inquiry waits for a reply
    (Jane's: the process is watched), interviews to come; read as of the same moment."""
    world = World(tmp_path, db_url)
    world.add(ACME)
    for e in upcoming(3):
        world.add(e)
    world.tick(at(1))
    world.send(world.drafts_to(JANE.email)[0], at(2))
    world.tick(at(3))
    world.tick(at(4))
    engine = world.engine
    connection = next(iter(engine.connections.values()))
    account, mailbox = connection.account, connection.mailbox
    assert mailbox is not None
    tracker = ReplyTracker(world.config, account, mailbox)
    watch = SentWatch(world.config, account, mailbox)
    now = at(5)

    def asked(reads: PollReads) -> tuple[object, ...]:
        return (
            reads.calendar_cursor(),
            reads.waiting_drafts(),
            reads.sent_question(),
            reads.reply_question(),
        )

    cycle = CycleReads(engine.sessions)
    cycle.read([account.name, "nobody"], now)
    share = cycle.take(account.name)
    assert share is not None and cycle.take(account.name) is None  # taken once
    shared = asked(PollReads(engine.sessions, tracker, watch, now, share))
    own = asked(PollReads(engine.sessions, tracker, watch, now))
    assert shared == own
    cursor, waiting, _sent, replies = own
    assert cursor is not None and [w.key for w in waiting]  # Raj's draft waits
    assert replies is not None and JANE.email in replies.senders

    cycle.read([account.name], now)
    cycle.forget(account.name)  # a draft of the account was made meanwhile
    assert cycle.take(account.name) is None

    def broken() -> object:
        raise RuntimeError("the database is gone")

    cycle.read([account.name], now)  # a share left untaken (the account waited out a backoff)
    cycle.sessions = broken  # type: ignore[assignment]
    cycle.read([account.name], now)  # the polls will read for themselves, not the old share
    assert cycle.take(account.name) is None
