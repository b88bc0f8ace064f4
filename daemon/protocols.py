"""The two small protocols every provider implements, and the values that cross them.

Glossary
--------
EVENT       One calendar occurrence. A recurring series yields one EVENT per instance; its
            ``id`` is stable per instance (series id + recurrence id), ``series_id`` groups them.
CURSOR      An opaque string a calendar source or mailbox hands back after a sync and receives
            again on the next one (a Google syncToken, a Graph deltaLink, a file fingerprint).
            The core stores it; only the provider understands it.
KEY         The idempotency key of one draft: ``followupd:<account>:<interview>:<person>:<kind>``.
            A mailbox must be able to find a draft again by its KEY alone, because a crash may
            fall between "the provider created it" and "we recorded that".
DRAFT REF   What a mailbox returns for a created draft: enough to ask about it later.

Providers never touch the database and never see configuration beyond their own options.
Every method may raise the errors of :mod:`daemon.errors`; one bad input item is not an error
of the call but a :class:`Problem` in its result.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from daemon.redaction import redact

if TYPE_CHECKING:
    from daemon.clock import Clock

# Drafts made before issue 10 carried their KEY in this header; a recipient saw it. New drafts
# carry only a Message-ID derived from the KEY at the user's own domain (daemon.message.
# message_id_for); mailboxes still recognise this header on drafts users have from before.
KEY_HEADER = "X-Followupd-Key"


# --------------------------------------------------------------------------------------------
# Calendar side
# --------------------------------------------------------------------------------------------


class Role(enum.StrEnum):
    REQUIRED = "required"
    OPTIONAL = "optional"
    CHAIR = "chair"
    NON_PARTICIPANT = "non-participant"


class AttendeeKind(enum.StrEnum):
    PERSON = "person"
    RESOURCE = "resource"  # rooms, equipment
    GROUP = "group"
    UNKNOWN = "unknown"


class Response(enum.StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    TENTATIVE = "tentative"
    NEEDS_ACTION = "needs-action"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Attendee:
    email: str  # lower-cased, no "mailto:"
    name: str | None = None
    role: Role = Role.REQUIRED
    kind: AttendeeKind = AttendeeKind.PERSON
    response: Response = Response.UNKNOWN
    is_self: bool = False  # the provider knows this attendee is the account's own user
    is_organizer: bool = False


@dataclass(frozen=True)
class CalendarEvent:
    """One event instance, as the provider saw it. Times are timezone-aware."""

    id: str
    title: str
    start: datetime
    end: datetime
    calendar: str = ""  # calendar id or name within the account
    series_id: str | None = None
    description: str = ""
    location: str = ""
    timezone: str | None = None  # the IANA zone the event was written in, when known
    all_day: bool = False
    organizer: Attendee | None = None
    attendees: tuple[Attendee, ...] = ()
    cancelled: bool = False
    # Provider-specific labels, normalised as "kind:value": "category:Interview", "color:11",
    # "label:jobs", "event-type:focusTime", "show-as:free", "followupd:on"/"followupd:off"
    # (a per-event opt-in/out stored by the provider, e.g. Google extendedProperties).
    tags: frozenset[str] = frozenset()
    updated: datetime | None = None
    # The shortest interval of the event's recurrence rule, when the source knows it (an .ics
    # RRULE). Detection refuses series that repeat more often than interviews do.
    repeats_every: timedelta | None = None


@dataclass(frozen=True)
class Problem:
    """One input item that was skipped, with a message naming it and what was expected.

    ``container`` names what holds the item (an .ics file, a Maildir folder) so that ``status``
    can count the problems of one file while still listing each. A ``warning`` is an item that
    was read anyway, with a caveat the user should see (bytes that were not UTF-8, an attendee
    line that had to be repaired): it does not make a sync incomplete.

    The message is redacted as the problem is made, the one place a skipped item becomes text:
    it often quotes the value that could not be read (an answer's field, an exception's text),
    and the store keeps it and ``status`` prints it, neither of which goes through the log's
    filter.
    """

    item: str
    message: str
    container: str = ""
    warning: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", redact(self.message))


@dataclass
class CalendarChanges:
    """What changed since the cursor.

    ``complete`` is True when ``events`` is the whole content of the window (a first sync, a
    resync after an expired cursor, or a source such as a folder of .ics files that can only
    be read whole): an interview the core knows in that window but that is absent here has been
    deleted. When False, only ``removed`` says what disappeared.
    """

    events: list[CalendarEvent]
    cursor: str | None
    removed: list[str] = field(default_factory=list)  # event ids (or series ids) deleted
    complete: bool = False
    problems: list[Problem] = field(default_factory=list)


@runtime_checkable
class CalendarSource(Protocol):
    def changes(self, cursor: str | None, window: tuple[datetime, datetime]) -> CalendarChanges:
        """Events that changed since ``cursor`` (all of them when ``cursor`` is None) whose
        instances fall in ``window`` (start, end). Raises :class:`daemon.errors.CursorExpired`
        when the cursor is no longer valid; the core then calls again with None."""
        ...

    def check(self) -> str:
        """Prove the source is reachable; return a one-line description for ``followupd check``."""
        ...


# --------------------------------------------------------------------------------------------
# Mailbox side
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    email: str
    name: str | None = None


@dataclass(frozen=True)
class ReplyTarget:
    """The sent message a draft replies to, for threading (In-Reply-To, References, thread)."""

    message_id: str  # RFC 5322 Message-ID of the sent message, with angle brackets
    thread_id: str | None = None  # provider thread / conversation id
    provider_id: str | None = None  # provider id of the sent message (Graph createReply needs it)
    subject: str = ""
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class DraftRequest:
    """Everything needed to create one draft. ``key`` makes creation idempotent."""

    key: str
    sender: Address
    to: tuple[Address, ...]
    subject: str
    text: str
    html: str | None = None
    reply_to: ReplyTarget | None = None  # None: a new conversation
    message_id: str | None = None  # deterministic Message-ID derived from the key (at the
    # sender's domain: daemon.message.message_id_for)


@dataclass(frozen=True)
class DraftRef:
    """A created draft as the provider names it. ``id`` is stable for the draft's life."""

    id: str
    thread_id: str | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class DraftContent:
    """A draft as the mailbox holds it now."""

    subject: str
    text: str  # the plain-text body (an HTML-only body turned into text)


