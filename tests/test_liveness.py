"""Liveness: is the daemon alive, is its work progressing, and can the user see both?

The real ``followupd`` runs in a subprocess (``python -m daemon``) against the fake Google (and,
for the storm, the fake Microsoft Graph) in this process, with a second, local account (ics +
Maildir) in the same config. systemd is played
by the test: a datagram socket in ``$NOTIFY_SOCKET`` receives the sd_notify messages, a small
``$WATCHDOG_USEC`` makes the daemon ping every half second, ``$FOLLOWUPD_STALL_LIMIT_SECONDS``
shrinks the four minutes a unit of work may go without progress, and ``$JOURNAL_STREAM`` names
the daemon's stderr, as journald does, so log lines carry their ``<N>`` priority.

What is asserted:

- ``status`` shows each account's last poll and last *successful* poll, and the error of a
  poll that failed, with the provider's own code and message;
- WATCHDOG=1 pings stop while a poll hangs (the server holds its answer past the stall limit,
  well within the HTTP timeout) and resume once it answers;
- a poll that keeps failing is an ERROR line in the journal at every poll and an error in
  ``status``, while the daemon stays alive and keeps feeding the watchdog (failing fast is not
  hanging: restarting would not help);
- the daemon lives through a random storm of faults on Google and Microsoft Graph at once and
  catches up when it ends (every account ok, every draft exactly once).
"""

from __future__ import annotations

import mailbox
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import pytest

from connectors.outlook import PROVIDER as OUTLOOK
from connectors.outlook import forget_runtimes
from connectors.outlook.mail import KEY_PROPERTY
from daemon.clock import SystemClock
from daemon.protocols import AccountContext
from daemon.running.service import STALL_LIMIT, STALL_LIMIT_ENV, stall_limit
from tests.demo_home import records
from tests.fakes.faults import Fault, shape_mutation
from tests.fakes.google_server import GoogleFake, running_google, start_google_server
from tests.fakes.graph_server import MicrosoftFakes, start_microsoft
from tests.fault_world import google_interview, local_files, seed_outlook
from tests.harness import Event, Person

ROOT = Path(__file__).resolve().parent.parent
PING = 0.5  # seconds between WATCHDOG=1: half of WATCHDOG_USEC
STALL = 1.5  # FOLLOWUPD_STALL_LIMIT_SECONDS
EVENTS = "GET calendar.events.list"
ME_OUTLOOK = "casey@contoso.example"
FORBIDDEN = (
    "Google Calendar events.list of 'primary' failed: HTTP 403 forbidden: The caller does not "
    "have permission"
)


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


# --------------------------------------------------------------------------------------------
# systemd, played by the test
# --------------------------------------------------------------------------------------------


@dataclass
class Systemd:
    """The notify socket: every datagram the daemon sends, with when it arrived."""

    path: Path
    sock: socket.socket
    received: list[tuple[float, str]] = field(default_factory=list)
    _thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Systemd:
        self.sock.settimeout(0.05)
        self._thread = threading.Thread(target=self._listen, name="fake-systemd", daemon=True)
        self._thread.start()
        return self

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.received.append((time.monotonic(), data.decode()))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self.sock.close()

    def times(self, state: str) -> list[float]:
        return [at for at, text in list(self.received) if state in text.split("\n")]

    def pings(self, since: float = 0.0, until: float = float("inf")) -> list[float]:
        return [at for at in self.times("WATCHDOG=1") if since <= at <= until]

    def said(self, prefix: str) -> list[str]:
        return [
            line
            for _, text in list(self.received)
            for line in text.split("\n")
            if line.startswith(prefix)
        ]


@pytest.fixture
def systemd(tmp_path: Path) -> Iterator[Systemd]:
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    listener = Systemd(path, sock).start()
    yield listener
    listener.stop()


# --------------------------------------------------------------------------------------------
# A user's home: Google account first, local account second
# --------------------------------------------------------------------------------------------


