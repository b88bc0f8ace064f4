"""Two followupd instances with different state dirs on one Maildir: one drafts, the other
says why it does not (issue 9, point 2). Real processes, the demo calendar and Maildir."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from daemon import demo
from daemon.protocols import Resource
from daemon.running.sharing import LOCK_NAME, lock_path

ROOT = Path(__file__).resolve().parents[1]


def instance(config: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "daemon", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env_for(home),
    )


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "FOLLOWUPD_"))}
    return {
        **env,
        "HOME": str(home),
        "XDG_STATE_HOME": str(home / "state"),
        "COLUMNS": "250",
        "PYTHONPATH": str(ROOT),
    }


@pytest.fixture
def shared(tmp_path: Path) -> tuple[Path, Path]:
    """Two configs on one demo calendar and Maildir, each with the default state dir, and two
    homes with different XDG_STATE_HOME: the campaign's way of getting two instances."""
    config = demo.create(tmp_path / "demo", now=datetime.now(UTC))
    text = config.read_text().replace('state_dir = "state"\n', "")
    config.write_text(text)
    return config, tmp_path


def drafts(config: Path) -> list[Path]:
    return sorted((config.parent / "Maildir" / ".Drafts" / "cur").iterdir())


def test_a_second_state_on_the_same_maildir_refuses_it(shared: tuple[Path, Path]) -> None:
    config, root = shared
    first = instance(config, root / "one", "run", "--once")
    assert first.returncode == 0, first.stderr
    made = drafts(config)
    assert len(made) == 3

    second = instance(config, root / "two", "run", "--once")
    assert second.returncode == 1, second.stderr  # its one account could not be served
    assert drafts(config) == made  # not one more
    status = instance(config, root / "two", "status")
    text = " ".join(status.stdout.split())
    assert "is followed by another followupd state" in text, status.stdout
    assert str(root / "one" / "state") in text  # which one
    assert "Traceback" not in second.stderr + status.stderr

    # The first instance goes on as before.
    again = instance(config, root / "one", "run", "--once")
    assert again.returncode == 0 and "followed by another" not in again.stdout


def test_a_running_instance_keeps_a_second_one_off(shared: tuple[Path, Path]) -> None:
    config, root = shared
    daemon = subprocess.Popen(
        [sys.executable, "-m", "daemon", "--config", str(config), "run"],
        env=env_for(root / "one"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(drafts(config)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(drafts(config)) == 3
        # Same state as the daemon, another process: the state-dir lock says so.
        same = instance(config, root / "one", "run", "--once")
        assert "already running" in same.stderr
        # Another state: the mailbox lock.
        other = instance(config, root / "two", "run", "--once")
        assert other.returncode == 1, other.stderr  # its one account could not be served
        status = " ".join(instance(config, root / "two", "status").stdout.split())
        assert f"pid {daemon.pid}" in status, status
        assert len(drafts(config)) == 3
    finally:
        daemon.terminate()
        daemon.communicate(timeout=30)


def test_handing_the_mailbox_over_finds_the_drafts_already_made(
    shared: tuple[Path, Path],
) -> None:
    """Deleting the lock file, as the refusal says, moves the mailbox to the new state; the
    drafts the old one made are found by their keys, not made again."""
    config, root = shared
    assert instance(config, root / "one", "run", "--once").returncode == 0
    lock = config.parent / "Maildir" / LOCK_NAME
    assert lock.exists()
    lock.unlink()
    moved = instance(config, root / "two", "run", "--once")
    assert moved.returncode == 0, moved.stderr
    assert len(drafts(config)) == 3  # the three found by key, none made twice
    refused = instance(config, root / "one", "run", "--once")
    assert "followed by another followupd state" in " ".join(refused.stdout.split())


def test_the_lock_file_is_private_and_no_folder_to_mail_clients(
    shared: tuple[Path, Path],
) -> None:
    config, root = shared
    os.umask(0o000)
    try:
        assert instance(config, root / "one", "run", "--once").returncode == 0
    finally:
        os.umask(0o022)
    lock = config.parent / "Maildir" / LOCK_NAME
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600
    text = lock.read_text()
    assert text.startswith(f"state: sqlite:///{root / 'one' / 'state' / 'followupd'}")
    status = instance(config, root / "one", "status")
    assert LOCK_NAME not in status.stdout  # no folder, no problem


def test_remote_mailboxes_lock_in_the_runtime_dir(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    one = lock_path(Resource("google:alex@gmail.com"))
    assert one.parent == tmp_path / "followupd"
    assert one != lock_path(Resource("google:sam@gmail.com"))
    assert lock_path(Resource("maildir:/x", local_dir=Path("/x"))) == Path("/x") / LOCK_NAME


def test_a_remote_mailbox_counts_only_the_running_instance(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """The runtime dir outlives no boot and is per login: a claim left there by a state that
    is gone must not lock a Google or Microsoft account out; a live holder still does."""
    from daemon.running.sharing import MailboxBusy, SharedLock

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    gmail = Resource("google:alex@gmail.com at https://google.test")
    lock_path(gmail).parent.mkdir(parents=True)
    lock_path(gmail).write_text("state: sqlite:////old/state.db\npid 1\n")
    SharedLock(gmail, "sqlite:////new/state.db", "pid 2").acquire()  # no MailboxBusy
    assert lock_path(gmail).read_text().startswith("state: sqlite:////new/state.db")
    import daemon.running.sharing as sharing

    os.close(sharing._held.pop(lock_path(gmail)))  # this process lets go, as at its exit
    holder = subprocess.Popen(
        [sys.executable, "-c", LIVE_HOLDER, str(lock_path(gmail))], stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        with pytest.raises(MailboxBusy, match="served by another followupd instance"):
            SharedLock(gmail, "sqlite:////third/state.db", "pid 3").acquire()
    finally:
        holder.kill()
        holder.wait()


LIVE_HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
print("locked", flush=True)
time.sleep(60)
"""


def test_two_state_dirs_on_one_sqlite_file_are_refused(shared: tuple[Path, Path]) -> None:
    """An instance with another state folder but the same ``[daemon].database`` file: the
    state folder's lock does not see it, the database file's lock does (issue 14)."""
    from click.testing import CliRunner

    from daemon.cli import main
    from daemon.running.sharing import InstanceLock

    config, root = shared
    database = root / "shared" / "state.db"
    database.parent.mkdir()
    url = f"sqlite:///{database}"
    text = config.read_text().replace(
        "[daemon]\n", f'[daemon]\nstate_dir = "two"\ndatabase = "{url}"\n', 1
    )
    config.write_text(text)
    with InstanceLock(root / "one", url):  # as `followupd run` with another state dir holds it
        second = CliRunner().invoke(main, ["--config", str(config), "run", "--once"])
    said = " ".join(second.output.split())
    assert (
        second.exit_code == 1 and f"already running on the state database file {database}" in said
    ), said
    assert not (config.parent / "Maildir" / ".Drafts" / "cur").is_dir() or not drafts(config)
