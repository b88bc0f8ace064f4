"""SIGTERM (systemctl stop, a shutdown): the daemon stops promptly and leaves nothing half-written.

The real ``followupd run`` runs in a subprocess. For Google and Microsoft the config's API root
points at a relay (tests/campaign/stall.py) that makes the fake server hang, so the SIGTERM
arrives while a poll waits for an answer; for the local provider it arrives while a long run of
drafts is being made. Either way the daemon must exit with status 0 within 5 seconds, and a
restart must find a consistent state: the state database intact, exactly one draft per
follow-up, none stuck in ``creating``.

Consistency failures are raised with ``pytest.fail`` before the promptness is asserted, so a
failure names the worse of the two problems.
"""

from __future__ import annotations

import re
import signal
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.campaign import oracle, scenario
from tests.campaign.daemon import Running
from tests.campaign.live import LIVE_MAILBOX, LIVE_STATES, live_world, polled
from tests.campaign.remote import make_world
from tests.campaign.stall import StallingRelay
from tests.campaign.worlds import Interview, World

PROMPT = 5.0  # seconds from SIGTERM to exit that systemd and a user at a shutdown can expect


def wait_for(condition, seconds: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def intact(world: World) -> None:
    db = sqlite3.connect(world.root / "state" / "state.db")
    try:
        result = db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()
    if result != "ok":
        pytest.fail(f"the state database is damaged after SIGTERM: {result}")


def restart_converges(world: World, states: dict[str, str], mailbox: dict[str, str]) -> None:
    """A clean ``run --once`` after the stop finishes the work, exactly once."""
    outcome = world.daemon.once(datetime.now(UTC), trace=False)
    if outcome.code != 0:
        pytest.fail(f"the run after the stop failed: {outcome.stderr}")
    wrong = oracle.problems(world, states, mailbox)
    if wrong:
        pytest.fail(
            "after a SIGTERM and a restart:\n  "
            + "\n  ".join(wrong)
            + f"\nthe restart said:\n{outcome.stdout}"
        )


def through_relay(world: World) -> StallingRelay:
    """Point the account's API root at a stalling relay in front of the world's fake."""
    text = world.config.read_text()
    key = "api_root" if world.provider == "google" else "graph_root"
    found = re.search(rf'^{key} = "https://127\.0\.0\.1:(\d+)/?"$', text, re.MULTILINE)
    if found is None:
        pytest.fail(f"no {key} in {world.config}")
    relay = StallingRelay(int(found.group(1)))
    slash = "/" if world.provider == "google" else ""
    world.config.write_text(text.replace(found.group(0), f'{key} = "{relay.url}{slash}"'))
    return relay


# --------------------------------------------------------------------------------------------
# mid-poll, with a server that does not answer
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["google", "outlook"])
def test_sigterm_mid_poll_with_a_hanging_server_exits_promptly(
    provider: str, tmp_path: Path
) -> None:
    world = live_world(provider, tmp_path / provider)
    relay = through_relay(world)
    relay.stall()
    running = world.daemon.start()
    try:
        if not wait_for(lambda: relay.held > 0 and "followupd running" in running.output(), 30):
            pytest.fail(f"the poll never reached the server:\n{running.output()}")
        stuck = running.trace()[-1]
        running.proc.send_signal(signal.SIGTERM)
        asked = time.monotonic()
        exited = running.wait(PROMPT + 1)
        waited = time.monotonic() - asked
        relay.release()  # the server answers at last: the daemon finishes its unit and exits
        released = time.monotonic()
        code = exited if exited is not None else running.wait(60)
        after = time.monotonic() - released
        if code != 0:
            pytest.fail(f"exit status {code} after SIGTERM:\n{running.output()}")
        if "Traceback" in running.output():
            pytest.fail(running.output())
        intact(world)
        restart_converges(world, LIVE_STATES, LIVE_MAILBOX)
    finally:
        running.close()
        relay.close()
        world.close()
    shown = (
        f"exit after {waited:.1f} s"
        if exited is not None
        else f"still running {waited:.1f} s later; exit {after:.1f} s after the server answered"
    )
    print(f"{provider}: SIGTERM while {stuck!r} hung: {shown}")
    assert waited < PROMPT, (
        f"{provider}: SIGTERM while the daemon waited for the server (at {stuck!r}): still "
        f"running after {waited:.1f} s; it exited only once the server answered"
    )


