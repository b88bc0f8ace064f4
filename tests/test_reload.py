"""SIGHUP reloads the config of a running ``followupd run`` (issue 9, point 13).

Before, SIGHUP's default action killed the daemon at once. Now, as with other services,
``systemctl reload`` (ExecReload= sends SIGHUP) makes it read its config again: a valid config
takes over between units of work, an invalid one is logged and the running one stays. The
daemon here is the real one in a subprocess, with a stand-in for systemd's notify socket.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import pytest

from daemon import demo
from tests.conftest import ROOT


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.05)


class Daemon:
    """``followupd run`` in a subprocess; its log in a file, its sd_notify messages in a list."""

    def __init__(self, config: Path, tmp_path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(tmp_path / "notify.sock"))
        self.sock.settimeout(0.05)
        self.messages: list[str] = []
        self.log_path = tmp_path / "daemon.log"
        self.log: IO[str] = self.log_path.open("w")
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "NOTIFY_SOCKET": str(tmp_path / "notify.sock"),
            "COLUMNS": "200",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daemon", "--config", str(config), "run"],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def said(self, state: str) -> int:
        """How often systemd has been told ``state`` (e.g. READY=1) so far."""
        while True:
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except (TimeoutError, BlockingIOError):
                break
        return sum(state in message.split("\n") for message in self.messages)

    def output(self) -> str:
        return self.log_path.read_text()

    def hangup(self) -> int:
        """Send SIGHUP; return how many READY=1 there were before it."""
        ready = self.said("READY=1")
        self.proc.send_signal(signal.SIGHUP)
        return ready

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        self.sock.close()


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[tuple[Daemon, Path]]:
    config = demo.create(tmp_path / "demo", now=datetime.now(UTC))
    config.write_text(config.read_text().replace('log_level = "warning"', 'log_level = "info"'))
    running = Daemon(config, tmp_path)
    try:
        yield running, config
    finally:
        running.close()


def drafts(maildir: Path) -> list[Path]:
    folder = maildir / ".Drafts" / "cur"
    return list(folder.iterdir()) if folder.exists() else []


def second_account(root: Path) -> str:
    """Another account, with its own calendar (one interview that just ended) and Maildir.

    Its interviews are the demo's, seven minutes earlier: the same people at the same time
    would be the first account's meetings again, which get one thank-you, not two."""
    demo.create(root, now=datetime.now(UTC) - timedelta(minutes=7))
    return f"""
[[accounts]]
name = "second"
addresses = ["alex@example.org"]
calendar = {{ provider = "ics", path = "{root / "calendar"}" }}
mailbox = {{ provider = "maildir", path = "{root / "Maildir"}" }}
"""


def add_interview(calendar: Path, uid: str, person: tuple[str, str]) -> None:
    """An interview that ended two hours ago (its thank-you is due), in a file of its own."""
    event = demo._event(
        uid,
        datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=3),
        60,
        "Interview with Hooli (Staff Engineer)",
        "",
        [(person[0], person[1], "INDIVIDUAL")],
    )
    text = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", event, "END:VCALENDAR", ""])  # fmt: skip
    (calendar / f"{uid}.ics").write_text(text, newline="")


