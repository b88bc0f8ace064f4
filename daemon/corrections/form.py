"""The note form: everything ``followupd note ID`` can change, as a text file to edit.

``followupd note ID`` without text or flags opens this form in the user's editor
(:mod:`daemon.cli.noteform` runs the editor; this module only writes and reads the text). The
format is plain lines a person edits without thinking about quoting::

    # Lines starting with '#' are comments: followupd explains the form in them.
    Company: Acme Corp
    Role: Senior Backend Engineer
    Fit: I built the kind of billing pipeline the team is moving to
    Decision by: 2026-03-20
    Main contact: jane.smith@acme.example
    Language: account
    Notes:
    - the office move in April

    [Jane Smith <jane.smith@acme.example>]
    Title: Engineering Manager
    Notes:
    - event sourcing for the billing system
    - she asked about my on-call experience

Rules, chosen so that nothing a person types by hand needs escaping:

* ``Field: value`` lines; the field name is case-insensitive and the value is everything after
  the first colon, as written (colons, quotes and brackets in it are just text). A field that
  is left out changes nothing; a field that is emptied clears the user's value.
* ``Notes:`` is the last field of each part: every line after it, up to the next section
  header, is one note ("- " or "* " in front is optional and dropped). A line that begins with
  white space continues the note above it (an editor that wraps long lines does that). So a
  note may hold a colon ("decision: end of March") or begin with "[" ("[urgent] send the
  slides"). A note is rendered behind "- ", so that any note reads back as itself.
* A section header is a line ``[Name <address>]`` (or ``[address]``): the address says which
  interviewer the lines below it are about; the name is for the reader and never read back.
  A section deleted as a whole leaves that interviewer as they are.
* Lines starting with ``#`` (after optional blanks) are comments. Windows line endings and a
  byte-order mark are accepted.

Which notes the form edits: only the user's own ones (stored with the ``note: `` prefix of
:data:`daemon.planning.decision.MANUAL`). The notes read from the calendar event's description
are shown as comments under each ``Notes:``, for reference: the planner reads the description
again on every poll and rewrites them (:mod:`daemon.planning.interviews`), so an edit or a
deletion here would be undone silently a few minutes later. They are changed where they come
from, in the calendar; the form says so.

Parsing validates every value (dates, language codes, addresses, titles) and reports all
problems at once as :class:`FormErrors`, which the editor loop writes on top of the reopened
form. :func:`changes` turns what was saved into the :class:`~daemon.corrections.notes.NoteChanges`
that :func:`~daemon.corrections.notes.apply_note` applies, with only what differs from what the
form showed: a value the user did not touch is never written back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from daemon.config import Config
from daemon.corrections.notes import (
    ACCOUNT_LANGUAGE,
    NoteChanges,
    check_language,
    check_title,
    parse_decision_date,
)
from daemon.errors import FollowupdError
from daemon.output.times import short
from daemon.planning.decision import MANUAL, expected_decision
from daemon.planning.followups import FollowUpPlanner
from daemon.store.models import Interview, Kind, State
from daemon.writing import phrases

_FIELD = re.compile(r"^(?P<key>[^\W\d_][\w ]*?)\s*:(?P<value>.*)$")
_HEADER = re.compile(r"^\[(?P<inside>[^\[\]]*)\]$")
_ADDRESS_IN = re.compile(r"<\s*(?P<address>[^<>\s]+@[^<>\s]+)\s*>")
_BARE_ADDRESS = re.compile(r"^[^<>\s@]+@[^<>\s@]+$")
_BULLET = re.compile(r"^(?:[-*•]\s+|[-*•]$)")

GENERAL_FIELDS = ("company", "role", "fit", "decision by", "main contact", "language", "notes")
PERSON_FIELDS = ("title", "notes")


class FormErrors(FollowupdError):
    """What is wrong in a saved form, every problem at once (one line each)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class PersonValues:
    """One interviewer's part of the form; None is "not in the saved form" (unchanged)."""

    title: str | None = None
    notes: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Values:
    """What the form holds, shown or saved. None is "left out of the saved form"."""

    company: str | None = None
    role: str | None = None
    fit: str | None = None
    decision_by: str | None = None  # "" or YYYY-MM-DD
    main_contact: str | None = None
    language: str | None = None  # a language code or ACCOUNT_LANGUAGE
    notes: tuple[str, ...] | None = None
    people: dict[str, PersonValues] = field(default_factory=dict)  # by address


