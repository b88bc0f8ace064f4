"""SIGKILL at hundreds of moments, then restart: never a lost, a duplicate or a stale follow-up.

The real daemon runs in subprocesses (tests/campaign/daemon.py) against each provider's world:
ics + Maildir, the fake Google server, the fake Microsoft servers. The story of
tests/campaign/scenario.py (plan, draft, the user sends and deletes, a reply, a moved and a
cancelled interview, inquiries in and out of a thread) is played step by step; at each step the
run is killed with SIGKILL at a checkpoint of :mod:`daemon.faults` (after a flush, around a
commit, around every calendar and mailbox call), the recovery is killed again while it resumes
the interrupted draft, and then a clean run must leave exactly what the oracle
(tests/campaign/oracle.py) expects: one message per follow-up that should have one, none for any
other, and a state table whose every row and history is consistent.

Where the kills fall is chosen by a seed from the checkpoints the clean reference pass goes
through (tests/campaign/passes.py), so a failure names a kill that replays exactly. Three more
kinds of kill complete the picture:

- the long-running ``followupd run`` (real time, scheduler, watchdog) killed mid-work;
- the server kills the daemon after it made a draft and before it answered, the one moment no
  client-side checkpoint can reach: the draft exists, and the daemon never heard of it;
- downtime: the daemon stopped for days catches up on start, once, within ``max_lateness``.

Profiles (``FOLLOWUPD_CAMPAIGN``): ``ci`` (the default; a few minutes) and ``long`` (about five
times the kills, for local runs; see docs/testing.md). The seed is ``FOLLOWUPD_CAMPAIGN_SEED``.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.campaign import FIGURES, LOCAL_IN_CI, oracle, scenario
from tests.campaign.daemon import Running
from tests.campaign.live import live_world, polled, settle
from tests.campaign.passes import Kill, Planner, run_pass, run_reference
from tests.campaign.remote import make_world
from tests.campaign.worlds import Interview, World
from tests.fakes.faults import Fault
from tests.servers import dovecot

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Profile:
    passes: int  # kill passes per provider, side by side with the reference
    chain: int  # kills per step: the first, then kills of the recovery runs
    live: int  # kills of the long-running daemon per provider
    least: int  # kills per provider below which the campaign proves too little


PROFILES = {
    "ci": Profile(passes=5, chain=3, live=9, least=60),
    "long": Profile(passes=16, chain=4, live=24, least=250),
}
PROFILE_NAME = os.environ.get("FOLLOWUPD_CAMPAIGN", "ci")
if PROFILE_NAME not in PROFILES:
    raise pytest.UsageError(
        f"FOLLOWUPD_CAMPAIGN: expected one of {', '.join(PROFILES)}, got {PROFILE_NAME!r}"
    )
PROFILE = PROFILES[PROFILE_NAME]
SEED = os.environ.get("FOLLOWUPD_CAMPAIGN_SEED", "20260114")
PROVIDERS = ["local", "google", "outlook"]
# The story on a real IMAP server (ics + Dovecot, tests/campaign/imap.py), where it is installed.
WITH_IMAP = [
    *PROVIDERS,
    pytest.param("imap", marks=pytest.mark.skipif(
        dovecot.binary() is None, reason="dovecot is not installed (.ci/run installs it)"
    )),
]  # fmt: skip
# A Fastmail or iCloud user's account: Radicale + Dovecot (tests/campaign/caldav_imap.py). The
# story on it is long (two servers per pass): FOLLOWUPD_CAMPAIGN=long only; CI runs the downtime
# story on it.
NO_DOVECOT = dovecot.binary() is None
CALDAV_IMAP = pytest.param(
    "caldav+imap",
    marks=pytest.mark.skipif(NO_DOVECOT, reason="dovecot is not installed (.ci/run installs it)"),
)
CALDAV_IMAP_LONG = pytest.param(
    "caldav+imap",
    marks=[
        pytest.mark.skipif(NO_DOVECOT, reason="dovecot is not installed (.ci/run installs it)"),
        pytest.mark.skipif(
            PROFILE_NAME == "ci", reason="the caldav+imap story runs in FOLLOWUPD_CAMPAIGN=long"
        ),
        pytest.mark.timeout(1800),  # 17 passes, each with a Radicale and a Dovecot: 4 min idle
    ],
)
# What a run does, as tests/campaign/passes.phase names it; every one must have been killed.
PHASES = {"bookkeeping", "sync", "scheduling", "tracking", "drafting", "recording"}


def run_side_by_side(jobs: list[Callable[[], Any]], workers: int) -> list[Any]:
    """Run ``jobs`` in threads (each drives subprocesses or fakes); re-raise the first error."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(job) for job in jobs]
        return [future.result() for future in futures]


