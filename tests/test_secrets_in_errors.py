"""A provider's error answer that echoes credentials shows them nowhere: not on the terminal, not
in the journal, not in the state database.

Issue 9: the log handler scrubbed secrets, but the CLI printed errors itself (``check``'s
problems, ``run --once``'s summary, ``status``'s account table) and the engine stored
``str(err)`` in ``accounts.last_error``, so an error body such as
``{"access_token": "ya29..."} Bearer eyJ... refresh_token=1//0g...&client_secret=GOCSPX-...``
went to stdout and into the database as it was.

The real CLI runs in subprocesses (``-vv``: every logger at debug level) against the Google and
Graph fakes, whose every API request is answered with such a body (``tests/fakes/faults.py``).
The echoed values are made up for each run and never registered as secrets anywhere: only the
patterns of :mod:`daemon.redaction` can catch them, as they would a token of some other account
or a proxy's own credentials. One ``run --once`` writes its log to a file systemd would have
named in ``$JOURNAL_STREAM``, so the journal format is covered too. Afterwards no byte of any
file in the state directory may hold an echoed value, and the columns where errors and skipped
items are kept must show that they held one (``[REDACTED]``) — otherwise the test proved nothing.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from tests.fakes.faults import Fault
from tests.fakes.google_server import running_google
from tests.fakes.graph_server import running_microsoft
from tests.outlook_cli import make_user, seed_interview

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)  # a Wednesday
AFTER = START + timedelta(hours=2, minutes=5)  # the thank-yous are due
DROP_ENV = ("XDG_", "FOLLOWUPD_", "NOTIFY_SOCKET", "WATCHDOG_", "JOURNAL_STREAM", "BROWSER")


@dataclass(frozen=True)
class Echo:
    """Credentials a misbehaving server repeats in its error answer, fresh for each test."""

    access: str = field(default_factory=lambda: "ya29.a0" + secrets.token_urlsafe(16))
    jwt: str = field(default_factory=lambda: "eyJhbGciOiJSUzI1NiJ9." + secrets.token_urlsafe(18))
    refresh: str = field(default_factory=lambda: "1//0g" + secrets.token_urlsafe(16))
    client_secret: str = field(default_factory=lambda: "GOCSPX-" + secrets.token_urlsafe(16))

    def body(self) -> str:
        """The error message: short enough that Graph's one-line bound (300) keeps all of it."""
        return (
            f'invalid request {{"access_token": "{self.access}", "token_type": "Bearer"}} '
            f"sent with Bearer {self.jwt}; "
            f"retry with refresh_token={self.refresh}&client_secret={self.client_secret}"
        )

    def values(self) -> set[str]:
        return {self.access, self.jwt, self.refresh, self.client_secret}


def forms(value: str) -> set[str]:
    """A secret as text may carry it: as is, URL-encoded, JSON-escaped, and its longest part
    that no encoding changes (the random tail)."""
    return {
        value,
        quote(value, safe=""),
        quote_plus(value, safe=""),
        value.replace("/", "\\/"),
        value[-16:],
    }


def leaks(texts: list[str | bytes], echo: Echo) -> list[str]:
    found = []
    for text in texts:
        blob = text if isinstance(text, str) else text.decode("utf-8", "replace")
        found += [v for v in echo.values() if any(f in blob for f in forms(v))]
    return sorted(set(found))


@dataclass
class Shell:
    """A user's shell: the real CLI with a config, everything it printed kept."""

    config: Path
    env: dict[str, str]
    cwd: Path
    printed: list[str] = field(default_factory=list)

    def run(self, *args: str, code: int = 0, journal: Path | None = None) -> tuple[str, str]:
        """``followupd -vv ARGS``: (stdout, stderr). With ``journal``, stderr goes to that file
        and ``$JOURNAL_STREAM`` names it, as under systemd."""
        env = dict(self.env)
        stderr: Any = subprocess.PIPE
        if journal is not None:
            stderr = open(journal, "w", encoding="utf-8")  # noqa: SIM115 - closed below
            st = os.fstat(stderr.fileno())
            env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
        try:
            result = subprocess.run(
                [sys.executable, "-m", "daemon", "-vv", "--config", str(self.config), *args],
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                timeout=90,
                cwd=self.cwd,
                env=env,
            )
        finally:
            if journal is not None:
                stderr.close()
        err = journal.read_text() if journal is not None else result.stderr
        self.printed += [result.stdout, err]
        assert result.returncode == code, (args, result.returncode, result.stdout, err)
        assert "Traceback" not in err, err
        return result.stdout, err