@dataclass
class Home:
    root: Path
    fake: GoogleFake
    config: Path
    journal: Path  # the daemon's stderr, as journald would hold it

    def env(self, systemd: Systemd | None = None, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.lower().endswith("_proxy")
            and not k.startswith(("XDG_", "FOLLOWUPD_", "NOTIFY_SOCKET", "WATCHDOG_", "JOURNAL_"))
        }
        env.update(
            HOME=str(self.root / "home"),
            XDG_CONFIG_HOME=str(self.root / "xdg-config"),
            XDG_STATE_HOME=str(self.root / "xdg-state"),
            XDG_CACHE_HOME=str(self.root / "xdg-cache"),
            NO_PROXY="*",
            COLUMNS="1000",  # one table row per line
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
        )
        if systemd is not None:
            env.update(
                NOTIFY_SOCKET=str(systemd.path),
                WATCHDOG_USEC=str(int(2 * PING * 1_000_000)),
                FOLLOWUPD_STALL_LIMIT_SECONDS=str(STALL),
            )
        env.update(extra)
        return env

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "daemon", "--config", str(self.config), *args]

    def cli(self, *args: str) -> str:
        result = subprocess.run(
            self.argv(*args), capture_output=True, text=True, timeout=60, env=self.env()
        )
        assert result.returncode == 0, (result.stdout, result.stderr)
        assert "Traceback" not in result.stderr, result.stderr
        return result.stdout

    def once(self, when: datetime, code: int = 0) -> str:
        """``run --once --now WHEN`` with its log in the journal file; returns that log.
        ``code`` 1: an account or a follow-up fails in that run."""
        self.fake.state.clock = when
        with self.journal.open("w") as err:
            stream = os.fstat(err.fileno())
            result = subprocess.run(
                self.argv("run", "--once", "--now", when.isoformat()),
                stdout=subprocess.DEVNULL,
                stderr=err,
                timeout=60,
                env=self.env(JOURNAL_STREAM=f"{stream.st_dev}:{stream.st_ino}"),
            )
        log = self.journal.read_text()
        assert result.returncode == code, log
        return log

    def daemon(self, systemd: Systemd | None) -> tuple[subprocess.Popen[bytes], IO[str]]:
        """The long-running ``followupd run``, its stderr in the journal file."""
        err = self.journal.open("w")
        stream = os.fstat(err.fileno())
        proc = subprocess.Popen(
            self.argv("run"),
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=self.env(systemd, JOURNAL_STREAM=f"{stream.st_dev}:{stream.st_ino}"),
        )
        return proc, err

    def status_rows(self) -> dict[str, str]:
        """``followupd status``'s account table: name -> "state | last poll | last success |
        problem"."""
        return {
            row["account"]: " | ".join(
                (row["state"], row["last poll"], row["last success"], row["problem"])
            )
            for row in records(self.cli("status"), "accounts")
        }