@pytest.mark.timeout(150)
def test_sighup_reloads_a_valid_config_and_keeps_the_old_one_on_an_invalid_one(
    daemon: tuple[Daemon, Path], tmp_path: Path
) -> None:
    running, config = daemon
    original = config.read_text()
    first_mail = config.parent / "Maildir"
    wait_for(lambda: running.said("READY=1") == 1, 60, "READY=1")
    wait_for(lambda: len(drafts(first_mail)) == 3, 60, f"the demo's drafts\n{running.output()}")

    # 1. An invalid config: logged with the key, the daemon goes on with the old one.
    config.write_text(original + '\n[thank_you]\ndelay = "soon"\n')
    ready = running.hangup()
    wait_for(lambda: running.said("READY=1") > ready, 30, f"READY=1 again\n{running.output()}")
    assert running.said("RELOADING=1") == 1
    assert running.proc.poll() is None, running.output()
    out = running.output()
    assert "configuration not reloaded, still running with the previous one:" in out, out
    assert "[thank_you].delay: expected a duration like '90m' or '2h', got 'soon'" in out, out

    # 2. A valid config with a new account and a shorter poll interval: both take effect.
    second = tmp_path / "second"
    started = time.monotonic()
    config.write_text(
        original.replace("[daemon]", '[daemon]\npoll_interval = "2s"') + second_account(second)
    )
    ready = running.hangup()
    wait_for(lambda: running.said("READY=1") > ready, 30, f"READY=1 again\n{running.output()}")
    assert "configuration reloaded from" in running.output(), running.output()
    assert "2 account(s); polling every 0:00:02" in running.output(), running.output()
    wait_for(
        lambda: len(drafts(second / "Maildir")) == 3,
        30,
        f"the new account's drafts\n{running.output()}",
    )
    print(f"SIGHUP to the new account's drafts: {time.monotonic() - started:.1f} s")
    assert len(drafts(first_mail)) == 3  # nothing drafted twice

    # 3. Invalid again (a key of another section): still running with the config of step 2,
    # which still drafts: a new interview in the new account's calendar is found by the next
    # 2-second poll.
    valid = config.read_text()
    config.write_text(valid.replace('poll_interval = "2s"', 'poll_interval = "100000000d"'))
    ready = running.hangup()
    wait_for(lambda: running.said("READY=1") > ready, 30, f"READY=1 again\n{running.output()}")
    assert "[daemon].poll_interval: expected a duration of at most 24h" in running.output()
    add_interview(second / "calendar", "hooli@test", ("Gavin Belson", "gavin@hooli.example"))
    started = time.monotonic()
    wait_for(
        lambda: len(drafts(second / "Maildir")) == 4,
        30,
        f"a draft after the failed reload\n{running.output()}",
    )
    print(f"new interview to its draft after a failed reload: {time.monotonic() - started:.1f} s")
    assert running.proc.poll() is None

    # 4. SIGTERM still stops it cleanly and promptly.
    running.proc.send_signal(signal.SIGTERM)
    asked = time.monotonic()
    assert running.proc.wait(timeout=10) == 0, running.output()
    assert time.monotonic() - asked < 5
    assert running.said("STOPPING=1") == 1
    assert running.said("RELOADING=1") == 3
    assert "Traceback" not in running.output(), running.output()


@pytest.mark.timeout(120)
def test_a_reload_cannot_move_the_state_folder(daemon: tuple[Daemon, Path]) -> None:
    """The instance lock is held in the old folder: moving it needs a restart, and says so."""
    running, config = daemon
    wait_for(lambda: running.said("READY=1") == 1, 60, "READY=1")
    config.write_text(config.read_text().replace('state_dir = "state"', 'state_dir = "elsewhere"'))
    ready = running.hangup()
    wait_for(lambda: running.said("READY=1") > ready, 30, f"READY=1 again\n{running.output()}")
    assert "[daemon].state_dir: changed from" in running.output()
    assert "restart followupd to use the new folder" in running.output()
    assert not (config.parent / "elsewhere").exists()
    running.proc.send_signal(signal.SIGTERM)
    assert running.proc.wait(timeout=10) == 0, running.output()


@pytest.mark.timeout(120)
def test_a_reload_onto_a_broken_template_keeps_the_running_config(
    daemon: tuple[Daemon, Path],
) -> None:
    """As ``run`` refuses to start on a template ``check`` rejects, a reload refuses it: the
    daemon goes on with what it had and logs the problem with file and line (issue 11)."""
    running, config = daemon
    wait_for(lambda: running.said("READY=1") == 1, 60, "READY=1")
    template = config.parent / "mine.txt.j2"
    template.write_text("Subject: Thanks\n\n{{ recipient.salutation }\n")
    config.write_text(f'[thank_you]\ntemplate = "{template.name}"\n\n' + config.read_text())
    ready = running.hangup()
    wait_for(lambda: running.said("READY=1") > ready, 30, f"READY=1 again\n{running.output()}")
    out = running.output()
    assert "configuration not reloaded, still running with the previous one:" in out, out
    assert f"template: thank_you template {template} line 3:" in out, out
    assert running.proc.poll() is None, out
    running.proc.send_signal(signal.SIGTERM)
    assert running.proc.wait(timeout=10) == 0, running.output()