# --------------------------------------------------------------------------------------------
# the story, killed at every phase of every step
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", [*WITH_IMAP, CALDAV_IMAP_LONG])
def test_sigkill_anywhere_in_the_story_then_restart_converges(
    provider: str, tmp_path: Path
) -> None:
    planner = Planner(f"{SEED}:{provider}", PROFILE.passes, PROFILE.chain)
    started = time.monotonic()

    def reference() -> list[Kill]:
        run_reference(provider, tmp_path / "reference", planner)
        return []

    def kill_pass(number: int) -> Callable[[], list[Kill]]:
        def job() -> list[Kill]:
            label = f"{provider} pass {number} (seed {SEED})"
            root = tmp_path / f"pass{number}"
            # Every other pass, the user renames the account after each kill.
            kills, _ = run_pass(
                provider,
                root,
                lambda step: planner.kills(number, step),
                label,
                rename=planner.renames(number),
            )
            return kills

        return job

    jobs = [reference] + [kill_pass(n) for n in range(PROFILE.passes)]
    kills = [k for found in run_side_by_side(jobs, workers=3) for k in found]
    seconds = time.monotonic() - started

    phases = Counter(k.phase for k in kills)
    steps = Counter(k.step for k in kills)
    recoveries = sum(1 for k in kills if k.order > 0)
    renamed = sum(1 for k in kills if k.renamed)
    first = [k for k in kills if k.renamed and k.step == k.order == 0 and k.phase == "bookkeeping"]
    FIGURES.append(
        f"{provider}: {len(kills)} SIGKILLs in {seconds:.0f} s, {recoveries} of them in "
        f"recovery runs, {renamed} followed by a rename of the account ({len(first)} at the very "
        f"first start); by phase {dict(sorted(phases.items()))}; by step "
        f"{dict(sorted(steps.items()))}"
    )
    assert len(kills) >= PROFILE.least, FIGURES[-1]
    assert set(phases) >= PHASES, f"no kill while {PHASES - set(phases)}: {FIGURES[-1]}"
    assert set(steps) == set(range(len(scenario.STEPS))), FIGURES[-1]
    # The recovery of an interrupted draft was itself killed, more than once.
    assert sum(1 for k in kills if k.order > 0 and k.phase in ("drafting", "recording")) >= 5
    # A rename followed a kill before the first run recorded the account: the sign-in that
    # ``followupd auth`` left (and claimed) still serves it.
    assert first, FIGURES[-1]
    # Renames fell in the middle of drafting, where a KEY naming the account would duplicate.
    assert sum(1 for k in kills if k.renamed and k.phase in ("drafting", "recording")) >= 5


# --------------------------------------------------------------------------------------------
# the long-running daemon
# --------------------------------------------------------------------------------------------

LIVE_CHAIN = 3  # kills per live world before the clean run that must finish the work


def live_trace_length(provider: str, root: Path) -> int:
    """Checkpoints a clean ``followupd run`` passes until all due work is done."""
    world = live_world(provider, root)
    running = world.daemon.start()
    try:
        wrong = settle(world, running, 90)
        assert not wrong, f"{provider}: the clean long-running daemon: {wrong}\n{running.output()}"
        return len(running.trace())
    finally:
        running.close()
        world.close()


