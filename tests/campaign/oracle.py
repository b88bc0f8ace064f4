"""What must hold after every clean run, whatever crashed before it.

- The mailbox: exactly one message per follow-up that should have one (a draft, or the copy the
  user sent), addressed to that interviewer, none for any other follow-up, none without a key.
- The state table: each follow-up in its expected state; none left ``creating``; every
  ``drafted`` row names a draft that exists; every message in the mailbox belongs to a row that
  still follows it (drafted, done or replied, never cancelled or skipped behind its back); the
  transition history of each row is a path through the allowed moves ending in its state.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, selectinload

from daemon.store.models import FollowUp
from tests.campaign.worlds import Item, World

# The states of a follow-up whose message exists: followupd keeps following it.
TRACKED = {"drafted", "done", "replied"}
# Every move a follow-up may make (None: the row is created).
ALLOWED = {
    None: {"scheduled"},
    "scheduled": {"creating", "cancelled", "skipped", "failed"},
    "creating": {"drafted", "failed", "cancelled", "skipped"},
    "drafted": {"done", "replied"},
    "done": {"replied"},
    "cancelled": {"scheduled"},  # the event came back
    "replied": set(),
    "skipped": set(),
    # Healed (the template or config changed) or retried; or too late by the time it healed.
    "failed": {"scheduled", "skipped"},
}


@dataclass
class Row:
    key: str
    state: str
    draft_id: str | None
    attempts: int
    moves: list[tuple[str | None, str, str]]  # (from, to, reason)


def name_of(key: str) -> str:
    """``followupd:<account>:<event hash>:<email>:<kind>:<n>`` -> ``email:kind:n``."""
    return ":".join(key.split(":")[3:])


def all_rows(db_url: str) -> list[Row]:
    """Every follow-up row, also several of one name (one meeting under two calendar ids)."""
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            found = session.scalars(
                select(FollowUp).options(selectinload(FollowUp.transitions))
            ).all()
            return [
                Row(
                    f.key,
                    f.state,
                    f.draft_id,
                    f.attempts,
                    [(m.from_state, m.to_state, m.reason or "") for m in f.transitions],
                )
                for f in found
            ]
    finally:
        engine.dispose()


def read_rows(db_url: str) -> dict[str, Row]:
    """The rows by name (``email:kind:seq``); the story gives each meeting one calendar id."""
    return {name_of(row.key): row for row in all_rows(db_url)}


def tag(item: Item) -> str:
    return item.where + (":reply" if item.reply else "")


def problems(
    world: World, states: dict[str, str], mailbox: dict[str, str] | dict[str, str | list[str]]
) -> list[str]:
    """Everything wrong with the world now, as readable lines (empty: all good)."""
    wrong: list[str] = []
    rows = read_rows(world.db_url)
    view = world.view()
    by_name: dict[str, list[str]] = defaultdict(list)
    states_by_key = {row.key: row.state for row in rows.values()}
    for item in view:
        by_name[name_of(item.key)].append(tag(item))
        if item.key not in states_by_key:
            wrong.append(f"message with key {item.key!r} but no follow-up row has that key")
        elif states_by_key[item.key] not in TRACKED:
            wrong.append(
                f"{name_of(item.key)}: a {item.where} exists, but the row is "
                f"{states_by_key[item.key]!r}: followupd lost track of it"
            )
        if item.to != (item.key.split(":")[3],):
            wrong.append(f"{name_of(item.key)}: addressed to {item.to}")
    got = {name: sorted(tags) for name, tags in by_name.items()}
    # A list: several messages of one follow-up (a redraft the user kept beside the first).
    want = {name: sorted(t) if isinstance(t, list) else [t] for name, t in mailbox.items()}
    if got != want:
        wrong.append(f"mailbox: expected {want}, found {got}")
    actual = {name: row.state for name, row in rows.items()}
    if actual != states:
        diff = {
            n: (states.get(n), actual.get(n))
            for n in set(states) | set(actual)
            if states.get(n) != actual.get(n)
        }
        wrong.append(f"states (expected, found): {diff}")
    drafts = world.draft_ids()
    for name, row in rows.items():
        if row.state == "creating":
            wrong.append(f"{name}: still 'creating' after a clean run")
        if row.state == "drafted" and row.draft_id not in drafts:
            wrong.append(f"{name}: drafted as {row.draft_id!r}, which is not a draft now")
        wrong += [f"{name}: {p}" for p in history_problems(row)]
    return wrong


def _redraft(before: str | None, to: str, reason: str) -> bool:
    """drafted -> creating: only ``followupd redraft`` makes that move, and says so."""
    return before == "drafted" and to == "creating" and reason.startswith("redrafting on your")


def history_problems(row: Row) -> list[str]:
    found = []
    before: str | None = None
    for index, (frm, to, reason) in enumerate(row.moves):
        if frm != before:
            found.append(f"move {index} starts from {frm!r}, but the row was {before!r}")
        if to not in ALLOWED.get(before, set()) and not _redraft(before, to, reason):
            found.append(f"move {index}: {before!r} -> {to!r} is not allowed ({reason})")
        before = to
    if before != row.state:
        found.append(f"history ends in {before!r} but the row is {row.state!r}")
    if row.state in ("drafted", "done", "replied") and row.draft_id and row.attempts < 1:
        found.append("drafted without an attempt")
    return found
