"""SIGKILL anywhere in ``followupd redraft``, then restart: one current draft each, nothing lost.

On each provider's world of the crash campaign (tests/campaign/: ics + Maildir, the fake Gmail,
the fake Outlook), after the story's first two steps: the Acme
thank-yous to Jane and Raj and the Globex one to Maria are drafts. Then, again and again, the
user corrects the Acme role (``note ID --role``) and asks for ``redraft``; the redraft process
is killed with SIGKILL at a checkpoint of :mod:`daemon.faults` (after a flush, around a commit,
around every mailbox call: reading the draft back, finding and creating the new one, deleting
the old one); the recovery (``run --once``, or the user's next ``redraft``) is killed again
while it resumes the interrupted redraft; then a clean ``run --once`` must leave what the
oracle (tests/campaign/oracle.py) expects after the story's step: one message per follow-up,
each row ``drafted`` naming a draft that exists, every move in its history allowed. Once the
user runs ``redraft`` again (their command was killed), both Acme drafts carry the latest role.

Where the first kill falls is spread over the redraft's whole trace (a clean redraft's, the
reference), from the seed; ``FOLLOWUPD_CAMPAIGN=long`` kills at every one of its checkpoints.
A last round adds a draft beside Maria's with ``--keep`` (killed too): two drafts for her,
never three, none deleted.
"""

from __future__ import annotations

import os
import random
import subprocess
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from daemon.store.models import FollowUp, Interview
from tests.campaign import LOCAL_IN_CI, oracle, scenario
from tests.campaign.daemon import Outcome, read_trace
from tests.campaign.passes import ALWAYS, SOMETIMES
from tests.campaign.remote import make_world
from tests.campaign.worlds import LocalWorld, World

# A round is five or six processes; the three worlds take 1-2 minutes each on a quiet machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

PROFILE = os.environ.get("FOLLOWUPD_CAMPAIGN", "ci")
SEED = os.environ.get("FOLLOWUPD_CAMPAIGN_SEED", "20260114")
# Rounds per world (0: a round per checkpoint of the redraft). The redraft path is the same code
# on every provider but for the mailbox calls: CI runs the local world only (LOCAL_IN_CI), the
# long profile every world.
ROUNDS = {"ci": 5, "long": 0}.get(PROFILE, 5)
REMOTE_ROUNDS = {"ci": 3, "long": 0}.get(PROFILE, 3)
CHAIN = 2  # kills of the recovery after the first kill of a round
# Where a resumed redraft is: met by any run that finishes one (see passes.ALWAYS/SOMETIMES).
REDRAFT_POINTS = [
    "mailbox.read_draft before",
    "mailbox.read_draft after",
    "mailbox.delete_draft before",
    "mailbox.delete_draft after",
]
STEP = scenario.STEPS[1]  # the thank-yous are drafts
ACME_TY = [scenario.fu(scenario.JANE, scenario.TY), scenario.fu(scenario.RAJ, scenario.TY)]


def command(world: World, args: list[str], kill_at: int | str | None = None) -> Outcome:
    """``followupd ARGS`` in the world's environment, killed at ``kill_at`` when given."""
    faults, path = world.daemon._faults(kill_at, trace=True)
    started = time.monotonic()
    proc = subprocess.run(
        world.daemon.argv(*args),
        capture_output=True,
        text=True,
        cwd=world.root,
        env=world.daemon.env(faults),
        timeout=120,
    )
    return Outcome(
        proc.returncode, time.monotonic() - started, read_trace(path), proc.stdout, proc.stderr
    )


def interview_id(world: World, company: str) -> str:
    engine = create_engine(world.db_url)
    try:
        with engine.connect() as conn:
            found = conn.scalars(select(Interview.id).where(Interview.title.contains(company)))
            return str(found.one())
    finally:
        engine.dispose()


def drafted_rows(world: World) -> dict[str, str]:
    """The text each follow-up's row says followupd wrote, by follow-up name."""
    engine = create_engine(world.db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(FollowUp.key, FollowUp.draft_text)).all()
        return {oracle.name_of(key): " ".join((text or "").split()) for key, text in rows}
    finally:
        engine.dispose()


def drafted_texts(world: LocalWorld) -> dict[str, list[str]]:
    """The plain text of every draft in the Maildir, by addressee."""
    found: dict[str, list[str]] = {}
    for _, msg in world._messages("Drafts"):
        body = message_from_bytes(msg.as_bytes(), policy=policy.default).get_body(("plain",))
        text = " ".join(body.get_content().split()) if body else ""  # type: ignore[union-attr]
        found.setdefault(str(msg["To"].addresses[0].addr_spec), []).append(text)
    return found


def ok(outcome: Outcome, what: str) -> Outcome:
    assert outcome.code == 0 and "Traceback" not in outcome.stderr, (
        f"{what} failed ({outcome.code}):\n{outcome.stdout}\n{outcome.stderr}"
    )
    return outcome


def check(world: World, context: str, mailbox: dict[str, str | list[str]]) -> None:
    ok(world.daemon.once(STEP.when), f"{context}: the clean run")
    wrong = oracle.problems(world, STEP.states, mailbox)
    assert not wrong, f"{context}:\n  " + "\n  ".join(wrong)


