"""What a poll of an Outlook account costs (issue 14), and Graph's JSON batching.

The real MSAL and requests against the fake Graph (tests/fakes/graph_server.py), the mailbox
asked what the core asks in a poll, in its order (daemon/replies.py, daemon/running/
sentwatch.py): each waiting draft's state, the sent messages while an inquiry waits for one,
the replies. An unchanged account costs one request for its calendar and one for its mailbox
however many drafts wait, and so does a new process (``run --once``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.outlook import PROVIDER, forget_runtimes, runtime
from connectors.outlook.mail import OutlookMailbox
from daemon.clock import SystemClock
from daemon.message import message_id_for
from daemon.protocols import AccountContext, Address, DraftRequest, DraftStatus
from tests.fakes.faults import Fault
from tests.fakes.graph_server import MicrosoftFakes, running_microsoft

ME = Address("casey@contoso.example", "Casey Candidate")
INTERVIEW_END = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
NOW = datetime.now(UTC)
WINDOW = (NOW - timedelta(days=30), NOW + timedelta(days=90))


@pytest.fixture
def ms(tmp_path: Path) -> Iterator[MicrosoftFakes]:
    with running_microsoft(tmp_path / "fakes") as fakes:
        yield fakes


@pytest.fixture
def ctx(ms: MicrosoftFakes, tmp_path: Path) -> AccountContext:
    context = AccountContext("work", (ME.email,), tmp_path / "state", SystemClock(), "UTC")
    PROVIDER.authorize(context, ms.account_options(), lambda line: None)
    return context


def mailbox_of(ms: MicrosoftFakes, ctx: AccountContext) -> OutlookMailbox:
    return PROVIDER.mailbox(ctx, {}, ms.account_options())


def thank_you(number: int) -> DraftRequest:
    person = Address(f"person{number}@acme.example", f"Person {number}")
    key = f"followupd:work:7:{person.email}:thanks"
    return DraftRequest(
        key=key,
        sender=ME,
        to=(person,),
        subject="Thank you",
        text=f"Dear {person.name},\n\nthank you.\n\nCasey",
        message_id=message_id_for(key, ME.email),
    )


class Poll:
    """The core's questions of one poll, with the cursors it stores between polls."""

    def __init__(self, ms: MicrosoftFakes, ctx: AccountContext, drafts: list[Any]) -> None:
        self.ms, self.ctx, self.drafts = ms, ctx, drafts
        self.calendar_cursor: str | None = None
        self.mail_cursor: str | None = None

    def run(self, expect: dict[str, DraftStatus] | None = None) -> tuple[int, int]:
        """One poll; the HTTP requests it made to Graph, and the requests inside batches."""
        graph = self.ms.graph
        before, inner = len(graph.log), len(graph.batch_log)
        calendar = PROVIDER.calendar(self.ctx, {}, self.ms.account_options())
        mailbox = mailbox_of(self.ms, self.ctx)
        self.calendar_cursor = calendar.changes(self.calendar_cursor, WINDOW).cursor
        for ref, key in self.drafts:
            wanted = (expect or {}).get(ref.id, DraftStatus.DRAFT)
            assert mailbox.draft_state(ref, key).status == wanted
        if self.drafts:  # the inquiry waits for something sent while the thank-yous wait
            mailbox.sent_since(INTERVIEW_END, ["person0@acme.example"], ["acme.example"])
        found = mailbox.messages_since(
            INTERVIEW_END, ["ian@acme.example"], ["acme.example"], self.mail_cursor
        )
        self.mail_cursor = found.cursor
        return len(graph.log) - before, len(graph.batch_log) - inner


@pytest.mark.parametrize("waiting", [0, 5])
def test_an_unchanged_poll_costs_one_request_per_calendar_and_mailbox(
    ms: MicrosoftFakes, ctx: AccountContext, waiting: int
) -> None:
    ms.graph.add_event("Onsite interview", NOW - timedelta(days=2))
    mailbox = mailbox_of(ms, ctx)
    drafts = [(mailbox.create_draft(thank_you(n)), thank_you(n).key) for n in range(waiting)]
    ms.graph.deliver(
        "ian@acme.example", "RE: Thank you", received=INTERVIEW_END + timedelta(hours=1)
    )
    poll = Poll(ms, ctx, drafts)
    poll.run()  # the first poll reads everything and looks up what it needs once
    assert poll.run() == (2, 3 if waiting else 0)  # drafts, Sent Items, replies in one batch
    signed_in = len(ms.authority.requests)
    forget_runtimes()  # a new process (`run --once`): what it needs is in the state folder
    assert poll.run() == (2, 3 if waiting else 0)
    assert ms.authority.requests[signed_in:] == []
    if waiting:
        (batch,) = [r for r in ms.graph.log[-1:] if r.path == "/$batch"]
        assert batch.method == "POST"


def test_a_sent_and_a_deleted_draft_are_still_recognised(
    ms: MicrosoftFakes, ctx: AccountContext
) -> None:
    mailbox = mailbox_of(ms, ctx)
    drafts = [(mailbox.create_draft(thank_you(n)), thank_you(n).key) for n in range(4)]
    poll = Poll(ms, ctx, drafts)
    poll.run()
    (sent, _), (soft, _), (hard, _), (kept, _) = drafts
    at = datetime(2026, 3, 2, 16, 45, tzinfo=UTC)
    ms.graph.user_sends(sent.id, at)
    ms.graph.user_deletes(soft.id)  # to Deleted Items
    ms.graph.user_deletes(hard.id, hard=True)
    expect = {sent.id: DraftStatus.SENT, soft.id: DraftStatus.GONE, hard.id: DraftStatus.GONE}
    http, _ = poll.run(expect)
    assert http > 2  # the three that left Drafts are looked up on their own
    state = mailbox_of(ms, ctx).draft_state(sent, drafts[0][1])
    assert state.status == DraftStatus.SENT and state.sent_at == at
    assert kept.id not in {r.path.rsplit("/", 1)[-1] for r in ms.graph.log}