@dataclass(frozen=True)
class Person:
    """What the form shows about one interviewer beside their editable values."""

    email: str
    name: str | None
    contact_title: str | None  # [contacts] title, used while the user gave none
    described: tuple[str, ...]  # notes from the event description
    thank_you: str | None  # how their thank-you stands, for the reader


@dataclass(frozen=True)
class Form:
    """One interview's form: the text around the values, and the values as shown."""

    interview_id: int
    about: tuple[str, ...]  # what the interview is: title, when, who
    values: Values
    people: tuple[Person, ...]
    described: tuple[str, ...]  # general notes from the event description
    detected_company: str | None
    detected_role: str | None
    decision_in_notes: str | None  # the date the notes give, when the user gave none
    account_language: str

    def person(self, email: str) -> Person | None:
        return next((p for p in self.people if p.email == email), None)


def _own(notes: list[object]) -> tuple[str, ...]:
    """The user's notes, as the form shows and reads them (one line each)."""
    return tuple(_clean(str(n).removeprefix(MANUAL)) for n in notes if str(n).startswith(MANUAL))


def _described(notes: list[object]) -> tuple[str, ...]:
    return tuple(str(n) for n in notes if not str(n).startswith(MANUAL))


def _clean(text: str) -> str:
    return " ".join(text.split())


def build(config: Config, interview: Interview) -> Form:
    """The form of ``interview`` as it stands in the store."""
    tz = ZoneInfo(config.daemon.timezone)  # as every time a person reads: the user's zone
    account = next((a for a in config.accounts if a.name == interview.account), None)
    active = [p for p in interview.interviewers if p.active]
    start, end = interview.start_at.astimezone(tz), interview.end_at.astimezone(tz)
    about = (
        _clean(interview.title),
        f"{start:%A, %B} {start.day}, {start:%Y, %H:%M}–{end:%H:%M} ({tz.key})",
        "with " + (", ".join(p.name or p.email for p in active) or "nobody known"),
    )
    contact = FollowUpPlanner.main_contact(interview)
    people = []
    values: dict[str, PersonValues] = {}
    for p in active:
        configured = config.contacts.get(p.email)
        thank_you = next(
            (fu for fu in interview.followups if fu.kind == Kind.THANK_YOU and fu.interviewer is p),
            None,
        )
        people.append(
            Person(
                p.email,
                p.name,
                configured.title if configured and configured.title else None,
                _described(p.notes),
                _thank_you_state(thank_you.state, short(thank_you.due_at, tz.key))
                if thank_you is not None
                else None,
            )
        )
        values[p.email] = PersonValues(title=_clean(p.title or ""), notes=_own(p.notes))
    decided = None
    if interview.decision_expected is None:
        found = expected_decision(interview, interview.timezone or tz.key)
        decided = found.isoformat() if found else None
    return Form(
        interview_id=interview.id,
        about=about,
        values=Values(
            company=_clean(interview.company_override or interview.company or ""),
            role=_clean(interview.role_override or interview.role or ""),
            fit=_clean(interview.fit or ""),
            decision_by=interview.decision_expected.isoformat()
            if interview.decision_expected
            else "",
            main_contact=contact.email if contact else "",
            language=interview.language or ACCOUNT_LANGUAGE,
            notes=_own(interview.notes),
            people=values,
        ),
        people=tuple(people),
        described=_described(interview.notes),
        detected_company=interview.company,
        detected_role=interview.role,
        decision_in_notes=decided,
        account_language=account.language if account else phrases.DEFAULT,
    )


def _thank_you_state(state: str, due: str) -> str:
    if state == State.SCHEDULED:
        return f"due {due}; the notes here go into it"
    if state in (State.DRAFTED, State.DONE, State.CREATING):
        return "drafted already; what you change here shows in 'followupd preview'"
    return str(state)


# -- writing ----------------------------------------------------------------------------------


