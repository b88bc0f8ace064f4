"""``followupd auth/check/run/status`` for a Google account, run exactly as a user runs them.

Every command is the real CLI in a subprocess (``python -m daemon --config ...``) with HOME and
the XDG directories inside ``tmp_path``; the fake Google server runs in the test process on
127.0.0.1 and the config differs from a real one only in its endpoints (``api_root``,
``auth_uri``, ``token_uri``, ``ca_bundle``). Simulated time comes from ``run --once --now``; the
fake's clock follows it, so sent mail and replies carry the simulated dates.
"""

from __future__ import annotations

import json
import mailbox
import os
import signal
import stat
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from connectors.google.auth import SCOPES
from tests.demo_home import records
from tests.fakes.google_browser import browser_command, read_log
from tests.fakes.google_server import GoogleFake, running_google
from tests.harness import Event, Person

ROOT = Path(__file__).resolve().parent.parent
ME = "me@example.com"  # the fake Google account
START = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # Wednesday, 10:00 in Berlin
END = START + timedelta(hours=1)
JANE = {"email": "jane@acme.example", "displayName": "Jane Smith"}
RAJ = {"email": "raj@acme.example", "displayName": "Raj Patel"}
FIX = "followupd auth gmail"
REVOKED = (
    "Google refused the stored authorization of account 'gmail' (invalid_grant: the refresh "
    "token expired or was revoked; an OAuth app left in 'Testing' status gets tokens that "
    f"expire after 7 days) (fix: {FIX})"
)
# What the connector promises for a poll when nothing changed (docs/google.md): one events.list
# with the sync token, one history.list, nothing per draft still waiting (here one: the history
# positions are kept in the state folder), and no token request although every `run --once` is
# a new process.
QUIET_POLL = Counter({"calendar.events.list": 1, "gmail.users.history.list": 1})


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    return END + timedelta(days=days, hours=hours, minutes=minutes)


def interview(start: datetime, event_id: str = "acme1") -> dict:
    """An interview as Google Calendar returns it: Jane organizes, Raj joins, plus a room."""

    def moment(value: datetime) -> dict[str, str]:
        return {"dateTime": value.strftime("%Y-%m-%dT%H:%M:%SZ"), "timeZone": "Europe/Berlin"}

    return {
        "id": event_id,
        "summary": "Interview: Acme (Backend Engineer)",
        "description": "Jane: the billing migration to event sourcing\nRaj: on-call reviews",
        "start": moment(start),
        "end": moment(start + timedelta(hours=1)),
        "organizer": {**JANE},
        "attendees": [
            {**JANE, "organizer": True, "responseStatus": "accepted"},
            {**RAJ, "responseStatus": "accepted"},
            {"email": ME, "self": True, "responseStatus": "accepted"},
            {"email": "room-1@acme.example", "resource": True, "responseStatus": "accepted"},
        ],
    }


