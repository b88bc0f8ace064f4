"""What ``run --once`` prints after a run (daemon/output/runs.py): every draft and failure on a
line of its own, the rest listed while short and counted once long, streamed from the run's
transitions rather than held (a careers office's first run records tens of thousands)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console

from daemon.output import runs
from tests.harness import Event, Person, World

START = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)


def summary(world: World, since: datetime) -> list[str]:
    out = io.StringIO()
    with world.engine.sessions() as session:
        runs.summarize_run(Console(file=out, width=300), session, world.config, since)
    return out.getvalue().splitlines()


def test_long_groups_are_counted_and_drafts_listed_in_order(tmp_path: Path) -> None:
    world = World(tmp_path, f"sqlite:///{tmp_path / 'state.db'}")
    for n in range(12):  # 12 interviews with 2 people each
        people = [
            Person(f"Lee {n}", f"lee{n}@co{n}.example"),
            Person(f"Kim {n}", f"kim{n}@co{n}.example"),
        ]
        world.add(Event(f"i{n}", START + timedelta(days=n), 45, f"Interview: Co{n}", people))
    first = datetime(2026, 1, 1, tzinfo=UTC)
    world.tick(first)
    lines = summary(world, first)
    planned = len(world.followups())
    assert planned > runs.SHORT
    assert lines[-1] == f"planned: {planned} follow-ups (see followupd status --all)"
    assert not any(line.startswith("planned thank-you") for line in lines)

    later = START + timedelta(hours=2)  # the first interview's thank-yous are due
    world.tick(later)
    lines = summary(world, later)
    drafted = [line for line in lines if line.startswith("drafted ")]
    assert drafted == [
        "drafted thank-you to Lee 0 (Co0): " + drafted[0].split(": ", 1)[1],
        "drafted thank-you to Kim 0 (Co0): " + drafted[1].split(": ", 1)[1],
    ]
    assert not any("planned" in line for line in lines)


def test_a_short_group_is_listed(tmp_path: Path) -> None:
    world = World(tmp_path, f"sqlite:///{tmp_path / 'state.db'}")
    world.add(
        Event("i0", START, 45, "Interview: Acme", [Person("Jane Smith", "jane@acme.example")])
    )
    first = datetime(2026, 1, 1, tzinfo=UTC)
    world.tick(first)
    lines = summary(world, first)
    planned = [line for line in lines if line.startswith("planned ")]
    assert planned and all("Jane Smith (Acme)" in line for line in planned)
    assert len(planned) <= runs.SHORT


def test_nothing_done_says_so(tmp_path: Path) -> None:
    world = World(tmp_path, f"sqlite:///{tmp_path / 'state.db'}")
    first = datetime(2026, 1, 1, tzinfo=UTC)
    world.tick(first)
    assert summary(world, first) == ["Nothing to do right now."]
