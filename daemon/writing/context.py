"""What a draft template sees: the recipient, the interview, the candidate, the notes.

Everything a template may print is decided here, in Python, from the detection, the user's
config and notes; the templates (one folder per language under ``languages/``) only arrange
it into sentences. :func:`sample_context` and :func:`sparse_context` are what ``followupd
check`` renders the user's templates with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from daemon.config import Candidate, Contact
from daemon.detection import Detection, Person, name_from_address
from daemon.protocols import CalendarEvent
from daemon.writing.compose import Composition, compose
from daemon.writing.deadline import decision_from_notes
from daemon.writing.notes import Notes
from daemon.writing.prose import address_parts, interview_kind, longdate, weekday

MAX_CONTEXT_NOTES = 5


@dataclass(frozen=True)
class Recipient:
    name: str | None
    first_name: str | None
    last_name: str | None
    honorific: str | None  # "Dr.", "Ms."
    title: str | None  # job title, "Engineering Manager"
    email: str
    salutation: str  # in the account's style: "Dear Jane", "Dear Dr. Chen", or "Hello"


@dataclass(frozen=True)
class Interview:
    title: str
    date: date
    weekday: str  # "Tuesday"
    date_text: str  # "Tuesday, November 24"
    kind: str  # "phone screen", "technical interview", "onsite interview", "interview", ...


@dataclass(frozen=True)
class DraftContext:
    candidate: Candidate
    recipient: Recipient
    company: str | None
    role: str | None
    interview: Interview
    notes: tuple[str, ...]  # about this recipient first, then general
    other_interviewers: tuple[str, ...]  # names
    inquiry_number: int = 0  # 0 for the thank-you, 1 and 2 for status inquiries
    days_since: int = 0  # business days since the interview
    decision_expected: date | None = None
    # This recipient's place among the interview's interviewers (0 for the first, in invitation
    # order): the default templates word each panel member's draft differently, since
    # interviewers compare notes, and the same place gives the same words on a re-run.
    panel_position: int = 0
    # The user's own sentence on how their experience fits this role (`note ID --fit`); the
    # templates prefer it to candidate.highlights.
    fit: str | None = None
    language: str = "en"  # the draft's language: a folder under daemon/writing/languages/
    # One sentence on what this interviewer discussed, composed from the notes in the draft's
    # language (daemon.writing.compose); None when there is no note that can be woven in.
    mention: str | None = None
    # One sentence for the next-steps paragraph from a "next step:" or "follow-up:" note ("I
    # look forward to the take-home assignment."), in the draft's language; None without one.
    next_step: str | None = None


def recipient_for(
    person: Person, contact: Contact | None = None, style: str = "first_name"
) -> Recipient:
    """How to address ``person`` in salutation ``style`` ("first_name" or "formal", the
    account's ``salutation``): ``[contacts]`` wins over what the invitation said, and a
    "jane.smith@" address gives "Jane" when nobody gave a name."""
    name = (contact.name if contact and contact.name else None) or person.name
    parts = address_parts(
        name or name_from_address(person.email), contact.honorific if contact else None, style
    )
    title = contact.title if contact and contact.title else None
    return Recipient(parts.name, parts.first, parts.last, parts.honorific, title, person.email,
                     parts.salutation)  # fmt: skip


def interview_for(title: str, day: date) -> Interview:
    return Interview(
        title=title,
        date=day,
        weekday=weekday(day),
        date_text=longdate(day),
        kind=interview_kind(title),
    )


def build_context(
    *,
    candidate: Candidate,
    person: Person,
    detection: Detection,
    event: CalendarEvent,
    timezone: str,
    notes: Notes | None = None,
    contacts: Mapping[str, Contact] | None = None,
    inquiry_number: int = 0,
    days_since: int = 0,
    decision_expected: date | None = None,
    salutation: str = "first_name",
    language: str = "en",
    panel_position: int = 0,
) -> DraftContext:
    """The context for the draft to ``person`` about ``event`` (one of ``detection``'s people),
    greeting them in the account's ``salutation`` style. A decision date given explicitly
    wins over one the notes give."""
    contacts = contacts or {}
    day = event.start.astimezone(ZoneInfo(timezone)).date()
    others = tuple(p.name for p in detection.interviewers if p.email != person.email and p.name)
    mine = notes.for_person(person.email) if notes else ()
    recipient = recipient_for(person, contacts.get(person.email), salutation)
    own = notes.by_person.get(person.email.lower(), ()) if notes else ()
    general = notes.general if notes else ()
    written = composed(
        own, general, recipient, language, panel_position, solo=len(detection.interviewers) == 1
    )
    every = [*general, *(n for ns in (notes.by_person.values() if notes else ()) for n in ns)]
    return DraftContext(
        candidate=candidate,
        recipient=recipient,
        company=detection.company,
        role=detection.role,
        interview=interview_for(" ".join(event.title.split()), day),
        notes=mine[:MAX_CONTEXT_NOTES],
        other_interviewers=others,
        inquiry_number=inquiry_number,
        days_since=days_since,
        decision_expected=decision_expected or decision_from_notes(every, day),
        panel_position=panel_position,
        language=language,
        mention=written.mention,
        next_step=written.next_step,
    )


def composed(
    own: Sequence[str],
    general: Sequence[str],
    recipient: Recipient,
    language: str,
    panel_position: int,
    *,
    solo: bool,
) -> Composition:
    """The mention and next-step sentences of the draft to ``recipient`` from the notes
    (:mod:`daemon.writing.compose`), knowing the names a note may call them by."""
    names = [n for n in (recipient.name, recipient.first_name, recipient.last_name) if n]
    return compose(
        own, general, language=language, panel_position=panel_position, names=names, solo=solo
    )


def sample_context(**changes: Any) -> DraftContext:
    """A realistic context, used by ``followupd check`` to render the user's templates."""
    ctx = DraftContext(
        candidate=Candidate(
            name="Alex Morgan",
            highlights=("eight years of backend work in Python", "leading a Kafka migration"),
            signature="Senior Software Engineer",
            phone="+1 555 0100",
            links=("https://alexmorgan.dev",),
        ),
        recipient=recipient_for(
            Person("jane.smith@acme.example", "Jane Smith"),
            Contact(name=None, title="Engineering Manager", honorific=None, company=None),
        ),
        company="Acme",
        role="Senior Backend Engineer",
        interview=interview_for("Acme – Senior Backend Engineer interview", date(2026, 11, 24)),
        notes=("talked about the migration to Kafka", "the team's on-call rotation"),
        other_interviewers=("Bob Lee",),
        inquiry_number=0,
        days_since=0,
        decision_expected=None,
        mention="I especially enjoyed our conversation about the migration to Kafka.",
        next_step="I look forward to the take-home assignment.",
    )
    return replace(ctx, **changes)


def sparse_context(**changes: Any) -> DraftContext:
    """The sample with every optional value missing: templates must still read well."""
    ctx = sample_context(
        candidate=Candidate(name="Alex Morgan", highlights=(), signature="", phone="", links=()),
        recipient=recipient_for(Person("recruiting@acme.example", None)),
        company=None,
        role=None,
        interview=interview_for("Interview", date(2026, 11, 24)),
        notes=(),
        other_interviewers=(),
        mention=None,
        next_step=None,
    )
    return replace(ctx, **changes)


__all__ = [
    "DraftContext", "Interview", "Recipient", "build_context", "composed", "interview_for",
    "recipient_for", "sample_context", "sparse_context",
]  # fmt: skip