class Home:
    """A user's home in tmp_path: XDG dirs, a config file, and the ``followupd`` command."""

    def __init__(self, tmp_path: Path, fake: GoogleFake, *, local: bool = False) -> None:
        self.root = tmp_path
        self.fake = fake
        self.home = tmp_path / "home"
        self.state_dir = tmp_path / "xdg-state" / "followupd"  # the default: $XDG_STATE_HOME
        self.token_file = self.state_dir / "accounts" / "gmail" / "google-token.json"
        self.config = tmp_path / "xdg-config" / "followupd" / "config.toml"
        self.config.parent.mkdir(parents=True)
        self.home.mkdir()
        self.browser = browser_command(tmp_path, fake.ca_file)
        text = f"""
[daemon]
timezone = "Europe/Berlin"
poll_interval = "1h"

[candidate]
name = "Alex Candidate"

{fake.gmail_account_toml(tmp_path, ME)}
"""
        if local:
            text += f"""
[[accounts]]
name = "home"
addresses = ["alex@example.org"]
calendar = {{ provider = "ics", path = "{self.home / "cal"}" }}
mailbox = {{ provider = "maildir", path = "{self.home / "mail"}" }}
"""
            (self.home / "cal").mkdir()
            self.maildir = mailbox.Maildir(self.home / "mail", create=True)
            for folder in ("Drafts", "Sent"):
                self.maildir.add_folder(folder)
        self.config.write_text(text)

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.lower().endswith("_proxy")
            and not k.startswith(("XDG_", "FOLLOWUPD_", "NOTIFY_SOCKET", "BROWSER"))
        }
        return {
            **env,
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.root / "xdg-config"),
            "XDG_STATE_HOME": str(self.root / "xdg-state"),
            "XDG_CACHE_HOME": str(self.root / "xdg-cache"),
            "XDG_DATA_HOME": str(self.root / "xdg-data"),
            "NO_PROXY": "*",
            "BROWSER": str(self.browser),
            "COLUMNS": "1000",  # rich wraps long lines at the terminal width
            # The code of this checkout, wherever the editable install points.
            "PYTHONPATH": str(ROOT),
        }

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "daemon", "--config", str(self.config), *args]

    def cli(self, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            self.argv(*args),
            capture_output=True,
            text=True,
            timeout=60,
            cwd=self.home,
            env=self.env(),
        )
        assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr, result.stderr
        return result

    def run_at(self, when: datetime, code: int = 0) -> str:
        """``followupd run --once --now WHEN``; the fake Google lives at the same moment.
        ``code`` 1: an account or a follow-up fails in that run."""
        self.fake.state.clock = when
        return self.cli("run", "--once", "--now", when.isoformat(), code=code).stdout

    def authorize(self) -> None:
        """Skip the browser: store a token where ``followupd auth gmail`` would."""
        self.token_file.parent.mkdir(parents=True, mode=0o700)
        self.fake.authorize_token(self.token_file)

    def local_event(self, event: Event) -> None:
        text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        text += event.ics() + "\r\nEND:VCALENDAR\r\n"
        (self.home / "cal" / "interviews.ics").write_text(text, newline="")


def gmail_drafts(fake: GoogleFake) -> dict[str, EmailMessage]:
    """The drafts in the fake Gmail, by draft id, as MIME messages."""
    return {
        draft_id: message_from_bytes(fake.state.draft_message(draft_id).raw, policy=policy.default)
        for draft_id in fake.state.drafts
    }


def accounts(output: str) -> dict[str, list[str]]:
    """``status``'s accounts (through a pipe): name -> [state, last poll, last success,
    problem]."""
    return {
        row["account"]: [row["state"], row["last poll"], row["last success"], row["problem"]]
        for row in records(output, "accounts")
    }


def followups(output: str) -> list[tuple[str, str, str]]:
    """``status``'s follow-ups as (follow-up, to, state)."""
    return [(row["follow-up"], row["to"], row["state"]) for row in records(output)]


def draft_to(fake: GoogleFake, address: str, kind: str = "thank_you") -> tuple[str, EmailMessage]:
    found = [
        (draft_id, msg)
        for draft_id, msg in gmail_drafts(fake).items()
        if address in str(msg["To"]) and (msg["In-Reply-To"] is None) == (kind == "thank_you")
    ]
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def fake(tmp_path: Path):
    with running_google(tmp_path) as fake:
        yield fake


# --------------------------------------------------------------------------------------------
# auth, check, and a revoked token next to a local account
# --------------------------------------------------------------------------------------------


