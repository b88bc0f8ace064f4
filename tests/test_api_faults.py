"""Faults from the outside: what Google and Microsoft Graph may answer, and what followupd does.

The real engine runs in-process with the real connectors against the fake servers (HTTPS on
127.0.0.1), which misbehave on cue or at random (``tests/fakes/faults.py``): 429/503 with
Retry-After, 500, answers held past the client timeout, connection resets, truncated bodies,
non-JSON bodies, JSON with missing or wrongly typed fields, paging that never ends, sync tokens
and delta links that expire in the middle of a run, tokens revoked in the middle of a run.

The world (``tests/fault_world.py``) has a second, local account (ics + Maildir) listed *after*
the provider account: whatever happens to the provider, it keeps getting its drafts. Time is
simulated (a frozen clock); the connectors' retry waits are recorded instead of slept, and their
HTTP timeout is 0.3 s, so a held answer costs a fraction of a second rather than a minute.

What is asserted, each time: retries are bounded (the requests are counted), waits follow
Retry-After or back off, the account's state and error text (with the provider's own code and
message) are what ``followupd status`` shows, follow-ups already recorded stay, every draft
exists exactly once once the faults stop, and nothing escapes as an "internal error".
"""

from __future__ import annotations

import json
import logging
import random
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.outlook import PROVIDER as OUTLOOK
from connectors.outlook import forget_runtimes
from connectors.outlook.calendar import OutlookCalendar
from daemon.errors import InvalidResponse
from daemon.running.accounts import context
from daemon.store import repository as repo
from tests.fakes.faults import Fault, shape_mutation
from tests.fault_world import (
    DUE,
    EVENTS,
    LOCAL,
    PLAN,
    START,
    TIMEOUT,
    World,
    calendar_listing,
    close_world,
    draft_creation,
    endless,
    exactly_once,
    make_world,
    outlook_graph,
    planned,
    problems,
)


@pytest.fixture
def open_world(tmp_path: Path) -> Iterator[Callable[[str], World]]:
    """A world for the provider named by the test (for tests about one provider only)."""
    made: list[World] = []

    def opener(kind: str) -> World:
        root = tmp_path / kind
        root.mkdir()
        made.append(make_world(root, kind))
        return made[-1]

    yield opener
    for world in made:
        close_world(world)


@pytest.fixture(params=["google", "outlook"])
def world(request: pytest.FixtureRequest, open_world: Callable[[str], World]) -> World:
    return open_world(request.param)


# --------------------------------------------------------------------------------------------

# (fault, what the error text shows, requests per failed attempt)
TRANSIENT = {
    "429 Retry-After": (
        Fault("status", 429, retry_after="3"),
        {
            "google": "HTTP 429 rateLimitExceeded: Rate Limit Exceeded",
            "outlook": "HTTP 429 TooManyRequests: The service is temporarily unavailable.",
        },
    ),
    "503 Retry-After": (
        Fault("status", 503, retry_after="2"),
        {
            "google": "HTTP 503 backendError: Backend Error",
            "outlook": "HTTP 503 ServiceUnavailable: The service is temporarily unavailable.",
        },
    ),
    "500": (
        Fault("status", 500, message="Internal error encountered."),
        {
            "google": "HTTP 500 backendError: Internal error encountered.",
            "outlook": "HTTP 500 InternalServerError: Internal error encountered.",
        },
    ),
    "502 HTML page": (
        Fault("html", 502),
        {
            "google": "HTTP 502: Bad Gateway",
            "outlook": "HTTP 502: Bad Gateway (an HTML page, not a Graph error)",
        },
    ),
    "connection reset": (
        Fault("reset"),
        {
            "google": "cannot reach Google (RemoteDisconnected: Remote end closed connection "
            "without response)",
            "outlook": "network error: ('Connection aborted.', "
            "RemoteDisconnected('Remote end closed connection without response'))",
        },
    ),
    "answer held past the timeout": (
        Fault("hold", seconds=2 * TIMEOUT),
        {
            "google": "cannot reach Google (TimeoutError: The read operation timed out)",
            "outlook": f"Read timed out. (read timeout={TIMEOUT})",
        },
    ),
    "truncated body": (
        Fault("truncate"),
        {
            "google": "cannot reach Google (",
            "outlook": "network error: ('Connection broken: IncompleteRead(",
        },
    ),
}