def killed_or_idle(world: World, running: Running, seconds: float = 90) -> int | None:
    """The exit status once the daemon dies, or None once it has polled, its wake-up for the
    last due follow-up has passed and it has gone quiet (no checkpoint for a second)."""
    deadline = time.monotonic() + seconds
    seen, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        code = running.proc.poll()
        if code is not None:
            return code
        count = len(running.trace())
        if count != seen:
            seen, quiet_since = count, time.monotonic()
        due_passed = world.due_at is None or datetime.now(UTC) > world.due_at
        if polled(running) and due_passed and time.monotonic() - quiet_since > 1.0:
            return None
        time.sleep(0.05)
    pytest.fail(f"the daemon neither died nor went quiet in {seconds:.0f} s:\n{running.output()}")


def kill_live(provider: str, root: Path, points: list[int]) -> list[str]:
    """Start ``run`` and SIGKILL it at each of ``points`` in turn (a restart each time), then
    a clean ``run`` must settle; returns the checkpoints the kills hit."""
    world = live_world(provider, root)
    hit: list[str] = []
    try:
        for at in points:
            running = world.daemon.start(kill_at=at)
            try:
                code = killed_or_idle(world, running)
                if code is None:  # the work was done before that checkpoint came
                    break
                assert code == -signal.SIGKILL, f"status {code}:\n{running.output()}"
                hit.append(running.trace()[-1])
            finally:
                running.close()
        running = world.daemon.start()
        try:
            wrong = settle(world, running, 90)
            assert not wrong, (
                f"{provider}: after SIGKILLs at {list(zip(points, hit, strict=False))} of the "
                f"long-running daemon, a restart left: {wrong}\n{running.output()}"
            )
            code, _ = running.terminate()
            assert code == 0, running.output()
        finally:
            running.close()
    finally:
        world.close()
    return hit


