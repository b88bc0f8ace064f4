"""Why a draft says what it says, and what the user should check in it: for ``preview`` and
``status``.

Every decision behind a draft has a reason the user can read and act on (issue 10): which
company and role it names and from where (their own correction, ``[contacts]``, the title,
the attendees' domain), how it greets and in which style, where the recipient's job title came
from (the user's ``--title`` or ``[contacts]``), where the fit sentence came from, and the
draft's language. The store keeps the company and role, not the reasons, so the
reasons are read again from what the store knows of the event (title and attendees) with the
same :func:`daemon.detection.detect` the poll used.

The remarks (:mod:`daemon.writing.remarks`) are about the user's own text in the draft.
"""

from __future__ import annotations

from daemon.config import Account, Config
from daemon.detection import Detection, detect
from daemon.drafting.facts import remarks_for
from daemon.planning.decision import MANUAL
from daemon.protocols import Attendee, CalendarEvent
from daemon.store.models import FollowUp, Interview
from daemon.writing.context import DraftContext, Recipient
from daemon.writing.fit import fit_reason
from daemon.writing.remarks import UserText, remarks


def _detection(config: Config, interview: Interview, account: Account | None) -> Detection:
    """Company and role as the poll reads them, from what the store knows of the event."""
    people = tuple(
        Attendee(p.email, p.name, is_organizer=p.is_organizer)
        for p in interview.interviewers
        if p.active
    )
    event = CalendarEvent(
        id=str(interview.id),
        title=interview.title,
        start=interview.start_at,
        end=interview.end_at,
        attendees=people,
    )
    own = account.addresses if account else ()
    return detect(
        event, config.detection, own, config.contacts, candidate_name=config.candidate.name
    )


def _company(
    config: Config, fu: FollowUp, ctx: DraftContext, found: Detection, interview_id: int
) -> str:
    interview = fu.interview
    fix = f'; correct it with followupd note {interview_id} --company "..."'
    if interview.company_override:
        return (
            f"company '{interview.company_override}': your correction "
            f'(followupd note {interview_id} --company "" undoes it)'
        )
    contact = config.contacts.get(fu.interviewer.email)
    if contact and contact.company:
        return f"company '{contact.company}': from [contacts] for {fu.interviewer.email}"
    if ctx.company is None:
        return found.company_reason + fix
    if found.company == ctx.company:
        return found.company_reason
    return f"company '{ctx.company}': read from the calendar when it last named one{fix}"


def _role(fu: FollowUp, ctx: DraftContext, found: Detection, interview_id: int) -> str:
    interview = fu.interview
    fix = f'; set it with followupd note {interview_id} --role "..."'
    if interview.role_override:
        return (
            f"role '{interview.role_override}': your correction "
            f'(followupd note {interview_id} --role "" undoes it)'
        )
    if ctx.role is None:
        return found.role_reason + fix
    if found.role == ctx.role:
        return found.role_reason
    return f"role '{ctx.role}': read from the calendar when it last named one"


def greeting_reason(recipient: Recipient, style: str) -> str:
    """How the draft greets its recipient, and why not otherwise."""
    said = f"greeting '{recipient.salutation}'"
    where = f'[contacts."{recipient.email}"]'
    if recipient.salutation == "Hello":
        return f"{said}: no name is known for {recipient.email} (set {where}.name)"
    if style == "formal":
        if (
            recipient.honorific
            and recipient.last_name
            and recipient.honorific in recipient.salutation
        ):
            why = f"{said}: formal style, with the honorific {recipient.honorific}"
        else:
            why = (
                f"{said}: formal style, but no honorific is known and none is guessed "
                f"(set {where}.honorific)"
            )
    else:
        why = f"{said}: first_name style"
    if recipient.title:
        why += f"; the title '{recipient.title}' is not a form of address, so not in the greeting"
    return why


def _title(config: Config, fu: FollowUp, ctx: DraftContext) -> str | None:
    """Where the recipient's job title came from, when the draft knows one."""
    title, person = ctx.recipient.title, fu.interviewer
    if not title:
        return None
    if person.title:
        return (
            f"title '{title}': yours (followupd note {fu.interview.id} --title "
            f"'{person.email}=' clears it)"
        )
    return f"title '{title}': from [contacts] for {person.email}"


def _language(interview: Interview, account: Account | None, ctx: DraftContext) -> str:
    if interview.language:
        return f"language '{ctx.language}': set for this interview"
    if account is not None and getattr(account, "language", None):
        return f"language '{ctx.language}': the account's language"
    return f"language '{ctx.language}': the default"


def reasons(config: Config, fu: FollowUp, ctx: DraftContext) -> list[str]:
    """Every decision behind the draft of ``fu`` (rendered from ``ctx``), one line each."""
    interview = fu.interview
    account = next((a for a in config.accounts if a.name == interview.account), None)
    style = account.salutation if account else "first_name"
    found = _detection(config, interview, account)
    lines = [
        _company(config, fu, ctx, found, interview.id),
        _role(fu, ctx, found, interview.id),
        greeting_reason(ctx.recipient, style),
    ]
    title = _title(config, fu, ctx) if ctx.recipient.email == fu.interviewer.email else None
    if title:
        lines.append(title)
    if fu.kind == "thank_you":
        lines.append(fit_reason(ctx))
    lines.append(_language(interview, account, ctx))
    return lines


def user_texts(config: Config, fu: FollowUp, ctx: DraftContext) -> list[UserText]:
    """The user's own text that goes into the draft of ``fu``, each with where it is."""
    person, interview = fu.interviewer, fu.interview
    who = ctx.recipient.first_name or ctx.recipient.name or person.email
    # The notes and the fit go into the thank-you; the inquiries do not repeat them.
    used = set(ctx.notes) if fu.kind == "thank_you" else set()
    texts = [
        UserText(n.removeprefix(MANUAL), f"your note for {who}")
        for n in person.notes
        if n.removeprefix(MANUAL) in used
    ]
    texts += [
        UserText(n.removeprefix(MANUAL), "your notes on the interview")
        for n in interview.notes
        if n.removeprefix(MANUAL) in used
    ]
    if fu.kind == "thank_you":
        if ctx.fit:
            texts.append(UserText(ctx.fit, "your fit text"))
        else:
            texts += [UserText(h, "[candidate].highlights") for h in config.candidate.highlights]
    if interview.company_override:
        texts.append(UserText(interview.company_override, "your company correction"))
    if interview.role_override:
        # A role is written in title case ("Staff Enginer"), which proofreading takes for a
        # name; its words are ordinary words, so they are checked in lower case.
        texts.append(UserText(interview.role_override.lower(), "your role correction"))
    return texts


def draft_remarks(config: Config, fu: FollowUp, ctx: DraftContext) -> list[str]:
    """What the user should look at in the draft of ``fu`` before sending it: suspected
    misspellings in their own text, and their text the draft leaves out for its language."""
    return [*remarks(user_texts(config, fu, ctx), ctx.language), *remarks_for(config, fu)]


__all__ = ["draft_remarks", "greeting_reason", "reasons", "user_texts"]