def expected_waits(world: World, fault: Fault, count: int) -> list[tuple[float, float]]:
    """The (low, high) bounds of each retry wait the connector should choose.

    Google: exponential from 1 s with "equal jitter" (pinned to its floor in these tests), never
    less than Retry-After. Graph: Retry-After exactly, else exponential from 0.5 s plus up to
    0.5 s of jitter.
    """
    asked = float(fault.retry_after) if fault.retry_after else None
    bounds = []
    for n in range(1, count + 1):
        if world.google:
            wait = max(asked or 0.0, min(20.0, 2 ** (n - 1)) / 2)
            bounds.append((wait, wait))
        elif asked is not None:
            bounds.append((asked, asked))
        else:
            step = min(8.0, 0.5 * 2 ** (n - 1))
            bounds.append((step, step + 0.5))
    return bounds


def within(waits: list[float], bounds: list[tuple[float, float]]) -> bool:
    return len(waits) == len(bounds) and all(
        lo <= w <= hi for w, (lo, hi) in zip(waits, bounds, strict=True)
    )


@pytest.mark.parametrize("name", list(TRANSIENT))
def test_transient_faults_are_retried_a_bounded_number_of_times_then_backed_off(
    world: World, name: str
) -> None:
    fault, shown = TRANSIENT[name]
    target = calendar_listing(world)
    planned(world)

    # One fault: the poll survives it with one retry (httplib2 itself resends a GET once after
    # a reset, so the Google connector does not even see that one).
    world.faults.script(target, fault)
    mark, world.slept[:] = world.mark(), []
    world.tick(PLAN + timedelta(minutes=5))
    assert world.account().status == "ok"
    assert world.since(mark, target) == 2
    resent_by_httplib2 = world.google is not None and fault.kind == "reset"
    assert within(world.slept, [] if resent_by_httplib2 else expected_waits(world, fault, 1))

    # The fault persists: a bounded number of attempts (Google 6, Graph 5; a reset costs
    # Google two requests per attempt), then the account backs off: as long as Retry-After
    # says, else one poll interval (doubling while failures go on).
    world.faults.script(target, fault, times=1000)
    mark, world.slept[:] = world.mark(), []
    world.tick(DUE)
    attempts = 6 if world.google else 5
    per_attempt = 2 if resent_by_httplib2 else 1
    assert world.since(mark) == world.since(mark, target) == attempts * per_attempt
    assert within(world.slept, expected_waits(world, fault, attempts - 1))
    state = world.account()
    wait = (
        timedelta(seconds=float(fault.retry_after)) if fault.retry_after else timedelta(minutes=5)
    )
    assert (state.status, state.failures, state.backoff_until) == ("backoff", 1, DUE + wait)
    assert shown[world.kind] in state.last_error
    assert state.last_error.endswith(
        f"(gave up after 6 attempt(s) and {sum(world.slept):.0f} s of waiting)"
        if world.google
        else "(gave up retrying)"
    )
    until = (DUE + wait).astimezone(ZoneInfo("Europe/Berlin"))
    assert world.status_row() == (
        f"backoff | 2026-03-04 12:01 | 2026-03-04 11:15 | {state.last_error} "
        f"(retrying after {until:%Y-%m-%d %H:%M})"
    )
    # The other account is not affected: polled, and its thank-yous are drafted.
    assert world.status_row("home") == "ok | 2026-03-04 12:01 | 2026-03-04 12:01 | "
    assert world.local_drafts() == LOCAL
    assert world.draft_keys() == []

    # Faults stop: the next poll after the backoff catches up; every draft exists once.
    world.faults.calm()
    mark = world.mark()
    world.tick(DUE + wait + timedelta(minutes=1))
    assert world.account().status == "ok"
    exactly_once(world)