@pytest.mark.parametrize("provider", PROVIDERS)
def test_sigkill_of_the_long_running_daemon_then_restart_converges(
    provider: str, tmp_path: Path
) -> None:
    total = live_trace_length(provider, tmp_path / "reference")
    rng = random.Random(f"{SEED}:{provider}:live")
    worlds = -(-PROFILE.live // LIVE_CHAIN)
    plans = [sorted(rng.sample(range(1, total + 1), LIVE_CHAIN)) for _ in range(worlds)]
    # Each later kill counts from the restart, so keep them within one run's reach.
    plans = [[plan[0]] + [rng.randint(1, total) for _ in plan[1:]] for plan in plans]
    hits = run_side_by_side(
        [
            (lambda n=n, plan=plan: kill_live(provider, tmp_path / f"world{n}", plan))
            for n, plan in enumerate(plans)
        ],
        workers=2,
    )
    killed = [h for hit in hits for h in hit]
    FIGURES.append(
        f"{provider}: {len(killed)} SIGKILLs of the long-running daemon "
        f"({total} checkpoints in a clean run)"
    )
    assert len(killed) >= PROFILE.live // 2, FIGURES[-1]


# --------------------------------------------------------------------------------------------
# the draft made, the answer never heard
# --------------------------------------------------------------------------------------------

CREATES = {"google": "POST gmail.users.drafts.create", "outlook": "POST /me/messages"}


def faults_of(world: World) -> Any:
    return world.fake.state.faults if world.provider == "google" else world.ms.graph.faults


@pytest.mark.parametrize("provider", ["google", "outlook"])
@pytest.mark.parametrize("which", [0, 1, 2])
def test_killed_after_the_server_made_the_draft_and_before_it_answered(
    provider: str, which: int, tmp_path: Path
) -> None:
    """The server makes draft number ``which`` of the thank-you step, then kills the daemon
    instead of answering; the restart must find that draft by its key, not make a second."""
    world = make_world(provider, tmp_path)
    killed: list[int] = []

    def kill_the_daemon(body: Any, _url: str) -> Any:
        killed.append(world.daemon.pid)
        os.kill(world.daemon.pid, signal.SIGKILL)
        time.sleep(0.2)  # the answer must not win the race with the signal
        return body

    try:
        scenario.setup(world)
        for index, step in enumerate(scenario.STEPS[:3]):
            world.at(step.when)
            if index == 1:
                faults_of(world).script(
                    CREATES[provider], Fault("mutate", mutate=kill_the_daemon), skip=which
                )
                outcome = world.daemon.once(step.when)
                assert outcome.killed, f"not killed: {outcome.stdout}{outcome.stderr}"
                assert len(world.view()) == which + 1  # the draft exists, unrecorded
            outcome = world.daemon.once(step.when)
            assert outcome.code == 0, outcome.stderr
            wrong = oracle.problems(world, step.states, step.mailbox)
            assert not wrong, f"after step {index} ({step.name}): {wrong}\n{outcome.stdout}"
            keys = {name: row.key for name, row in oracle.read_rows(world.db_url).items()}
            step.then(world, keys)
    finally:
        world.close()
    assert len(killed) == 1


# --------------------------------------------------------------------------------------------
# downtime
# --------------------------------------------------------------------------------------------


def t(day: int, hour: int, minute: int = 0) -> datetime:
    return scenario.t(day, hour, minute)


@pytest.mark.parametrize("provider", [*WITH_IMAP, CALDAV_IMAP])
def test_downtime_catches_up_once_and_skips_what_is_too_late(provider: str, tmp_path: Path) -> None:
    """The daemon last ran on Tuesday the 13th and comes back on Thursday the 15th at 08:30.

    Acme's interview ended Wednesday 10:00: its thank-yous were due at 11:00, 21.5 h ago, past
    the 12 h ``max_lateness``: skipped, with the reason. Globex ended Wednesday 23:00, due at
    midnight, 8.5 h ago: drafted now, once; a second start drafts nothing more. Initech, due
    Thursday 11:00, is still ahead.
    """
    world = make_world(provider, tmp_path)
    late = [("lee@acme.example", "Lee Late"), ("kim@acme.example", "Kim Late")]
    world.add(Interview("acme1", "Interview: Acme (Backend Engineer)", t(14, 9), late))
    world.add(Interview("globex1", "Interview: Globex (Data)", t(14, 22), [scenario.MARIA]))
    world.add(Interview("initech1", "Interview: Initech (SRE)", t(15, 9), [scenario.BILL]))
    try:
        world.at(t(13, 12))
        assert world.daemon.once(t(13, 12), trace=False).code == 0
        back = t(15, 8, 30)
        world.at(back)
        first = world.daemon.once(back, trace=False)
        again = world.daemon.once(back + timedelta(minutes=5), trace=False)
        assert first.code == 0 and again.code == 0, first.stderr + again.stderr
        want = {
            "lee@acme.example:thank_you:1": "skipped",
            "kim@acme.example:thank_you:1": "skipped",
            "lee@acme.example:status_inquiry:1": "scheduled",
            scenario.fu(scenario.MARIA, scenario.TY): "drafted",
            scenario.fu(scenario.MARIA, scenario.INQ): "scheduled",
            scenario.fu(scenario.BILL, scenario.TY): "scheduled",
            scenario.fu(scenario.BILL, scenario.INQ): "scheduled",
        }
        mailbox = {scenario.fu(scenario.MARIA, scenario.TY): "draft"}
        wrong = oracle.problems(world, want, mailbox)
        assert not wrong, f"{wrong}\n{first.stdout}"
        rows = oracle.read_rows(world.db_url)
        reason = rows["lee@acme.example:thank_you:1"].moves[-1][2]
        assert "max_lateness" in reason and "12h" in reason, reason
        assert "drafted thank-you to Maria Garcia" in first.stdout, first.stdout
        assert "drafted" not in again.stdout, again.stdout
    finally:
        world.close()


# --------------------------------------------------------------------------------------------
# what the user changes between kills: a meeting without UID, a second instance
# --------------------------------------------------------------------------------------------

# Where the runs of the UID-less story die: around the first draft's creation and record, and
# at plain checkpoint numbers of the whole run.
UIDLESS_KILLS: list[int | str] = [
    "mailbox.create_draft after",
    "db.committed followups=creating",
    "mailbox.find_draft after",
    "db.flushed followups=drafted+transitions",
    "mailbox.create_draft before",
    12,
    25,
    40,
]


def second_instance(world: World, root: Path) -> Any:
    """Another followupd on the same calendar and Maildir with a state of its own (another
    XDG_STATE_HOME, as a user starting a second copy gets)."""
    from tests.campaign.daemon import Daemon

    root.mkdir(parents=True)
    config = root / "config.toml"
    config.write_text(world.config_text().replace(str(world.root / "state"), str(root / "state")))
    return Daemon(root, config)


def test_sigkill_while_the_user_edits_a_uidless_meeting_and_a_second_instance_runs(
    tmp_path: Path,
) -> None:
    """A hand-written .ics meeting without UID: between kills the user retitles it, an
    exporter adds a UID, the account is renamed, and a second instance with its own state runs
    on the same Maildir. Jane and Raj get one thank-you each, whatever happened."""
    world = make_world("local", tmp_path / "world")
    other = second_instance(world, tmp_path / "second")
    meeting = Interview(
        "handmade",
        "Interview: Acme",
        t(14, 9),
        [scenario.JANE, scenario.RAJ],
        has_uid=False,
    )
    world.add(meeting)
    changes = [
        lambda: setattr(meeting, "title", "Interview: Acme (Backend Engineer)"),
        lambda: setattr(meeting, "has_uid", True),  # now with the UID "handmade"
        lambda: setattr(meeting, "title", "Acme: final interview"),
        lambda: world.rename_account("acme-search"),
        lambda: setattr(meeting, "ident", "handmade-v2@calendar.example"),  # a new UID
    ]
    rng = random.Random(f"{SEED}:uidless")
    try:
        # Before anything is due: the first instance is the one that follows the Maildir.
        assert world.daemon.once(t(14, 9, 30), trace=False).code == 0
        due = t(14, 11)
        killed = []
        for n, at in enumerate(UIDLESS_KILLS):
            outcome = world.daemon.once(due, kill_at=at)
            if outcome.killed:
                killed.append(outcome.last)
            else:
                assert outcome.code == 0, outcome.stderr
            rng.choice(changes)() if n >= len(changes) else changes[n]()
            world.put(meeting)
            second = other.once(due, trace=False)
            # its one account is refused the Maildir: exit 1 (a script hears of it)
            assert second.code == 1 and "Traceback" not in second.stderr, second.stderr
            said = " ".join((second.stdout + second.stderr).split())
            assert "followed by another followupd state" in said, said
        clean = world.daemon.once(due + timedelta(minutes=5), trace=False)
        assert clean.code == 0 and "Traceback" not in clean.stderr, clean.stderr

        per_person = Counter(
            item.key.split(":")[3] for item in world.view() if ":thank_you:" in item.key
        )
        assert per_person == {scenario.JANE[0]: 1, scenario.RAJ[0]: 1}, world.view()
        rows = oracle.all_rows(world.db_url)  # read_rows keeps one row per name
        for row in rows:
            assert not oracle.history_problems(row), (row.key, row.moves)
        for email in (scenario.JANE[0], scenario.RAJ[0]):
            tracked = [
                r.key for r in rows if f":{email}:thank_you:" in r.key and r.state in oracle.TRACKED
            ]
            assert len(tracked) == 1, [(r.key, r.state, r.moves[-1]) for r in rows]
        # The second instance never wrote a thing; its state says why.
        assert oracle.read_rows(f"sqlite:///{tmp_path / 'second' / 'state' / 'state.db'}") == {}
        FIGURES.append(
            f"local, UID-less meeting edited between kills with a second instance: "
            f"{len(killed)} SIGKILLs ({', '.join(killed)})"
        )
        assert len(killed) >= 5
    finally:
        world.close()


# --------------------------------------------------------------------------------------------
# failures that heal, and retry (issue 11, point 6)
# --------------------------------------------------------------------------------------------

# Where the runs of each step of tests/campaign/healing.py die, in turn (a name: its first
# checkpoint so called; a number: that checkpoint of the run), before the clean run.
HEAL_KILLS: list[list[int | str]] = [
    [  # the failures recorded
        "db.flushed followups=failed+transitions",
        "db.committed followups=failed+transitions",
    ],
    [  # healed, then drafted (Raj) and failed again under the new fingerprint (Maria)
        "db.flushed followups=scheduled+transitions",
        "db.committed followups=scheduled+transitions",
        "db.committed followups=creating+transitions",
        "mailbox.create_draft after",
        "db.flushed followups=drafted+transitions",
        "db.flushed followups=failed+transitions",
    ],
    [  # retried on request, then drafted
        "db.committed followups=creating+transitions",
        "mailbox.create_draft after",
        "mailbox.find_draft after",
        "db.flushed followups=drafted+transitions",
    ],
]
# Where `followupd retry` itself dies: before its commit (nothing happened), after it.
RETRY_KILLS = [
    "db.flushed followups=scheduled+interviews+transitions",
    "db.committed followups=scheduled+interviews+transitions",
]


@pytest.mark.parametrize("provider", LOCAL_IN_CI)
def test_sigkill_while_a_failed_thank_you_heals_or_is_retried(
    provider: str, tmp_path: Path
) -> None:
    """A template broken on two drafts; fixed, then a note and ``followupd retry``: killed at
    each checkpoint of the failure, heal and retry paths (and at seeded numbers), every
    clean run leaves one draft per follow-up that should have one and none for the others,
    with a history through the allowed moves (failed -> scheduled -> ... -> drafted)."""
    from tests.campaign import healing

    world = make_world(provider, tmp_path)
    day = healing.start()
    template = healing.setup(world, day)
    rng = random.Random(f"{SEED}:{provider}:healing")
    killed: list[str] = []

    def kill_then_clean(index: int, step: healing.Step) -> None:
        for at in [*HEAL_KILLS[index], rng.randint(20, 60)]:
            outcome = world.daemon.once(step.when, kill_at=at)
            if outcome.killed:
                killed.append(f"{step.name}: {outcome.last}")
            else:  # 1: a follow-up failed in that run (the broken template), as it may here
                assert outcome.code in (0, 1) and "Traceback" not in outcome.stderr, outcome.stderr
        clean = world.daemon.once(step.when, trace=False)
        assert clean.code in (0, 1) and "Traceback" not in clean.stderr, clean.stderr
        wrong = oracle.problems(world, step.states, step.mailbox)
        assert not wrong, (
            f"{provider}, after step {step.name} (kills: {killed}): {wrong}\n{clean.stdout}"
        )

    try:
        failed, healed, retried = healing.steps(day)
        # Jane's draft is made and the run dies before recording it; her line of the template
        # breaks meanwhile: the resumed follow-up finds its draft instead of failing beside it.
        cut = world.daemon.once(failed.when, kill_at="mailbox.create_draft after")
        assert cut.killed, cut.stdout + cut.stderr
        killed.append(f"failed: {cut.last}, then the template broke for that draft")
        template.write_text(healing.BROKEN_FOR_JANE_TOO)
        again = world.daemon.once(failed.when, trace=False)
        assert again.code == 1, again.stderr  # Raj's and Maria's thank-yous failed in it
        wrong = oracle.problems(world, failed.states, failed.mailbox)
        assert not wrong, f"{provider}: {wrong}\n{again.stdout}"
        template.write_text(healing.TEMPLATE)  # Raj's and Maria's fail again: new fingerprint
        kill_then_clean(0, failed)
        template.write_text(healing.FIXED)
        kill_then_clean(1, healed)
        rows = oracle.read_rows(world.db_url)
        assert rows[healing.fu(healing.MARIA, healing.TY)].moves[-1][1] == "failed"

        globex = str(healing.interview_id(world, "Globex"))
        noted = healing.command(
            world, "note", globex, "the data platform", "--about", healing.MARIA[0]
        )
        assert noted.code == 0, noted.stderr
        for at in RETRY_KILLS:
            outcome = healing.command(world, "retry", globex, kill_on=at)
            assert outcome.killed, outcome.stdout + outcome.stderr
            killed.append(f"retry: {at}")
        again = healing.command(world, "retry", globex)
        assert again.code == 0, again.stderr
        said = " ".join(again.stdout.split())
        assert "Nothing failed in interview" in said and "Maria Garcia" in said, said  # done before
        kill_then_clean(2, retried)
    finally:
        world.close()
    FIGURES.append(
        f"{provider}, a failed thank-you healed and another retried: {len(killed)} SIGKILLs "
        f"({', '.join(killed)})"
    )
    assert len(killed) >= 10, killed
