"""The command line as a user meets it, on the local connectors (demo layout)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from daemon import __version__, demo
from daemon.cli import main


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "daemon", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


@pytest.fixture
def demo_config(tmp_path: Path) -> Path:
    return demo.create(tmp_path / "demo", now=datetime.now(UTC))


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


# What followupd's start-up must not pay for unless a command needs it (every command and
# every start of the daemon pays its imports; SQLAlchemy + Alembic alone are half a second).
HEAVY = {"sqlalchemy", "alembic", "jinja2", "apscheduler", "googleapiclient", "msal"}
LOADED = """
import sys
from daemon.cli import main
for args in (["--version"], ["--help"], ["run", "--help"], ["status", "--help"]):
    try:
        main(args)
    except SystemExit:
        pass
print(sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[1:])))
"""


def test_version_and_help_load_none_of_the_heavy_libraries() -> None:
    result = subprocess.run(
        [sys.executable, "-c", LOADED, *HEAVY], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"


# Every command loads the config, which asks each named provider for its options: the
# providers' readers and clients (icalendar, the Maildir's MIME code, imapclient) wait until a
# calendar or mailbox opens.
READERS = (
    "icalendar",
    "recurring_ical_events",
    "connectors.ics.source",
    "connectors.maildir.connector",
    "imapclient",
    "connectors.imap.connector",
)
IMAP_ACCOUNT = """
[[accounts]]
name = "mail"
addresses = ["alex@example.org"]
calendar = { provider = "ics", path = "calendar" }
mailbox = { provider = "imap", host = "imap.example.org", password_command = ["true"] }
"""
CONFIG_ONLY = """
import sys
from pathlib import Path
from daemon import config
config.load(Path(sys.argv[1]))
print(sorted(set(sys.modules) & set(sys.argv[2:])))
"""


def test_loading_a_config_loads_none_of_the_providers_readers(demo_config: Path) -> None:
    demo_config.write_text(demo_config.read_text() + IMAP_ACCOUNT)
    for provider in ("ics", "maildir", "imap"):
        assert f'provider = "{provider}"' in demo_config.read_text()
    result = subprocess.run(
        [sys.executable, "-c", CONFIG_ONLY, str(demo_config), *READERS],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]", result.stderr


# The config is read by `run`; msal is made unimportable the way a broken install would be.
WITHOUT_MSAL = (
    "import runpy, sys; sys.modules['msal'] = None; sys.argv[0] = 'followupd'; "
    "runpy.run_module('daemon', run_name='__main__')"
)
OUTLOOK_ACCOUNT = """
[[accounts]]
name = "work"
addresses = ["casey@contoso.example"]
calendar = { provider = "outlook" }
mailbox = { provider = "outlook" }