def clean_env(root: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.lower().endswith("_proxy") and not k.startswith(DROP_ENV)
    }
    env.update(
        HOME=str(root / "home"),
        XDG_CONFIG_HOME=str(root / "xdg-config"),
        XDG_STATE_HOME=str(root / "xdg-state"),
        XDG_CACHE_HOME=str(root / "xdg-cache"),
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        COLUMNS="1000",  # rich wraps at the terminal width; keep each message on one line
        PYTHONPATH=str(ROOT),  # this checkout, wherever the editable install points
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def stored_text(state_dir: Path) -> dict[str, list[str]]:
    """Every value of the columns where errors and skipped items are kept."""
    (database,) = state_dir.glob("state.db")
    columns = {
        "accounts.last_error": "SELECT last_error FROM accounts",
        "followups.last_error": "SELECT last_error FROM followups",
        "followups.reason": "SELECT reason FROM followups",
        "transitions.reason": "SELECT reason FROM transitions",
        "problems.message": "SELECT message FROM problems",
    }
    with sqlite3.connect(database) as db:
        return {
            name: [row[0] for row in db.execute(query) if row[0] is not None]
            for name, query in columns.items()
        }


def state_files(state_dir: Path) -> list[bytes]:
    """Every byte followupd keeps (database, WAL, token files), freed pages included."""
    return [p.read_bytes() for p in sorted(state_dir.rglob("*")) if p.is_file()]


def line(text: str, marker: str) -> str:
    """The first line of ``text`` containing ``marker`` (the line must be there)."""
    found = [each for each in text.splitlines() if marker in each]
    assert found, f"no line with {marker!r} in:\n{text}"
    return found[0]


def assert_nothing_shown(shell: Shell, state_dir: Path, echo: Echo) -> dict[str, list[str]]:
    assert leaks(list(shell.printed), echo) == [], "an echoed credential was printed"
    assert leaks(list(state_files(state_dir)), echo) == [], "an echoed credential was stored"
    stored = stored_text(state_dir)
    for column, values in stored.items():
        assert leaks(list(values), echo) == [], column
    return stored


# --------------------------------------------------------------------------------------------


@pytest.fixture
def echo() -> Echo:
    return Echo()


def google_event() -> dict[str, Any]:
    def moment(value: datetime) -> dict[str, str]:
        return {"dateTime": value.strftime("%Y-%m-%dT%H:%M:%SZ"), "timeZone": "Europe/Berlin"}

    return {
        "id": "acme1",
        "summary": "Interview: Acme (Backend Engineer)",
        "start": moment(START),
        "end": moment(START + timedelta(hours=1)),
        "organizer": {"email": "jane@acme.example", "displayName": "Jane Smith"},
        "attendees": [
            {"email": "jane@acme.example", "displayName": "Jane Smith", "organizer": True},
            {"email": "me@example.com", "self": True, "responseStatus": "accepted"},
        ],
    }


def test_google_error_answers_echoing_tokens_show_no_token(tmp_path: Path, echo: Echo) -> None:
    with running_google(tmp_path) as fake:
        fake.state.put_event(google_event())
        fake.state.clock = AFTER
        (tmp_path / "home").mkdir()
        token_file = (
            tmp_path / "xdg-state" / "followupd" / "accounts" / "gmail" / "google-token.json"
        )
        token_file.parent.mkdir(parents=True, mode=0o700)
        fake.authorize_token(token_file)
        config = tmp_path / "config.toml"
        config.write_text(
            f"""
[daemon]
timezone = "Europe/Berlin"

[candidate]
name = "Alex Candidate"

{fake.gmail_account_toml(tmp_path)}
"""
        )
        shell = Shell(config, clean_env(tmp_path, {}), tmp_path / "home")
        # Every Calendar and Gmail call (the token endpoint is a POST and keeps working).
        fake.state.faults.storm(
            0, 1.0, [Fault("status", 400, "badRequest", echo.body())], match="GET "
        )

        _, problems = shell.run("check", code=1)
        ran, _ = shell.run(
            "run", "--once", "--now", AFTER.isoformat(), code=1, journal=tmp_path / "j"
        )
        status, _ = shell.run("status")

    stored = assert_nothing_shown(shell, tmp_path / "xdg-state" / "followupd", echo)
    # Each door really carried the error, redacted.
    assert "[REDACTED]" in line(problems, "problem: account gmail calendar:")
    assert "[REDACTED]" in line(ran, "account gmail: error ")
    assert "[REDACTED]" in line(status, "HTTP 400 badRequest: invalid request")
    assert "[REDACTED]" in line(
        shell.printed[3], "<3>daemon.running.engine: gmail: "
    )  # the journal
    (error,) = stored["accounts.last_error"]
    assert (
        '{"access_token": "[REDACTED]", "token_type": "Bearer"} sent with Bearer [REDACTED]'
        in error
    )
    assert "refresh_token=[REDACTED]&client_secret=[REDACTED]" in error


@pytest.fixture
def ms(tmp_path: Path) -> Iterator[Any]:
    with running_microsoft(tmp_path / "fakes") as fakes:
        yield fakes


def test_graph_error_answers_echoing_tokens_show_no_token(
    tmp_path: Path, ms: Any, echo: Echo
) -> None:
    user = make_user(tmp_path, ms)
    user.sign_in()
    seed_interview(ms)
    ms.graph.clock = lambda: AFTER
    shell = Shell(user.config, clean_env(tmp_path, {}) | _outlook_env(user.env), tmp_path)
    ms.graph.faults.storm(0, 1.0, [Fault("status", 400, "BadRequest", echo.body())], match="GET ")

    _, problems = shell.run("check", code=1)
    ran, _ = shell.run("run", "--once", "--now", AFTER.isoformat(), code=1, journal=tmp_path / "j")
    status, _ = shell.run("status")

    stored = assert_nothing_shown(shell, user.state_dir, echo)
    # Each door really carried the error, redacted.
    assert "[REDACTED]" in line(problems, "problem: account work calendar:")
    assert "[REDACTED]" in line(ran, "account work: error ")
    assert "[REDACTED]" in line(status, "HTTP 400 BadRequest: invalid request")
    assert "[REDACTED]" in line(shell.printed[3], "<3>daemon.running.engine: work: ")  # the journal
    (error,) = [e for e in stored["accounts.last_error"] if "Graph" in e]
    assert (
        '{"access_token": "[REDACTED]", "token_type": "Bearer"} sent with Bearer [REDACTED]'
        in error
    )
    assert "refresh_token=[REDACTED]&client_secret=[REDACTED]" in error


def test_an_event_echoing_a_token_is_skipped_without_it(
    tmp_path: Path, ms: Any, echo: Echo
) -> None:
    """A skipped item's message (``problems.message``, ``status``'s last table) quotes the bad
    value; a calendar answer with a token where a time should be must not put it there."""
    user = make_user(tmp_path, ms)
    user.sign_in()
    seed_interview(ms)
    ms.graph.clock = lambda: AFTER
    shell = Shell(user.config, clean_env(tmp_path, {}) | _outlook_env(user.env), tmp_path)

    def token_for_time(body: Any, _url: str) -> Any:
        for event in body.get("value", []):
            if isinstance(event.get("start"), dict):
                event["start"]["dateTime"] = f"Bearer {echo.jwt} access_token={echo.access}"
        return body

    ms.graph.faults.script("calendarView/delta", Fault("mutate", mutate=token_for_time))
    shell.run("run", "--once", "--now", AFTER.isoformat())
    status, _ = shell.run("status")

    stored = assert_nothing_shown(shell, user.state_dir, echo)
    assert "[REDACTED]" in line(status, "expected a date-time like")
    (message,) = stored["problems.message"]
    assert message.endswith("got 'Bearer [REDACTED] access_token=[REDACTED]'")


def _outlook_env(env: dict[str, str]) -> dict[str, str]:
    """The CA and proxy settings of tests/outlook_cli.py's user, on top of :func:`clean_env`."""
    keep = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE")
    return {k: env[k] for k in keep} | {
        "HOME": env["HOME"],
        "XDG_STATE_HOME": env["XDG_STATE_HOME"],
    }
