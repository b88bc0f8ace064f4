"""Drive the story through a world: cleanly (the reference), or with SIGKILLs at chosen points.

A *pass* is the whole story in a fresh world. At each step it first runs the daemon with the
fault hook set to kill it, one process per kill: the first kill hits a run starting from the
state every clean run leaves, the later ones hit the recovery of the crashed run. Then one run
without the hook must finish the step, the oracle checks the world, and the user and the
calendar act for the next step.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.campaign import oracle, scenario
from tests.campaign.daemon import Outcome
from tests.campaign.remote import make_world
from tests.campaign.worlds import World

KillAt = int | str  # a checkpoint number, or the name of a checkpoint (its first occurrence)


@dataclass(frozen=True)
class Kill:
    provider: str
    step: int
    order: int  # 0: the step's first run; 1, 2, ...: a recovery run killed again
    at: int  # the checkpoint number within that process
    checkpoint: str  # its name (the last line of the trace)
    phase: str
    renamed: bool = False  # the account was renamed right after this kill


def phase(trace: list[str]) -> str:
    """What the process was doing at its last checkpoint: bookkeeping (the account's row),
    sync (reading the calendar), scheduling (planning), tracking (sent, deleted, replies),
    drafting (intent, look-up, create) or recording (the draft's id)."""
    return phases(trace)[-1] if trace else "bookkeeping"


def phases(trace: list[str]) -> list[str]:
    """:func:`phase` at each checkpoint of ``trace``, in one pass."""
    current, found = "bookkeeping", []
    for label in trace:
        if label.startswith("calendar."):
            current = "sync"
        elif label.startswith(("mailbox.draft_state", "mailbox.messages_since")):
            current = "tracking"
        elif label.startswith(("mailbox.find_draft", "mailbox.create_draft before")):
            current = "drafting"
        elif label.startswith("mailbox.create_draft after") or "followups=drafted" in label:
            current = "recording"
        elif "followups=creating" in label:
            current = "drafting"
        elif current == "sync" and ("interviews" in label or "followups=" in label):
            current = "scheduling"
        found.append(current)
    return found


def drafting_names(trace: list[str]) -> list[str]:
    """Checkpoint names whose first occurrence in a run is in drafting or recording, so that
    ``kill-on:NAME`` hits the first draft the run works on."""
    each = phases(trace)
    if not any(p in DRAFTING for p in each):
        return []
    start = next(n for n, p in enumerate(each) if p in DRAFTING)
    return list(dict.fromkeys(label for label in trace[start:] if label not in trace[:start]))


DRAFTING = ("drafting", "recording")
# Met by every draft a run works on, new or resumed, before its record is committed: a chain
# of recovery kills at these keeps hitting the same interrupted draft.
ALWAYS = [
    "mailbox.find_draft before",
    "mailbox.find_draft after",
    "db.flushed followups=drafted+transitions",
]
# Met only on some paths (the intent of a resumed draft, a create after an empty look-up), or
# the end of a draft (its record committed), after which the chain moves on to the next draft.
SOMETIMES = [
    "db.flushed followups=creating",
    "db.committed followups=creating",
    "mailbox.create_draft before",
    "mailbox.create_draft after",
    "db.committed followups=drafted+transitions",
]


class PassFailed(AssertionError):
    pass


class Planner:
    """Where each pass kills, deterministically from the seed, as soon as it is known.

    The reference pass (no kills) reports each step's trace; a kill pass asks for its kills at
    a step when it gets there (waiting for the reference if needed), so the reference and the
    kill passes run side by side.

    - The first kill of each pass at a step falls in a stratum of the step's checkpoints, one
      stratum each, so that together the passes cover the whole step. One stratum is the run's
      start (:data:`START`: the account's row, then the calendar read), a handful of
      checkpoints that even strata would often miss: its kill is the name of one of them, of
      bookkeeping at even steps and of sync at odd ones, so every pass, renamed or not, dies
      there and each campaign kills both phases (sync three times, bookkeeping at least
      twice). The other strata split the rest of the step by checkpoint number.
    - Every other pass (:meth:`renames`) renames the account after each kill. The start of
      the very first run is one of theirs: killed before that run recorded the account, then
      renamed, the account must keep the sign-in ``followupd auth`` claimed for it.
    - The further kills hit the recovery runs. In a step that drafts, each is the name of a
      drafting or recording checkpoint (:data:`ALWAYS`, sometimes :data:`SOMETIMES`): the
      recovery dies at its first such checkpoint, i.e. while it resumes the interrupted draft,
      until a run finishes the step. In a step that does not draft, one further kill at a
      number drawn from the whole step.
    """

    def __init__(self, seed: str, passes: int, chain: int) -> None:
        self.seed, self.passes, self.chain = seed, passes, chain
        self.traces: dict[int, list[str]] = {}
        self.failed: str | None = None
        self._changed = threading.Condition()

    def record(self, step: int, trace: list[str]) -> None:
        with self._changed:
            self.traces[step] = trace
            self._changed.notify_all()

    def fail(self, why: str) -> None:
        with self._changed:
            self.failed = why
            self._changed.notify_all()

    def renames(self, number: int) -> bool:
        """Whether pass ``number`` renames the account after each of its kills."""
        return number % 2 == 1

    def kills(self, number: int, step: int) -> list[KillAt]:
        with self._changed:
            self._changed.wait_for(lambda: step in self.traces or self.failed, timeout=600)
            if step not in self.traces:
                raise PassFailed(f"no reference for step {step}: {self.failed}")
            trace = self.traces[step]
        total = len(trace)
        strata = list(range(self.passes))
        random.Random(f"{self.seed}:{step}").shuffle(strata)
        if step == 0 and self.passes > 1:  # the very first start goes to a pass that renames
            at = strata.index(0)
            strata[at], strata[1] = strata[1], strata[at]
        rng = random.Random(f"{self.seed}:{step}:{number}")
        stratum = strata[number]
        first = [first_kill(trace, stratum, self.passes, step, rng)]
        if not drafting_names(trace):
            return first + [rng.randint(1, total)]
        return first + [
            rng.choice(ALWAYS if rng.random() < 0.7 else SOMETIMES) for _ in range(self.chain - 1)
        ]


# The phases every run starts with, before it plans anything.
START = ("bookkeeping", "sync")


def first_kill(
    trace: list[str], stratum: int, strata: int, step: int, rng: random.Random
) -> KillAt:
    """Where the first run of a step dies, for the pass that holds ``stratum`` of ``strata``.

    Stratum 0 is the run's start: the name of one of its checkpoints of bookkeeping (even
    steps) or sync (odd steps); a name, as a renamed account may add checkpoints before it.
    The others divide the checkpoints after the start evenly by number.

    At step 0 the start's kill falls before the run has committed anything, and it is a pass
    that renames the account which dies there (:class:`Planner`): renamed before any run
    recorded it, the account must still find the sign-in ``followupd auth`` claimed for it
    (the remote worlds do what it does).
    """
    total = len(trace)
    each = phases(trace)
    head = next((n for n, p in enumerate(each) if p not in START), total)
    if strata < 2 or head == 0 or head == total:  # no start, or nothing after it: by number
        low = 1 + total * stratum // strata
        return rng.randint(low, max(low, total * (stratum + 1) // strata))
    if stratum == 0:
        want = START[step % 2]
        # names whose first occurrence (where ``kill-on`` strikes) is in the wanted phase
        names = [
            label
            for n, label in enumerate(trace[:head])
            if trace.index(label) == n and each[n] == want
        ]
        if step == 0:  # the very first run: before it has committed anything
            first_commit = next((n for n, label in enumerate(trace) if "committed" in label), head)
            names = [label for label in names if trace.index(label) < first_commit] or names
        return rng.choice(names or trace[:head])
    rest, parts = total - head, strata - 1
    low = head + 1 + rest * (stratum - 1) // parts
    return rng.randint(low, max(low, head + rest * stratum // parts))


def _clean(world: World, index: int, context: str) -> Outcome:
    step = scenario.STEPS[index]
    outcome = world.daemon.once(step.when)
    if outcome.code != 0 or "Traceback" in outcome.stderr:
        raise PassFailed(
            f"{context}: the clean run of step {index} ({step.name}) failed with status "
            f"{outcome.code}:\n{outcome.stdout}\n{outcome.stderr}"
        )
    wrong = oracle.problems(world, step.states, step.mailbox)
    if wrong:
        raise PassFailed(
            f"{context}: after step {index} ({step.name}):\n  "
            + "\n  ".join(wrong)
            + f"\nthe clean run said:\n{outcome.stdout}\n{outcome.stderr[-3000:]}"
        )
    return outcome


def run_reference(provider: str, root: Path, planner: Planner) -> list[int]:
    """The story without kills; gives ``planner`` each step's trace."""
    try:
        _, counts = run_pass(provider, root, lambda step: [], f"{provider} reference", planner)
    except BaseException as err:
        planner.fail(f"the reference pass failed: {err}")
        raise
    return counts


def run_pass(
    provider: str,
    root: Path,
    kills_at: Callable[[int], list[KillAt]],
    label: str,
    reference: Planner | None = None,
    rename: bool = False,
) -> tuple[list[Kill], list[int]]:
    """The story with the kills ``kills_at(step)`` gives, one process each. With ``rename``,
    the user renames the account in the config after every kill: the recovery must still find
    what the killed run left, under the new name, and draft nothing twice.

    Returns the kills that happened and, per step, how many checkpoints its clean run passed.
    """
    world = make_world(provider, root)
    kills: list[Kill] = []
    counts: list[int] = []
    try:
        scenario.setup(world)
        for index, step in enumerate(scenario.STEPS):
            world.at(step.when)
            for order, at in enumerate(kills_at(index)):
                outcome = world.daemon.once(step.when, kill_at=at)
                if not outcome.killed:
                    if outcome.code != 0 or "Traceback" in outcome.stderr:
                        raise PassFailed(f"{label}: run with kill at {at} failed: {outcome.stderr}")
                    break  # the process finished before reaching that checkpoint
                if outcome.last != at and len(outcome.trace) != at:
                    raise PassFailed(f"{label}: killed at {at}, trace ends {outcome.trace[-3:]}")
                kills.append(
                    Kill(
                        provider,
                        index,
                        order,
                        len(outcome.trace),
                        outcome.last,
                        phase(outcome.trace),
                        renamed=rename,
                    )
                )
                if rename:
                    world.rename_account(f"renamed-{len(kills)}")
            done = [f"step {k.step} at {k.at} ({k.checkpoint})" for k in kills]
            clean = _clean(world, index, f"{label} (kills so far: {', '.join(done) or 'none'})")
            counts.append(len(clean.trace))
            if reference is not None:
                reference.record(index, clean.trace)
            keys = {name: row.key for name, row in oracle.read_rows(world.db_url).items()}
            step.then(world, keys)
    finally:
        world.close()
    return kills, counts
