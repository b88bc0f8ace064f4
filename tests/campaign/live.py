"""The long-running daemon in real time: a world whose work falls due now and a moment later.

Thank-yous due since an hour (Acme: Jane and Raj; Initech: Bill and Sam on one panel), and
Maria's (Globex) falling due :data:`DUE_IN` after the world is made: a daemon started at once
drafts it from its due-time wake-up, not from its first poll. :func:`settle` waits until the
daemon has done all of it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.campaign import oracle, scenario
from tests.campaign.daemon import Running
from tests.campaign.remote import make_world
from tests.campaign.worlds import Interview, World

DUE_IN = timedelta(seconds=3)  # Maria's thank-you falls due this long after the world is made
LIVE = [
    ("acme1", "Interview: Acme (Backend Engineer)", [scenario.JANE, scenario.RAJ], False),
    ("initech1", "Interview: Initech (Platform Engineer)", [scenario.BILL, scenario.SAM], False),
    ("globex1", "Interview: Globex (Data Engineer)", [scenario.MARIA], True),
]
LIVE_STATES = {
    scenario.fu(person, kind): "drafted" if kind == scenario.TY else "scheduled"
    for _, _, people, _ in LIVE
    for person, kind in [(p, scenario.TY) for p in people] + [(people[0], scenario.INQ)]
}
LIVE_MAILBOX = {fu: "draft" for fu, state in LIVE_STATES.items() if state == "drafted"}


def live_world(provider: str, root: Path) -> World:
    world = make_world(provider, root)
    now = datetime.now(UTC).replace(microsecond=0)
    world.due_at = now + DUE_IN  # Maria's thank-you
    for ident, title, people, later in LIVE:
        end = now + DUE_IN - timedelta(hours=1) if later else now - timedelta(hours=2)
        world.add(Interview(ident, title, end - timedelta(hours=1), people))
    return world


def polled(running: Running) -> bool:
    """The daemon is up (its signal handlers are set) and its first poll is over: the service
    logs each cycle's end ("poll cycle: 1 account(s) in 0.2 s")."""
    output = running.output()
    return "followupd running" in output and "poll cycle:" in output


def settle(world: World, running: Running, seconds: float) -> list[str]:
    """Wait until the daemon has polled and all that is due is done (or the daemon died); the
    problems left then."""
    deadline = time.monotonic() + seconds
    wrong = ["never looked"]
    while time.monotonic() < deadline and running.proc.poll() is None:
        if not polled(running):
            wrong = ["the first poll is not over"]
            time.sleep(0.1)
            continue
        try:
            wrong = oracle.problems(world, LIVE_STATES, LIVE_MAILBOX)
        except Exception as err:  # the database may not exist yet
            wrong = [f"{type(err).__name__}: {err}"]
        if not wrong:
            return []
        time.sleep(0.2)
    return wrong