def test_the_first_reply_scan_is_batched_and_a_failed_message_is_skipped_and_recorded(
    ms: MicrosoftFakes, ctx: AccountContext
) -> None:
    ids = [
        ms.graph.deliver(
            "ian@acme.example",
            f"Re: {n}",
            received=INTERVIEW_END + timedelta(minutes=n),
            headers={"Auto-Submitted": "auto-replied"} if n == 3 else None,
        )
        for n in range(25)
    ]
    refused, throttled, busy = ids[7], ids[11], ids[19]
    ms.graph.faults.script(refused, Fault("status", status=403, code="ErrorAccessDenied"))
    ms.graph.faults.script(throttled, Fault("status", status=429, retry_after="0.01"))
    ms.graph.faults.script(busy, Fault("status", status=503, retry_after="0"), times=99)
    mailbox = mailbox_of(ms, ctx)
    graph = runtime(ctx, ms.account_options()).graph
    graph.max_attempts = 3
    before = len(ms.graph.log)
    found = mailbox.messages_since(INTERVIEW_END, ["ian@acme.example"], [], None)
    # One listing, then 25 header reads in batches of 20 and 5; the throttled one again in a
    # later batch (with the one that stays busy), the busy one a third time, then given up.
    paths = [r.path for r in ms.graph.log[before:]]
    assert paths == ["/me/messages", "/$batch", "/$batch", "/$batch", "/$batch"]
    assert {m.id for m in found.messages} == set(ids) - {refused, busy}
    assert [m.auto_reply for m in found.messages if m.id == ids[3]] == [True]
    problems = {p.item: p.message for p in found.problems}
    assert len(problems) == 2
    refused_said = next(m for i, m in problems.items() if refused.startswith(i[16:28]))
    assert "(HTTP 403 ErrorAccessDenied: The service failed.)" in refused_said
    assert refused_said.endswith("; skipped")
    busy_said = next(m for i, m in problems.items() if busy.startswith(i[16:28]))
    assert busy_said.endswith("; it is read again at the next poll")
    # Next poll: only the busy one is read again (now it answers); the refused one is not.
    ms.graph.faults.calm()
    again = mailbox.messages_since(INTERVIEW_END, ["ian@acme.example"], [], found.cursor)
    assert [m.id for m in again.messages] == [busy] and again.problems == []
    assert ms.graph.batch_log[-1].path == f"/me/messages/{busy}"


# -- the fake's $batch, as Graph's -------------------------------------------------------------


def test_the_fake_batches_as_graph_does(ms: MicrosoftFakes, ctx: AccountContext) -> None:
    token = runtime(ctx, ms.account_options()).tokens.token()

    def post(body: Any) -> requests.Response:
        return requests.post(
            f"{ms.graph_root}/v1.0/$batch",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            verify=str(ms.ca_bundle),
            timeout=10,
        )

    ms.graph.throttle(1, retry_after="7")
    answer = post(
        {
            "requests": [
                {"id": "a", "method": "GET", "url": "/me?$select=mail"},
                {"id": "b", "method": "GET", "url": "me/mailFolders/drafts"},
                {"id": "c", "method": "GET", "url": "/me/messages/AAMk-none"},
                {"id": "d", "method": "GET", "url": "/me", "dependsOn": ["c"]},
                {"id": "e", "method": "POST", "url": "/me/messages", "body": {"subject": "x"}},
            ]
        }
    )
    assert answer.status_code == 200
    responses = answer.json()["responses"]
    assert [r["id"] for r in responses] == ["e", "d", "c", "b", "a"]  # any order: match by id
    by_id = {r["id"]: r for r in responses}
    assert by_id["a"]["status"] == 429 and by_id["a"]["headers"]["Retry-After"] == "7"
    assert by_id["a"]["body"]["error"]["code"] == "TooManyRequests"
    assert by_id["b"]["status"] == 200 and by_id["b"]["body"]["id"] == "FOLDER-DRAFTS"
    assert by_id["c"]["status"] == 404 and by_id["d"]["status"] == 424
    assert by_id["e"]["status"] == 400  # a body needs its Content-Type
    # What ran: a step with a failed dependency or a bad request never does.
    assert [r.path for r in ms.graph.batch_log] == [
        "/me",
        "/me/mailFolders/drafts",
        "/me/messages/AAMk-none",
    ]
    many = [{"id": str(n), "method": "GET", "url": "/me"} for n in range(21)]
    assert post({"requests": many}).status_code == 400
    twice = [{"id": "x", "method": "GET", "url": "/me"}, {"id": "X", "method": "GET", "url": "/me"}]
    assert post({"requests": twice}).status_code == 400
    sending = [{"id": "1", "method": "POST", "url": "/me/sendMail"}]
    assert post({"requests": sending}).json()["responses"][0]["status"] == 403
    ms.graph.violations.clear()  # that one was this test's own, not followupd's
