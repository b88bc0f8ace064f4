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
from daemon.writing import notelang, phrases
from daemon.writing.compose import Composition, compose
from daemon.writing.deadline import decision_from_notes
from daemon.writing.notes import Notes
from daemon.writing.phrases import Language
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
    # In the account's style and the draft's language: "Dear Jane", "Dear Dr. Chen", "Hello",
    # "Sehr geehrte Frau Dr. Chen", "Hallo Anna", "Guten Tag Klaus Schmidt".
    salutation: str


@dataclass(frozen=True)
class Interview:
    title: str
    date: date
    weekday: str  # "Tuesday", "Dienstag": in the draft's language
    date_text: str  # "Tuesday, November 24", "Dienstag, 24. November"
    # "phone screen", "technical interview", "onsite interview", "interview", ...; in the
    # draft's language ("Telefonat", "Gespräch") where its phrases.toml [kinds] says so
    kind: str


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
    # The line before the signature in the draft's language and the account's salutation
    # style ("Best regards", "Viele Grüße", "Mit freundlichen Grüßen").
    closing: str = "Best regards"
    # One sentence for the next-steps paragraph from a "next step:" or "follow-up:" note ("I
    # look forward to the take-home assignment."), in the draft's language; None without one.
    next_step: str | None = None


def recipient_for(
    person: Person,
    contact: Contact | None = None,
    style: str = "first_name",
    language: Language | str | None = None,
) -> Recipient:
    """How to address ``person`` in salutation ``style`` ("first_name" or "formal", the
    account's ``salutation``) and the draft's ``language``: ``[contacts]`` wins over what the
    invitation said, and a "jane.smith@" address gives "Jane" when nobody gave a name."""
    name = (contact.name if contact and contact.name else None) or person.name
    parts = address_parts(
        name or name_from_address(person.email),
        contact.honorific if contact else None,
        style,
        language,
    )
    title = contact.title if contact and contact.title else None
    return Recipient(parts.name, parts.first, parts.last, parts.honorific, title, person.email,
                     parts.salutation)  # fmt: skip


def interview_for(title: str, day: date, language: Language | str | None = None) -> Interview:
    lang = language if isinstance(language, Language) else phrases.get(language)
    kind = interview_kind(title)
    return Interview(
        title=title,
        date=day,
        weekday=weekday(day, lang),
        date_text=longdate(day, lang),
        kind=lang.kinds.get(kind, kind),
    )


def closing_for(style: str, language: Language | str | None = None) -> str:
    """The closing line of the language's table for salutation ``style``."""
    lang = language if isinstance(language, Language) else phrases.get(language)
    return lang.closing.get(style) or lang.closing["first_name"]


def in_language(
    candidate: Candidate, fit: str | None, language: str
) -> tuple[Candidate, str | None]:
    """The candidate's highlights and the fit sentence without what is written in another
    language than the draft's (:mod:`daemon.writing.notelang`): a draft then says less rather
    than mix languages."""
    highlights = notelang.usable(candidate.highlights, language)
    if highlights != tuple(candidate.highlights):
        candidate = replace(candidate, highlights=highlights)
    return candidate, (fit if fit and notelang.fits(fit, language) else None)


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
    language: str = phrases.DEFAULT,
    panel_position: int = 0,
) -> DraftContext:
    """The context for the draft to ``person`` about ``event`` (one of ``detection``'s people),
    greeting them in the account's ``salutation`` style, in ``language``; notes in another
    language are left out (:func:`daemon.writing.notelang.usable`). A decision date given
    explicitly wins over one the notes give."""
    contacts = contacts or {}
    day = event.start.astimezone(ZoneInfo(timezone)).date()
    others = tuple(p.name for p in detection.interviewers if p.email != person.email and p.name)
    mine = notelang.usable(notes.for_person(person.email) if notes else (), language)
    candidate, _ = in_language(candidate, None, language)
    recipient = recipient_for(person, contacts.get(person.email), salutation, language)
    own = notelang.usable(notes.by_person.get(person.email.lower(), ()) if notes else (), language)
    general = notelang.usable(notes.general if notes else (), language)
    written = composed(
        own, general, recipient, language, panel_position, solo=len(detection.interviewers) == 1
    )
    every = [*general, *(n for ns in (notes.by_person.values() if notes else ()) for n in ns)]
    return DraftContext(
        candidate=candidate,
        recipient=recipient,
        company=detection.company,
        role=detection.role,
        interview=interview_for(" ".join(event.title.split()), day, language),
        notes=mine[:MAX_CONTEXT_NOTES],
        other_interviewers=others,
        inquiry_number=inquiry_number,
        days_since=days_since,
        decision_expected=decision_expected or decision_from_notes(every, day),
        panel_position=panel_position,
        language=language,
        closing=closing_for(salutation, language),
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


def sample_context(language: Language | str = phrases.DEFAULT, **changes: Any) -> DraftContext:
    """A realistic context, used by ``followupd check`` to render the user's templates (and
    each language's defaults) with; its English notes and highlights are left out of the
    other languages' sample, as they would be from a real draft."""
    candidate = Candidate(
        name="Alex Morgan",
        highlights=("eight years of backend work in Python", "leading a Kafka migration"),
        signature="Senior Software Engineer",
        phone="+1 555 0100",
        links=("https://alexmorgan.dev",),
    )
    lang = language if isinstance(language, Language) else phrases.get(language)
    candidate, _ = in_language(candidate, None, lang.code)
    recipient = recipient_for(
        Person("jane.smith@acme.example", "Jane Smith"),
        Contact(name=None, title="Engineering Manager", honorific=None, company=None),
        language=language,
    )
    sample_notes = {"de": ("die Migration auf Kafka", "nächster Schritt: eine Probeaufgabe")}
    written = composed(
        sample_notes.get(lang.code, ("the migration to Kafka", "next step: a take-home task")),
        (), recipient, lang.code, 0, solo=True,
    )  # fmt: skip
    ctx = DraftContext(
        candidate=candidate,
        recipient=recipient,
        company="Acme",
        role="Senior Backend Engineer",
        interview=interview_for(
            "Acme – Senior Backend Engineer interview", date(2026, 11, 24), language
        ),
        notes=notelang.usable(
            ("talked about the migration to Kafka", "the team's on-call rotation"), lang.code
        ),
        other_interviewers=("Bob Lee",),
        inquiry_number=0,
        days_since=0,
        decision_expected=None,
        language=lang.code,
        closing=closing_for("first_name", lang),
        mention=written.mention,
        next_step=written.next_step,
    )
    return replace(ctx, **changes)


def sparse_context(language: Language | str = phrases.DEFAULT, **changes: Any) -> DraftContext:
    """The sample with every optional value missing: templates must still read well."""
    ctx = sample_context(
        language,
        candidate=Candidate(name="Alex Morgan", highlights=(), signature="", phone="", links=()),
        recipient=recipient_for(Person("recruiting@acme.example", None), language=language),
        company=None,
        role=None,
        interview=interview_for("Interview", date(2026, 11, 24), language),
        notes=(),
        other_interviewers=(),
        mention=None,
        next_step=None,
    )
    return replace(ctx, **changes)


__all__ = [
    "DraftContext", "Interview", "Recipient", "build_context", "closing_for", "composed",
    "in_language", "interview_for",
    "recipient_for", "sample_context", "sparse_context",
]  # fmt: skip
