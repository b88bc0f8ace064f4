"""Turn a due follow-up into exactly one draft in the user's mailbox.

The protocol that makes "exactly one" hold across crashes:

1. commit ``creating`` (the intent) before talking to the mailbox;
2. ask the mailbox for a draft with the follow-up's KEY (a previous attempt may have created it
   and died before recording it; the state database may even have been lost);
3. create only when none exists; commit the reference as ``drafted``.

A follow-up that is ``drafted``, ``done`` or anything else final is never drafted again, so a
draft the user deleted does not come back. The one exception is a redraft the user asked for
(``followupd redraft``, :mod:`daemon.corrections.redraft`): it commits ``creating`` with the next
revision (a new KEY), and finishing it here also retires the draft it replaces. The daemon never
edits or deletes a draft on its own.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from daemon.config import Account, Config
from daemon.detection import Person
from daemon.drafting.edits import untouched
from daemon.drafting.facts import context_for
from daemon.drafting.failures import FAILING, Fingerprints, classify
from daemon.drafting.rules import same_meeting_twin, same_person, settled, twin_skip
from daemon.errors import BadItem, ConfigValueError, FollowupdError
from daemon.logsetup import RECORDED
from daemon.message import draft_key, header_address, message_id_for
from daemon.planning.basis import basis_for
from daemon.protocols import Address, DraftRef, DraftRequest, Mailbox, ReplyTarget
from daemon.store.models import FollowUp, Kind, State
from daemon.store.repository import transition
from daemon.writing.context import recipient_for
from daemon.writing.render import RenderedDraft, Renderer

log = logging.getLogger(__name__)


REDRAFTED = "redrafted on your request, replacing the draft you had not touched"
REDRAFTED_BESIDE = "redrafted on your request; your earlier draft stays beside the new one"
REDRAFTED_EDITED = (
    "redrafted on your request; you edited the earlier draft meanwhile, so it stays beside "
    "the new one"
)
REDRAFTED_GONE = "redrafted on your request (the earlier draft was already gone)"


def is_redrafting(fu: FollowUp) -> bool:
    """Whether ``fu`` is a redraft the user asked for, not finished yet (an interrupted one is
    finished by the engine like any interrupted creation). Only ``followupd redraft`` raises a
    revision, and it commits ``creating`` with it: a first draft is revision 0."""
    return fu.state == State.CREATING and (fu.revision or 0) > 0


def request_key(fu: FollowUp) -> str:
    """The key of ``fu``'s current draft in the mailbox (its revision's)."""
    return draft_key(fu.key, fu.revision or 0)


class Drafter:
    def __init__(
        self,
        config: Config,
        account: Account,
        mailbox: Mailbox,
        renderer: Renderer,
        fingerprints: Fingerprints | None = None,
    ) -> None:
        self.config = config
        self.account = account
        self.mailbox = mailbox
        self.renderer = renderer
        # What the drafts depend on (templates, config), taken before rendering: recorded
        # with a failure, so that the failure is retried once it changes (daemon/failures.py).
        self.fingerprints = fingerprints or Fingerprints(config, renderer)

    def render(self, session: Session, fu: FollowUp) -> tuple[RenderedDraft, ReplyTarget | None]:
        basis = basis_for(fu) if fu.kind == Kind.STATUS_INQUIRY else None
        reply_to = basis.target if basis is not None else None
        ctx = context_for(self.config, fu, self.account)
        to = self.recipient(fu)
        if to.email != fu.interviewer.email:
            contact = self.config.contacts.get(to.email)
            style = self.account.salutation if self.account else "first_name"
            ctx = replace(ctx, recipient=recipient_for(Person(to.email, to.name), contact, style))
        draft = self.renderer.render(fu.kind, ctx)
        if reply_to is not None:
            subject = reply_to.subject or draft.subject
            if not subject.lower().startswith("re:"):
                subject = f"Re: {subject}"
            draft = RenderedDraft(subject=subject, text=draft.text, html=draft.html)
        return draft, reply_to

    @staticmethod
    def reply_target(fu: FollowUp) -> ReplyTarget | None:
        """The sent message an inquiry replies to (planning/basis.py); None for a thank-you."""
        basis = basis_for(fu) if fu.kind == Kind.STATUS_INQUIRY else None
        return basis.target if basis is not None else None

    @staticmethod
    def recipient(fu: FollowUp) -> Address:
        """Who the draft goes to: the follow-up's interviewer, except an inquiry whose basis
        went to someone else of the company (the user wrote to the recruiter, or thanked only
        one of the panel): it replies in that thread, so to that person. The KEY stays the
        planned one, so "one draft per follow-up" does not depend on it."""
        person = fu.interviewer
        basis = basis_for(fu) if fu.kind == Kind.STATUS_INQUIRY else None
        if basis is None or basis.to == person.email:
            return Address(person.email, person.name)
        known = next((p for p in fu.interview.interviewers if p.email == basis.to), None)
        return Address(basis.to, known.name if known is not None else basis.name)

    def request(self, session: Session, fu: FollowUp) -> DraftRequest:
        draft, reply_to = self.render(session, fu)
        sender = self.account.addresses[0]
        key = draft_key(fu.key, fu.revision or 0)
        return DraftRequest(
            key=key,
            sender=Address(sender, self.account.sender_name or self.config.candidate.name),
            to=(self.recipient(fu),),
            subject=draft.subject,
            text=draft.text,
            html=draft.html,
            reply_to=reply_to,
            message_id=message_id_for(key, sender),
        )

    def _retire(self, fu: FollowUp, new: DraftRef) -> str:
        """The last step of a redraft (:mod:`daemon.corrections.redraft`), once ``new`` exists:
        delete the draft it replaces, if it still is exactly what followupd wrote. Asked again
        here, not only when the user asked for the redraft: after an interruption this may run
        days later, and the user may have edited that draft meanwhile. With ``--keep`` (no
        draft to replace) nothing is deleted. Returns what happened, for the history."""
        if fu.draft_id is None:
            return REDRAFTED_BESIDE
        old = DraftRef(id=fu.draft_id, thread_id=fu.thread_id, message_id=fu.message_id)
        if old.id == new.id:  # a mailbox that reused the id: nothing else to delete
            return REDRAFTED_GONE
        old_key = draft_key(fu.key, (fu.revision or 1) - 1)
        found = self.mailbox.read_draft(old, old_key)
        if found is None:
            return REDRAFTED_GONE
        if not untouched(found, fu.subject, fu.draft_text):
            return REDRAFTED_EDITED
        self.mailbox.delete_draft(old, old_key)
        return REDRAFTED

    def draft(self, session: Session, fu: FollowUp, now: datetime) -> None:
        """Create the draft for ``fu``; commits the intent and the result separately."""
        redrafting = is_redrafting(fu)
        skip, twin = (None if redrafting else settled(self.config, fu, now)), None
        if skip is None and fu.state == State.SCHEDULED:
            twin = same_meeting_twin(fu, same_person(self.config, self.account.name))
            skip = twin_skip(fu, twin)
        if (
            skip is not None
            and fu.state == State.CREATING
            and self.mailbox.find_draft(request_key(fu))
        ):
            skip = None  # made before an interruption: record it, it is the user's draft now
        if skip is not None:
            transition(session, fu, *skip, now)
            session.commit()
            log.info("follow-up %s not drafted: %s", fu.id, skip[1])
            return
        if twin is not None:  # being created, interrupted: it may yet come to nothing
            log.info("follow-up %s waits for follow-up %s of the same meeting", fu.id, twin.id)
            session.rollback()
            return
        try:
            request = self.request(session, fu)
            self.check_addresses(request)
        except FAILING as err:
            made = fu.state == State.CREATING and self.mailbox.find_draft(request_key(fu))
            if made:  # created before an interruption, and the template broke since: keep it
                fu.draft_id, fu.thread_id, fu.message_id = made.id, made.thread_id, made.message_id
                fu.drafted_at, fu.failure, fu.failure_fingerprint = now, None, None
                why = "found the draft made before an interruption"
                transition(session, fu, State.DRAFTED, why, now)
                session.commit()
                return
            self.fail(session, fu, err, now)
            return
        resumed = fu.state == State.CREATING
        if not resumed:
            transition(session, fu, State.CREATING, "creating the draft", now)
        fu.attempts += 1
        session.commit()  # the durable intent

        # Always look before creating, not only after an interruption: it costs one lookup per
        # draft (a few a day) and keeps "exactly one" even if the state database was lost.
        ref = self.mailbox.find_draft(request.key)
        if ref is None:
            try:
                ref = self.mailbox.create_draft(request)
            except BadItem as err:  # this draft can never be made (the mailbox refused it)
                self.fail(session, fu, err, now)
                return
            how = "drafted"
        else:
            how = (
                "found the draft made before an interruption"
                if resumed
                else "found it already there"
            )
        if redrafting:
            how = self._retire(fu, ref)
        fu.draft_id, fu.thread_id, fu.message_id = ref.id, ref.thread_id, ref.message_id
        fu.subject, fu.drafted_at, fu.last_error = request.subject, now, None
        fu.draft_text = request.text  # what `redraft` compares the mailbox's copy with
        fu.failure = fu.failure_fingerprint = None
        transition(session, fu, State.DRAFTED, how, now)
        session.commit()
        log.info(
            "%s %s for %s (%s): %s",
            how,
            fu.kind,
            fu.interviewer.email,
            fu.interview.company or fu.interview.title,
            request.subject,
        )

    def check_addresses(self, request: DraftRequest) -> None:
        """Say which side is at fault before the mailbox refuses an address: the sender is
        the config's (fixed there, and then retried by itself), the recipient the calendar's."""
        try:
            header_address(request.sender)
        except BadItem as err:
            raise ConfigValueError(
                f"{self.config.path.name}: [[accounts]] {self.account.name!r}.addresses: the "
                f"first one is the sender of the drafts, but {err.message}, got "
                f"{request.sender.email!r}"
            ) from err
        for address in request.to:
            try:
                header_address(address)
            except BadItem as err:
                raise BadItem(f"the recipient {address.email!r}", err.message) from err

    def fail(self, session: Session, fu: FollowUp, err: FollowupdError, now: datetime) -> None:
        """Record that ``fu`` failed, why (template, config, item) and what it depended on."""
        fu.failure = classify(err)
        fu.failure_fingerprint = self.fingerprints.of(self.account)
        fu.last_error = str(err)
        transition(session, fu, State.FAILED, str(err), now)
        session.commit()
        log.error("follow-up %s failed (%s): %s", fu.id, fu.failure, err, extra=RECORDED)
