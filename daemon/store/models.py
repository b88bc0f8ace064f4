"""SQLAlchemy 2.x models. Times are stored as UTC and always come back timezone-aware.

A follow-up's life::

    scheduled --due--> creating --mailbox answered--> drafted --user sent/deleted--> done
        |                  |                              \\--a human replied----> replied
        +--> cancelled / skipped / failed (always with a reason)

``creating`` is the durable intent: it is committed *before* the mailbox is asked to create a
draft, so after a crash the daemon knows it must look the draft up by its key before creating
it again. That, and the unique ``key``, is what makes a draft exist exactly once.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (naive storage) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class State(enum.StrEnum):
    SCHEDULED = "scheduled"
    CREATING = "creating"
    DRAFTED = "drafted"
    DONE = "done"
    REPLIED = "replied"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"
    FAILED = "failed"


OPEN_STATES = (State.SCHEDULED, State.CREATING)

# An interview whose end the user has not been told about (daemon/notify/watch.py): the
# condition of the partial index ix_interviews_unmarked_end_at (migration 0007).
UNMARKED = "notified_at IS NULL OR notified_at < end_at"


class Kind(enum.StrEnum):
    THANK_YOU = "thank_you"
    STATUS_INQUIRY = "status_inquiry"


class AccountState(Base):
    """How the last polls of an account went: what ``status`` shows per account."""

    __tablename__ = "accounts"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    status: Mapped[str] = mapped_column(
        String(20), default="new"
    )  # ok, error, needs_reauth, backoff
    last_poll_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    fix: Mapped[str | None] = mapped_column(Text)  # the command that fixes a needs_reauth
    backoff_until: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(Integer, default=0)
    # The calendar and mailbox the account serves (daemon/running/identity.py): a renamed account is
    # recognised by it and keeps its history (migration 0004).
    identity: Mapped[str | None] = mapped_column(Text)


class SyncCursor(Base):
    """Opaque cursors handed back by providers (syncToken, deltaLink, historyId, fingerprint)."""

    __tablename__ = "sync_cursors"

    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # calendar, mail
    value: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]


class Process(Base):
    """One application process: all interviews of an account with one company."""

    __tablename__ = "processes"
    __table_args__ = (UniqueConstraint("account", "company_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(100))
    # Text: provider- and invitation-supplied values have no length a stranger must respect
    # (migration 0003). company_key is bounded by what it is derived from (planning/interviews.py).
    company_key: Mapped[str] = mapped_column(Text)
    company: Mapped[str | None] = mapped_column(Text)
    domains: Mapped[list[Any]] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(20), default="active")  # active, replied, cold
    reason: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    interviews: Mapped[list[Interview]] = relationship(back_populates="process")


class Interview(Base):
    __tablename__ = "interviews"
    __table_args__ = (
        UniqueConstraint("account", "event_id"),
        Index("ix_interviews_account_start_at", "account", "start_at"),  # the sync window
        Index("ix_interviews_start_at", "start_at"),  # the same meeting in any account
        Index("ix_interviews_process_id", "process_id"),  # a process's interviews (migration 0007)
        # Interviews whose end the user was not told about: daemon/notify/watch.py states the
        # same condition, which a partial index needs (migration 0007).
        Index(
            "ix_interviews_unmarked_end_at",
            "account",
            "end_at",
            sqlite_where=text(UNMARKED),
            postgresql_where=text(UNMARKED),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(100))
    # event_id is unique, so bounded: longer ids are skipped by the planner (MAX_ID_BYTES).
    event_id: Mapped[str] = mapped_column(String(2000))
    series_id: Mapped[str | None] = mapped_column(Text)
    calendar: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text)
    company: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str | None] = mapped_column(Text)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    timezone: Mapped[str | None] = mapped_column(Text)
    organizer: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active, cancelled
    reason: Mapped[str | None] = mapped_column(Text)  # why detected / why cancelled
    notes: Mapped[list[Any]] = mapped_column(default=list)  # general notes (description + CLI)
    main_contact: Mapped[str | None] = mapped_column(Text)
    decision_expected: Mapped[date | None] = mapped_column(Date)
    # The user's override of [detection].max_interviewers for this interview.
    max_interviewers: Mapped[int | None] = mapped_column(Integer)
    # What the user said about this interview (migration 0005): the draft language, their fit
    # sentence, corrections of the detected company and role (which win over `company` and
    # `role`, rewritten by detection on every poll), and a message of their own sent about it.
    language: Mapped[str | None] = mapped_column(Text)
    fit: Mapped[str | None] = mapped_column(Text)
    company_override: Mapped[str | None] = mapped_column(Text)
    role_override: Mapped[str | None] = mapped_column(Text)
    own_message: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # When the user was told the interview ended and their notes are wanted (migration 0006).
    notified_at: Mapped[datetime | None]
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    process: Mapped[Process] = relationship(back_populates="interviews")
    interviewers: Mapped[list[Interviewer]] = relationship(
        back_populates="interview", order_by="Interviewer.id"
    )
    followups: Mapped[list[FollowUp]] = relationship(
        back_populates="interview", order_by="FollowUp.id"
    )


class Interviewer(Base):
    __tablename__ = "interviewers"
    __table_args__ = (UniqueConstraint("interview_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id"))
    # Unique per interview, so bounded: detection ignores longer addresses (MAX_ADDRESS).
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(Text)
    is_organizer: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)  # False once removed from the event
    notes: Mapped[list[Any]] = mapped_column(default=list)  # notes about this person
    # The title the user gave (migration 0006); wins over [contacts] and detection.
    title: Mapped[str | None] = mapped_column(Text)

    interview: Mapped[Interview] = relationship(back_populates="interviewers")


class FollowUp(Base):
    __tablename__ = "followups"
    __table_args__ = (
        UniqueConstraint("interview_id", "interviewer_id", "kind", "seq"),
        Index("ix_followups_state_due_at", "state", "due_at"),  # the due-work query
        # An account's follow-ups in one state, found through its interviews (migration 0007).
        Index("ix_followups_interview_id_state", "interview_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(500), unique=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id"))
    interviewer_id: Mapped[int] = mapped_column(ForeignKey("interviewers.id"))
    kind: Mapped[str] = mapped_column(String(30))
    seq: Mapped[int] = mapped_column(Integer, default=1)  # 1st, 2nd inquiry; 1 for a thank-you
    state: Mapped[str] = mapped_column(String(20), default=State.SCHEDULED)
    reason: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # What the mailbox said about the draft: provider ids and Message-IDs, of any length.
    draft_id: Mapped[str | None] = mapped_column(Text)
    thread_id: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    drafted_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    sent_message_id: Mapped[str | None] = mapped_column(Text)
    sent_provider_id: Mapped[str | None] = mapped_column(Text)
    sent_references: Mapped[list[Any]] = mapped_column(default=list)
    # The body as followupd wrote it, and how often it was redrafted (migration 0006): the
    # draft's key in the mailbox is draft_key(fu) (daemon/message.py), which includes it.
    draft_text: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Why it failed (template, config, item) and the templates' and config's fingerprint then:
    # a template or config failure is retried once the fingerprint changes (migration 0006).
    failure: Mapped[str | None] = mapped_column(String(20))
    failure_fingerprint: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    interview: Mapped[Interview] = relationship(back_populates="followups")
    interviewer: Mapped[Interviewer] = relationship()
    transitions: Mapped[list[Transition]] = relationship(
        back_populates="followup", order_by="Transition.id"
    )


class Transition(Base):
    """Every state change of a follow-up, with its reason: the history ``status`` can show."""

    __tablename__ = "transitions"
    __table_args__ = (Index("ix_transitions_followup_id", "followup_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    followup_id: Mapped[int] = mapped_column(ForeignKey("followups.id"))
    at: Mapped[datetime]
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)

    followup: Mapped[FollowUp] = relationship(back_populates="transitions")


class ProblemRecord(Base):
    """An input item that was skipped, and why. One row per item; repeats bump ``count``."""

    __tablename__ = "problems"
    __table_args__ = (UniqueConstraint("account", "source", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20))  # calendar, mail, draft
    item: Mapped[str] = mapped_column(String(1000))
    container: Mapped[str | None] = mapped_column(Text)  # the file or folder the item is in
    message: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer, default=1)


class AccountLease(Base):
    """Which instance works an account, until when (several instances on one PostgreSQL;
    :mod:`daemon.running.leases`, migration 0008). ``generation`` rises with every new holder:
    the fence a unit of work checks at commit time."""

    __tablename__ = "account_leases"
    __table_args__ = (Index("ix_account_leases_holder", "holder"),)

    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(64))  # an instances.id; NULL: free
    generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    taken_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]  # the database's clock


class Instance(Base):
    """A running instance, seen at its last lease renewal (migration 0008)."""

    __tablename__ = "instances"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(Text)
    pid: Mapped[int] = mapped_column(Integer)
    # Host and state folder: a process with the same home replaces this one (InstanceLock).
    home: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime]
    last_seen: Mapped[datetime]
