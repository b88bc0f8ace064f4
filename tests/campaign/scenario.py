"""The story every provider goes through, step by step, with what must be true after each step.

Four interviews in January 2026 (a Wednesday is the 14th), all times UTC, Berlin business days:

- Acme, Wed 09:00, Jane (organizer) and Raj: two thank-yous; the user sends Jane's, deletes
  Raj's; no reply, so a status inquiry to Jane follows 5 business days after hers went out, in
  the same conversation;
- Globex, Wed 13:00, Maria: a thank-you draft, then Maria replies: the inquiry is cancelled;
- Initech, Thu 09:00, Bill: cancelled before it happens, so nothing is ever drafted;
- Umbrella, Thu 13:00, Sam: moved to Mon 19th before it happens; the thank-you follows the move
  and stays an unsent draft (no inquiry can follow it); the user writes to Sam from their own
  mail client on Tuesday 20th at 09:00 instead, so the inquiry replies to that message, 5
  business days after it (Tue 27th 09:00).

Each step is one ``run --once --now WHEN`` (to be crashed and recovered), then what the user
and the calendar do before the next step. Follow-ups are named ``email:kind:seq`` (the end of
their KEY); mailbox tags are ``draft``, ``draft:reply`` (in the conversation of a message the
user sent) and ``sent``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tests.campaign.worlds import Interview, World

JANE, RAJ = ("jane@acme.example", "Jane Smith"), ("raj@acme.example", "Raj Patel")
MARIA = ("maria@globex.example", "Maria Garcia")
BILL = ("bill@initech.example", "Bill Lumbergh")
SAM = ("sam@umbrella.example", "Sam Lee")


def t(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def interviews() -> list[Interview]:
    return [
        Interview("acme1", "Interview: Acme (Backend Engineer)", t(14, 9), [JANE, RAJ]),
        Interview("globex1", "Interview: Globex (Data Engineer)", t(14, 13), [MARIA]),
        Interview("initech1", "Interview: Initech (Platform Engineer)", t(15, 9), [BILL]),
        Interview("umbrella1", "Interview: Umbrella (Site Reliability)", t(15, 13), [SAM]),
    ]


def fu(person: tuple[str, str], kind: str, seq: int = 1) -> str:
    return f"{person[0]}:{kind}:{seq}"


TY, INQ = "thank_you", "status_inquiry"


@dataclass
class Step:
    name: str
    when: datetime
    states: dict[str, str]  # follow-up -> state after the step
    mailbox: dict[str, str]  # follow-up -> its one message after the step
    then: Callable[[World, dict[str, str]], None] = field(default=lambda world, keys: None)


def _calendar_changes(world: World, keys: dict[str, str]) -> None:
    world.cancel("initech1")
    world.move("umbrella1", t(19, 13))


def _user_writes_to_sam(world: World, keys: dict[str, str]) -> None:
    world.at(t(20, 9))
    world.write_own(SAM[0], SAM[1], "Thank you for yesterday", t(20, 9))


def _user_acts(world: World, keys: dict[str, str]) -> None:
    world.at(t(14, 16))
    world.send(keys[fu(JANE, TY)], t(14, 16))
    world.delete(keys[fu(RAJ, TY)])
    world.at(t(15, 10))
    world.receive(MARIA[0], MARIA[1], "Re: Thank you", t(15, 10))


PLANNED = {
    fu(JANE, TY): "scheduled",
    fu(RAJ, TY): "scheduled",
    fu(MARIA, TY): "scheduled",
    fu(BILL, TY): "scheduled",
    fu(SAM, TY): "scheduled",
    fu(JANE, INQ): "scheduled",
    fu(MARIA, INQ): "scheduled",
    fu(BILL, INQ): "scheduled",
    fu(SAM, INQ): "scheduled",
}
THANKED = PLANNED | {
    fu(JANE, TY): "drafted",
    fu(RAJ, TY): "drafted",
    fu(MARIA, TY): "drafted",
    fu(BILL, TY): "cancelled",
    fu(BILL, INQ): "cancelled",
}
TRACKED = THANKED | {
    fu(JANE, TY): "done",  # sent
    fu(RAJ, TY): "done",  # deleted
    fu(MARIA, TY): "replied",
    fu(MARIA, INQ): "cancelled",
}
MOVED = TRACKED | {fu(SAM, TY): "drafted"}
ASKED = MOVED | {fu(JANE, INQ): "drafted"}
FINAL = ASKED | {fu(SAM, INQ): "drafted"}

THREE_DRAFTS = {fu(JANE, TY): "draft", fu(RAJ, TY): "draft", fu(MARIA, TY): "draft"}
AFTER_USER = {fu(JANE, TY): "sent", fu(MARIA, TY): "draft"}

STEPS = [
    Step("plan", t(13, 12), PLANNED, {}, _calendar_changes),
    Step("thank-yous", t(14, 15, 30), THANKED, THREE_DRAFTS, _user_acts),
    Step("sent, deleted, replied", t(15, 12), TRACKED, AFTER_USER),
    Step(
        "moved interview",
        t(19, 15, 30),
        MOVED,
        AFTER_USER | {fu(SAM, TY): "draft"},
        _user_writes_to_sam,
    ),
    Step(
        "inquiry in the thread",
        t(21, 16, 30),
        ASKED,
        AFTER_USER | {fu(SAM, TY): "draft", fu(JANE, INQ): "draft:reply"},
    ),
    Step(
        "inquiry replying to the user's own message",
        t(27, 12),
        FINAL,
        AFTER_USER
        | {fu(SAM, TY): "draft", fu(JANE, INQ): "draft:reply", fu(SAM, INQ): "draft:reply"},
    ),
]


def setup(world: World) -> None:
    for interview in interviews():
        world.add(interview)
