"""What followupd says, and how much (issue 12, point 7): -v and -q anywhere on the command
line, libraries quiet unless -vv, tracebacks only with -vv, each event of ``run --once`` printed
once, and the foreground ``run`` saying what comes next.

Through the real CLI in a subprocess: logging is process-wide state, and what a user sees is
stderr and stdout of a real process.
"""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from daemon import demo
from tests.conftest import ROOT

NOW = "2026-03-03T12:10:00+00:00"  # the demo's Acme interview ended at 12:00


def followupd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "daemon", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
    )


def home(root: Path, log_level: str = "info") -> list[str]:
    """The demo's config at [daemon].log_level ``log_level`` (the demo's own is warning)."""
    config = demo.create(root / "demo", now=datetime.fromisoformat(NOW))
    text = config.read_text()
    config.write_text(text.replace('log_level = "warning"', f'log_level = "{log_level}"'))
    return ["--config", str(config)]


@pytest.mark.parametrize(
    "args",
    [
        ["-v", "run", "--once", "--now", NOW],
        ["run", "--once", "--now", NOW, "-v"],
        ["run", "-v", "--once", "--now", NOW],
        ["--verbose", "run", "--once", "--now", NOW],
    ],
)
def test_v_works_before_or_after_the_command(tmp_path: Path, args: list[str]) -> None:
    ran = followupd(*home(tmp_path), *args)
    assert ran.returncode == 0, ran.stderr
    assert " DEBUG connectors.ics.source: ics: 5 events" in ran.stderr, ran.stderr
    assert " DEBUG sqlalchemy" not in ran.stderr  # -v is followupd's own debug lines only
    assert " INFO alembic" not in ran.stderr


def test_q_works_before_or_after_the_command_and_wins_over_the_config(tmp_path: Path) -> None:
    base = home(tmp_path, log_level="debug")
    loud = followupd(*base, "run", "--once", "--now", NOW)
    assert " DEBUG connectors.ics" in loud.stderr, loud.stderr  # the config's level, no flag given
    for args in (["-q", "status"], ["status", "-q"], ["status", "--quiet"]):
        quiet = followupd(*base, *args)
        assert quiet.returncode == 0, quiet.stderr
        assert "DEBUG" not in quiet.stderr and "INFO" not in quiet.stderr, quiet.stderr
        assert "Acme Corp" in quiet.stdout


def test_vv_opens_the_libraries_too_and_counts_flags_on_both_sides(tmp_path: Path) -> None:
    base = home(tmp_path)
    for args in (["-vv", "status"], ["-v", "status", "-v"], ["status", "-vv"]):
        ran = followupd(*base, *args)
        assert ran.returncode == 0, ran.stderr
        assert " sqlalchemy.engine" in ran.stderr, (args, ran.stderr[-2000:])


def test_an_error_is_one_line_and_its_traceback_needs_vv(tmp_path: Path) -> None:
    base = home(tmp_path)
    for flags in ([], ["-v"]):
        plain = followupd(*base, *flags, "preview", "999")
        assert plain.returncode == 1
        assert "no interview with id 999" in plain.stderr
        assert "Traceback" not in plain.stderr, (flags, plain.stderr)
    traced = followupd(*base, "preview", "999", "-vv")
    assert traced.returncode == 1
    assert "Traceback" in traced.stderr, traced.stderr
    assert "no interview with id 999" in traced.stderr


BROKEN_ACCOUNT = """
[[accounts]]
name = "gone"
addresses = ["alex@example.org"]
calendar = {{ provider = "ics", path = "{missing}" }}
mailbox = {{ provider = "maildir", path = "{maildir}" }}
"""


def on_a_terminal(*args: str) -> str:
    """What a person sees running ``followupd ARGS`` in a terminal: stdout and stderr both
    on one pseudo-terminal (no colour, wide lines)."""
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "daemon", *args],
        stdin=subprocess.DEVNULL,
        stdout=child,
        stderr=child,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "250", "NO_COLOR": "1"},
    )
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the child has closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    proc.wait(timeout=120)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_run_once_on_a_terminal_says_each_event_once(tmp_path: Path) -> None:
    """Its summary says what was drafted and which account failed; the log lines saying the
    same are left out on a terminal at the normal level, the config's "info" included. With -v
    the log says everything again, for a diagnosis; through a pipe (cron, a timer, a script)
    stderr is a log kept apart and keeps every line."""
    base = home(tmp_path)
    config = Path(base[1])
    config.write_text(
        config.read_text()
        + BROKEN_ACCOUNT.format(missing=tmp_path / "no-such.ics", maildir=tmp_path / "Maildir")
    )
    said = on_a_terminal(*base, "run", "--once", "--now", NOW)
    assert said.count("drafted") == 3, said  # Jane's and Raj's thank-yous, Maria's inquiry
    assert "drafted thank-you to Jane Smith (Acme Corp)" in said
    assert said.count("no-such.ics") == 1, said  # "account gone: error ics: ... does not exist"
    assert "account gone: error" in said

    verbose = on_a_terminal(*home(tmp_path / "v"), "run", "--once", "--now", NOW, "-v")
    assert "INFO daemon.drafting.drafter: drafted thank_you for jane.smith" in verbose
    assert "drafted thank-you to Jane Smith (Acme Corp)" in verbose

    piped = followupd(*home(tmp_path / "p"), "run", "--once", "--now", NOW)
    assert "drafted thank-you to Jane Smith (Acme Corp)" in piped.stdout
    assert "INFO daemon.drafting.drafter: drafted thank_you for jane.smith" in piped.stderr


# --- the foreground service says what comes next -------------------------------------------


@pytest.mark.timeout(120)
def test_the_running_service_says_what_comes_next_when_it_changes(tmp_path: Path) -> None:
    """``next: thank-you to Bill Lumbergh (Initech) at ... CET`` once, not at every poll
    (every second here); again when it changes (Initech skipped from another process)."""
    from tests.test_reload import Daemon, wait_for

    config = demo.create(tmp_path / "demo", now=datetime.now(UTC))
    text = config.read_text().replace('log_level = "warning"', 'log_level = "info"')
    text = text.replace('timezone = "UTC"', 'timezone = "Europe/Berlin"')
    config.write_text(text.replace("[daemon]", '[daemon]\npoll_interval = "1s"'))
    running = Daemon(config, tmp_path)
    try:
        wait_for(lambda: "next: " in running.output(), 60, f"next:\n{running.output()}")
        time.sleep(3)  # three more polls: the same next, not said again
        lines = [line for line in running.output().splitlines() if "next: " in line]
        assert len(lines) == 1, running.output()
        # Bill's interview is tomorrow (CET in winter, CEST in summer): date, time and zone
        assert (
            " INFO daemon.running.service: next: thank-you to Bill Lumbergh (Initech) at "
            in (lines[0])
        )
        assert lines[0].endswith((" CET", " CEST")), lines[0]
        skipped = followupd("--config", str(config), "skip", "4")  # Initech
        assert skipped.returncode == 0, skipped.stderr
        wait_for(
            lambda: "next: nothing to draft yet (a status inquiry waits" in running.output(),
            30,
            f"the new next\n{running.output()}",
        )
        running.proc.send_signal(signal.SIGTERM)
        assert running.proc.wait(timeout=10) == 0, running.output()
        assert "Traceback" not in running.output(), running.output()
    finally:
        running.close()
