"""``followupd auth``, ``check``, ``run`` and ``status`` for an Outlook account, as a user runs them.

The real installed CLI runs in subprocesses (``python -m daemon``) against the fake Microsoft
identity platform and the fake Graph, which run in this test process on 127.0.0.1 over HTTPS.
The config is what a user writes; only the three endpoint keys (``graph_root``,
``authority_host``, ``ca_bundle``) differ from a real setup. HOME and the XDG directories point
into ``tmp_path``. ``REQUESTS_CA_BUNDLE``/``SSL_CERT_FILE`` point at a public CA bundle that does
NOT hold the test CA, so only ``[accounts.outlook].ca_bundle`` can make the connections work (as
docs/outlook.md promises), and proxy variables are removed so nothing leaves 127.0.0.1.

The same config has a second, local account (ics + Maildir) that must keep working whatever
happens to the Outlook one. The interview (Wednesday 2026-01-14, 09:00-10:00 UTC, an
"Interview" category and no keyword in the subject) is driven through simulated time with
``run --once --now``; the long-running ``run`` uses real time.
"""

from __future__ import annotations

import json
import re
import signal
import stat
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.outlook.mail import KEY_PROPERTY
from tests.demo_home import records
from tests.fakes.graph_server import MicrosoftFakes, running_microsoft
from tests.outlook_cli import (
    FIX,
    IAN,
    ME,
    PAM,
    User,
    account_rows,
    at,
    make_user,
    recipients,
    seed_interview,
    wait_for,
)
from tests.simulated_cli import cli_at


@pytest.fixture
def ms(tmp_path: Path) -> Iterator[MicrosoftFakes]:
    with running_microsoft(tmp_path / "fakes") as fakes:  # fails the test on any send call
        yield fakes


@pytest.fixture
def user(tmp_path: Path, ms: MicrosoftFakes) -> User:
    return make_user(tmp_path, ms)


@pytest.fixture
def signed_in(user: User) -> User:
    """A user who authorized the account earlier and whose calendar holds the interview."""
    user.sign_in()
    seed_interview(user.ms)
    return user


# -- auth and check ----------------------------------------------------------------------------


