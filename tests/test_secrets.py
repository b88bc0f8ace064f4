"""No secret ever reaches the terminal or the journal, and secret files are owner-only from birth.

The real CLI runs in subprocesses with ``-vv`` (debug level for every logger: urllib3, httplib2,
google-auth, googleapiclient, msal) through a whole life: ``auth``, ``check``, ``run --once``
that creates drafts, against the Google fake and the Microsoft fakes. Every secret the fakes
issued (access and refresh tokens, id_tokens, authorization and device codes, the OAuth client
secret) is collected from the fakes themselves and from the token files, and must appear in no
byte of stdout or stderr, as written or URL-encoded.

``auth`` runs under umask 000 while the test watches the state directory: every file that ever
shows up in it must already be 0600 and every directory 0700 (a file created wide and narrowed
afterwards would be caught in between, at least most of the time; the final modes always are).
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import certifi

from connectors.google.auth import load_credentials
from connectors.outlook import PROVIDER as OUTLOOK
from connectors.outlook import forget_runtimes
from daemon import redaction
from daemon.clock import SystemClock
from daemon.protocols import AccountContext
from tests.fakes.google_browser import browser_command, read_log
from tests.fakes.google_server import CLIENT_ID, running_google
from tests.fakes.graph_server import running_microsoft

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # a Wednesday
DRAFTS_DUE = (START + timedelta(hours=2, minutes=5)).isoformat()
SKIP_ENV = ("XDG_", "FOLLOWUPD_", "NOTIFY_SOCKET", "WATCHDOG_", "JOURNAL_STREAM", "BROWSER")


class Recording(dict):  # type: ignore[type-arg]
    """A dict of the fake that remembers every key ever put in, even after it is removed."""

    def __init__(self, seen: set[str], *args: Any) -> None:
        super().__init__(*args)
        self.seen = seen
        seen.update(self)

    def __setitem__(self, key: str, value: Any) -> None:
        self.seen.add(key)
        super().__setitem__(key, value)


class Home:
    """A user's home in ``root``: XDG directories, one config, the ``followupd`` command."""

    def __init__(self, root: Path, account: str, extra_env: dict[str, str]) -> None:
        self.root = root
        self.home = root / "home"
        self.home.mkdir()
        self.state_dir = root / "xdg-state" / "followupd"
        self.config = root / "config.toml"
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.lower().endswith("_proxy") and not k.startswith(SKIP_ENV)
        }
        self.env.update(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(root / "xdg-config"),
            XDG_STATE_HOME=str(root / "xdg-state"),
            XDG_CACHE_HOME=str(root / "xdg-cache"),
            NO_PROXY="127.0.0.1,localhost",
            COLUMNS="1000",
            PYTHONPATH=str(ROOT),
            **extra_env,
        )
        self.account = account
        self.output: list[str] = []  # everything every command printed, stdout and stderr

    def cli(self, *args: str, umask: int | None = None) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "daemon", "-vv", "--config", str(self.config), *args],
            capture_output=True,
            text=True,
            timeout=90,
            cwd=self.home,
            env=self.env,
            preexec_fn=None if umask is None else (lambda: os.umask(umask)),  # noqa: PLW1509
        )
        self.output += [result.stdout, result.stderr]
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr, result.stderr
        return result.stdout


def forms(value: str) -> set[str]:
    """A secret as it could appear in a log line: as is, URL-encoded, JSON-escaped."""
    return {value, quote(value, safe=""), quote_plus(value, safe=""), value.replace("/", "\\/")}


def leaks(output: list[str], issued: set[str]) -> list[str]:
    text = "\n".join(output)
    return sorted(s for s in issued if any(form in text for form in forms(s)))