def test_backoff_grows_while_failures_go_on_and_no_request_is_made_meanwhile(
    world: World,
) -> None:
    target = calendar_listing(world)
    planned(world)
    world.faults.script(target, Fault("status", 500), times=10**6)
    at, waits = DUE, []
    for failures in (1, 2, 3):
        world.tick(at)
        state = world.account()
        assert (state.status, state.failures) == ("backoff", failures)
        waits.append(state.backoff_until - at)
        # Polls while the account waits cost no request at all; the local account goes on.
        mark = world.mark()
        world.tick(state.backoff_until - timedelta(seconds=1))
        assert world.since(mark) == 0
        assert world.account("home").status == "ok"
        at = state.backoff_until
    assert waits == [timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=20)]
    world.faults.calm()
    world.tick(at)
    assert world.account().failures == 0
    exactly_once(world)


# --------------------------------------------------------------------------------------------
# Draft creation whose answer is lost or spoiled: the draft is found again, never made twice
# --------------------------------------------------------------------------------------------


def _without_id(body: Any, _url: str) -> Any:
    body.pop("id", None)
    return body


# (fault, was the draft made?, what the account shows)
LOST = {
    "refused (503 Retry-After)": (Fault("status", 503, retry_after="30"), False),
    "reset before the work": (Fault("reset"), False),
    "reset after the work": (Fault("reset_after"), True),
    "answer too late": (Fault("hold_after", seconds=2 * TIMEOUT), True),
    "truncated answer": (Fault("truncate"), True),
    "answer not JSON": (Fault("garbage"), True),
    "answer without the draft's id": (Fault("mutate", mutate=_without_id), True),
}


@pytest.mark.parametrize("name", list(LOST))
def test_a_lost_answer_to_draft_creation_never_makes_a_second_draft(
    world: World, name: str
) -> None:
    fault, made = LOST[name]
    create = draft_creation(world)
    first = sorted(world.people)[0]
    rows = planned(world)

    world.faults.script(create, fault)
    mark = world.mark()
    world.tick(DUE)
    state = world.account()
    if world.ms and fault.kind == "status":
        # Graph refused it (nothing was done): the connector may send the POST again at once.
        assert world.since(mark, create) == 3
        assert world.slept == [30.0]
        assert state.status == "ok"
        exactly_once(world)
        return
    # The first creation failed as far as followupd knows; no blind retry of the POST.
    attempts = world.since(mark, create)
    assert state.status in ("backoff", "error"), state
    assert state.last_error
    assert world.followups()[(world.name, first)] == (rows[(world.name, first)][0], "creating")
    assert world.drafted_to() == ([first] if made else []) + (
        [] if state.status == "backoff" else [sorted(world.people)[1]]
    )
    assert attempts == (1 if state.status == "backoff" else 2)
    assert world.local_drafts() == LOCAL

    # Later the row still in "creating" is looked up by its key before anything is created.
    if fault.kind == "hold_after":
        world.faults.release()  # the late answer has gone out by now
    world.faults.calm()
    mark = world.mark()
    world.tick(DUE + timedelta(hours=1))
    assert world.account().status == "ok"
    exactly_once(world)
    creates = world.since(mark, create)
    assert creates == (0 if made else 1) + (1 if state.status == "backoff" else 0)


# --------------------------------------------------------------------------------------------
# Paging that never ends
# --------------------------------------------------------------------------------------------

ENDLESS = {
    # listing: (request, page limit, what the account shows)
    "google": {
        "calendar": (
            "GET calendar.events.list",
            200,
            "Google Calendar events.list of 'primary': still another page after 200 pages; "
            "stopped reading (expected the listing to end)",
        ),
        "drafts": (
            "GET gmail.users.drafts.list",
            100,
            "Gmail drafts.list: still another page after 100 pages; stopped reading (expected "
            "the listing to end)",
        ),
    },
    "outlook": {
        "calendar": (
            "GET /me/calendarView/delta",
            500,
            "Microsoft Graph calendarView/delta for calendar 'Calendar' kept paging past 500 pages",
        ),
    },
}


