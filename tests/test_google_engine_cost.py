"""Gmail's requests per poll through the engine (issue 14): the reply cursor outlives a new
draft, and waiting drafts add no request to an unchanged poll."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from daemon.store import repository as repo
from tests.fault_world import DUE, close_world, make_world, planned


def test_new_drafts_keep_the_reply_cursor_and_an_unchanged_poll_costs_two_requests(
    tmp_path: Path,
) -> None:
    world = make_world(tmp_path, "google")
    try:
        planned(world)
        state = world.google.state  # type: ignore[union-attr]
        with world.engine.sessions() as session:
            before = json.loads(repo.get_cursor(session, "gmail", "mail") or "{}")
        world.tick(DUE)  # the two thank-you drafts are made: the watched senders change
        assert len(state.drafts) == 2
        mark = len(state.requests)
        world.tick(DUE + timedelta(minutes=5))
        with world.engine.sessions() as session:
            after = json.loads(repo.get_cursor(session, "gmail", "mail") or "{}")
        asked = [r.method for r in state.on_the_wire(mark) if not r.method.startswith("oauth")]
        # Kept, not started over: no getProfile, no scan of the whole mailbox.
        assert "gmail.users.getProfile" not in asked
        assert asked.count("gmail.users.history.list") == 1
        if before.get("cursor"):
            assert after["cursor"].split("|")[1] >= before["cursor"].split("|")[1]
        for _ in range(2):  # unchanged: the calendar and the mailbox, one request each
            mark = len(state.requests)
            world.tick(DUE + timedelta(minutes=10 + _))
            asked = [r.method for r in state.on_the_wire(mark) if not r.method.startswith("oauth")]
            assert asked == ["calendar.events.list", "gmail.users.history.list"], (_, asked)
    finally:
        close_world(world)


def test_a_step_that_wrote_makes_the_next_step_ask_anew(tmp_path: Path) -> None:
    """The steps' questions are read together before the poll's first request
    (daemon/running/pollreads.py). When the drafts step records both thank-yous as sent, the
    sent step's question (whose thank-you is awaited) is read again: nothing is awaited any
    more, so the user's Sent folder is not listed."""
    world = make_world(tmp_path, "google")
    try:
        planned(world)
        state = world.google.state  # type: ignore[union-attr]
        world.tick(DUE)
        world.tick(DUE + timedelta(minutes=5))
        assert len(state.drafts) == 2
        for draft in sorted(state.drafts):
            state.send_draft_as_user(draft, at=DUE + timedelta(minutes=7))
        mark = len(state.requests)
        world.tick(DUE + timedelta(minutes=10))
        asked = [r.method for r in state.on_the_wire(mark) if not r.method.startswith("oauth")]
        sent = {who: s for (_, who), (_, s) in world.followups().items() if who in world.people}
        assert sent == dict.fromkeys(world.people, "done")  # the thank-yous, found sent
        assert "gmail.users.messages.list" not in asked, asked
    finally:
        close_world(world)