@contextmanager
def watching(folder: Path) -> Iterator[dict[str, set[int]]]:
    """Every path seen under ``folder`` while the block runs, with every mode it was seen with."""
    seen: dict[str, set[int]] = {}
    done = threading.Event()

    def scan() -> None:
        while not done.is_set():
            for dirpath, dirnames, filenames in os.walk(folder):
                for name in dirnames + filenames:
                    path = os.path.join(dirpath, name)
                    try:
                        mode = os.lstat(path).st_mode
                    except FileNotFoundError:  # a temporary file, already renamed
                        continue
                    seen.setdefault(os.path.relpath(path, folder), set()).add(mode)

    thread = threading.Thread(target=scan, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        done.set()
        thread.join()


def assert_private(seen: dict[str, set[int]], state_dir: Path) -> None:
    """Every file ever seen was 0600 and every directory 0700; so are they now."""
    assert seen, "the watcher saw nothing: the test would prove nothing"
    for path, modes in seen.items():
        for mode in modes:
            wanted = 0o700 if stat.S_ISDIR(mode) else 0o600
            if path.endswith(".lockfile"):  # msal-extensions' lock: a pid, no secret
                continue
            assert stat.S_IMODE(mode) == wanted, f"{path} was seen with mode {oct(mode)}"
    for dirpath, _dirnames, filenames in os.walk(state_dir):
        assert stat.S_IMODE(os.stat(dirpath).st_mode) == 0o700, dirpath
        for name in filenames:
            if not name.endswith(".lockfile"):
                path = os.path.join(dirpath, name)
                assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


# --------------------------------------------------------------------------------------------
# Google
# --------------------------------------------------------------------------------------------


def google_interview() -> dict[str, Any]:
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
            {"email": "raj@acme.example", "displayName": "Raj Patel"},
            {"email": "me@example.com", "self": True, "responseStatus": "accepted"},
        ],
    }


def test_a_google_account_never_shows_a_secret(tmp_path: Path) -> None:
    with running_google(tmp_path) as fake:
        state = fake.state
        issued: set[str] = set()
        # A client secret shaped like Google's, unique to this run.
        state.clients[CLIENT_ID] = "GOCSPX-" + secrets.token_urlsafe(21)
        issued.add(state.clients[CLIENT_ID])
        state.codes = Recording(issued, state.codes)
        state.access_tokens = Recording(issued, state.access_tokens)
        state.refresh_tokens = Recording(issued, state.refresh_tokens)
        state.put_event(google_interview())
        state.clock = START + timedelta(hours=2, minutes=5)

        home = Home(tmp_path, "gmail", {"BROWSER": str(browser_command(tmp_path, fake.ca_file))})
        home.config.write_text(
            f"""
[daemon]
timezone = "Europe/Berlin"

[candidate]
name = "Alex Candidate"

{fake.gmail_account_toml(tmp_path)}
"""
        )
        with watching(home.state_dir.parent) as seen:
            home.cli("auth", "gmail", umask=0)
        assert read_log(Path(home.env["BROWSER"]))[-1].startswith("page followupd is authorized")
        home.cli("check")
        ran = home.cli("run", "--once", "--now", DRAFTS_DUE)
        assert "drafted thank-you to Jane Smith (Acme)" in ran
        assert len(state.drafts) == 2

    token_file = home.state_dir / "accounts" / "gmail" / "google-token.json"
    stored = json.loads(token_file.read_text())
    issued |= {stored["token"], stored["refresh_token"], stored["client_secret"]}
    assert any(s.startswith("4/") for s in issued), "no authorization code was issued"
    assert any(s.startswith("1//") for s in issued) and any(s.startswith("ya29.") for s in issued)

    log = "\n".join(home.output)
    # The libraries really talked at debug level, and the filter really had work to do.
    for logger in ("DEBUG urllib3.connectionpool", "DEBUG googleapiclient.discovery"):
        assert logger in log, f"no {logger!r} lines: the test would prove nothing"
    assert leaks(home.output, issued) == []
    assert "[REDACTED]" in log
    assert_private(seen, home.state_dir)
    assert "google-token.json" in {Path(p).name for p in seen}


# --------------------------------------------------------------------------------------------
# Outlook
# --------------------------------------------------------------------------------------------