class DraftStatus(enum.StrEnum):
    DRAFT = "draft"  # still waiting for the user
    SENT = "sent"  # the user sent it (a sent message with our key is in its thread)
    GONE = "gone"  # the user deleted it: never recreate


@dataclass(frozen=True)
class DraftState:
    status: DraftStatus
    sent_at: datetime | None = None
    sent: ReplyTarget | None = None  # the sent message, to reply to later


@dataclass(frozen=True)
class InboundMessage:
    """A message received by the user (never one of the user's own)."""

    id: str
    sender: str  # e-mail address, lower-cased
    received_at: datetime
    subject: str = ""
    thread_id: str | None = None
    auto_reply: bool = False  # RFC 3834 and friends; decided by the provider from headers
    excerpt: str = ""  # a short text excerpt (snippet, preview), for auto-reply return dates


@dataclass
class InboundMessages:
    messages: list[InboundMessage]
    cursor: str | None = None
    problems: list[Problem] = field(default_factory=list)


# At most this many sent messages are returned by one :meth:`Mailbox.sent_since`, newest first:
# it is asked about the days since an interview, and a user sends a few messages a day.
SENT_LIMIT = 200


@dataclass(frozen=True)
class SentMessage:
    """A message the user sent, in any mail client, as its Sent folder keeps it (headers only).

    What a status inquiry needs to reply to it in its thread, and when its clock starts. It
    carries no followupd header (the user wrote it), so nothing here depends on one.
    """

    message_id: str  # RFC 5322 Message-ID, with angle brackets
    sent_at: datetime
    recipients: tuple[str, ...]  # To and Cc addresses, lower-cased
    subject: str = ""
    thread_id: str | None = None  # provider thread / conversation id
    provider_id: str | None = None  # provider id of the sent copy (Graph createReply needs it)
    references: tuple[str, ...] = ()
    names: tuple[tuple[str, str], ...] = ()  # (address, display name) as the headers gave them

    def reply_target(self) -> ReplyTarget:
        return ReplyTarget(
            message_id=self.message_id,
            thread_id=self.thread_id,
            provider_id=self.provider_id,
            subject=self.subject,
            references=self.references,
        )