def render(form: Form) -> str:
    """The form as the editor opens it."""
    v = form.values
    codes = ", ".join(phrases.codes())
    lines = [
        f"# followupd note {form.interview_id}: what you tell followupd about this interview",
        "#",
        *(f"#   {line}" for line in form.about),
        "#",
        "# Write after each 'Field:'. Save and close the editor to apply everything; an emptied",
        "# value clears what you had set. Lines starting with '#' are comments. To abort, save",
        "# an empty file (or quit without saving): an empty file changes nothing.",
        "#",
        "# Company, Role  as the drafts name them (empty: what the calendar says)",
        "# Fit            one sentence on how your experience fits this role",
        "# Decision by    when they said they would decide, YYYY-MM-DD; inquiries wait for it",
        "# Main contact   the interviewer's address that gets the status inquiries",
        f"# Language       of the drafts: {codes}, or {ACCOUNT_LANGUAGE} (the account's)",
        "# Notes          what was discussed, one note per line, up to the next [section];",
        "#                a line that starts with a blank continues the note above it",
        "# [Name <address>]  one section per interviewer, found by the address (keep it):",
        "# Title          their job title, e.g. Engineering Manager",
        "",
        f"Company: {v.company}",
    ]
    if form.detected_company and form.detected_company != v.company:
        lines.append(f"# the calendar says: {form.detected_company}")
    lines.append(f"Role: {v.role}")
    if form.detected_role and form.detected_role != v.role:
        lines.append(f"# the calendar says: {form.detected_role}")
    lines += [f"Fit: {v.fit}", f"Decision by: {v.decision_by}"]
    if form.decision_in_notes:
        lines.append(f"# your notes give {form.decision_in_notes}; a date here wins")
    lines.append(f"Main contact: {v.main_contact}")
    lines.append(f"Language: {v.language}")
    if v.language == ACCOUNT_LANGUAGE:
        lines.append(f"# the account's language: {form.account_language}")
    lines += _notes(v.notes or (), form.described)
    for person in form.people:
        mine = v.people.get(person.email, PersonValues())
        header = f"{person.name} <{person.email}>" if person.name else person.email
        lines += ["", f"[{header}]"]
        if person.thank_you:
            lines.append(f"# thank-you: {person.thank_you}")
        lines.append(f"Title: {mine.title or ''}")
        if person.contact_title:
            lines.append(f"# [contacts] in config.toml: {person.contact_title} (used while empty)")
        lines += _notes(mine.notes or (), person.described)
    return "\n".join(lines) + "\n"


def _notes(own: tuple[str, ...], described: tuple[str, ...]) -> list[str]:
    lines = ["Notes:"]
    if described:
        lines.append("# from the calendar event's description (change them there):")
        lines += [f"#   {n}" for n in described]
    return lines + [f"- {n}" for n in own]


# -- reading ----------------------------------------------------------------------------------


def is_empty(text: str) -> bool:
    """Nothing but comments and blank lines: the user aborted."""
    return not any(line.strip() and not _comment(line) for line in _lines(text))


def _lines(text: str) -> list[str]:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _header_address(line: str) -> str | None:
    """The address of a section header line, else None (then the line is ordinary text)."""
    match = _HEADER.match(line.strip())
    if match is None:
        return None
    inside = match["inside"].strip()
    found = _ADDRESS_IN.search(inside)
    if found:
        return found["address"].lower()
    return inside.lower() if _BARE_ADDRESS.match(inside) else None


def _address_of(value: str) -> str:
    """ "Jane Smith <jane@acme.example>" or "jane@acme.example" -> the address."""
    found = _ADDRESS_IN.search(value)
    return (found["address"] if found else value).strip().lower()


@dataclass
class _Block:
    """One part of the saved form: the general fields (``address`` None) or a section."""

    address: str | None
    label: str
    fields: dict[str, str] = field(default_factory=dict)
    notes: list[str] | None = None


def _blocks(text: str, problems: list[str]) -> Iterator[_Block]:
    block = _Block(None, "")
    for raw in _lines(text):
        if _comment(raw):
            continue
        address = _header_address(raw) if not raw[:1].isspace() else None
        if address is not None:
            yield block
            block = _Block(address, f"[{raw.strip()[1:-1].strip()}] ")
            continue
        if block.notes is not None:
            _add_note(block.notes, raw)
            continue
        if not raw.strip():
            continue
        match = _FIELD.match(raw.strip())
        allowed = PERSON_FIELDS if block.address else GENERAL_FIELDS
        key = " ".join(match["key"].lower().split()) if match else ""
        if match is None or key not in allowed:
            where = "an interviewer's section" if block.address else "the interview's part"
            problems.append(
                f"{block.label}{raw.strip()!r}: expected one of the fields of {where} ("
                + ", ".join(f"{k.capitalize()}:" for k in allowed)
                + "), or a note below 'Notes:'"
            )
            continue
        value = match["value"].strip()
        if key == "notes":
            block.notes = []
            _add_note(block.notes, value)
        elif key in block.fields:
            problems.append(f"{block.label}{match['key'].strip()}: given twice")
        else:
            block.fields[key] = value
    yield block


def _add_note(notes: list[str], raw: str) -> None:
    if not raw.strip():
        return
    if raw[:1].isspace() and notes and not _BULLET.match(raw.strip()):
        notes[-1] = _clean(notes[-1] + " " + raw)
        return
    text = _clean(_BULLET.sub("", raw.strip()))
    if text:
        notes.append(text)


