"""Notes and corrections of one interview, as ``followupd note`` gives them.

A :class:`NoteChanges` says what the user changes; :func:`apply_note` validates all of it
first (so a bad value changes nothing) and then applies it, replanning what depends on it:
the pending status inquiries follow a new main contact or decision date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from daemon.config import Config
from daemon.errors import FollowupdError
from daemon.planning.decision import MANUAL
from daemon.planning.followups import FollowUpPlanner
from daemon.planning.notes_window import Window, release
from daemon.store.models import Interview, State
from daemon.writing import phrases
from daemon.writing.prose import parse_address

ACCOUNT_LANGUAGE = "account"  # `note ID --language account`: back to the account's language


@dataclass
class NoteChanges:
    """What one ``followupd note`` changes. None (or empty) leaves a thing as it is; for
    ``fit``, ``company`` and ``role`` an empty string clears the user's value."""

    text: str | None = None  # a note, about ``about`` or (None) the whole interview
    about: str | None = None
    contact: str | None = None
    decision_by: date | None = None
    language: str | None = None  # a shipped language code, or ACCOUNT_LANGUAGE
    max_interviewers: int | None = None
    fit: str | None = None
    company: str | None = None
    role: str | None = None
    # Job titles by interviewer address ("" clears the user's title): ``--title`` and the form.
    titles: dict[str, str] = field(default_factory=dict)
    # "Set these values" (the note form): the user's own notes as a whole, by interviewer
    # address, "" for the whole interview; they replace the user's notes of each one named,
    # and the notes read from the event description stay as they are.
    notes: dict[str, list[str]] | None = None
    clear_decision: bool = False  # the form's decision date was emptied


@dataclass
class NoteResult:
    """What :func:`apply_note` did that the user should hear about."""

    moved: int = 0  # status inquiries moved to the new main contact
    window: Window | None = None  # thank-yous the note released, and those still waiting


def parse_decision_date(text: str, what: str = "--decision-by") -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FollowupdError(f"{what}: expected a date like 2026-12-24, got {text!r}") from None


def parse_titles(values: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``--title EMAIL=TITLE`` values, by lower-cased address ("EMAIL=" clears the title)."""
    titles: dict[str, str] = {}
    for value in values:
        address, sep, title = value.partition("=")
        address = address.strip().lower()
        if not sep or "@" not in address:
            raise FollowupdError(
                "--title: expected EMAIL=TITLE, like --title 'jane@acme.example=Engineering "
                f"Manager' (EMAIL= clears it), got {value!r}"
            )
        titles[address] = title.strip()
    return titles


def check_language(language: str | None, what: str = "--language") -> None:
    if language is not None and language not in (*phrases.codes(), ACCOUNT_LANGUAGE):
        raise FollowupdError(
            f"{what}: expected one of {', '.join(phrases.codes())} (the folders of "
            f"daemon/writing/languages/), or '{ACCOUNT_LANGUAGE}' for the account's language; "
            f"got {language!r}"
        )


def check_title(address: str, title: str, what: str | None = None) -> None:
    """A job title, not a form of address: "Dr." would read "your perspective as Dr."."""
    words = title.split()
    address_form = parse_address(words) if words else None
    if address_form and not address_form.verbatim:
        raise FollowupdError(
            f"{what or '--title ' + address}: expected a job title like 'Engineering Manager', got "
            f'{title!r}, a form of address; set it as [contacts."{address}"].honorific in '
            "config.toml (the greeting uses it)"
        )


def apply_note(
    config: Config, session: Session, interview: Interview, changes: NoteChanges, now: datetime
) -> NoteResult:
    """Apply ``changes`` to ``interview`` (the caller commits)."""
    check_language(changes.language)
    people = {p.email: p for p in interview.interviewers}
    named = [*changes.titles, *(a for a in changes.notes or {} if a)]
    for address in filter(None, (changes.about, changes.contact, *named)):
        if address.lower() not in people:
            raise FollowupdError(
                f"{address} is not an interviewer of interview {interview.id} "
                f"(interviewers: {', '.join(people) or 'none'})"
            )
    for address, title in changes.titles.items():
        check_title(address, title)
    text, contact = changes.text, changes.contact
    for address, notes in (changes.notes or {}).items():
        holder = people[address.lower()] if address else interview
        described = [n for n in holder.notes if not str(n).startswith(MANUAL)]
        holder.notes = described + [MANUAL + n for n in notes]
    for address, title in changes.titles.items():
        people[address.lower()].title = " ".join(title.split()) or None
    if text:
        entry = MANUAL + text
        if changes.about:
            person = people[changes.about.lower()]
            person.notes = [*person.notes, entry]
        else:
            interview.notes = [*interview.notes, entry]
    if contact:
        interview.main_contact = contact.lower()
    if changes.decision_by:
        interview.decision_expected = changes.decision_by
    elif changes.clear_decision:
        interview.decision_expected = None
    if changes.max_interviewers:
        interview.max_interviewers = changes.max_interviewers
    if changes.language is not None:
        interview.language = None if changes.language == ACCOUNT_LANGUAGE else changes.language
    for column, value in (
        ("fit", changes.fit),
        ("company_override", changes.company),
        ("role_override", changes.role),
    ):
        if value is not None:
            setattr(interview, column, " ".join(value.split()) or None)
    result = NoteResult()
    planner = FollowUpPlanner(config, config.account(interview.account))
    replans = contact or changes.decision_by or changes.clear_decision or changes.max_interviewers
    if (text or changes.notes is not None) and not replans:
        # A note may give the decision date ("decision: end of month"): the pending
        # inquiry waits until one business day after it, as with --decision-by.
        planner.reschedule_inquiries(session, interview, now, "a note gave a decision date")
    if replans:
        if contact:
            result.moved = planner.move_inquiries(session, interview, people[contact.lower()], now)
        for fu in interview.followups:
            if fu.kind == "status_inquiry" and fu.state == State.SCHEDULED:
                fu.due_at = planner.due_time(session, interview, fu)
        session.flush()
        planner.plan(session, interview, now)
    # Notes are what a thank-you may wait for ([thank_you].wait_for_notes): due at once. Run
    # whatever changed (it only releases what has notes now), so every way of giving notes does.
    result.window = release(config, interview, now)
    interview.updated_at = now
    return result
