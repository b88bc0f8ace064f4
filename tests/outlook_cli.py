"""A user of the ``outlook`` provider at the command line: a home, a config, a shell.

:class:`User` runs the real CLI (``python -m daemon``) in subprocesses with HOME and the XDG
directories inside the test's folder, against the fake Microsoft services running in the test
process (see ``tests/test_cli_outlook.py`` for what is proven with it).
"""

from __future__ import annotations

import mailbox
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import certifi

from connectors.outlook import PROVIDER, forget_runtimes
from daemon.clock import SystemClock
from daemon.protocols import AccountContext
from tests.demo_home import records
from tests.fakes.graph_server import MicrosoftFakes
from tests.harness import Event, Person

START = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)  # a Wednesday
END = START + timedelta(hours=1)
ME = "casey@contoso.example"
IAN = ("ian@acme.example", "Ian Interviewer")
PAM = ("pam@acme.example", "Pam Panelist")
SUBJECT = "Acme - conversation with the platform team"  # no keyword: the category decides
FIX = "followupd auth work"
# Variables that would point the subprocess at other config, state, keyrings or systemd.
DROP = {"FOLLOWUPD_CONFIG", "DBUS_SESSION_BUS_ADDRESS", "NOTIFY_SOCKET", "STATE_DIRECTORY"}
DROP |= {"WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"}


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    return END + timedelta(days=days, hours=hours, minutes=minutes)


def config_text(ms: MicrosoftFakes, daemon_extra: str = "") -> str:
    return f"""
[daemon]
timezone = "Europe/Berlin"
# One account after the other, as the stories number the interviews in the accounts' order
# (Acme 1, Globex 2); side by side, the local account would often record its interview first.
concurrency = 1
{daemon_extra}

[candidate]
name = "Casey Candidate"
highlights = ["building payment systems"]

[days]
holidays = []

[[accounts]]
name = "work"
addresses = ["{ME}"]
calendar = {{ provider = "outlook" }}
mailbox = {{ provider = "outlook" }}

[accounts.outlook]
client_id = "{ms.authority.client_id}"
authority = "common"
# Only the endpoints differ from a real setup:
graph_root = "{ms.graph_root}"
authority_host = "{ms.authority_host}"
ca_bundle = "{ms.ca_bundle}"

[[accounts]]
name = "home"
addresses = ["alex@example.org"]
calendar = {{ provider = "ics", path = "cal" }}
mailbox = {{ provider = "maildir", path = "mail" }}
"""


def user_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in DROP and not k.lower().endswith("_proxy") and not k.startswith("XDG_")
    }
    public_cas = certifi.where()  # what a user's system trusts; the fakes' test CA is not in it
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        REQUESTS_CA_BUNDLE=public_cas,
        SSL_CERT_FILE=public_cas,
        CURL_CA_BUNDLE=public_cas,
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        COLUMNS="1000",  # rich wraps at the terminal width; keep each message on one line
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class User:
    """A user's home with the two-account config, their shell, and their Outlook (the fakes)."""

    root: Path
    ms: MicrosoftFakes
    config: Path
    env: dict[str, str]
    log: str = ""  # stderr (the log) of the last command

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "daemon", "--config", str(self.config), *args]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args),
            capture_output=True,
            text=True,
            timeout=90,
            env=self.env,
            cwd=self.root,
        )

    def ok(self, *args: str, code: int = 0) -> str:
        """The output of ``followupd ARGS``, which must exit with ``code``."""
        result = self.run(*args)
        assert result.returncode == code, f"{args}: {result.stdout}\n{result.stderr}"
        assert "Traceback" not in result.stderr
        self.log = result.stderr
        return result.stdout

    def once(self, when: datetime, code: int = 0) -> str:
        """``followupd run --once --now WHEN``; Outlook's clock agrees with the simulated one.
        ``code`` 1: an account or a follow-up fails in that run."""
        self.ms.graph.clock = lambda: when
        return self.ok("run", "--once", "--now", when.isoformat(), code=code)

    @property
    def state_dir(self) -> Path:
        return self.root / "home" / ".local" / "state" / "followupd"

    @property
    def token_cache(self) -> Path:
        return self.state_dir / "accounts" / "work" / "msal-cache.bin"

    def sign_in(self) -> None:
        """What an earlier ``followupd auth work`` left behind (the token cache), made in-process
        because every CLI start costs more than a second; the CLI's own ``auth`` is tested below."""
        ctx = AccountContext("work", (ME,), self.token_cache.parent, SystemClock(), "UTC")
        try:
            PROVIDER.authorize(ctx, self.ms.account_options(), lambda _line: None)
        finally:
            forget_runtimes()

    def local_drafts(self) -> list[str]:
        drafts = mailbox.Maildir(self.root / "mail", create=False).get_folder("Drafts")
        return sorted(str(drafts.get_message(k)["To"]) for k in drafts.iterkeys())

    def drafts(self) -> list[dict[str, Any]]:
        return self.ms.graph.drafts()

    def draft_to(self, address: str) -> dict[str, Any]:
        (found,) = [d for d in self.drafts() if recipients(d) == [address]]
        return found


def recipients(message: dict[str, Any]) -> list[str]:
    return [r["emailAddress"]["address"] for r in message["toRecipients"]]


def account_rows(status: str) -> dict[str, str]:
    """The accounts of ``followupd status`` (through a pipe), by account name."""
    return {
        row["account"]: " | ".join(
            (row["state"], row["last poll"], row["last success"], row["problem"])
        )
        for row in records(status, "accounts")
    }


def make_user(tmp_path: Path, ms: MicrosoftFakes, daemon_extra: str = "") -> User:
    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "cal").mkdir()
    box = mailbox.Maildir(tmp_path / "mail", create=True)
    for folder in ("Drafts", "Sent"):
        box.add_folder(folder)
    globex = Event(
        "globex-1",
        START,
        60,
        "Interview: Globex (Data Engineer)",
        [Person("Gina Grant", "gina@globex.example"), Person("Omar Ortiz", "omar@globex.example")],
    )
    (tmp_path / "cal" / "globex.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + globex.ics()
        + "\r\nEND:VCALENDAR\r\n",
        newline="",
    )
    config = tmp_path / "config.toml"
    config.write_text(config_text(ms, daemon_extra))
    return User(tmp_path, ms, config, user_env(home))


AGENDA = "Ian: the billing migration to event sourcing\nPam: on-call and incident reviews"


def seed_interview(ms: MicrosoftFakes, start: datetime = START, body: str = AGENDA) -> str:
    """The Acme interview in the user's Outlook calendar; ``body`` is its description (the
    default gives each interviewer a topic, read as notes about them)."""
    return ms.graph.add_event(
        SUBJECT,
        start,
        start + timedelta(hours=1),
        attendees=(
            (*IAN, "required", "accepted"),
            (*PAM, "required", "accepted"),
            ("room-4@acme.example", "Room 4", "resource", "accepted"),
            (ME, "Casey Candidate", "required", "accepted"),
        ),
        organizer=IAN,
        categories=("Interview",),
        body=body,
    )


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
