"""The queries and updates the engine and the CLI share, so each lives in one place."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, event, func, insert, select, text, update
from sqlalchemy.orm import Session, SessionTransaction, selectinload

from daemon.protocols import Problem
from daemon.store.models import (
    AccountState,
    FollowUp,
    Interview,
    ProblemRecord,
    Process,
    State,
    SyncCursor,
    Transition,
)


def transition(
    session: Session, fu: FollowUp, to: State, reason: str, now: datetime, new: bool = False
) -> None:
    """Move ``fu`` to ``to`` and keep the history. Every change has a reason and a time.

    The history row is written with the flush that writes ``fu`` (see :func:`_write_history`),
    not added to the session as an object: it is never read back while the session lives,
    and a careers office's first cycle records 49,000 of them, which the ORM's unit of work
    had spent about a tenth of that cycle's CPU on."""
    before = None if new else fu.state
    fu.state = to
    fu.reason = reason
    fu.updated_at = now
    mark = session.info[_COUNT] = session.info.get(_COUNT, 0) + 1
    session.info.setdefault(_HISTORY, []).append((mark, fu, now, before, to, reason))


# session.info's transitions recorded but not written yet, numbered in order:
# (number, follow-up, at, from, to, why); and the last number given.
_HISTORY = "followupd.history"
_COUNT = "followupd.history.count"
_MARKS = "followupd.history.savepoints"  # the last number when each savepoint began
_WROTE = "followupd.history.wrote"  # set when a flush wrote some (daemon/faults.py reads it)
_TRANSITIONS = Transition.__table__


@event.listens_for(Session, "after_flush")
def _write_history(session: Session, _context: object) -> None:
    """Write the transitions recorded so far, once their follow-ups have ids: in the flush's
    transaction, so a rollback takes them back with the state they explain."""
    pending = session.info.get(_HISTORY)
    if not pending:
        return
    ready = [entry for entry in pending if entry[1].id is not None]
    session.info[_HISTORY] = [entry for entry in pending if entry[1].id is None]
    if ready:
        session.connection().execute(
            insert(_TRANSITIONS),
            [
                {
                    "followup_id": fu.id,
                    "at": at,
                    "from_state": before,
                    "to_state": to,
                    "reason": why,
                }
                for _, fu, at, before, to, why in ready
            ],
        )
        session.info[_WROTE] = True
        for _, fu, *_ in ready:  # a loaded history would no longer be whole: read it again
            if "transitions" in fu.__dict__:
                session.expire(fu, ["transitions"])


@event.listens_for(Session, "before_commit")
def _history_before_commit(session: Session) -> None:
    """A flush that found nothing to write (the state set to what it was) writes no history
    by itself: the commit does."""
    if session.info.get(_HISTORY):
        session.flush()
        _write_history(session, None)


@event.listens_for(Session, "after_transaction_end")
def _history_ends(session: Session, transaction: SessionTransaction) -> None:
    """Nothing recorded outlives its transaction (a session closed without a rollback)."""
    if transaction.parent is None:
        for key in (_HISTORY, _MARKS, _WROTE):
            session.info.pop(key, None)


def writes_history(session: Session) -> bool:
    """Whether the flush under way writes history rows, for the crash tests' checkpoint names
    (:mod:`daemon.faults`): they are rows, not objects in ``session.new``."""
    return bool(session.info.get(_HISTORY)) or bool(session.info.pop(_WROTE, False))