@dataclass
class SentMessages:
    messages: list[SentMessage]
    problems: list[Problem] = field(default_factory=list)


@runtime_checkable
class Mailbox(Protocol):
    # Optional (absent means False): True when the mailbox's reply cursor records the senders,
    # domains and ``since`` it was made for, and :meth:`messages_since` given such a cursor for
    # a changed set reads the older mail of whatever is new itself. The core then keeps the
    # cursor when the watched set changes instead of starting over.
    #
    #     cursor_keeps_watch: bool

    def find_draft(self, key: str) -> DraftRef | None:
        """The draft (or the sent message) created with ``key``, if any. Used after a crash."""
        ...

    def create_draft(self, request: DraftRequest) -> DraftRef:
        """Create the draft. Never sends. Not retried blindly: the core retries only after
        :meth:`find_draft` says there is none."""
        ...

    def draft_state(self, ref: DraftRef, key: str) -> DraftState:
        """Is the draft still a draft, was it sent (and when), or is it gone?"""
        ...

    def read_draft(self, ref: DraftRef, key: str) -> DraftContent | None:
        """The draft as the mailbox holds it now; None when it is not a draft any more (sent,
        deleted). Asked only by ``followupd redraft`` and never by the daemon.

        Located as :meth:`draft_state` locates it (``ref.id`` first, then the Message-ID
        derived from ``key``, then a copy the user's client saved again), so a draft the user
        edited is returned as edited: the caller compares it with what followupd wrote. The
        text is the text/plain part as stored, else the HTML body read by
        :func:`daemon.bodytext.html_to_text` (the shipped templates' HTML reads back as their
        text exactly); line endings are "\\n"."""
        ...

    def delete_draft(self, ref: DraftRef, key: str) -> None:
        """Delete this draft of ours, which :meth:`read_draft` has just shown untouched. Only
        ``followupd redraft`` asks this, on the user's explicit request; the daemon itself
        never deletes or edits a draft. Deleting a draft that is already gone is not an
        error."""
        ...

    def messages_since(
        self,
        since: datetime,
        senders: Sequence[str],
        domains: Sequence[str],
        cursor: str | None = None,
    ) -> InboundMessages:
        """Messages received after ``since`` from any of ``senders`` (addresses) or from any
        address in ``domains``. The user's own messages are never included. ``cursor`` may let
        a provider answer incrementally; providers that cannot simply ignore it."""
        ...

    def sent_since(
        self, since: datetime, recipients: Sequence[str], domains: Sequence[str]
    ) -> SentMessages:
        """Messages the user sent after ``since`` to any of ``recipients`` (addresses) or to
        any address in ``domains`` (To or Cc), read from the Sent folder(s), headers only, at
        most :data:`SENT_LIMIT` of them, newest first. Asked only while a status inquiry waits
        for something the user sent, so it may cost a few requests; never a body."""
        ...

    def check(self) -> str:
        """Prove the mailbox is reachable; return a one-line description."""
        ...


# --------------------------------------------------------------------------------------------
# Being told of a change (optional, either side)
# --------------------------------------------------------------------------------------------


class CannotWatch(Exception):
    """A source that offers :meth:`Watchable.watch` cannot watch now (a folder not there yet,
    the system's limit of file watches reached, a server without IDLE). The message is one line
    naming what and why; the core logs it and polls the account at its interval, as before."""


class Watch(Protocol):
    """What :meth:`Watchable.watch` returns. Closing it stops the watching, at once or within
    a second, and never raises; it may be closed twice."""

    def close(self) -> None: ...