@pytest.mark.parametrize("provider", ["google", "outlook"])
def test_sigterm_when_the_server_is_slow_but_answers_is_clean_and_prompt(
    provider: str, tmp_path: Path
) -> None:
    """The server holds the first request for 2 s, then answers: the daemon stops after that
    unit of work, within 5 s of the SIGTERM, and nothing of the poll is left half-written."""
    world = live_world(provider, tmp_path / provider)
    relay = through_relay(world)
    relay.stall()
    running = world.daemon.start()
    try:
        if not wait_for(lambda: relay.held > 0 and "followupd running" in running.output(), 30):
            pytest.fail(f"the poll never reached the server:\n{running.output()}")
        running.proc.send_signal(signal.SIGTERM)
        asked = time.monotonic()
        time.sleep(2)
        relay.release()
        code = running.wait(30)
        waited = time.monotonic() - asked
        output = running.output()
    finally:
        running.close()
    try:
        assert code == 0, output
        assert "received SIGTERM, stopping after the current unit of work" in output
        assert "Traceback" not in output
        assert waited < PROMPT, f"{waited:.1f} s"
        rows = oracle.read_rows(world.db_url)
        assert not [r for r in rows.values() if r.state == "creating"]
        assert not world.view()  # it stopped before any drafting
        intact(world)
        restart_converges(world, LIVE_STATES, LIVE_MAILBOX)  # through the released relay
    finally:
        relay.close()
        world.close()
    print(f"{provider}: SIGTERM with a 2 s answer pending: exit after {waited:.1f} s")


# --------------------------------------------------------------------------------------------
# between drafts, local provider
# --------------------------------------------------------------------------------------------

COMPANIES = 30  # 30 interviews of two interviewers each: 60 thank-yous due at once


def busy_world(root: Path) -> tuple[World, dict[str, str], dict[str, str]]:
    world = make_world("local", root)
    ended = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    states: dict[str, str] = {}
    for n in range(COMPANIES):
        people = [(f"lead{n}@co{n}.example", f"Lead {n}"), (f"peer{n}@co{n}.example", f"Peer {n}")]
        start = ended - timedelta(hours=1, minutes=n)
        world.add(Interview(f"co{n}", f"Interview: Company{n} (Engineer)", start, people))
        states |= {scenario.fu(p, scenario.TY): "drafted" for p in people}
        states[scenario.fu(people[0], scenario.INQ)] = "scheduled"
    mailbox = {name: "draft" for name, state in states.items() if state == "drafted"}
    return world, states, mailbox


def test_sigterm_between_drafts_stops_after_the_current_one(tmp_path: Path) -> None:
    world, states, mailbox = busy_world(tmp_path)
    running: Running = world.daemon.start()
    try:
        if not wait_for(lambda: polled(running) and len(world.view()) >= 1, 60):
            pytest.fail(f"no draft was made:\n{running.output()}")
        running.proc.send_signal(signal.SIGTERM)
        asked = time.monotonic()
        code = running.wait(30)
        waited = time.monotonic() - asked
        output = running.output()
    finally:
        running.close()
    try:
        assert code == 0, output
        assert "received SIGTERM, stopping after the current unit of work" in output
        assert waited < PROMPT, f"{waited:.1f} s"
        # Nothing half-written: every draft made is recorded, no intent is left open.
        rows = oracle.read_rows(world.db_url)
        made = {item.key for item in world.view()}
        drafted = {row.key for row in rows.values() if row.state == "drafted"}
        assert made == drafted, made ^ drafted
        assert not [r for r in rows.values() if r.state == "creating"]
        intact(world)
        restart_converges(world, states, mailbox)
    finally:
        world.close()
    print(f"local: SIGTERM after {len(made)} of {len(mailbox)} drafts: exit after {waited:.2f} s")