@event.listens_for(Session, "after_transaction_create")
def _history_mark(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:  # a savepoint: where its rollback would take the history back to
        session.info.setdefault(_MARKS, {})[id(transaction)] = session.info.get(_COUNT, 0)


@event.listens_for(Session, "after_soft_rollback")
def _forget_history(session: Session, previous: SessionTransaction) -> None:
    """What was recorded in a transaction rolled back is forgotten with it (what of it was
    written, the database takes back)."""
    mark = session.info.get(_MARKS, {}).pop(id(previous), None) if previous.nested else 0
    if mark is not None and session.info.get(_HISTORY):
        session.info[_HISTORY] = [entry for entry in session.info[_HISTORY] if entry[0] <= mark]


def _cursor_row(session: Session, account: str, kind: str) -> SyncCursor | None:
    """The cursor's row, read once per session: the session holds unchanged rows only weakly,
    so without the reference kept in ``session.info`` storing the cursor after reading it
    would read it again."""
    rows = session.info.setdefault("sync_cursors", {})
    row = rows.get((account, kind))
    if row is None or row not in session:
        row = rows[(account, kind)] = session.get(SyncCursor, (account, kind))
    return row


# Built once: every poll reads two cursors of every account, most of them unchanged.
_CURSOR = select(SyncCursor.value).where(
    SyncCursor.account == bindparam("account"), SyncCursor.kind == bindparam("kind")
)


def get_cursor(session: Session, account: str, kind: str) -> str | None:
    """The stored cursor: its value alone, not the row (a poll that finds nothing new must
    not pay for an ORM object it will not change; :func:`set_cursor` loads the row)."""
    return session.scalar(_CURSOR, {"account": account, "kind": kind})


def set_cursor(session: Session, account: str, kind: str, value: str | None, now: datetime) -> None:
    """Store the cursor; ``updated_at`` says when it last changed. An unchanged cursor (the
    usual poll) writes nothing: a thousand accounts must not queue a thousand writes on one
    SQLite writer to say that nothing happened."""
    row = _cursor_row(session, account, kind)
    if row is None:
        row = SyncCursor(account=account, kind=kind, value=value, updated_at=now)
        session.add(row)
        session.info["sync_cursors"][(account, kind)] = row
    elif row.value != value:
        row.value, row.updated_at = value, now


def account_state(session: Session, name: str) -> AccountState:
    row = session.get(AccountState, name)
    if row is None:
        row = AccountState(name=name, status="new", failures=0)
        session.add(row)
    return row


def record_problems(
    session: Session, account: str, source: str, problems: Sequence[Problem], now: datetime
) -> None:
    """Skipped input items, one row each; seeing the same item again only bumps its count."""
    for problem in problems:
        # problems.item is unique, so bounded: 1000 characters, and 1000 bytes so that the
        # index entry fits too (PostgreSQL limits one to about 2.7 kB).
        item = problem.item[:1000].encode("utf-8", "replace")[:1000].decode("utf-8", "ignore")
        row = session.scalar(
            select(ProblemRecord).where(
                ProblemRecord.account == account,
                ProblemRecord.source == source,
                ProblemRecord.item == item,
            )
        )
        if row is None:
            session.add(
                ProblemRecord(
                    account=account,
                    source=source,
                    item=item,
                    container=problem.container or None,
                    message=problem.message,
                    first_seen=now,
                    last_seen=now,
                    count=1,
                )
            )
        else:
            row.message, row.last_seen, row.count = problem.message, now, row.count + 1
            row.container = problem.container or row.container


def clear_problem(session: Session, account: str, source: str, item: str) -> None:
    """Forget a problem that no longer applies (the user fixed or overrode it)."""
    session.execute(
        delete(ProblemRecord).where(
            ProblemRecord.account == account,
            ProblemRecord.source == source,
            ProblemRecord.item == item,
        )
    )


# Interrupted creations first (what they come to decides what their twins do), then by due
# time. Plain columns: the engine loads the follow-ups themselves a chunk at a time.
_DUE = (
    select(FollowUp.id, Interview.account)
    .join(Interview, FollowUp.interview_id == Interview.id)
    .where(
        FollowUp.state.in_([State.SCHEDULED, State.CREATING]),
        FollowUp.due_at <= bindparam("now"),
    )
    .order_by(FollowUp.state != State.CREATING, FollowUp.due_at, FollowUp.id)
)


def due_followups(session: Session, now: datetime) -> list[tuple[int, str]]:
    """The due follow-ups' ids and accounts, interrupted creations first, then by due time."""
    return [(fu_id, account) for fu_id, account in session.execute(_DUE, {"now": now})]


def followups_by_id(session: Session, ids: Sequence[int]) -> list[FollowUp]:
    """The follow-ups ``ids``, in that order, with their interviews and processes."""
    rows = session.scalars(
        select(FollowUp)
        .where(FollowUp.id.in_(ids))
        .options(selectinload(FollowUp.interview).selectinload(Interview.process))
    ).all()
    place = {fu_id: n for n, fu_id in enumerate(ids)}
    return sorted(rows, key=lambda fu: place[fu.id])


def next_due(session: Session, accounts: Collection[str] | None = None) -> datetime | None:
    """The earliest due time of an open follow-up, of ``accounts`` only when given (several
    instances: each its own). One state at a time: each is then the first entry of
    ix_followups_state_due_at, where ``state IN (...)`` made SQLite sort every open follow-up
    of every account (the service asks every minute)."""
    times = []
    for state in (State.SCHEDULED, State.CREATING):
        query = select(func.min(FollowUp.due_at)).where(FollowUp.state == state)
        if accounts is not None:
            query = query.join(Interview, FollowUp.interview_id == Interview.id).where(
                Interview.account.in_(sorted(accounts))
            )
        times.append(session.scalar(query))
    return min((t for t in times if t is not None), default=None)


def rename_account(session: Session, old: str, new: str) -> None:
    """Move everything stored under account ``old`` to ``new`` (which must hold nothing yet).

    Follow-ups keep their KEYs: the drafts already in the mailbox carry them."""
    for model in (SyncCursor, ProblemRecord):
        session.execute(delete(model).where(model.account == new))
    session.execute(delete(AccountState).where(AccountState.name == new))
    session.flush()
    session.execute(update(AccountState).where(AccountState.name == old).values(name=new))
    for model in (SyncCursor, ProblemRecord, Process, Interview):
        session.execute(update(model).where(model.account == old).values(account=new))
    session.expire_all()


def one_at_a_time(session: Session, what: str) -> None:
    """Let one instance at a time through the rest of this transaction, on PostgreSQL (an
    advisory lock named by ``what``, released with the transaction). Several instances that
    start together on one database would otherwise insert the same rows at once. SQLite
    serves one instance: nothing to do."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(what.encode()).digest()[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