@pytest.mark.parametrize(
    ("kind", "listing"), [("google", "calendar"), ("google", "drafts"), ("outlook", "calendar")]
)
def test_paging_that_never_ends_is_cut_off_and_shown(
    open_world: Callable[[str], World], kind: str, listing: str
) -> None:
    world = open_world(kind)
    target, limit, shown = ENDLESS[kind][listing]
    planned(world)
    if listing == "drafts":
        # A draft creation whose answer is lost makes the next attempt list the drafts.
        world.faults.script(draft_creation(world), Fault("reset_after"))
    world.tick(DUE)
    world.faults.script(target, endless(world), times=10**6)
    mark = world.mark()
    world.tick(DUE + timedelta(minutes=10))
    # Bounded: one limit's worth per listing. (The drafts are listed twice: the lookup for the
    # interrupted draft finds it on the first page; the next draft's lookup never ends.)
    assert world.since(mark, target) == limit + (1 if listing == "drafts" else 0)
    state = world.account()
    assert (state.status, state.last_error) == ("error", shown)
    # A failed calendar listing fails the poll; a failed lookup fails the drafting after a
    # successful poll.
    success = "12:01" if listing == "calendar" else "12:11"
    assert world.status_row() == f"error | 2026-03-04 12:11 | 2026-03-04 {success} | {shown}"
    assert world.local_drafts() == LOCAL

    world.faults.calm()
    world.tick(DUE + timedelta(minutes=20))
    assert world.account().status == "ok"
    exactly_once(world)


def test_a_page_token_that_comes_back_stops_the_listing_at_once(
    open_world: Callable[[str], World],
) -> None:
    world = open_world("google")  # Graph's links carry their state: a repeat is not telling
    planned(world)

    def same_token(body: Any, _url: str) -> Any:
        body.pop("nextSyncToken", None)
        body["nextPageToken"] = "eyJvZmZzZXQiOiAwLCAic25hcCI6IDB9"  # always the same
        return body

    world.faults.script("GET calendar.events.list", Fault("mutate", mutate=same_token), times=9)
    mark = world.mark()
    world.tick(DUE)
    assert world.since(mark, "calendar.events.list") == 2
    assert world.account().last_error == (
        "Google Calendar events.list of 'primary': Google answered the same nextPageToken "
        "twice; stopped reading to avoid an endless loop"
    )


def test_an_endless_mail_listing_is_cut_off_and_the_newest_mail_still_read(world: World) -> None:
    planned(world)
    world.tick(DUE)
    if world.google:  # with a cursor Gmail reads its history; without one, it scans
        for listing in ("GET gmail.users.history.list", "GET gmail.users.messages.list"):
            world.faults.script(listing, endless(world), times=10**6)
    else:
        world.faults.script("GET /me/messages", endless(world), times=10**6)
    mark = world.mark()
    world.tick(DUE + timedelta(days=1))
    if world.google:
        # Past 100 pages the history is given up for a scan, which stops after 50 pages; the
        # listing of sent mail (the inquiries wait for something sent) stops after 4.
        assert world.since(mark, "history.list") == 100
        assert world.since(mark, "messages.list") == 50 + 4
        sent = (
            "gmail",
            "Gmail messages.list (sent)",
            "Gmail messages.list (sent): still another page after 4 pages; stopped reading "
            "(expected the listing to end); only the newest 200 sent messages since 2026-03-04 "
            "09:00 UTC were read",
        )
        expected = (
            "gmail",
            "Gmail messages.list",
            "Gmail messages.list: still another page after 50 pages; stopped reading (expected "
            "the listing to end); only the newest 5000 messages since 2026-03-04 09:00 UTC "
            "were read",
        )
    else:
        listed = [r for r in world.ms.graph.log[mark:] if r.path == "/me/messages"]  # type: ignore[union-attr]
        assert len(listed) == 101  # the first page and 100 more
        expected = (
            "work",
            "Outlook message list",
            "more than 10000 messages since 2026-03-04T09:00:00+00:00; only the newest were read",
        )
    assert world.account().status == "ok"  # replies were looked for in the newest mail
    assert problems(world) == ([sent, expected] if world.google else [expected])
    assert expected[2] in world.status()