def parse(text: str, form: Form) -> Values:
    """The values of a saved form; :class:`FormErrors` with every problem when some are
    invalid (the caller reopens the editor with them)."""
    problems: list[str] = []
    blocks = list(_blocks(text, problems))
    general, sections = blocks[0], blocks[1:]
    f = general.fields
    if "decision by" in f and f["decision by"]:
        _check(problems, parse_decision_date, f["decision by"], "Decision by")
    if "language" in f:
        f["language"] = f["language"].lower() or ACCOUNT_LANGUAGE
        _check(problems, check_language, f["language"], "Language")
    known = [p.email for p in form.people]
    if f.get("main contact"):
        f["main contact"] = _address_of(f["main contact"])
        if f["main contact"] not in known:
            problems.append(
                f"Main contact: expected the address of one of the interviewers "
                f"({', '.join(known) or 'none'}), got {f['main contact']!r}"
            )
    people: dict[str, PersonValues] = {}
    for block in sections:
        assert block.address is not None
        if block.address not in known:
            problems.append(
                f"{block.label}: no interviewer of this interview has the address "
                f"{block.address} (interviewers: {', '.join(known) or 'none'}); keep the "
                "section headers as the form wrote them"
            )
            continue
        if block.address in people:
            problems.append(f"{block.label}: this interviewer has two sections; merge them")
            continue
        title = block.fields.get("title")
        if title:
            _check(problems, check_title, block.address, title, f"{block.label}Title")
        people[block.address] = PersonValues(
            title=_clean(title) if title is not None else None,
            notes=tuple(block.notes) if block.notes is not None else None,
        )
    if problems:
        raise FormErrors(problems)
    return Values(
        company=_cleaned(f.get("company")),
        role=_cleaned(f.get("role")),
        fit=_cleaned(f.get("fit")),
        decision_by=f.get("decision by"),
        main_contact=f.get("main contact"),
        language=f.get("language"),
        notes=tuple(general.notes) if general.notes is not None else None,
        people=people,
    )


def _cleaned(value: str | None) -> str | None:
    return None if value is None else _clean(value)


def _check(problems: list[str], check: Callable[..., object], *args: str) -> None:
    """Run a validator of :mod:`daemon.corrections.notes`, keeping its message as a problem."""
    try:
        check(*args)
    except FollowupdError as err:
        problems.append(str(err))


def changes(form: Form, saved: Values) -> NoteChanges | None:
    """What to apply: the saved values that differ from the shown ones; None when none do."""
    shown = form.values
    out = NoteChanges()
    touched = False
    for name, column in (("company", "company"), ("role", "role"), ("fit", "fit")):
        value = getattr(saved, name)
        if value is not None and value != getattr(shown, name):
            setattr(out, column, value)
            touched = True
    if saved.decision_by is not None and saved.decision_by != shown.decision_by:
        if saved.decision_by:
            out.decision_by = parse_decision_date(saved.decision_by, "Decision by")
        else:
            out.clear_decision = True
        touched = True
    if saved.main_contact and saved.main_contact != shown.main_contact:
        out.contact, touched = saved.main_contact, True
    if saved.language is not None and saved.language != shown.language:
        out.language, touched = saved.language, True
    notes: dict[str, list[str]] = {}
    if saved.notes is not None and saved.notes != shown.notes:
        notes[""] = list(saved.notes)
    for address, mine in saved.people.items():
        before = shown.people.get(address, PersonValues())
        if mine.title is not None and mine.title != (before.title or ""):
            out.titles[address] = mine.title
        if mine.notes is not None and mine.notes != before.notes:
            notes[address] = list(mine.notes)
    if notes:
        out.notes = notes
    touched = touched or bool(notes) or bool(out.titles)
    return out if touched else None


def with_errors(text: str, problems: list[str]) -> str:
    """The saved text reopened with ``problems`` on top as comments, an earlier list of
    problems removed (so they do not pile up)."""
    lines = _lines(text)
    while lines and lines[0].startswith(ERROR_MARK):
        lines.pop(0)
    head = [
        f"{ERROR_MARK}followupd could not apply this form; nothing was changed yet:",
        *(f"{ERROR_MARK}  - {p}" for p in problems),
        f"{ERROR_MARK}Correct it and save, or save an empty file to abort.",
    ]
    return "\n".join([*head, *lines])


ERROR_MARK = "#! "


__all__ = [
    "Form", "FormErrors", "PersonValues", "Values", "build", "changes", "is_empty", "parse",
    "render", "with_errors",
]  # fmt: skip
