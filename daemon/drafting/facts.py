"""What the store knows about one follow-up, as the writing room's
:class:`~daemon.writing.context.DraftContext`: the recipient, the company and role (the user's
corrections first), the notes (the user's own first), the panel, the language.

Used to draft (:mod:`daemon.drafting.drafter`), to preview and to explain; it reads the store
and the config only, never a mailbox.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from daemon.businessdays import business_days_between
from daemon.config import Account, Config
from daemon.detection import Person
from daemon.planning.decision import MANUAL, expected_decision
from daemon.store.models import FollowUp, Interview, Interviewer, Kind
from daemon.writing import notelang, phrases
from daemon.writing.compose import Composition
from daemon.writing.context import (
    MAX_CONTEXT_NOTES,
    DraftContext,
    Recipient,
    closing_for,
    composed,
    in_language,
    interview_for,
    recipient_for,
)

log = logging.getLogger(__name__)


def language_for(interview: Interview, account: Account | None) -> str:
    """The draft language of ``interview``: its own (``note ID --language``), else the
    account's, else the default. A stored language whose folder is gone (a downgrade) falls
    back to the account's rather than failing every draft of the interview."""
    fallback = account.language if account else phrases.DEFAULT
    if interview.language and interview.language in phrases.codes():
        return interview.language
    if interview.language:
        log.warning(
            "interview %s: language %r is not shipped (any more); drafting in %r",
            interview.id, interview.language, fallback,
        )  # fmt: skip
    return fallback


def _account_of(config: Config, interview: Interview) -> Account | None:
    return next((a for a in config.accounts if a.name == interview.account), None)


def _split(notes: list[Any]) -> tuple[list[str], list[str]]:
    """(the user's own notes, what the invitation said), each in the order given."""
    texts = [str(n) for n in notes]
    mine = [n.removeprefix(MANUAL) for n in texts if n.startswith(MANUAL)]
    return mine, [n for n in texts if not n.startswith(MANUAL)]


def users_first(notes: list[Any]) -> list[str]:
    """Notes as the drafts use them: the user's own (``followupd note``, the note form) before
    what the invitation said, because the first note is the one the draft mentions, and what
    the user remembers of the conversation says more than the agenda written before it."""
    mine, agenda = _split(notes)
    return mine + agenda


def _written(
    person: Interviewer, interview: Interview, recipient: Recipient, language: str, position: int
) -> Composition:
    """The mention and next step, from the user's notes (about this person, then about the
    whole interview) before anything the invitation said (about this person, then all): a
    general note of the user's beats the invitation's agenda for one interviewer."""
    solo = sum(p.active for p in interview.interviewers) == 1
    own, general = _split(person.notes), _split(interview.notes)
    written = Composition()
    for mine in (True, False):
        found = composed(
            notelang.usable(own[0 if mine else 1], language),
            notelang.usable(general[0 if mine else 1], language),
            recipient, language, position, solo=solo,
        )  # fmt: skip
        written = Composition(
            written.mention or found.mention, written.next_step or found.next_step
        )
    return written


def context_for(config: Config, fu: FollowUp, account: Account | None = None) -> DraftContext:
    """The template context for one follow-up, from what the store knows.

    ``account`` is the one the interview belongs to (its ``salutation`` style and
    ``language``); by default it is looked up by the interview's account name, and an account
    no longer configured greets in the default style and language rather than failing the
    draft. Notes, highlights and the fit sentence in another language than the draft's are
    left out (:mod:`daemon.writing.notelang`; :func:`remarks_for` says which).
    """
    interview, person = fu.interview, fu.interviewer
    if account is None:
        account = _account_of(config, interview)
    style = account.salutation if account else "first_name"
    language = language_for(interview, account)
    tz = interview.timezone or config.daemon.timezone
    contact = config.contacts.get(person.email)
    own = notelang.usable(users_first(person.notes), language)
    general = notelang.usable(users_first(interview.notes), language)
    notes = [*own, *general]
    candidate, fit = in_language(config.candidate, interview.fit, language)
    others = tuple(
        p.name for p in interview.interviewers if p.active and p.id != person.id and p.name
    )
    panel = [p.id for p in interview.interviewers if p.active]
    position = panel.index(person.id) if person.id in panel else 0
    recipient = recipient_for(Person(person.email, person.name), contact, style, language)
    if person.title:  # the user's (note --title, the note form) wins over [contacts]
        recipient = replace(recipient, title=person.title)
    written = _written(person, interview, recipient, language, position)
    return DraftContext(
        candidate=candidate,
        recipient=recipient,
        company=interview.company_override
        or (contact.company if contact and contact.company else None)
        or interview.company,
        role=interview.role_override or interview.role,
        interview=interview_for(
            " ".join(interview.title.split()),
            interview.start_at.astimezone(ZoneInfo(tz)).date(),
            language,
        ),
        notes=tuple(notes[:MAX_CONTEXT_NOTES]),
        other_interviewers=others,
        inquiry_number=fu.seq if fu.kind == Kind.STATUS_INQUIRY else 0,
        days_since=max(business_days_between(interview.end_at, fu.due_at, tz, config.days), 0),
        decision_expected=expected_decision(interview, tz),
        panel_position=position,
        fit=fit,
        language=language,
        closing=closing_for(style, language),
        mention=written.mention,
        next_step=written.next_step,
    )


def remarks_for(config: Config, fu: FollowUp, account: Account | None = None) -> list[str]:
    """Remarks to show beside ``fu``'s draft (``preview``, ``status``): the user's text that
    the draft leaves out because it is in another language than the draft's."""
    interview, person = fu.interview, fu.interviewer
    language = language_for(interview, account or _account_of(config, interview))
    who = person.name or person.email
    notes = [(who, n.removeprefix(MANUAL)) for n in person.notes]
    notes += [(None, n.removeprefix(MANUAL)) for n in interview.notes]
    return notelang.remarks(language, notes, config.candidate.highlights, interview.fit)


# How a redraft ended, as the history (and ``redraft``) says it.
