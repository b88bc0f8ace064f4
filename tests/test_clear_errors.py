"""Setups that used to end in a traceback: each is now one line naming the setting and the fix.

Issue 9, point 14. Every case goes through the real command line (``python3 -m daemon``) with
``check`` and with ``run --once``: the exit status is not zero, stderr says what is wrong in one
line (config problems: under the usual "Configuration problems:" heading), and there is no
traceback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from daemon import demo
from tests.conftest import ROOT

COMMANDS = [("check",), ("run", "--once")]


def followupd(
    config: Path, *args: str, wrap: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*wrap, sys.executable, "-m", "daemon", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return demo.create(tmp_path / "demo", now=datetime.now(UTC))


def with_setting(config: Path, section: str, line: str) -> Path:
    """The demo config with ``line`` in ``[section]`` (replacing the key if it is there)."""
    key = line.split("=")[0].strip()
    lines = config.read_text().splitlines()
    lines = [x for x in lines if x.split("=")[0].strip() != key or x.startswith("[")]
    if f"[{section}]" in lines:
        lines.insert(lines.index(f"[{section}]") + 1, line)
    else:
        lines = [f"[{section}]", line, "", *lines]
    config.write_text("\n".join(lines) + "\n")
    return config


def one_clear_line(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert [line for line in lines if expected in line], result.stderr
    problems = [line for line in lines if line != "Configuration problems:"]
    assert len(problems) == 1, result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_state_dir_that_is_a_file(config: Path, command: tuple[str, ...]) -> None:
    file = config.parent / "not-a-folder"
    file.write_text("")
    with_setting(config, "daemon", f'state_dir = "{file}"')
    result = followupd(config, *command)
    one_clear_line(result, f"[daemon].state_dir {file}: is a file; expected a folder")
    assert result.returncode == 1


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_state_dir_inside_a_file(config: Path, command: tuple[str, ...]) -> None:
    file = config.parent / "not-a-folder"
    file.write_text("")
    with_setting(config, "daemon", f'state_dir = "{file}/state"')
    one_clear_line(
        followupd(config, *command),
        f"[daemon].state_dir {file}/state: cannot create it (Not a directory)",
    )


def read_only_wrapper(folder: Path) -> list[str]:
    """A command prefix that runs followupd with ``folder`` mounted read-only.

    A private mount namespace (unshare) gives a real read-only file system, as systemd's
    ProtectSystem= or a full disk remounted read-only would, even for root, who ignores
    permission bits. Without unshare, a non-root user gets a folder without write permission.
    """
    probe = ["unshare", "-rm", "sh", "-c", f"mount --bind '{folder}' '{folder}' && "
             f"mount -o remount,bind,ro '{folder}' '{folder}' && exec \"$0\" \"$@\""]  # fmt: skip
    if shutil.which("unshare"):
        done = subprocess.run([*probe, "true"], capture_output=True, timeout=30)
        if done.returncode == 0:
            return probe
    if os.geteuid() != 0:
        folder.chmod(0o500)
        return []
    pytest.skip("needs unshare (user and mount namespaces) or a non-root user")


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("exists", [True, False], ids=["existing", "new"])
def test_a_read_only_state_dir(config: Path, command: tuple[str, ...], exists: bool) -> None:
    folder = config.parent / "readonly"
    folder.mkdir()
    state = folder / "state"
    if exists:
        state.mkdir()
    with_setting(config, "daemon", f'state_dir = "{state}"')
    try:
        result = followupd(config, *command, wrap=read_only_wrapper(folder))
    finally:
        folder.chmod(0o700)
    why = "cannot write there" if exists else "cannot create it"
    one_clear_line(result, f"[daemon].state_dir {state}: {why} (")
    assert "; expected a folder followupd can write to" in result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_huge_poll_interval_is_a_config_error(config: Path, command: tuple[str, ...]) -> None:
    with_setting(config, "daemon", 'poll_interval = "100000000d"')
    result = followupd(config, *command)
    one_clear_line(
        result,
        "config.toml: [daemon].poll_interval: expected a duration of at most 24h, got '100000000d'",
    )
    assert result.returncode == 2


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_database_without_its_driver(config: Path, command: tuple[str, ...]) -> None:
    with_setting(config, "daemon", 'database = "mysql://me@db.example/followupd"')
    one_clear_line(
        followupd(config, *command),
        "database mysql://me@db.example/followupd ([daemon].database): its driver is not "
        "installed (no module 'MySQLdb'); install it with python3 -m pip install mysqlclient, "
        "or use sqlite:////path/state.db (built in) or postgresql+psycopg://",
    )


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_database_of_an_unknown_kind(config: Path, command: tuple[str, ...]) -> None:
    with_setting(config, "daemon", 'database = "nosuchdb://me@db.example/followupd"')
    one_clear_line(
        followupd(config, *command),
        "([daemon].database): unknown kind of database 'nosuchdb'; expected sqlite:///",
    )


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_account_without_addresses_is_a_config_error(
    config: Path, command: tuple[str, ...]
) -> None:
    text = config.read_text()
    assert 'addresses = ["alex@example.org"]' in text
    config.write_text(text.replace('addresses = ["alex@example.org"]', "addresses = []"))
    result = followupd(config, *command)
    one_clear_line(
        result,
        "config.toml: [[accounts]] 'demo'.addresses: expected at least one e-mail address of "
        "yours, got an empty list",
    )
    assert result.returncode == 2


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_weekend_of_seven_days_is_a_config_error(config: Path, command: tuple[str, ...]) -> None:
    days = '"sun", "mon", "tue", "wed", "thu", "fri", "saturday"'
    with_setting(config, "days", f"weekend = [{days}]")
    result = followupd(config, *command)
    one_clear_line(
        result,
        "config.toml: [days].weekend: expected weekday names that leave at least one business "
        "day, got all seven days",
    )
    assert result.returncode == 2