def test_auth_runs_the_device_code_flow_and_check_passes(user: User) -> None:
    before = user.run("check")
    assert before.returncode == 1
    assert (
        f"problem: account work calendar: not signed in: run {FIX} "
        f"(no sign-in found in the owner-only file {user.token_cache})"
    ) in before.stderr

    result = user.run("auth", "work")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "To sign in, use a web browser to open the page https://microsoft.com/devicelogin "
        "and enter the code FAKE-2FA3 to authenticate.",
        f"Signed in to Microsoft as {ME}; tokens are kept in the owner-only file "
        f"{user.token_cache}.",
        f"Microsoft Graph answers for Casey Candidate <{ME}>.",
        "Account work is authorized. Check with: followupd check",
    ]
    assert stat.S_IMODE(user.token_cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(user.token_cache.parent.stat().st_mode) == 0o700
    assert json.loads(user.token_cache.read_text())["RefreshToken"]  # the file fallback
    grants = [r["grant_type"] for r in user.ms.authority.token_requests]
    assert grants == ["urn:ietf:params:oauth:grant-type:device_code"] * 2  # pending, approved
    scopes = user.ms.authority.requested_scopes()
    assert "https://graph.microsoft.com/Mail.ReadWrite" in scopes
    assert not [s for s in scopes if "Send" in s]

    check = user.run("check")
    assert check.returncode == 0, check.stderr
    graph = f"{user.ms.graph_root}/v1.0"
    assert f"account work calendar: Outlook calendar 'Calendar' via {graph}" in check.stdout
    assert (
        f"account work mailbox: Outlook mailbox of Casey Candidate <{ME}> via {graph}"
        in check.stdout
    )
    assert f"account home calendar: ics: 1 file in {user.root / 'cal'}" in check.stdout
    assert check.stdout.splitlines()[-1] == "all good"
    # No keyring on a server: the log says once where the tokens are, and nothing else.
    assert check.stderr.splitlines()[0].endswith(
        "INFO connectors.outlook.auth: no encrypted token store available (Unable to import "
        f"module 'gi'); keeping Microsoft tokens in the owner-only file {user.token_cache}"
    )
    assert not [line for line in check.stderr.splitlines() if " INFO " not in line]


def test_an_account_renamed_after_auth_before_any_run_keeps_its_sign_in(user: User) -> None:
    """``auth`` records what the account serves with its tokens: renamed before a run finished
    (none yet, or the first one killed early), the account still finds them at the next start."""
    user.ok("auth", "work")
    user.config.write_text(user.config.read_text().replace('name = "work"', 'name = "job"'))
    seed_interview(user.ms)
    out = user.once(at(hours=1))  # exit 0: no account failed, the thank-yous are drafted
    assert "account 'work' is now 'job'" in user.log
    assert (user.state_dir / "accounts" / "job" / "msal-cache.bin").exists()
    assert not (user.state_dir / "accounts" / "work").exists()
    assert {d["toRecipients"][0]["emailAddress"]["address"] for d in user.drafts()} == {
        IAN[0],
        PAM[0],
    }, out


def test_a_revoked_sign_in_fails_check_and_only_that_account(signed_in: User) -> None:
    user = signed_in
    user.ms.authority.tokens.revoke()  # the user revoked the app at myapps.microsoft.com
    revoked = (
        "the Microsoft sign-in of account 'work' was revoked or has expired (invalid_grant: "
        "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth "
        f"token is needed.) (fix: {FIX})"
    )
    out = user.once(at(hours=1), code=1)  # an account failed
    assert "drafted thank-you to Gina Grant (Globex)" in out
    assert "drafted thank-you to Omar Ortiz (Globex)" in out
    assert f"account work: needs_reauth {revoked}" in out
    assert user.local_drafts() == [
        "Gina Grant <gina@globex.example>",
        "Omar Ortiz <omar@globex.example>",
    ]
    assert user.drafts() == []
    rows = account_rows(user.ok("status"))
    assert rows["home"] == "ok | 2026-01-14 12:00 | 2026-01-14 12:00 | "
    assert (
        rows["work"] == f"needs_reauth | 2026-01-14 12:00 | - | needs re-authorization: run {FIX}"
    )
    check = user.run("check")
    assert check.returncode == 1
    assert f"problem: account work calendar: {revoked}" in check.stderr
    assert f"problem: account work mailbox: {revoked}" in check.stderr
    assert f"problem: account work: needs re-authorization: run {FIX}" in check.stderr
    assert "account home calendar: ics: 1 file" in check.stdout  # the other account is fine
    assert "account home mailbox: Maildir" in check.stdout

    # The user runs the command shown; the next run catches up on the Outlook account.
    user.ok("auth", "work")
    out = user.once(at(hours=2))
    assert "drafted thank-you to Ian Interviewer (Acme)" in out
    assert "drafted thank-you to Pam Panelist (Acme)" in out
    assert "account work" not in out
    assert sorted(recipients(d)[0] for d in user.drafts()) == [IAN[0], PAM[0]]


# -- run --once through simulated time ---------------------------------------------------------


def test_thank_yous_then_an_inquiry_in_the_same_conversation(signed_in: User) -> None:
    user, graph = signed_in, signed_in.ms.graph
    out = user.once(at(minutes=59))
    assert "planned thank-you to Ian Interviewer (Acme), due 2026-01-14 12:00" in out
    assert "planned thank-you to Pam Panelist (Acme), due 2026-01-14 12:00" in out
    assert "Room 4" not in out and "to Casey" not in out and "drafted" not in out
    assert user.drafts() == []

    out = user.once(at(hours=1))
    assert "drafted thank-you to Ian Interviewer (Acme): Thank you – Acme interview" in out
    assert "drafted thank-you to Pam Panelist (Acme): Thank you – Acme interview" in out
    ian, pam = user.draft_to(IAN[0]), user.draft_to(PAM[0])
    assert ian["subject"] == "Thank you – Acme interview"
    assert "Dear Ian" in ian["body"]["content"] and "event sourcing" in ian["body"]["content"]
    assert "on-call" in pam["body"]["content"]
    key = graph.extended(ian["id"])[KEY_PROPERTY]
    # The KEY names what the account serves, not its name: a rename keeps it.
    assert re.fullmatch(r"followupd:[0-9a-f]{12}:[0-9a-f]{16}:ian@acme\.example:thank_you:1", key)
    assert graph.headers_of(ian["id"]) == {}  # the KEY stays in the property (issue 10)

    # An unchanged calendar and mailbox, polled by a fresh `run --once` process: what the
    # first processes looked up (the profile, the default calendar, the sign-in service's
    # endpoints, what the last poll asked the mailbox) is kept in the account's state folder
    # and the access token is still valid, so it costs one request for the calendar and one
    # for the mailbox, however many drafts wait (issue 14).
    before, inner, logins = len(graph.log), len(graph.batch_log), len(user.ms.authority.requests)
    assert "Nothing to do right now." in user.once(at(hours=1, minutes=5))
    polled = sorted((r.method, r.path) for r in graph.log[before:])
    assert polled == [("GET", "/me/calendarView/delta"), ("POST", "/$batch")]
    # In the batch: Drafts (both thank-yous still there), Sent Items (the inquiry waits for
    # something sent: the thank-yous are drafts) and the replies.
    assert sorted(r.path for r in graph.batch_log[inner:]) == [
        "/me/mailFolders/drafts/messages",
        "/me/mailFolders/sentitems/messages",
        "/me/messages",
    ]
    assert user.ms.authority.requests[logins:] == []
    record = user.token_cache.parent / "outlook-lookups.json"
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    kept = json.loads(record.read_text())["lookups"]
    graph_root, login = user.ms.graph_root + "/v1.0", user.ms.authority_host
    assert sorted(k.replace(graph_root, "GRAPH").replace(login, "LOGIN") for k in kept) == [
        "GRAPH calendar",
        "GRAPH me",
        "GRAPH poll plan",
        "openid LOGIN/common/v2.0/.well-known/openid-configuration",
    ]

    # The user sends Ian's thank-you from Outlook; Ian's auto-reply answers at once.
    graph.user_sends(ian["id"], at(hours=2))
    graph.deliver(
        IAN[0],
        "Automatic reply: Thank you – Acme interview",
        name=IAN[1],
        received=at(hours=2, minutes=1),
        headers={"Auto-Submitted": "auto-replied"},
        preview="I am out of the office with limited access to e-mail.",
    )
    out = user.once(at(hours=3))
    assert "done thank-you to Ian Interviewer (Acme): you sent it on Wed 14 Jan 13:00" in out
    assert "auto-reply from ian@acme.example ignored (no return date)" in user.log
    # 5 business days after the thank-you went out: Wed 12:00 UTC -> next Wed 12:00 UTC.
    out = user.once(at(days=7, hours=1, minutes=59))
    assert "Ian" not in out and graph.requests("POST", "/createReply") == []
    out = user.once(at(days=7, hours=2, minutes=1))
    assert "drafted status inquiry #1 to Ian Interviewer (Acme)" in out
    (reply,) = graph.requests("POST", "/createReply")
    assert reply.path == f"/me/messages/{ian['id']}/createReply"
    (inquiry,) = [d for d in user.drafts() if d["id"] != pam["id"]]
    assert inquiry["conversationId"] == graph.message(ian["id"])["conversationId"]
    assert recipients(inquiry) == [IAN[0]]
    assert inquiry["subject"] == "RE: Thank you – Acme interview"
    assert graph.extended(inquiry["id"])[KEY_PROPERTY].endswith(":status_inquiry:1")
    # The reply is the plain-text comment above Outlook's quote of the thank-you.
    assert inquiry["body"]["content"].startswith("Dear Ian,")
    assert "Thank you for taking the time to speak with me" in inquiry["body"]["content"]
    status = user.ok("status")
    assert "thank-you\tIan Interviewer\tdone" in status
    assert "thank-you\tPam Panelist\tdrafted" in status
    assert "inquiry #1\tIan Interviewer\tdrafted" in status


def test_a_human_reply_from_the_company_cancels_the_inquiry(signed_in: User) -> None:
    user, graph = signed_in, signed_in.ms.graph
    user.once(at(hours=1))
    graph.user_sends(user.draft_to(IAN[0])["id"], at(hours=2))
    graph.deliver(
        "pat@acme.example", "Next steps", name="Pat Recruiter", received=at(days=2), preview="Hi!"
    )
    out = user.once(at(days=2, hours=1))
    assert (
        "cancelled status inquiry #1 to Ian Interviewer (Acme): "
        "reply from pat@acme.example on 2026-01-16"
    ) in out
    user.once(at(days=10))
    assert graph.requests("POST", "/createReply") == []
    assert [recipients(d) for d in user.drafts()] == [[PAM[0]]]
    everything = user.ok("status", "--all")
    assert "inquiry #1\tIan Interviewer\tcancelled" in everything
    assert "reply from pat@acme.example on 2026-01-16" in everything


def inquiries(user: User) -> list[dict]:
    graph = user.ms.graph
    return [
        d
        for d in user.drafts()
        if graph.extended(d["id"]).get(KEY_PROPERTY, "").endswith(":status_inquiry:1")
    ]


def flat(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


def test_an_unsent_thank_you_gives_no_inquiry_and_status_says_why(signed_in: User) -> None:
    user = signed_in
    user.once(at(hours=1))
    user.once(at(days=10))
    assert inquiries(user) == [] and user.ms.graph.requests("POST", "/createReply") == []
    assert (
        "waiting: nothing sent to Acme about the 14 January interview yet; the inquiry follows "
        "5 business days after you send the thank-you (or any mail to ian@acme.example or "
        "anyone at acme.example)" in flat(user.ok("status"))
    )


def test_a_deleted_thank_you_is_the_same_as_an_unsent_one(signed_in: User) -> None:
    user, graph = signed_in, signed_in.ms.graph
    user.once(at(hours=1))
    for draft in user.drafts():
        graph.user_deletes(draft["id"])
    user.once(at(hours=2))
    user.once(at(days=10))
    assert inquiries(user) == [] and graph.requests("POST", "/createReply") == []
    assert "you deleted the thank-you draft" in flat(user.ok("status"))


def test_the_users_own_message_from_outlook_starts_the_inquiry_in_its_thread(
    signed_in: User,
) -> None:
    user, graph = signed_in, signed_in.ms.graph
    user.once(at(hours=1))
    graph.user_deletes(user.draft_to(IAN[0])["id"])
    # Written by hand on the phone the next morning (Thu 15th, 08:00 UTC), to Ian.
    own = graph.user_writes(IAN[0], "Thanks for yesterday", name=IAN[1], at=at(days=1, hours=-2))
    user.once(at(days=1))
    # Its send time starts the clock: Thu 08:00 UTC + 5 business days = Thu 22nd 08:00 UTC.
    user.once(at(days=8, hours=-2, minutes=-1))
    assert graph.requests("POST", "/createReply") == []
    user.once(at(days=8, hours=-2, minutes=1))
    (reply,) = graph.requests("POST", "/createReply")
    assert reply.path.startswith(f"/me/messages/{own}")
    [inquiry] = inquiries(user)
    assert inquiry["conversationId"] == graph.message(own)["conversationId"]
    assert recipients(inquiry) == [IAN[0]]
    assert inquiry["subject"] == "RE: Thanks for yesterday"


def test_a_thank_you_sent_from_outlook_on_the_web_with_a_new_id(signed_in: User) -> None:
    """Sent from another client, the sent copy is a new item (new id, new Message-ID, no
    followupd property): found in Sent Items, it starts the inquiry all the same."""
    user, graph = signed_in, signed_in.ms.graph
    user.once(at(hours=1))
    pam = user.draft_to(PAM[0])
    graph.user_deletes(pam["id"], hard=True)  # the draft is gone; a new item went out instead
    copy = graph.user_writes(PAM[0], pam["subject"], name=PAM[1], at=at(hours=2))
    user.once(at(hours=3))
    user.once(at(days=7, hours=3))
    (reply,) = graph.requests("POST", "/createReply")
    assert reply.path.startswith(f"/me/messages/{copy}")
    [inquiry] = inquiries(user)
    assert recipients(inquiry) == [PAM[0]]
    assert inquiry["body"]["content"].startswith("Dear Pam,")


def test_throttling_is_survived_or_shown(signed_in: User) -> None:
    user, graph = signed_in, signed_in.ms.graph
    graph.throttle(1, 429, retry_after="1")  # the poll's first request gets a 429
    before = len(graph.log)
    out = user.once(at(hours=1))
    assert "drafted thank-you to Ian Interviewer" in out and "account work" not in out
    assert graph.throttled == []
    first, second = graph.log[before : before + 2]
    assert first.path == second.path == "/me/calendar"  # refused, then retried

    graph.throttle(100, 429, retry_after="120")  # longer than one poll may wait: back off
    out = user.once(at(hours=2), code=1)  # the account failed: a script hears of it
    error = (  # the default calendar is known by now: the poll begins with its delta
        "Microsoft Graph GET /me/calendarView/delta failed: HTTP 429 TooManyRequests: "
        "Application is over its MailboxConcurrency limit. (gave up retrying)"
    )
    assert f"account work: backoff {error}" in out
    rows = account_rows(user.ok("status"))
    assert rows["work"] == (
        f"backoff | 2026-01-14 13:00 | 2026-01-14 12:00 | {error} (retrying after 2026-01-14 13:02)"
    )
    assert rows["home"].startswith("ok | ")


# -- the long-running daemon -------------------------------------------------------------------


def test_the_daemon_drafts_when_due_and_stops_on_sigterm(
    tmp_path: Path, ms: MicrosoftFakes
) -> None:
    user = make_user(tmp_path, ms, daemon_extra='poll_interval = "1h"')
    user.sign_in()
    due = datetime.now(UTC) + timedelta(seconds=5)  # thank_you.delay is 1h after the end
    seed_interview(ms, start=due - timedelta(hours=2))
    log = (tmp_path / "daemon.log").open("w+")
    proc = subprocess.Popen(
        user.command("run"), stdout=log, stderr=subprocess.STDOUT, env=user.env, cwd=tmp_path
    )
    try:
        polls = lambda: len(ms.graph.requests("GET", "/calendarView/delta"))  # noqa: E731
        assert wait_for(lambda: polls() == 1, 4), "the first poll did not happen at start"
        assert datetime.now(UTC) < due and user.drafts() == [], "the machine is too slow"
        assert wait_for(lambda: len(user.drafts()) == 2, 12), "no drafts at the due time"
        assert datetime.now(UTC) >= due
        assert polls() == 1  # created by the due-time wake-up, not by a second poll
        assert sorted(recipients(d)[0] for d in user.drafts()) == [IAN[0], PAM[0]]

        proc.send_signal(signal.SIGTERM)
        asked = time.monotonic()
        assert proc.wait(timeout=10) == 0
        assert time.monotonic() - asked < 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.seek(0)
        output = log.read()
        log.close()
    assert "followupd running; polling every 1:00:00" in output
    assert "received SIGTERM, stopping after the current unit of work" in output
    assert "Traceback" not in output


def test_a_thank_you_waits_for_notes_until_a_note_about_its_interviewer(signed_in: User) -> None:
    """[thank_you].wait_for_notes on Outlook (issue 11, point 2): without notes the thank-yous
    wait three hours instead of one; a note about Ian releases his at once, Pam's waits on.

    ``note`` runs in-process (the same config, HOME and XDG directories) so that its clock can
    be the simulated one; the runs are the real CLI in subprocesses as everywhere here."""
    user = signed_in
    user.config.write_text(user.config.read_text() + '\n[thank_you]\nwait_for_notes = "3h"\n')
    out = user.once(at(hours=1))
    assert "planned thank-you to Ian Interviewer (Acme), due 2026-01-14 14:00" in out
    assert user.drafts() == []
    acme = next(row["id"] for row in records(user.ok("status")) if "Acme" in row["interview"])
    noted = cli_at(
        at(hours=1, minutes=30), user.config, user.env, "note", acme, "--about", IAN[0], "the API"
    )
    assert "the thank-you to Ian Interviewer is due now" in noted
    assert "the thank-you to Pam Panelist still waits for notes about them until 14:00" in (
        " ".join(noted.split())
    )
    out = user.once(at(hours=1, minutes=31))
    assert "drafted thank-you to Ian Interviewer (Acme)" in out and "Pam" not in out
    assert sorted(recipients(d)[0] for d in user.drafts()) == [IAN[0]]
    assert "waiting for your notes until Wed 14 Jan 14:00" in user.ok("status")  # real today
    out = user.once(at(hours=3))
    assert "drafted thank-you to Pam Panelist (Acme)" in out
    assert sorted(recipients(d)[0] for d in user.drafts()) == [IAN[0], PAM[0]]