[accounts.outlook]
client_id = "00000000-0000-0000-0000-000000000001"
authority_host = "https://127.0.0.1:9"
graph_root = "https://127.0.0.1:9/v1.0"
"""


def test_a_provider_library_that_cannot_load_fails_only_its_account(demo_config: Path) -> None:
    """Providers load their SDKs when an account is set up, not with the config: a broken
    msal must become that account's error in the run's report, and the others keep working."""
    demo_config.write_text(demo_config.read_text() + OUTLOOK_ACCOUNT)
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_MSAL, "--config", str(demo_config), "run", "--once"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 1, result.stderr  # an account failed: a script hears of it
    assert "Traceback" not in result.stderr, result.stderr
    assert "drafted thank-you to Jane Smith" in result.stdout, result.stdout
    assert (
        "account work: error outlook calendar: a library it needs cannot be loaded "
        "(import of msal halted; None in sys.modules)"
    ) in result.stdout, result.stdout


def test_demo_creates_drafts_and_says_so(tmp_path: Path) -> None:
    result = cli("demo", str(tmp_path / "d"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "drafted thank-you to Jane Smith (Acme Corp)" in out
    assert "drafted thank-you to Raj Patel (Acme Corp)" in out
    assert "drafted status inquiry #1 to Maria Garcia (Globex)" in out
    assert "cancelled status inquiry #1 to Sam Lee (Umbrella): reply from sam.lee@umbrella.example" in out
    assert "Dentist" not in out
    drafts = list((tmp_path / "d" / "Maildir" / ".Drafts" / "cur").iterdir())
    assert len(drafts) == 3
    # running again creates nothing new
    again = cli("--config", str(tmp_path / "d" / "config.toml"), "run", "--once")
    assert again.returncode == 0, again.stderr
    assert "drafted" not in again.stdout
    assert len(list((tmp_path / "d" / "Maildir" / ".Drafts" / "cur").iterdir())) == 3


def test_check_catches_a_broken_config(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[candidate]\nname = "A"\n[thank_you]\ndelay = "soon"\n')
    result = cli("--config", str(config), "check")
    assert result.returncode == 2
    assert "config.toml: [thank_you].delay: expected a duration like '90m' or '2h', got 'soon'" in result.stderr
    assert "config.toml: [[accounts]]: missing; expected at least one account" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_catches_a_broken_template(demo_config: Path) -> None:
    template = demo_config.parent / "mine.txt.j2"
    template.write_text("Subject: Thanks {{ recipient.name }\n\nHello\n")
    text = demo_config.read_text().replace("[candidate]", f'[thank_you]\ntemplate = "{template.name}"\n\n[candidate]')
    demo_config.write_text(text)
    result = cli("--config", str(demo_config), "check")
    assert result.returncode == 1
    assert f"template: thank_you template {template} line 1:" in result.stderr


def test_check_catches_an_unreachable_calendar(demo_config: Path) -> None:
    (demo_config.parent / "calendar" / "interviews.ics").unlink()
    (demo_config.parent / "calendar").rmdir()
    result = cli("--config", str(demo_config), "check")
    assert result.returncode == 1
    assert "account demo calendar:" in result.stderr


def test_status_preview_note_skip(demo_config: Path) -> None:
    runner = CliRunner(env={"COLUMNS": "250"})
    base = ["--config", str(demo_config)]
    assert runner.invoke(main, [*base, "run", "--once"]).exit_code == 0
    status = runner.invoke(main, [*base, "status"])
    assert status.exit_code == 0
    assert "Acme Corp" in status.output and "drafted" in status.output
    assert "Initech" in status.output and "scheduled" in status.output

    preview = runner.invoke(main, [*base, "preview", "4"])
    assert preview.exit_code == 0, preview.output
    assert "Subject: Thank you" in preview.output
    assert "Dear Bill" in preview.output

    noted = runner.invoke(main, [*base, "note", "4", "the team's roadmap for 2027", "--about", "bill@initech.example"])
    assert noted.exit_code == 0, noted.output
    preview = runner.invoke(main, [*base, "preview", "4"])
    assert "roadmap for 2027" in preview.output

    wrong = runner.invoke(main, [*base, "note", "4", "x", "--about", "nobody@initech.example"])
    assert wrong.exit_code == 1
    assert "nobody@initech.example is not an interviewer of interview 4" in wrong.output

    skipped = runner.invoke(main, [*base, "skip", "4"])
    assert skipped.exit_code == 0
    assert "Skipped 2 pending follow-up(s) of interview 4" in skipped.output
    assert runner.invoke(main, [*base, "run", "--once"]).exit_code == 0
    status = runner.invoke(main, [*base, "status", "--all"])
    assert "skipped by you" in status.output

    missing = runner.invoke(main, [*base, "preview", "99"])
    assert missing.exit_code == 1
    assert "no interview with id 99 (see 'followupd status')" in missing.output


def test_decision_date_moves_the_inquiry(demo_config: Path) -> None:
    runner = CliRunner(env={"COLUMNS": "250"})
    base = ["--config", str(demo_config)]
    runner.invoke(main, [*base, "run", "--once"])
    result = runner.invoke(main, [*base, "note", "4", "--decision-by", "2027-01-15"])
    assert result.exit_code == 0, result.output
    status = runner.invoke(main, [*base, "status"])
    assert "2027-01-18" in status.output  # the next business day after the decision date
    bad = runner.invoke(main, [*base, "note", "4", "--decision-by", "soon"])
    assert bad.exit_code == 1
    assert "--decision-by: expected a date like 2026-12-24, got 'soon'" in bad.output


def test_init_writes_a_starter_config_and_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "conf" / "config.toml"
    runner = CliRunner(env={"COLUMNS": "250"})
    assert runner.invoke(main, ["--config", str(target), "init"]).exit_code == 0
    assert "[candidate]" in target.read_text()
    again = runner.invoke(main, ["--config", str(target), "init"])
    assert again.exit_code == 1
    assert f"{target} exists; use --force to overwrite it" in again.output


def test_run_now_requires_once_and_an_offset(demo_config: Path) -> None:
    runner = CliRunner(env={"COLUMNS": "250"})
    base = ["--config", str(demo_config), "run"]
    assert "--now only works together with --once" in runner.invoke(main, [*base, "--now", "2026-01-01T00:00+00:00"]).output
    assert "--now: expected a time with a UTC offset, got '2026-01-01T10:00'" in runner.invoke(main, [*base, "--once", "--now", "2026-01-01T10:00"]).output


def test_daemon_notifies_systemd_and_stops_cleanly(demo_config: Path, tmp_path: Path) -> None:
    sock_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(30)
    env = {**os.environ, "NOTIFY_SOCKET": str(sock_path)}
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "daemon", "--config", str(demo_config), "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        messages = []
        while not any("READY=1" in m for m in messages):
            messages.append(sock.recv(4096).decode())
        ready = time.monotonic() - started
        assert ready < 30
        # the first poll runs right away and creates the due drafts
        drafts = demo_config.parent / "Maildir" / ".Drafts" / "cur"
        deadline = time.monotonic() + 30
        while len(list(drafts.iterdir())) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(list(drafts.iterdir())) == 3

        # a second daemon on the same state refuses to start
        second = cli("--config", str(demo_config), "run")
        assert second.returncode == 1
        assert "another followupd (pid " in second.stderr and "is already running" in second.stderr

        proc.send_signal(signal.SIGTERM)
        stop_started = time.monotonic()
        code = proc.wait(timeout=10)
        assert code == 0
        assert time.monotonic() - stop_started < 5
        while True:
            try:
                messages.append(sock.recv(4096).decode())
            except TimeoutError:
                break
            if any("STOPPING=1" in m for m in messages):
                break
        assert any("STOPPING=1" in m for m in messages)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sock.close()


def test_broken_calendar_file_is_skipped_and_shown(demo_config: Path) -> None:
    (demo_config.parent / "calendar" / "broken.ics").write_text("BEGIN:VCALENDAR\nBEGIN:VEVENT\n")
    runner = CliRunner(env={"COLUMNS": "250"})
    base = ["--config", str(demo_config)]
    result = runner.invoke(main, [*base, "run", "--once"])
    assert result.exit_code == 0
    assert "drafted thank-you to Jane Smith" in result.output
    status = runner.invoke(main, [*base, "status"])
    assert "broken.ics" in status.output
    assert "expected an iCalendar file" in status.output


def test_thank_you_delay_in_the_past_is_caught_up(demo_config: Path) -> None:
    """run --once --now in the future drafts what is due then (Initech's thank-you)."""
    runner = CliRunner(env={"COLUMNS": "250"})
    later = (datetime.now(UTC) + timedelta(days=1, hours=3)).isoformat(timespec="minutes")
    result = runner.invoke(main, ["--config", str(demo_config), "run", "--once", "--now", later])
    assert result.exit_code == 0, result.output
    assert "drafted thank-you to Bill Lumbergh (Initech)" in result.output