# --------------------------------------------------------------------------------------------
# Sync tokens, delta links and history that expire in the middle of a run
# --------------------------------------------------------------------------------------------


def test_a_sync_token_that_expires_in_the_middle_of_a_poll_costs_one_resync(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    known = planned(world)
    world.tick(DUE)
    tomorrow = START + timedelta(days=1)
    new_people = [*world.new_interview(1, tomorrow), *world.new_interview(2, tomorrow)]
    listing = calendar_listing(world)
    if world.google:
        state = world.google.state
        state.max_page = 1  # one changed event per page: the incremental sync has two pages
        expire = state.expire_sync_tokens
    else:
        graph = world.ms.graph  # type: ignore[union-attr]
        for n in range(60):  # more than a page (followupd asks for 50) of other changes
            graph.add_event(f"Dentist {n}", tomorrow + timedelta(minutes=n))
        expire = graph.expire_delta_tokens
    # The token expires while the poll reads the second page of changes.
    world.faults.script(listing, Fault("call", action=expire), skip=1)
    mark = world.mark()
    with caplog.at_level(logging.INFO):
        world.tick(DUE + timedelta(minutes=10))

    assert world.account().status == "ok"
    if world.google:
        statuses = [r.status for r in world.google.state.requests[mark:] if r.method == EVENTS]
        assert statuses[:2] == [200, 410] and set(statuses[2:]) == {200}
        assert "gmail: calendar cursor expired" in caplog.text  # the core resynchronised
    else:
        assert "delta token expired" in caplog.text  # the connector started a new round
    # Nothing lost, nothing doubled: the known follow-ups are the same rows in the same state,
    # and the new interviews are planned once.
    now = world.followups()
    assert {k: v for k, v in now.items() if k in known} == {
        k: (row, "drafted") for k, (row, _) in known.items()
    }
    added = sorted(email for key, _ in now.items() if key not in known for email in key[1:])
    assert added == sorted(new_people)
    exactly_once(world)


def test_expired_gmail_history_is_replaced_by_a_scan_and_the_reply_still_seen(
    open_world: Callable[[str], World],
) -> None:
    world = open_world("google")
    planned(world)
    world.tick(DUE)
    state = world.google.state  # type: ignore[union-attr]
    state.receive("Raj Patel <raj@acme.example>", "Next steps", at=DUE + timedelta(hours=3))
    # Gmail forgets the history between two polls (it keeps about a week of it).
    world.faults.script("GET gmail.users.history.list", Fault("call", action=state.expire_history))
    world.tick(DUE + timedelta(hours=4))
    assert world.account().status == "ok"
    rows = {email: st for (account, email), (_, st) in world.followups().items()}
    assert rows["jane@acme.example"] == rows["raj@acme.example"] == "replied"
    status = world.status()
    assert "reply from raj@acme.example on 2026-03-04" in status
    # The scan left a fresh history id for the next poll to read the history from.
    with world.engine.sessions() as session:
        stored = json.loads(repo.get_cursor(session, "gmail", "mail") or "{}")
    assert stored["cursor"].split("|")[1] == str(state.history_id)  # g2|historyId|since|watch


# --------------------------------------------------------------------------------------------
# Authorization revoked in the middle of a run
# --------------------------------------------------------------------------------------------

REVOKED = {
    "google": (
        "Google refused the stored authorization of account 'gmail' (invalid_grant: the refresh "
        "token expired or was revoked; an OAuth app left in 'Testing' status gets tokens that "
        "expire after 7 days) (fix: followupd auth gmail)"
    ),
    "outlook": (
        "the Microsoft sign-in of account 'work' was revoked or has expired (invalid_grant: "
        "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth "
        "token is needed.) (fix: followupd auth work)"
    ),
}


def token_requests(world: World) -> int:
    if world.google:
        return world.google.state.count(method="oauth.token")
    return world.ms.authority.refresh_grants()  # type: ignore[union-attr]


def test_a_revoked_authorization_stops_that_account_until_auth_is_run_again(
    world: World,
) -> None:
    planned(world)
    if world.google:
        world.faults.script("GET gmail.", Fault("call", action=world.google.state.revoke_all))
    else:
        tokens = world.ms.graph.tokens  # type: ignore[union-attr]
        world.faults.script("GET /me/messages", Fault("call", action=tokens.revoke))
    before = token_requests(world)
    world.tick(DUE)  # revoked after the calendar was read, before the drafts are made
    state = world.account()
    fix = f"followupd auth {world.name}"
    assert (state.status, state.last_error, state.fix) == ("needs_reauth", REVOKED[world.kind], fix)
    assert token_requests(world) - before == 1  # one refresh, refused: no refresh storm
    # Gmail: the revocation falls on the poll's one Gmail request (the history.list that says
    # the sent-mail answer still holds, as the inquiries wait for something sent); Outlook's on
    # the reply scan. Either way the poll is done and the drafting fails.
    assert world.status_row() == (
        f"needs_reauth | 2026-03-04 12:01 | 2026-03-04 12:01 | needs re-authorization: run {fix}"
    )
    assert world.draft_keys() == []
    assert world.local_drafts() == LOCAL

    # Every poll tries once more (the user may have run `followupd auth`); drafting waits.
    mark, before = world.mark(), token_requests(world)
    world.tick(DUE + timedelta(minutes=10))
    assert world.account().status == "needs_reauth"
    assert world.since(mark, draft_creation(world)) == 0
    # (at most one API request and one refresh; MSAL even remembers the refusal a while)
    refreshes = token_requests(world) - before
    assert refreshes <= 1 and world.since(mark) - (refreshes if world.google else 0) <= 1

    # The user runs the command shown; the running daemon picks the new authorization up.
    if world.google:
        token = world.config.account("gmail").options_for("google")["token_file"]
        world.google.authorize_token(token)
    else:
        account = world.config.account("work")
        ctx = context(world.config, account, world.clock)
        OUTLOOK.authorize(ctx, account.options_for("outlook"), lambda _line: None)
        forget_runtimes()
    world.tick(DUE + timedelta(minutes=20))
    assert world.account().status == "ok"
    exactly_once(world)


# --------------------------------------------------------------------------------------------
# Answers of unexpected shape, and storms of every fault at once
# --------------------------------------------------------------------------------------------


def internal_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "internal error" in r.getMessage()]