@runtime_checkable
class Watchable(Protocol):
    """Optional on a :class:`CalendarSource` or a :class:`Mailbox` that can learn of a change
    without being polled (local files through inotify, an IMAP INBOX through IDLE).

    Polling only every few minutes keeps servers and disks quiet, but an event saved between
    two polls would wait for the next one even when its thank-you is due already; a watch lets
    the core poll that one account within seconds (:mod:`daemon.running.wakeups`)."""

    def watch(self, wake: Callable[[], None]) -> Watch:
        """Start watching, in a thread of the source's own, and call ``wake()`` (from any
        thread; it returns at once) whenever something changed that a poll would read. Called
        again only after the last watch was closed. Spurious or repeated calls are fine: the
        core groups them. Raises :class:`CannotWatch` when it cannot start; a watch that breaks
        later logs why once and stops calling (the account is still polled)."""
        ...


# --------------------------------------------------------------------------------------------
# Providers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountContext:
    """What the core tells a provider about the account it serves. No database, no config."""

    name: str
    addresses: tuple[str, ...]  # the user's own addresses, lower-cased
    state_dir: Path  # owner-only directory for this account's tokens and caches
    clock: Clock
    timezone: str
    decision_hint: date | None = None  # unused by providers; reserved


@dataclass(frozen=True)
class Resource:
    """What a calendar source or mailbox *is*, whatever the config calls its account.

    ``identity`` survives a rename or re-ordering of ``[[accounts]]`` ("maildir:/home/alex/Mail",
    "google:alex@gmail.com"): the core keys what it remembers about an account by it. A resource
    that lives in a local folder names it as ``local_dir``: two followupd instances that share it
    (two state dirs, two users) must not both write there, so the core locks it in that folder.
    """

    identity: str
    local_dir: Path | None = None


class Provider(Protocol):
    """What a provider module exports as ``PROVIDER``.

    ``options`` is the schema of the provider's own config table ``[accounts.<provider>]``
    and of the ``calendar``/``mailbox`` tables (see :mod:`daemon.options`). A provider that
    offers only one side returns None from the other factory.
    """

    name: str
    calendar_options: Any  # daemon.options.Schema | None
    mailbox_options: Any  # daemon.options.Schema | None
    account_options: Any  # daemon.options.Schema | None

    def calendar(
        self, ctx: AccountContext, options: dict[str, Any], account_options: dict[str, Any]
    ) -> CalendarSource | None: ...

    def mailbox(
        self, ctx: AccountContext, options: dict[str, Any], account_options: dict[str, Any]
    ) -> Mailbox | None: ...

    def authorize(self, ctx: AccountContext, account_options: dict[str, Any], echo: Any) -> None:
        """Run the interactive authorization (``followupd auth``). Local providers do nothing."""
        ...

    def resource(
        self,
        side: str,
        options: dict[str, Any],
        account_options: dict[str, Any],
        addresses: tuple[str, ...],
    ) -> Resource:
        """What the account's ``side`` ("calendar" or "mailbox") is, without connecting;
        ``addresses`` are the user's own, lower-cased, the first being the account's.

        Optional: for a provider without it the core uses the provider's name and options."""
        ...

    def validate_options(
        self, side: str, options: dict[str, Any], where: str, problems: list[str]
    ) -> None:
        """Append a problem for each rule across the ``side`` table's options that its schema
        cannot express (exactly one password source: :func:`daemon.passwords.validate_source`).

        Optional: called at config load, after the schema converted each option."""
        ...


def watch_list(addresses: Sequence[str], domains: Sequence[str]) -> tuple[list[str], list[str]]:
    """``addresses`` and ``domains`` as :func:`watched` compares them: lower-cased, trimmed,
    a domain without a leading "@" or ".", blanks dropped (for a provider's query)."""
    people = [a.strip().lower() for a in addresses if a.strip()]
    zones = [d.strip().lower().lstrip("@.") for d in domains if d.strip()]
    return people, zones


def watched(address: str, addresses: Sequence[str], domains: Sequence[str]) -> bool:
    """Is ``address`` one of ``addresses``, or at one of ``domains`` (or a subdomain of one)?

    The one rule for "to the company" and "from the company", shared by the core and the
    providers so that they never disagree about a message."""
    address = address.strip().lower()
    if address in {a.strip().lower() for a in addresses}:
        return True
    domain = address.rpartition("@")[2]
    zones = set(watch_list((), domains)[1])
    return bool(domain) and any(domain == z or domain.endswith("." + z) for z in zones)