def test_auth_check_revocation_and_a_local_account_that_keeps_working(tmp_path, fake):
    home = Home(tmp_path, fake, local=True)
    fake.state.put_event(interview(START))
    home.local_event(
        Event(
            "globex-1",
            START,
            60,
            "Interview with Globex",
            [Person("Maria Garcia", "maria@globex.example")],
        )
    )

    authorized = home.cli("auth", "gmail").stdout

    log = read_log(home.browser)
    assert log[-1] == "page followupd is authorized. You can close this window.", log
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(log[0].removeprefix("opened ")).query)
    assert query["redirect_uri"][0].startswith("http://127.0.0.1:")
    assert query["code_challenge_method"] == ["S256"] and query["access_type"] == ["offline"]
    assert query["scope"][0].split() == list(SCOPES)
    assert f"Stored the Google authorization of 'gmail' in {home.token_file}." in authorized
    assert authorized.rstrip().endswith("Account gmail is authorized. Check with: followupd check")
    assert stat.S_IMODE(home.token_file.stat().st_mode) == 0o600
    assert json.loads(home.token_file.read_text())["refresh_token"] in fake.state.refresh_tokens
    assert "s3cret" not in authorized  # the client secret is never shown

    checked = home.cli("check").stdout
    assert (
        "account gmail calendar: Google Calendar: 1 calendar(s) readable: primary (me@example.com)"
        in checked
    )
    assert (
        "account gmail mailbox: Gmail me@example.com: can create drafts and read headers "
        "(never bodies, never sends)" in checked
    )
    assert "account home calendar:" in checked and "account home mailbox:" in checked
    assert checked.rstrip().endswith("all good")

    fake.state.revoke_all()  # the user revoked access at myaccount.google.com

    ran = home.run_at(at(hours=1), code=1)  # an account failed: a script hears of it
    assert "drafted thank-you to Maria Garcia (Globex)" in ran
    assert f"account gmail: needs_reauth {REVOKED}" in ran
    assert len(list(home.maildir.get_folder("Drafts").iterkeys())) == 1
    assert fake.state.drafts == {}

    shown = accounts(home.cli("status").stdout)
    assert shown["home"][0] == "ok" and shown["home"][3] == ""
    assert shown["gmail"][0] == "needs_reauth"
    assert shown["gmail"][3] == f"needs re-authorization: run {FIX}"

    failed = home.cli("check", code=1)
    assert f"problem: account gmail calendar: {REVOKED}" in failed.stderr
    assert f"problem: account gmail mailbox: {REVOKED}" in failed.stderr
    assert f"problem: account gmail: needs re-authorization: run {FIX}" in failed.stderr
    assert "account home calendar:" in failed.stdout and "all good" not in failed.stdout

    home.cli("auth", "gmail")  # the fix the messages name

    ran = home.run_at(at(hours=1, minutes=5))
    assert "drafted thank-you to Jane Smith (Acme)" in ran
    assert "drafted thank-you to Raj Patel (Acme)" in ran
    assert "needs_reauth" not in ran
    assert len(fake.state.drafts) == 2


# --------------------------------------------------------------------------------------------
# run --once through simulated time
# --------------------------------------------------------------------------------------------


def test_thank_yous_then_an_inquiry_in_the_thread_and_the_cost_of_a_quiet_poll(tmp_path, fake):
    home = Home(tmp_path, fake)
    home.authorize()
    fake.state.put_event(interview(START))

    planned = home.run_at(at(minutes=59))  # due 1h after the end (12:00 in Berlin)
    assert "planned thank-you to Jane Smith (Acme), due 2026-03-04 12:00" in planned
    assert "planned thank-you to Raj Patel (Acme), due 2026-03-04 12:00" in planned
    assert "drafted" not in planned and fake.state.drafts == {}

    drafted = home.run_at(at(minutes=60))
    assert "drafted thank-you to Jane Smith (Acme)" in drafted
    assert "drafted thank-you to Raj Patel (Acme)" in drafted
    assert sorted(str(m["To"]) for m in gmail_drafts(fake).values()) == [
        "Jane Smith <jane@acme.example>",
        "Raj Patel <raj@acme.example>",
    ]
    jane_id, jane = draft_to(fake, "jane@")
    assert "event sourcing" in jane.get_body(("plain",)).get_content()
    assert followups(home.cli("status").stdout) == [
        ("thank-you", "Jane Smith", "drafted"),
        ("thank-you", "Raj Patel", "drafted"),
        ("inquiry #1", "Jane Smith", "scheduled"),
    ]

    # The user sends Jane's thank-you from Gmail: new Message-ID, our X- header dropped.
    sent = fake.state.send_draft_as_user(jane_id, at=at(hours=2))
    assert "done thank-you to Jane Smith (Acme): you sent it on" in home.run_at(at(hours=3))

    # Nothing changed; Raj's thank-you is still a draft.
    mark = len(fake.state.requests)
    assert "Nothing to do right now." in home.run_at(at(hours=3, minutes=5))
    assert Counter(r.method for r in fake.state.requests[mark:]) == QUIET_POLL

    # 5 business days after the thank-you went out (Wed 12:00 UTC -> next Wed 12:00 UTC).
    assert "Nothing to do right now." in home.run_at(at(days=7, hours=1, minutes=59))
    inquiry = home.run_at(at(days=7, hours=2, minutes=1))
    assert "drafted status inquiry #1 to Jane Smith (Acme)" in inquiry
    draft_id, msg = draft_to(fake, "jane@", "status_inquiry")
    sent_mid = sent.header("Message-ID")
    assert msg["In-Reply-To"] == sent_mid
    assert sent_mid in str(msg["References"])
    assert msg["Subject"] == "Re: " + sent.header("Subject")
    assert fake.state.draft_message(draft_id).thread_id == sent.thread_id
    create = [r for r in fake.state.requests if r.method == "gmail.users.drafts.create"][-1]
    assert create.body["message"]["threadId"] == sent.thread_id


