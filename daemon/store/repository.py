"""The queries and updates the engine and the CLI share, so each lives in one place."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.orm import Session, selectinload

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
    """Move ``fu`` to ``to`` and keep the history. Every change has a reason and a time."""
    before = None if new else fu.state
    fu.state = to
    fu.reason = reason
    fu.updated_at = now
    session.add(Transition(followup=fu, at=now, from_state=before, to_state=to, reason=reason))


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
