"""Accounts from [daemon].accounts_dir: one file per user, read by the [[accounts]] code, a
broken file skipped and named, names unique across the main file and the folder."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from daemon import accountsdir, config
from daemon.errors import ConfigError

MAIN = """
[daemon]
accounts_dir = "users"

[candidate]
name = "Alex"
"""

HOME = """
[[accounts]]
name = "home"
addresses = ["alex@example.org"]
calendar = { provider = "ics", path = "cal" }
mailbox = { provider = "maildir", path = "mail" }
"""


def sqlite(tmp_path: Path) -> str:
    """SQLite only: what is tested here is no store's business (and CI time is short)."""
    return f"sqlite:///{tmp_path / 'state.db'}"


def user(folder: Path, stem: str, extra: str = "", name: str | None = None) -> Path:
    """One per-user account file (ics + maildir), as a provisioning script would write it."""
    folder.mkdir(exist_ok=True)
    line = f'name = "{name}"\n' if name else ""
    path = folder / f"{stem}.toml"
    path.write_text(
        f'{line}addresses = ["{stem}@example.org"]\n{extra}'
        f'[calendar]\nprovider = "ics"\npath = "{stem}.ics"\n'
        f'[mailbox]\nprovider = "maildir"\npath = "{stem}-mail"\n'
    )
    return path