def test_a_human_reply_cancels_the_inquiry(tmp_path, fake):
    home = Home(tmp_path, fake)
    home.authorize()
    fake.state.put_event(interview(START))
    home.run_at(at(hours=1))
    fake.state.send_draft_as_user(draft_to(fake, "jane@")[0], at=at(hours=2))
    fake.state.receive("Pat Recruiter <pat@acme.example>", "Next steps", at=at(days=2))

    ran = home.run_at(at(days=2, hours=1))
    assert (
        "cancelled status inquiry #1 to Jane Smith (Acme): reply from pat@acme.example "
        "on 2026-03-06" in ran
    )
    home.run_at(at(days=10))
    drafts = list(gmail_drafts(fake).values())
    assert len(drafts) == 1 and drafts[0]["In-Reply-To"] is None  # Raj's thank-you; no inquiry


# --------------------------------------------------------------------------------------------
# the inquiry waits for something the user really sent (issue 10, RUBRIC 13-14)
# --------------------------------------------------------------------------------------------


def inquiry_drafts(fake: GoogleFake) -> list[EmailMessage]:
    """Inquiry drafts: nothing in a draft names its kind (issue 10), but every inquiry replies
    to something the user sent, and no thank-you does."""
    return [m for m in gmail_drafts(fake).values() if m["In-Reply-To"] is not None]


