"""`status` for many accounts: a summary first, only what needs attention past 20 accounts
(unless --all), and --account to narrow everything to some accounts."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from daemon.cli import main
from daemon.output.tables import print_status
from daemon.store import repository as repo
from tests.harness import Event, Person, World

START = datetime(2026, 3, 2, 10, tzinfo=UTC)  # the thank-yous are due at 12:00 (1 h after)


def sqlite(tmp_path: Path) -> str:
    """SQLite only: what is tested here is no store's business (and CI time is short)."""
    return f"sqlite:///{tmp_path / 'state.db'}"


def many(tmp_path: Path, count: int = 25) -> World:
    """The harness's home account and ``count`` more from a folder, two of them in trouble."""
    world = World(tmp_path, sqlite(tmp_path))
    people = [Person("Jane Smith", "jane@acme.example"), Person("Raj Rao", "raj@acme.example")]
    world.add(Event("acme-1", START, 60, "Interview: Acme", people))
    text = world.config_path.read_text().replace(
        "[daemon]\n", '[daemon]\naccounts_dir = "users"\n', 1
    )
    world.config_path.write_text(text)
    folder = tmp_path / "users"
    folder.mkdir()
    for n in range(count):
        (folder / f"user-{n:02}.toml").write_text(
            f'addresses = ["u{n}@example.org"]\n'
            f'calendar = {{ provider = "ics", path = "cal-{n}" }}\n'
            f'mailbox = {{ provider = "maildir", path = "mail-{n}" }}\n'
        )
    (folder / "broken.toml").write_text('addresses = "nobody"\n')
    world.restart()
    world.clock.set(START + timedelta(hours=1, minutes=30))
    world.engine.poll()  # plans the thank-yous; drafts nothing
    with world.engine.sessions() as session:
        for n in range(count):
            repo.account_state(session, f"user-{n:02}").status = "ok"
        repo.account_state(session, "user-03").status = "needs_reauth"
        repo.account_state(session, "user-03").fix = "followupd auth user-03"
        repo.account_state(session, "user-07").status = "error"
        session.commit()
    return world


def plain_status(world: World, now: datetime, show_all: bool = False, patterns=()) -> str:
    out = io.StringIO()
    console = Console(file=out, width=200)
    with world.engine.sessions() as session:
        print_status(console, session, world.config, now, show_all, True, patterns)
    return out.getvalue()


def record(text: str, section: str) -> dict[str, str]:
    lines = text.split(f"# {section}\n", 1)[1].splitlines()
    return dict(zip(lines[0].split("\t"), lines[1].split("\t"), strict=True))


def test_the_summary_counts_states_due_soon_and_late_and_lists_what_needs_attention(
    tmp_path: Path,
) -> None:
    world = many(tmp_path)
    soon = plain_status(world, START + timedelta(hours=1, minutes=30))
    summary = record(soon, "summary")
    assert summary == {
        "accounts": "26", "ok": "24", "error": "1", "needs_reauth": "1", "backoff": "0",
        "never_polled": "0", "due_next_hour": "2", "late": "0", "skipped_files": "1",
    }  # fmt: skip
    assert "broken.toml: account 'broken'.addresses" in soon
    accounts = soon.split("# accounts", 1)[1].split("\n\n", 1)[0]
    assert [line.split("\t")[0] for line in accounts.splitlines()[2:]] == ["user-03", "user-07"]
    assert "of 26 accounts and 1 interviews (followupd status --all" in soon
    assert "Interview: Acme" not in soon  # not late: not listed among 26 accounts

    late = plain_status(world, START + timedelta(hours=2, minutes=30))
    assert record(late, "summary")["late"] == "2"
    assert record(late, "summary")["due_next_hour"] == "0"
    assert "Acme" in late  # late: listed

    everything = plain_status(world, START + timedelta(hours=1, minutes=30), show_all=True)
    assert everything.count("\nuser-") == 25 and "Acme" in everything


def test_account_patterns_narrow_everything(tmp_path: Path) -> None:
    world = many(tmp_path)
    text = plain_status(world, START + timedelta(hours=1, minutes=30), patterns=("home",))
    assert record(text, "summary")["accounts"] == "1"
    assert record(text, "summary")["due_next_hour"] == "2"
    assert "Acme" in text and "user-03" not in text and "broken.toml" not in text
    text = plain_status(world, START, patterns=("user-0*",))
    assert record(text, "summary")["accounts"] == "10"
    assert record(text, "summary")["due_next_hour"] == "0" and "Acme" not in text

    base = ["--config", str(world.config_path)]
    said = CliRunner().invoke(main, [*base, "status", "--json", "--account", "user-0[37]"])
    assert said.exit_code == 0, said.output
    document = json.loads(said.output)
    assert [a["name"] for a in document["accounts"]] == ["user-03", "user-07"]
    assert document["summary"]["by_state"]["needs_reauth"] == 1
    assert document["summary"]["accounts"] == 2 and document["interviews"] == []
    said = CliRunner().invoke(main, [*base, "status", "--account", "nobody-*"])
    assert said.exit_code != 0
    assert "--account nobody-*: no account by that name or pattern" in said.output