def test_each_file_is_an_account_paths_relative_to_the_folder(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(MAIN)
    user(tmp_path / "users", "bea")
    user(tmp_path / "users", "ada", 'salutation = "formal"\n')
    (tmp_path / "users" / ".ada.toml.swp").write_text("junk")  # an editor's, not an account
    (tmp_path / "users" / "notes.txt").write_text("junk")
    loaded = config.load(tmp_path / "config.toml")
    assert [a.name for a in loaded.accounts] == ["ada", "bea"]
    ada = loaded.accounts[0]
    assert ada.salutation == "formal"
    assert ada.calendar.options["path"] == tmp_path / "users" / "ada.ics"
    assert loaded.daemon.accounts_dir == tmp_path / "users"
    assert loaded.skipped == ()


def test_a_broken_file_is_skipped_and_named_the_others_run(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(MAIN + HOME)
    folder = tmp_path / "users"
    user(folder, "ada")
    (folder / "bad.toml").write_text('addresses = ["b@example.org"]\n[calendar]\nprovider = "x"\n')
    (folder / "notoml.toml").write_text("name = \n")
    user(folder, "dup", name="home")  # the main file's name
    user(folder, "dup2", name="ada")  # the first file's name
    loaded = config.load(tmp_path / "config.toml")
    assert [a.name for a in loaded.accounts] == ["home", "ada"]
    skipped = {s.path.name: " ".join(s.problems) for s in loaded.skipped}
    assert set(skipped) == {"bad.toml", "notoml.toml", "dup.toml", "dup2.toml"}
    assert "bad.toml: account 'bad'.calendar.provider" in skipped["bad.toml"]
    assert "mailbox" in skipped["bad.toml"]  # every problem of the file at once
    assert "not valid TOML" in skipped["notoml.toml"]
    assert "'home' is taken by the main config file" in skipped["dup.toml"]
    assert f"'ada' is taken by {folder / 'ada.toml'}" in skipped["dup2.toml"]


def test_a_missing_folder_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(MAIN)
    with pytest.raises(ConfigError) as info:
        config.load(tmp_path / "config.toml")
    assert info.value.problems == [
        f"config.toml: [daemon].accounts_dir: {tmp_path / 'users'}: no such folder; "
        "expected a folder of account files"
    ]


def test_without_a_folder_the_main_file_still_needs_an_account(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[candidate]\nname = "Alex"\n')
    with pytest.raises(ConfigError, match=r"\[\[accounts\]\]: missing"):
        config.load(tmp_path / "config.toml")


def test_signature_changes_with_every_edit_and_only_then(tmp_path: Path) -> None:
    folder = tmp_path / "users"
    path = user(folder, "ada")
    first = accountsdir.signature(folder)
    assert accountsdir.signature(folder) == first
    path.write_text(path.read_text() + "# edited\n")
    assert accountsdir.signature(folder) != first
    path.unlink()
    assert accountsdir.signature(folder) == ()


# -- the running service follows the folder ------------------------------------------------


def test_the_running_engine_follows_added_changed_and_removed_files(tmp_path: Path) -> None:
    """A file added is polled and drafted for at the next cycle; an unchanged one keeps its
    connection; a broken one is skipped and recorded; a removed one stops, its state kept."""
    import mailbox

    from sqlalchemy import select

    from daemon.running.accountswatch import AccountsWatch
    from daemon.store.models import AccountState, Interview
    from tests.harness import Event, Person, World

    world = World(tmp_path, sqlite(tmp_path))
    start = datetime(2026, 3, 2, 10, tzinfo=UTC)
    world.add(
        Event("acme-1", start, 60, "Interview: Acme", [Person("Jane Smith", "jane@acme.example")])
    )
    world.config_path.write_text(
        world.config_path.read_text().replace("[daemon]\n", '[daemon]\naccounts_dir = "users"\n', 1)
    )
    folder = tmp_path / "users"
    folder.mkdir()
    world.restart()
    watch = AccountsWatch(world.engine)
    assert not watch.refresh()

    (folder / "ada-cal").mkdir()
    other = Event(
        "globex-1", start, 60, "Interview: Globex", [Person("Raj Patel", "raj@globex.example")]
    )
    (folder / "ada-cal" / "interviews.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + other.ics()
        + "\r\nEND:VCALENDAR\r\n",
        newline="",
    )
    box = mailbox.Maildir(folder / "ada-mail", create=True)
    for name in ("Drafts", "Sent"):
        box.add_folder(name)
    ada = folder / "ada.toml"
    ada.write_text(
        'addresses = ["alex@example.org"]\n'
        'calendar = { provider = "ics", path = "ada-cal" }\n'
        'mailbox = { provider = "maildir", path = "ada-mail" }\n'
    )
    assert watch.refresh()
    assert set(world.engine.connections) == {"home", "ada"}
    world.tick(start + timedelta(hours=2, minutes=30))  # the thank-you is due 1 h after the end
    assert len(box.get_folder("Drafts")) == 1 and len(world.drafts()) == 1

    same = world.engine.connections["ada"]
    assert not watch.refresh()
    (folder / "zed.toml").write_text('addresses = "not a list"\n')
    assert watch.refresh()
    assert world.engine.connections["ada"] is same  # an unchanged file keeps its connection
    assert [s.path.name for s in world.engine.config.skipped] == ["zed.toml"]

    ada.write_text(ada.read_text() + 'salutation = "formal"\n')
    assert watch.refresh()
    assert world.engine.connections["ada"] is not same
    assert world.engine.connections["ada"].account.salutation == "formal"

    ada.unlink()
    assert watch.refresh()
    assert set(world.engine.connections) == {"home"}
    assert [a.name for a in world.engine.config.accounts] == ["home"]
    world.tick(start + timedelta(hours=3))
    with world.engine.sessions() as session:
        assert session.scalar(select(AccountState).where(AccountState.name == "ada")) is not None
        assert session.scalars(select(Interview.account)).all().count("ada") == 1


def test_check_names_each_skipped_file_and_its_problem(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from daemon.cli import main

    (tmp_path / "config.toml").write_text(
        MAIN.replace("[daemon]\n", '[daemon]\nstate_dir = "state"\n')
    )
    user(tmp_path / "users", "ada")
    (tmp_path / "users" / "bad.toml").write_text('addresses = "nobody"\n')
    said = CliRunner().invoke(main, ["--config", str(tmp_path / "config.toml"), "check", "--json"])
    assert said.exit_code == 1, said.output
    checks = json.loads(said.output)["checks"]
    folder = next(c for c in checks if c["check"] == "accounts_dir")
    assert folder["message"].endswith(": 1 account(s), 1 skipped")
    skipped = [c for c in checks if c["check"] == "account_file"]
    assert len(skipped) == 3  # addresses, calendar, mailbox: every problem of the file
    assert {(c["level"], Path(c["subject"]).name) for c in skipped} == {("error", "bad.toml")}
    assert "bad.toml: account 'bad'.addresses: expected" in skipped[0]["message"]


def test_a_file_removed_while_its_account_polls_lets_the_poll_end_and_keeps_its_state(
    tmp_path: Path,
) -> None:
    """The slow account's request hangs; its file is removed and the folder looked at again:
    the others are drafted for meanwhile, its poll ends on its own, its state stays, and it
    comes back with its file."""
    from sqlalchemy import select

    from daemon.running.accountswatch import AccountsWatch
    from daemon.store.models import AccountState
    from tests.test_concurrency import ME, Background, Silent, drafts_in, engine_for, many_accounts

    silent = Silent()
    try:
        path = many_accounts(tmp_path, sqlite(tmp_path), 2)
        path.write_text(
            path.read_text().replace("[daemon]\n", '[daemon]\naccounts_dir = "users"\n')
        )
        folder = tmp_path / "users"
        folder.mkdir()
        slow = folder / "slow.toml"
        slow.write_text(
            f'addresses = ["{ME}"]\nmailbox = {{ provider = "maildir", path = "mail-slow" }}\n'
            f'calendar = {{ provider = "caldav", url = "http://127.0.0.1:{silent.port}/dav/", '
            'username = "u", password = "p", timeout = 120 }\n'
        )
        engine = engine_for(path)
        assert set(engine.connections) == {"a0", "a1", "slow"}
        watch = AccountsWatch(engine)
        poll = Background(engine.poll)
        poll.start()
        assert silent.accepted.wait(60), "the slow account never connected"
        slow.unlink()
        assert watch.refresh()
        assert set(engine.connections) == {"a0", "a1"}
        for _ in range(600):  # the others' units end while the slow one's request hangs
            if all(drafts_in(tmp_path, i) or poll.raised for i in range(2)):
                break
            engine.run_due()
            threading.Event().wait(0.05)
        assert [drafts_in(tmp_path, i) for i in range(2)] == [2, 2]
        assert poll.is_alive(), "the removed account's poll should still wait"
    finally:
        silent.close()  # the slow account's request fails now
    poll.join(60)
    assert not poll.is_alive() and poll.raised is None
    engine.poll()
    engine.run_due()
    assert [drafts_in(tmp_path, i) for i in range(2)] == [2, 2]
    with engine.sessions() as session:
        assert session.scalar(select(AccountState).where(AccountState.name == "slow")) is not None
    slow.write_text('addresses = ["x@example.org"]\ncalendar = { provider = "ics", path = "c" }\n'
                    'mailbox = { provider = "maildir", path = "m" }\n')  # fmt: skip
    assert watch.refresh() and "slow" in engine.connections
