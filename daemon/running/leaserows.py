"""The statements behind the account leases (:mod:`daemon.running.leases`), one job each.

Why apart: the lease logic (shares, fences, what to release) reads better without the SQL, and
the SQL is where PostgreSQL's own guarantees are used, each worth its comment. Every time given
here is the database's clock (:func:`db_now`), never this machine's.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from daemon.store.models import AccountLease, Instance

LEASES = AccountLease.__table__
INSTANCES = Instance.__table__
# An instance not seen for this long is forgotten (its row is only what `status` shows).
FORGET_AFTER = timedelta(days=1)


def db_now(session: Session) -> datetime:
    """The database's clock (not the transaction's start, which ``now()`` would give)."""
    return session.execute(select(func.clock_timestamp())).scalar_one()


def register(
    session: Session, now: datetime, instance_id: str, home: str | None, replaces: bool
) -> None:
    """This instance is alive (and counted in the fair share); the long dead are dropped, and
    with ``replaces`` the earlier process of the same ``home``, whose leases are freed."""
    session.execute(
        insert(INSTANCES)
        .values(
            id=instance_id,
            host=socket.gethostname(),
            pid=os.getpid(),
            home=home,
            started_at=now,
            last_seen=now,
        )
        .on_conflict_do_update(index_elements=["id"], set_={"last_seen": now})
    )
    gone = INSTANCES.c.last_seen < now - FORGET_AFTER
    if replaces and home is not None:
        gone = or_(gone, (INSTANCES.c.home == home) & (INSTANCES.c.id != instance_id))
    dead = list(session.execute(delete(INSTANCES).where(gone).returning(INSTANCES.c.id)).scalars())
    if dead:  # a restart, or a crashed `run --once`: no waiting for its leases to run out
        session.execute(
            update(LEASES).where(LEASES.c.holder.in_(dead)).values(holder=None, expires_at=now)
        )


def leave(session: Session, instance_id: str) -> None:
    """No longer counted among the live instances (a clean stop)."""
    session.execute(delete(INSTANCES).where(INSTANCES.c.id == instance_id))


def live_instances(session: Session, now: datetime, ttl: timedelta) -> int:
    """Instances seen within a lease's life: a dead one stops counting when its leases end."""
    return session.execute(
        select(func.count()).where(INSTANCES.c.last_seen > now - ttl)
    ).scalar_one()


def ensure(session: Session, names: list[str], now: datetime) -> None:
    """A free lease row for each account never seen (two instances may add one at once)."""
    if names:
        session.execute(
            insert(LEASES)
            .values([{"account": n, "generation": 0, "expires_at": now} for n in names])
            .on_conflict_do_nothing(index_elements=["account"])
        )


def extend(
    session: Session, holder: str, until: datetime, names: Collection[str] | None = None
) -> dict[str, int]:
    """Extend what ``holder`` still holds (of ``names``); what it lost is not there. A plain
    update: it does not wait for a fence's ``FOR KEY SHARE``. Returns account -> generation."""
    where = [LEASES.c.holder == holder]
    if names is not None:
        where.append(LEASES.c.account.in_(names))
    return dict(
        session.execute(
            update(LEASES)
            .where(*where)
            .values(expires_at=until)
            .returning(LEASES.c.account, LEASES.c.generation)
        ).all()
    )


def free(
    session: Session, holder: str, now: datetime, names: Collection[str] | None = None
) -> None:
    """Let ``holder``'s leases (of ``names``) go now: others may take them at once."""
    where = [LEASES.c.holder == holder]
    if names is not None:
        where.append(LEASES.c.account.in_(names))
    session.execute(update(LEASES).where(*where).values(holder=None, expires_at=now))


def take(
    session: Session,
    holder: str,
    now: datetime,
    until: datetime,
    names: list[str],
    want: int,
    stale: datetime,
) -> dict[str, int]:
    """Lock and take free rows of ``names``: up to ``want`` of them, plus those free since
    before ``stale`` (nobody under their share took them), each with a new generation.
    ``SKIP LOCKED`` passes over rows another instance is taking at this moment, and rows a
    unit of work of their holder is committing (its fence holds them ``FOR KEY SHARE``)."""
    if not names:
        return {}
    unheld = or_(LEASES.c.holder.is_(None), LEASES.c.expires_at <= now)
    chosen: list[str] = []
    if want > 0:
        chosen += session.execute(
            select(LEASES.c.account)
            .where(LEASES.c.account.in_(names), unheld)
            .order_by(LEASES.c.expires_at, LEASES.c.account)
            .limit(want)
            .with_for_update(skip_locked=True)
        ).scalars()
    chosen += session.execute(
        select(LEASES.c.account)
        .where(
            LEASES.c.account.in_(names),
            LEASES.c.account.not_in(chosen),
            unheld,
            LEASES.c.expires_at <= stale,
        )
        .with_for_update(skip_locked=True)
    ).scalars()
    if not chosen:
        return {}
    return dict(
        session.execute(
            update(LEASES)
            .where(LEASES.c.account.in_(chosen))
            .values(
                holder=holder,
                generation=LEASES.c.generation + 1,
                taken_at=now,
                expires_at=until,
            )
            .returning(LEASES.c.account, LEASES.c.generation)
        ).all()
    )


def still_held(session: Session, account: str, holder: str, generation: int) -> bool:
    """The fence: the lease still names ``holder`` at ``generation``; locked ``FOR KEY SHARE``
    until the transaction ends (a claim's ``FOR UPDATE SKIP LOCKED`` then passes it over)."""
    found = session.execute(
        select(LEASES.c.generation)
        .where(
            LEASES.c.account == account,
            LEASES.c.holder == holder,
            LEASES.c.generation == generation,
        )
        .with_for_update(read=True, key_share=True)
    ).first()
    return found is not None


def who_works(session: Session) -> dict[str, str]:
    """Which instance works each account now (``host pid N``), for ``status``: empty on a
    database no instance shares (SQLite, or PostgreSQL before any instance claimed)."""
    rows = session.execute(
        select(LEASES.c.account, INSTANCES.c.host, INSTANCES.c.pid)
        .join(INSTANCES, INSTANCES.c.id == LEASES.c.holder)
        .where(LEASES.c.expires_at > func.now())
    ).all()
    return {account: f"{host} pid {pid}" for account, host, pid in rows}