def first_kills(total: int, rng: random.Random, rounds: int) -> list[int]:
    """One kill per round, spread over the ``total`` checkpoints of a redraft in strata."""
    if rounds == 0:
        return list(range(1, total + 1))
    return [
        rng.randint(
            1 + total * n // rounds, max(1 + total * n // rounds, total * (n + 1) // rounds)
        )
        for n in range(rounds)
    ]


@pytest.mark.parametrize("provider", LOCAL_IN_CI)
def test_sigkill_anywhere_in_a_redraft_then_restart_converges(
    provider: str, tmp_path: Path
) -> None:
    rng = random.Random(f"{SEED}:redraft:{provider}")
    rounds = ROUNDS if provider == "local" else REMOTE_ROUNDS
    world = make_world(provider, tmp_path / "world")
    try:
        scenario.setup(world)
        first = scenario.STEPS[0]
        world.at(first.when)
        ok(world.daemon.once(first.when), first.name)
        first.then(world, {})  # the calendar changes; the thank-yous are drafted next
        world.at(STEP.when)
        acme = interview_id(world, "Acme")
        check(world, "before any redraft", scenario.THREE_DRAFTS)

        # The reference: a clean redraft, whose checkpoints the kills are spread over.
        ok(command(world, ["note", acme, "--role", "Backend Engineer 0"]), "note")
        reference = ok(command(world, ["redraft", acme]), "the reference redraft")
        assert reference.stdout.count("replaced the draft in your mailbox") == 2, reference.stdout
        check(world, "after the reference redraft", scenario.THREE_DRAFTS)

        kills: list[str] = []
        for round_no, at in enumerate(first_kills(len(reference.trace), rng, rounds), 1):
            role = f"Backend Engineer {round_no}"
            ok(command(world, ["note", acme, "--role", role]), "note")
            hit = _kill_and_recover(world, ["redraft", acme], at, rng)
            kills += hit
            context = f"round {round_no} (kills at {hit})"
            check(world, context, scenario.THREE_DRAFTS)
            # The user's command was killed: they run it again; it finishes what is left.
            again = ok(command(world, ["redraft", acme]), f"{context}: redraft again")
            check(world, f"{context}, redrafted again", scenario.THREE_DRAFTS)
            for name, row_text in drafted_rows(world).items():
                if name in ACME_TY:  # what followupd recorded as written: the latest role
                    assert role in row_text, (context, name, again.stdout)
            if isinstance(world, LocalWorld):  # and what the draft in the Maildir says
                texts = drafted_texts(world)
                for who in (scenario.JANE[0], scenario.RAJ[0]):
                    assert len(texts[who]) == 1 and role in texts[who][0], (context, again.stdout)

        # --keep: a second draft for Maria beside hers, never a third, none deleted.
        globex = interview_id(world, "Globex")
        ok(command(world, ["note", globex, "--role", "Data Engineer II"]), "note")
        hit = _kill_and_recover(world, ["redraft", globex, "--keep"], rng.randint(1, 40), rng)
        kept = scenario.THREE_DRAFTS | {
            scenario.fu(scenario.MARIA, scenario.TY): ["draft", "draft"]
        }
        if hit and not _intent_committed(world):
            ok(command(world, ["redraft", globex, "--keep"]), "redraft --keep again")
        check(world, f"--keep (kills at {hit})", kept)
        kills += hit
    finally:
        world.close()
    print(f"{provider}: {len(kills)} SIGKILLs during redrafts: {kills}")
    assert len(kills) >= (rounds or 10), kills
    assert any("delete_draft" in k for k in kills), kills


def _intent_committed(world: World) -> bool:
    """Whether Maria's thank-you was redrafted (its revision went up)."""
    engine = create_engine(world.db_url)
    try:
        with engine.connect() as conn:
            keys = conn.execute(select(FollowUp.key, FollowUp.revision)).all()
        return any(scenario.MARIA[0] in key and revision for key, revision in keys)
    finally:
        engine.dispose()


def _kill_and_recover(world: World, args: list[str], at: int, rng: random.Random) -> list[str]:
    """``followupd ARGS`` killed at checkpoint ``at``, then up to :data:`CHAIN` recoveries (a
    ``run --once``, or the user's ``redraft`` again) killed where they resume the redraft.
    Returns the checkpoints hit."""
    hit: list[str] = []
    outcome = command(world, args, kill_at=at)
    if not outcome.killed:
        ok(outcome, f"{args} with a kill at {at} that never came")
        return hit
    hit.append(f"{at}:{outcome.last}")
    for _ in range(CHAIN):
        name = rng.choice(REDRAFT_POINTS + ALWAYS + SOMETIMES)
        again = args if rng.random() < 0.3 else ["run", "--once", "--now", STEP.when.isoformat()]
        outcome = (
            world.daemon.once(STEP.when, kill_at=name)
            if again[0] == "run"
            else command(world, again, kill_at=name)
        )
        if not outcome.killed:
            if again[0] == "run":
                ok(outcome, f"recovery with a kill at {name!r}")
            break  # the recovery finished before it met that checkpoint
        hit.append(f"recovery:{outcome.last}")
    return hit