def test_an_outlook_account_never_shows_a_secret(tmp_path: Path) -> None:
    with running_microsoft(tmp_path / "fakes") as ms:
        issued: set[str] = set()
        ms.authority._device = Recording(issued, ms.authority._device)
        tokens = ms.authority.tokens
        tokens.access = Recording(issued, tokens.access)
        tokens.refresh = Recording(issued, tokens.refresh)
        me = ms.authority.username
        ms.graph.add_event(
            "Acme - conversation with the platform team",
            START,
            START + timedelta(hours=1),
            attendees=(
                ("ian@acme.example", "Ian Interviewer", "required", "accepted"),
                ("pam@acme.example", "Pam Panelist", "required", "accepted"),
                (me, "Casey Candidate", "required", "accepted"),
            ),
            organizer=("ian@acme.example", "Ian Interviewer"),
            categories=("Interview",),
        )
        ms.graph.clock = lambda: START + timedelta(hours=2, minutes=5)
        public_cas = certifi.where()  # the fakes' CA is only in [accounts.outlook].ca_bundle
        home = Home(
            tmp_path,
            "work",
            {
                "REQUESTS_CA_BUNDLE": public_cas,
                "SSL_CERT_FILE": public_cas,
                "PYTHONUNBUFFERED": "1",
            },
        )
        home.config.write_text(
            f"""
[daemon]
timezone = "Europe/Berlin"

[candidate]
name = "Casey Candidate"

[[accounts]]
name = "work"
addresses = ["{me}"]
calendar = {{ provider = "outlook" }}
mailbox = {{ provider = "outlook" }}

[accounts.outlook]
client_id = "{ms.authority.client_id}"
graph_root = "{ms.graph_root}"
authority_host = "{ms.authority_host}"
ca_bundle = "{ms.ca_bundle}"
"""
        )
        with watching(home.state_dir.parent) as seen:
            out = home.cli("auth", "work", umask=0)
        assert "enter the code FAKE-2FA3" in out  # the user code is for the user: shown
        home.cli("check")
        # A process normally reuses the access token the last one left; an expired one makes
        # this run refresh it, so the refresh token travels through the logged requests too.
        ms.graph.tokens.invalidate_access()
        ran = home.cli("run", "--once", "--now", DRAFTS_DUE)
        assert "drafted thank-you to Ian Interviewer (Acme)" in ran
        assert len(ms.graph.drafts()) == 2

    cache = home.state_dir / "accounts" / "work" / "msal-cache.bin"
    stored = json.loads(cache.read_text())
    for section in ("AccessToken", "RefreshToken", "IdToken"):
        assert stored[section], f"no {section} in the token cache"
        issued |= {entry["secret"] for entry in stored[section].values()}
    assert len(ms.authority._device) >= 1 and len(tokens.refresh) >= 2  # auth, then each run

    log = "\n".join(home.output)
    for logger in ("DEBUG urllib3.connectionpool", "DEBUG msal."):
        assert logger in log, f"no {logger!r} lines: the test would prove nothing"
    assert leaks(home.output, issued) == []
    assert_private(seen, home.state_dir)
    assert "msal-cache.bin" in {Path(p).name for p in seen}


# --------------------------------------------------------------------------------------------
# Tokens the connectors hold are scrubbed even from free text
# --------------------------------------------------------------------------------------------


def context(tmp_path: Path, name: str) -> AccountContext:
    return AccountContext(name, ("me@example.com",), tmp_path / name, SystemClock(), "UTC")


def test_tokens_a_connector_loads_are_scrubbed_even_from_free_text(tmp_path: Path) -> None:
    """The patterns catch ``token=...`` and ``Bearer ...``; a token in prose (an exception text,
    a library's print) only the registered values catch."""
    with running_google(tmp_path) as fake:
        options = fake.account_options(tmp_path)
        fake.authorize_token(options["token_file"])
        # Values no other test can have registered before (the fake's own ids repeat).
        refresh = "1//" + secrets.token_urlsafe(32)
        secret = "GOCSPX-" + secrets.token_urlsafe(21)
        stored = json.loads(options["token_file"].read_text())
        stored.update(refresh_token=refresh, client_secret=secret)
        options["token_file"].write_text(json.dumps(stored))
        prose = f"retrying with {refresh} for client {secret}"
        assert redaction.redact(prose) == prose  # no pattern recognises them
        load_credentials(context(tmp_path, "gmail"), options)
        assert redaction.redact(prose) == "retrying with [REDACTED] for client [REDACTED]"

    with running_microsoft(tmp_path / "fakes") as ms:
        ms.sign_in()
        try:
            OUTLOOK.authorize(context(tmp_path, "work"), ms.account_options(), lambda _: None)
        finally:
            forget_runtimes()
        (device_code,) = ms.authority._device
        cache = json.loads((tmp_path / "work" / "msal-cache.bin").read_text())
        tokens = [
            entry["secret"]
            for section in ("AccessToken", "RefreshToken", "IdToken")
            for entry in cache[section].values()
        ]
        for value in (device_code, *tokens):
            assert redaction.redact(f"got {value}.") == "got [REDACTED].", value