def flat(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


def test_an_unsent_thank_you_gives_no_inquiry_and_status_says_why(tmp_path, fake):
    home = Home(tmp_path, fake)
    home.authorize()
    fake.state.put_event(interview(START))
    home.run_at(at(hours=1))
    mark = len(fake.state.requests)
    home.run_at(at(hours=2))
    # While it waits, each poll asks for the sent mail. The last process's answer is kept
    # (google-history.json): nothing sent since, so this one's history.list says it still holds.
    asked = Counter(r.method for r in fake.state.requests[mark:])
    assert (asked["gmail.users.messages.list"], asked["gmail.users.history.list"]) == (0, 1)
    # Something sent: listed again, and only the new message is read (google-sent.json).
    fake.state.user_sends("Bob <bob@other.example>", "Lunch?", at=at(hours=2, minutes=30))
    mark = len(fake.state.requests)
    home.run_at(at(hours=3))
    asked = Counter(r.method for r in fake.state.requests[mark:])
    assert (asked["gmail.users.messages.list"], asked["gmail.users.messages.get"]) == (1, 1)
    mark = len(fake.state.requests)
    home.run_at(at(hours=4))
    asked = Counter(r.method for r in fake.state.requests[mark:])
    assert (asked["gmail.users.messages.list"], asked["gmail.users.messages.get"]) == (0, 0)
    home.run_at(at(days=10))
    assert inquiry_drafts(fake) == []
    shown = flat(home.cli("status").stdout)
    assert (
        "waiting: nothing sent to Acme about the 4 March interview yet; the inquiry follows 5 "
        "business days after you send the thank-you (or any mail to jane@acme.example or "
        "anyone at acme.example)" in shown
    )


def test_a_deleted_thank_you_is_the_same_as_an_unsent_one(tmp_path, fake):
    home = Home(tmp_path, fake)
    home.authorize()
    fake.state.put_event(interview(START))
    home.run_at(at(hours=1))
    for draft_id in list(fake.state.drafts):
        fake.state.delete_draft(draft_id)
    home.run_at(at(hours=2))
    home.run_at(at(days=10))
    assert fake.state.drafts == {}
    assert "you deleted the thank-you draft" in flat(home.cli("status").stdout)


def test_the_users_own_message_from_gmail_starts_the_inquiry_in_its_thread(tmp_path, fake):
    home = Home(tmp_path, fake)
    home.authorize()
    fake.state.put_event(interview(START))
    home.run_at(at(hours=1))
    fake.state.delete_draft(draft_to(fake, "jane@")[0])
    # Written by hand in Gmail the next morning (Thu 5 March, 08:00 UTC), to Jane.
    own = fake.state.user_sends(
        "Jane Smith <jane@acme.example>", "Thank you, Jane", at=at(days=1, hours=-2)
    )
    home.run_at(at(days=1))
    # The clock starts at its send time: Thu 08:00 UTC + 5 business days = Thu 12 March 08:00.
    home.run_at(at(days=8, hours=-2, minutes=-1))
    assert inquiry_drafts(fake) == []
    home.run_at(at(days=8, hours=-2, minutes=1))
    [inquiry] = inquiry_drafts(fake)
    assert inquiry["In-Reply-To"] == own.header("Message-ID")
    assert inquiry["References"] == own.header("Message-ID")
    assert inquiry["Subject"] == "Re: Thank you, Jane"
    assert str(inquiry["To"]) == "Jane Smith <jane@acme.example>"
    draft_id, _ = draft_to(fake, "jane@", "status_inquiry")
    assert fake.state.draft_message(draft_id).thread_id == own.thread_id


def test_a_thank_you_sent_from_the_web_to_raj_carries_the_inquiry_to_raj(tmp_path, fake):
    home = Home(tmp_path, fake)
    home.authorize()
    fake.state.put_event(interview(START))
    home.run_at(at(hours=1))
    # Jane's stays an unsent draft; Raj's is sent from Gmail's web page (a new id and
    # Message-ID, our header dropped).
    sent = fake.state.send_draft_as_user(draft_to(fake, "raj@")[0], at=at(hours=2))
    home.run_at(at(hours=3))
    home.run_at(at(days=7, hours=3))
    [inquiry] = inquiry_drafts(fake)
    assert inquiry["In-Reply-To"] == sent.header("Message-ID")
    assert str(inquiry["To"]) == "Raj Patel <raj@acme.example>"
    assert inquiry["Subject"] == "Re: " + sent.header("Subject")


# --------------------------------------------------------------------------------------------
# followupd run: the long-running daemon
# --------------------------------------------------------------------------------------------


def test_the_daemon_drafts_on_time_between_polls_and_stops_on_sigterm(tmp_path, fake):
    home = Home(tmp_path, fake)
    home.authorize()
    # Thank-yous fall due (1h after the end) a few seconds after the daemon starts.
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=8)
    fake.state.put_event(interview(due - timedelta(hours=2)))
    out, err = (tmp_path / "daemon.out").open("w"), (tmp_path / "daemon.err").open("w")
    proc = subprocess.Popen(
        home.argv("run"), stdout=out, stderr=err, cwd=home.home, env=home.env(), text=True
    )
    try:
        deadline = time.monotonic() + 20
        while len(fake.state.drafts) < 2 and time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "daemon.err").read_text()
            time.sleep(0.05)
        assert len(fake.state.drafts) == 2
        polls = [r for r in fake.state.requests if r.method == "calendar.events.list"]
        creates = [r for r in fake.state.requests if r.method == "gmail.users.drafts.create"]
        # The only poll ran at start, before the due time; the drafts came at the due time.
        assert len(polls) == 1 and polls[0].at < due.timestamp()
        assert all(due.timestamp() <= c.at < due.timestamp() + 5 for c in creates)

        stopping = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
        assert time.monotonic() - stopping < 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        out.close()
        err.close()
    log = (tmp_path / "daemon.err").read_text()
    assert "received SIGTERM, stopping after the current unit of work" in log
    assert "Traceback" not in log


def test_the_fix_command_stays_on_one_line_when_output_is_not_a_terminal(tmp_path, fake):
    home = Home(tmp_path, fake)
    home.authorize()
    fake.state.revoke_all()
    env = {k: v for k, v in home.env().items() if k not in ("COLUMNS", "LINES")}
    result = subprocess.run(
        home.argv("check"), capture_output=True, text=True, timeout=60, cwd=home.home, env=env
    )
    assert result.returncode == 1
    assert f"problem: account gmail calendar: {REVOKED}\n" in result.stderr