def test_json_with_missing_or_wrongly_typed_fields_is_never_an_internal_error(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Every answer of every kind of request may have one field removed or of another type.

    Each poll starts from scratch (sync tokens, delta links and history expired), so the full
    listings are read every time, and now and then a new interview makes drafts to create.
    """
    planned(world)
    at, shown = DUE, Counter()
    for seed in range(16):
        if world.google:
            world.google.state.expire_sync_tokens()
            world.google.state.expire_history()
        else:
            world.ms.graph.expire_delta_tokens()  # type: ignore[union-attr]
        if seed % 4 == 0:
            world.new_interview(seed, at - timedelta(hours=1, minutes=30))
        mutate = Fault("mutate", mutate=shape_mutation(random.Random(seed)))
        world.faults.storm(seed, 0.3, [mutate])
        at += timedelta(hours=1)
        world.tick(at)
        state = world.account()
        assert state.status in ("ok", "error"), state.last_error
        assert "internal error" not in (state.last_error or "")
        assert world.account("home").status == "ok"
        shown[state.status] += 1
    assert world.faults.count("mutate") > 30  # the storm did hit
    assert internal_errors(caplog) == []
    assert shown["error"] > 0  # and was seen, by name, in the account's state
    world.faults.calm()
    world.tick(at + timedelta(hours=1))
    assert world.account().status == "ok"


STORM = [
    Fault("status", 429, retry_after="1"),
    Fault("status", 503, retry_after="2"),
    Fault("status", 500),
    Fault("html", 502),
    Fault("reset"),
    Fault("reset_after"),
    Fault("truncate"),
    Fault("garbage"),
]


def test_a_random_storm_of_every_fault_loses_nothing_and_doubles_nothing(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A day of polls every 90 minutes, with interviews coming in and drafts being
    sent by the user, while one request in ten goes wrong in one of nine ways (wrongly typed
    fields included, missing ones not: a missing list cannot be told from an empty one)."""
    planned(world)
    rng, seed = random.Random(7), 7
    mutate = Fault("mutate", mutate=shape_mutation(random.Random(seed), delete=False))
    world.faults.storm(seed, 0.1, [*STORM, mutate])
    at, rows, mark = DUE, set(), world.mark()
    for tick in range(12):
        if tick % 2 == 0:
            world.new_interview(tick, at - timedelta(minutes=30))
        if rng.random() < 0.3:
            world.user_sends_a_draft(rng, at - timedelta(minutes=10))
        at += timedelta(minutes=90)
        world.tick(at)
        state = world.account()
        assert "internal error" not in (state.last_error or "")
        assert state.status == "ok" or state.last_error, "a failure must say what failed"
        keys = world.draft_keys()
        assert len(keys) == len(set(keys)), f"a second draft: {Counter(keys).most_common(1)}"
        now = {row for row, _ in world.followups().values()}
        assert rows <= now, "a recorded follow-up disappeared"
        rows = now
        assert world.account("home").status == "ok"
        assert world.local_drafts() == LOCAL
    requests, faults = world.since(mark), world.faults.summary()
    assert sum(faults.values()) >= 0.05 * requests and len(faults) >= 7, faults
    assert internal_errors(caplog) == []

    world.faults.calm()
    for _ in range(2):
        at += timedelta(minutes=90)
        world.tick(at)
    assert world.account().status == "ok"
    states = Counter(st for (account, _), (_, st) in world.followups().items())
    assert set(states) <= {"drafted", "done", "replied"}, states  # none lost, none stuck
    keys = world.draft_keys()
    assert len(keys) == len(set(keys))


# --------------------------------------------------------------------------------------------
# What each unreadable answer is called
# --------------------------------------------------------------------------------------------


def setting(*path: Any, value: Any) -> Callable[[Any, str], Any]:
    """A mutator that sets ``body[path...] = value`` (a missing ``value``: deletes it)."""

    def mutate(body: Any, _url: str) -> Any:
        parent = body
        for step in path[:-1]:
            parent = parent[step]
        if value is _DELETE:
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
        return body

    return mutate


_DELETE = object()
GOOGLE_ITEM = "Google Calendar 'primary' event acme1"
KEY_OF_RAJ = "followupd:gmail:7f53bc238dd54429:raj@acme.example:thank_you:1"  # gmail: the tag

# (provider, request, mutator, the tick it happens in, what is shown: a skipped-input problem
# "item: message", or the account's error; "…" stands for an id only known at run time)
UNREADABLE = {
    "attendee not an object": (
        "google",
        "GET calendar.events.list",
        setting("items", 0, "attendees", 1, value=7),
        PLAN,
        f"{GOOGLE_ITEM}: expected each attendee to be an object with an email, got 7",
    ),
    "summary not text": (
        "google",
        "GET calendar.events.list",
        setting("items", 0, "summary", value=["Interview"]),
        PLAN,
        f"{GOOGLE_ITEM}: expected 'summary' to be text, got list",
    ),
    "organizer not an object": (
        "google",
        "GET calendar.events.list",
        setting("items", 0, "organizer", value="jane@acme.example"),
        PLAN,
        f"{GOOGLE_ITEM}: expected 'organizer' to be an object, got str",
    ),
    "profile without a history id": (
        "google",
        "GET gmail.users.getProfile",
        setting("historyId", value=_DELETE),
        PLAN,
        "error: Gmail users.getProfile: expected a historyId (a number) in the answer, got None",
    ),
    "drafts listed as a number": (
        "google",
        "GET gmail.users.drafts.list",
        setting("drafts", value=3),
        DUE,
        "error: Gmail drafts.list: expected 'drafts' to be a list of objects, got int",
    ),
    "a listed draft without an id": (
        "google",
        "GET gmail.users.drafts.list",
        lambda body, _url: {"drafts": [{"message": {"id": "m1"}}], "resultSizeEstimate": 1},
        DUE,
        "error: Gmail drafts.list: a draft without an id ({'message': {'id': 'm1'}})",
    ),
    "a page token that is a number": (
        "google",
        "GET gmail.users.drafts.list",
        setting("nextPageToken", value=2),
        DUE,
        "error: Gmail drafts.list: nextPageToken is int, expected a string",
    ),
    "a draft whose headers are missing": (
        "google",
        "GET gmail.users.drafts.get",
        setting("message", "payload", value=_DELETE),
        DUE,
        "error: Gmail drafts.get of draft …: expected the message's headers; cannot tell whether "
        f"it is the draft for {KEY_OF_RAJ}",
    ),
    "an error body Google's client cannot read": (
        "google",
        "GET calendar.events.list",
        lambda body, _url: body,  # replaced below by a 503 with {"error": {"message": 7}}
        DUE,
        "backoff: Google Calendar events.list of 'primary' failed: HTTP 503: Service "
        "Unavailable (an error body of unexpected shape) (gave up after 6 attempt(s) and 16 s "
        "of waiting)",
    ),
    "attendees not a list": (
        "outlook",
        "GET /me/calendarView/delta",
        setting("value", 0, "attendees", value={"ian": "required"}),
        PLAN,
        "Outlook event 'Initech - conversation with the platform team' (…): expected "
        "'attendees' to be a list of people, got {'ian': 'required'}",
    ),
    "a draft that is not a message": (
        "outlook",
        "GET /me/messages/",
        lambda body, _url: [body],
        DUE + timedelta(minutes=10),
        "error: Microsoft Graph answered GET /me/messages/{id} for draft followupd:…"
        ":thank_you:1 with list, expected a message object",
    ),
    "a key search answer with a broken entry": (
        "outlook",
        "GET /me/messages",
        lambda body, _url: {"value": [{"subject": "no id"}]},
        DUE,
        "error: Microsoft Graph answered the search for messages with a followupd key with an "
        "entry that is not a message with an id",
    ),
}


@pytest.mark.parametrize("name", list(UNREADABLE))
def test_an_unreadable_answer_is_named_with_what_was_expected(
    open_world: Callable[[str], World], name: str
) -> None:
    kind, match, mutate, when, shown = UNREADABLE[name]
    world = open_world(kind)
    if when > PLAN:
        planned(world)
    if when > DUE:
        world.tick(DUE)
    if "cannot read" in name:
        fault = Fault("status", 503, code="x", message=7)  # type: ignore[arg-type]
        world.faults.script(match, fault, times=10)
    else:  # (the drafts' lookups: Raj's reads the draft made for Jane just before)
        world.faults.script(match, Fault("mutate", mutate=mutate), times=10**6)
    world.tick(when)
    state = world.account()
    if shown.startswith(("error: ", "backoff: ")):
        found = f"{state.status}: {state.last_error}"
    else:  # one broken event is skipped (and listed), not the whole calendar
        assert state.status == "ok", state.last_error
        found = "\n".join(f"{item}: {message}" for _, item, message in problems(world))
    # KEYs name what the account serves (daemon.resources.tag), known once the world is made.
    from daemon.resources import tag

    account = world.config.accounts[0]
    shown = shown.replace(KEY_OF_RAJ, KEY_OF_RAJ.replace(":gmail:", f":{tag(account)}:", 1))
    head, _, tail = shown.partition("…")
    assert found.startswith(head) and found.endswith(tail), found
    assert world.local_drafts() == ([] if when == PLAN else LOCAL)


def test_an_endless_list_of_outlook_calendars_is_cut_off(
    open_world: Callable[[str], World],
) -> None:
    world = open_world("outlook")  # its calendars are looked up by name only when configured
    ctx = context(world.config, world.config.account("work"), world.clock)
    calendar = OutlookCalendar(outlook_graph(world.config, ctx, []), ctx, ["Job search"])
    world.faults.script("GET /me/calendars", endless(world), times=10**6)
    with pytest.raises(InvalidResponse) as err:
        calendar.check()
    assert str(err.value) == ("Microsoft Graph kept paging the list of calendars past 20 pages")
    assert world.requests("GET /me/calendars") == 20