def stop(proc: subprocess.Popen[bytes], err: IO[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    err.close()


def interview(start: datetime) -> dict[str, object]:
    def moment(value: datetime) -> dict[str, str]:
        return {"dateTime": value.strftime("%Y-%m-%dT%H:%M:%SZ")}

    return {
        "id": "acme1",
        "summary": "Interview: Acme (Backend Engineer)",
        "start": moment(start),
        "end": moment(start + timedelta(hours=1)),
        "organizer": {"email": "jane@acme.example"},
        "attendees": [
            {"email": "jane@acme.example", "organizer": True, "responseStatus": "accepted"},
            {"email": "me@example.com", "self": True, "responseStatus": "accepted"},
        ],
    }


def local_interview(home: Home, start: datetime) -> None:
    """An interview with two people in the local account's calendar."""
    globex = Event(
        "globex-1",
        start,
        60,
        "Interview: Globex (Data Engineer)",
        [Person("Gina Grant", "gina@globex.example"), Person("Omar Ortiz", "omar@globex.example")],
    )
    (home.root / "cal" / "globex.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + globex.ics()
        + "\r\nEND:VCALENDAR\r\n",
        newline="",
    )


def list_local_drafts(root: Path) -> list[str]:
    drafts = mailbox.Maildir(root / "mail", create=False).get_folder("Drafts")
    return sorted(str(drafts.get_message(k)["To"]) for k in drafts.iterkeys())


def local_drafts(home: Home) -> list[str]:
    return list_local_drafts(home.root)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Home]:
    (tmp_path / "fake").mkdir()
    with running_google(tmp_path / "fake") as fake:
        token = tmp_path / "google-token.json"
        fake.authorize_token(token)
        (tmp_path / "home").mkdir()
        (tmp_path / "cal").mkdir()
        box = mailbox.Maildir(tmp_path / "mail", create=True)
        for folder in ("Drafts", "Sent"):
            box.add_folder(folder)
        config = tmp_path / "config.toml"
        config.write_text(
            f"""
[daemon]
timezone = "UTC"
poll_interval = "1s"

[candidate]
name = "Alex Candidate"

[days]
holidays = []

[[accounts]]
name = "gmail"
addresses = ["me@example.com"]
calendar = {{ provider = "google" }}
mailbox = {{ provider = "google" }}

[accounts.google]
{fake.account_toml(tmp_path, token_file=token)}
[[accounts]]
name = "home"
addresses = ["alex@example.org"]
calendar = {{ provider = "ics", path = "{tmp_path / "cal"}" }}
mailbox = {{ provider = "maildir", path = "{tmp_path / "mail"}" }}
"""
        )
        yield Home(tmp_path, fake, config, tmp_path / "journal.log")


# --------------------------------------------------------------------------------------------
# status: last poll, last successful poll, the error of the last one
# --------------------------------------------------------------------------------------------

START = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


def test_status_shows_the_last_successful_poll_and_what_failed_since(home: Home) -> None:
    home.fake.state.put_event(interview(START))
    local_interview(home, START)
    first, second, third = (START + timedelta(hours=h) for h in (2, 3, 4))

    log = home.once(first)
    assert "<3>" not in log and "<4>" not in log  # nothing went wrong

    # Google refuses the calendar (a permission taken away): not retried, shown at once.
    home.fake.state.faults.script(
        EVENTS,
        Fault("status", 403, code="forbidden", message="The caller does not have permission"),
        times=10,
    )
    log = home.once(second, code=1)  # an account failed: a script hears of it
    assert home.status_rows() == {
        "gmail": f"error | 2026-03-04 12:00 | 2026-03-04 11:00 | {FORBIDDEN}",
        "home": "ok | 2026-03-04 12:00 | 2026-03-04 12:00 | ",
    }
    # In the journal: priority 3 (error), the account, the provider's code and message.
    assert f"<3>daemon.running.engine: gmail: {FORBIDDEN}\n" in log
    assert home.fake.state.count(method="calendar.events.list") == 2  # one try, no retry

    home.fake.state.faults.calm()
    home.once(third)
    assert home.status_rows()["gmail"] == "ok | 2026-03-04 13:00 | 2026-03-04 13:00 | "
    assert local_drafts(home) == [
        "Gina Grant <gina@globex.example>",
        "Omar Ortiz <omar@globex.example>",
    ]


# --------------------------------------------------------------------------------------------
# The watchdog: fed only while work progresses
# --------------------------------------------------------------------------------------------


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def test_the_watchdog_is_not_fed_while_a_poll_hangs_and_is_fed_again_after(
    home: Home, systemd: Systemd
) -> None:
    now = datetime.now(UTC)
    home.fake.state.put_event(interview(now - timedelta(hours=2, minutes=30)))
    local_interview(home, now - timedelta(hours=2, minutes=30))
    # The first poll's first request: Google holds its answer far past the stall limit (and
    # within the 30 s HTTP timeout, so the client just waits).
    home.fake.state.faults.script(EVENTS, Fault("hold", seconds=30))
    proc, err = home.daemon(systemd)
    try:
        wait_for(lambda: systemd.times("READY=1"), 15, "READY=1")
        ready = systemd.times("READY=1")[0]
        wait_for(lambda: home.fake.state.count(method="calendar.events.list"), 10, "the poll")
        held = time.monotonic()
        # Pings stop once the poll has made no progress for the stall limit...
        wait_for(
            lambda: time.monotonic() - max(systemd.pings() or [ready]) > 4 * PING,
            STALL + 10 * PING,
            "the pings to stop",
        )
        wait_for(lambda: "not feeding the watchdog" in home.journal.read_text(), 5, "the log")
        silent_from = max(systemd.pings() or [ready])
        assert silent_from - ready < STALL + 2 * PING  # ...not before
        assert proc.poll() is None  # hanging, not dead: systemd decides (WatchdogSec)

        home.fake.state.faults.release()  # Google answers at last
        released = time.monotonic()
        wait_for(lambda: systemd.pings(since=released), 4 * PING, "the pings to resume")
        wait_for(lambda: systemd.said("STATUS=last poll"), 10, "the end of the poll")
        wait_for(lambda: len(home.fake.state.drafts) == 1, 10, "the Gmail draft")
        wait_for(lambda: len(local_drafts(home)) == 2, 10, "the local drafts")
        time.sleep(4 * PING)  # idle between polls: pinged all along
        after = systemd.pings(since=released)
        assert len(after) >= 4 and max(gaps(after)) < 2 * PING

        stop(proc, err)
        assert proc.returncode == 0
        assert systemd.times("STOPPING=1")
    finally:
        stop(proc, err)
    journal = home.journal.read_text()
    hung = [line for line in journal.splitlines() if "not feeding the watchdog" in line]
    assert hung and hung[0] == (
        "<3>daemon.running.service: a job has made no progress for 0:00:01.500000; not feeding the watchdog"
    )
    # Pinged while the poll was young; silent from about the stall limit on.
    assert len(systemd.pings(since=ready, until=silent_from)) >= 2
    assert silent_from - held < STALL + PING
    silence = systemd.pings(since=silent_from + 0.01, until=released)
    assert silence == [], "pinged while the poll hung"
    assert released - silent_from > 3 * PING
    assert "Traceback" not in journal


def test_a_poll_that_keeps_failing_is_logged_each_time_and_shown_but_the_daemon_lives(
    home: Home, systemd: Systemd
) -> None:
    now = datetime.now(UTC)
    local_interview(home, now - timedelta(hours=2, minutes=30))
    home.fake.state.faults.script(
        EVENTS,
        Fault("status", 403, code="forbidden", message="The caller does not have permission"),
        times=10**6,
    )
    proc, err = home.daemon(systemd)
    try:
        wait_for(lambda: systemd.times("READY=1"), 15, "READY=1")
        failed = lambda: [  # noqa: E731
            line for line in home.journal.read_text().splitlines() if FORBIDDEN in line
        ]
        wait_for(lambda: len(failed()) >= 3, 15, "three failed polls")
        assert failed()[0] == f"<3>daemon.running.engine: gmail: {FORBIDDEN}"
        rows = home.status_rows()  # read while the daemon runs
        assert rows["gmail"].startswith("error | ") and rows["gmail"].endswith(
            f" | - | {FORBIDDEN}"
        )
        assert rows["home"].startswith("ok | ")
        assert len(local_drafts(home)) == 2  # the other account got its drafts
        # Failing fast is not hanging: the daemon stays alive and keeps feeding the watchdog.
        ready = systemd.times("READY=1")[0]
        pings = systemd.pings(since=ready)
        assert len(pings) >= 4 and max(gaps([ready, *pings])) < 2 * PING
        assert proc.poll() is None
    finally:
        stop(proc, err)
    assert proc.returncode == 0
    assert "Traceback" not in home.journal.read_text()


def test_the_stall_limit_is_four_minutes_unless_the_knob_says_otherwise(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(STALL_LIMIT_ENV, raising=False)
    assert stall_limit() == STALL_LIMIT == timedelta(minutes=4)
    monkeypatch.setenv(STALL_LIMIT_ENV, "2.5")
    assert stall_limit() == timedelta(seconds=2.5)
    assert caplog.records == []
    for wrong in ("soon", "0", "-3"):
        monkeypatch.setenv(STALL_LIMIT_ENV, wrong)
        assert stall_limit() == STALL_LIMIT
        assert caplog.records[-1].getMessage() == (
            f"ignoring FOLLOWUPD_STALL_LIMIT_SECONDS={wrong!r}: expected a number of seconds "
            "above 0; using 0:04:00"
        )


# --------------------------------------------------------------------------------------------
# The long-running daemon through a storm
# --------------------------------------------------------------------------------------------

SUBPROCESS_STORM = [
    Fault("status", 429, retry_after="0.2"),
    Fault("status", 503, retry_after="0.3"),
    Fault("status", 500),
    Fault("html", 502),
    Fault("reset"),
    Fault("reset_after"),
    Fault("truncate"),
    Fault("garbage"),
]


def daemon_config(root: Path, google: GoogleFake, ms: MicrosoftFakes) -> Path:
    path = root / "config.toml"
    path.write_text(
        f"""
[daemon]
timezone = "UTC"
poll_interval = "1s"
state_dir = "{root / "state"}"

[candidate]
name = "Alex Candidate"

[days]
holidays = []

[[accounts]]
name = "gmail"
addresses = ["me@example.com"]
calendar = {{ provider = "google" }}
mailbox = {{ provider = "google" }}

[accounts.google]
{google.account_toml(root, token_file=root / "google-token.json")}
[[accounts]]
name = "work"
addresses = ["casey@contoso.example"]
calendar = {{ provider = "outlook" }}
mailbox = {{ provider = "outlook" }}

[accounts.outlook]
client_id = "{ms.authority.client_id}"
graph_root = "{ms.graph_root}"
authority_host = "{ms.authority_host}"
ca_bundle = "{ms.ca_bundle}"
token_cache = "{root / "msal-cache.bin"}"

[[accounts]]
name = "home"
addresses = ["alex@example.org"]
calendar = {{ provider = "ics", path = "{root / "cal"}" }}
mailbox = {{ provider = "maildir", path = "{root / "mail"}" }}
"""
    )
    return path


def test_the_daemon_survives_a_storm_on_both_providers_and_catches_up(tmp_path: Path) -> None:
    """``followupd run`` (a subprocess, real time, polling every second) while both providers
    misbehave at random for their next 30 requests each, then recover: the daemon lives on,
    every account ends up ok, and every thank-you exists exactly once."""
    (tmp_path / "fake").mkdir()
    google, ms = start_google_server(tmp_path / "fake"), start_microsoft(tmp_path / "fake")
    try:
        # Interviews that ended 90 minutes ago: every thank-you is due at the first poll.
        start = datetime.now(UTC) - timedelta(hours=2, minutes=30)
        stamp = "%Y-%m-%dT%H:%M:%SZ"
        google.state.put_event(
            {
                **google_interview(),
                "start": {"dateTime": start.strftime(stamp)},
                "end": {"dateTime": (start + timedelta(hours=1)).strftime(stamp)},
            }
        )
        ms.graph.update_event(seed_outlook(ms), start=start, end=start + timedelta(hours=1))
        local_files(tmp_path, start)
        config = daemon_config(tmp_path, google, ms)
        google.authorize_token(tmp_path / "google-token.json")
        ms.sign_in()
        OUTLOOK.authorize(
            AccountContext("work", (ME_OUTLOOK,), tmp_path / "msal", SystemClock(), "UTC"),
            {**ms.account_options(), "token_cache": tmp_path / "msal-cache.bin"},
            lambda _line: None,
        )
        forget_runtimes()

        mutate = Fault("mutate", mutate=shape_mutation(random.Random(5), delete=False))
        google.state.faults.storm(11, 0.3, [*SUBPROCESS_STORM, mutate], requests=30)
        ms.graph.faults.storm(12, 0.3, [*SUBPROCESS_STORM, mutate], requests=30)
        storms = (google.state.faults, ms.graph.faults)

        env = {
            k: v
            for k, v in os.environ.items()
            if not k.lower().endswith("_proxy")
            and not k.startswith(("XDG_", "FOLLOWUPD_", "NOTIFY_SOCKET", "WATCHDOG_", "JOURNAL_"))
        }
        env.update(HOME=str(tmp_path), NO_PROXY="*", COLUMNS="1000", PYTHONPATH=str(ROOT))
        argv = [sys.executable, "-m", "daemon", "--config", str(config)]
        journal = (tmp_path / "daemon.log").open("w+")
        proc = subprocess.Popen([*argv, "run"], stdout=journal, stderr=subprocess.STDOUT, env=env)
        db = tmp_path / "state" / "state.db"

        def states() -> dict[str, str]:
            if not db.exists():
                return {}
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
                return dict(conn.execute("SELECT name, status FROM accounts").fetchall())

        def recovered() -> bool:
            assert proc.poll() is None, "the daemon died"
            return (
                all(plan.storm_over() for plan in storms)
                and states() == {"gmail": "ok", "work": "ok", "home": "ok"}
                and len(google.state.drafts) == 2
                and len(ms.graph.drafts()) == 2
            )

        try:
            wait_for(recovered, 75, f"the recovery (accounts: {states()})")
            time.sleep(1.5)  # one more poll after the recovery: still fine, still once
            assert proc.poll() is None
            status = subprocess.run(
                [*argv, "status"], capture_output=True, text=True, env=env, timeout=60
            )
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            journal.seek(0)
            log = journal.read()
            journal.close()

        google_keys = [
            google.state.draft_message(d).header("Message-ID") for d in google.state.drafts
        ]
        graph_keys = [ms.graph.extended(d["id"])[KEY_PROPERTY] for d in ms.graph.drafts()]
        assert len(set(google_keys)) == 2 and len(set(graph_keys)) == 2  # exactly once each
        assert len(list_local_drafts(tmp_path)) == 2
        states = {row["account"]: row["state"] for row in records(status.stdout, "accounts")}
        assert [states[name] for name in ("gmail", "work", "home")] == ["ok"] * 3, status.stdout
        served = google.state.faults.summary() + ms.graph.faults.summary()
        assert sum(served.values()) >= 10, served
        # Bounded: the whole run cost a few hundred requests, not a retry storm.
        assert len(google.state.requests) < 400 and len(ms.graph.log) < 300
        assert "Traceback" not in log and "internal error" not in log
        # The storm was noticed and said (Graph's own retries log nothing below debug).
        assert " ERROR daemon.running.engine: " in log or "; retrying in " in log
        assert "received SIGTERM" in log
    finally:
        google.stop()
        ms.stop()
    google.check()
    assert ms.graph.violations == []
