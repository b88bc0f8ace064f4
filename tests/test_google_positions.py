"""Gmail's history positions outlive the process (issue 14): a new process's poll of an unchanged
mailbox is one request, however many drafts wait, and never hides what changed meanwhile.

A new :class:`GoogleMailbox` on the same state folder is what a new process (``run --once``, a
restart) builds. Real googleapiclient against the fake; requests counted as they reach it.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.google.draftlog import DraftLog
from connectors.google.positions import FILE
from daemon.protocols import DraftStatus
from tests.fakes.google_env import google_env
from tests.fakes.google_env import thank_you_drafts as drafts

ROOT = Path(__file__).resolve().parents[1]
INTERVIEW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
SINCE = INTERVIEW + timedelta(hours=1)
WATCH = (["jane@acme.com"], ["acme.com"])
GMAIL = "gmail.users."


@pytest.fixture
def env(tmp_path):
    with google_env(tmp_path) as env:
        yield env


def poll(mailbox, waiting, cursor):
    """The engine's mailbox questions, in its order: each waiting draft, the user's sent mail
    (an inquiry waits), replies. Returns the drafts' states, the sent answer, the cursor."""
    states = [mailbox.draft_state(ref, key).status for ref, key in waiting]
    sent = [m.subject for m in mailbox.sent_since(SINCE, *WATCH).messages]
    return states, sent, mailbox.messages_since(INTERVIEW, *WATCH, cursor).cursor


def process(env, waiting, cursor, polls: int = 1):
    """A process's life: a new mailbox on the same state folder, ``polls`` polls, its end
    (the object goes, as at exit). The requests of its first poll, its last poll's answers."""
    mailbox = env.mailbox()
    mark = len(env.state.requests)
    states, sent, cursor = poll(mailbox, waiting, cursor)
    first = [r.method for r in env.state.on_the_wire(mark) if r.method.startswith(GMAIL)]
    for _ in range(polls - 1):
        states, sent, cursor = poll(mailbox, waiting, cursor)
    del mailbox
    gc.collect()
    return first, states, sent, cursor


def test_a_new_process_polls_an_unchanged_mailbox_with_one_request(env):
    env.state.user_sends("jane@acme.com", "Thanks!", at=SINCE + timedelta(hours=1))
    made = drafts(env.mailbox(), 5)
    asked, states, sent, cursor = process(env, made, None, polls=2)
    assert asked.count(GMAIL + "drafts.get") == 5  # the first process looks each up once
    assert sent == ["Thanks!"]
    assert (env.ctx.state_dir / FILE).exists()

    for _ in range(2):  # each later process: the one history.list, nothing per draft
        asked, states, sent, cursor = process(env, made, cursor)
        assert asked == [GMAIL + "history.list"]
        assert states == [DraftStatus.DRAFT] * 5
        assert sent == ["Thanks!"]
    assert oct(os.stat(env.ctx.state_dir / FILE).st_mode & 0o777) == "0o600"


def test_drafts_made_after_a_poll_cost_nothing_in_the_next_process(env):
    """As the engine works: a poll, then the drafts it made. Each is followed from a position
    taken before it was made, so the next process does not look each new draft up; what the
    user does to one afterwards (edit, send, delete) is still seen."""
    mailbox = env.mailbox()
    _, _, cursor = poll(mailbox, [], None)
    made = drafts(mailbox, 4)
    del mailbox
    gc.collect()

    asked, states, _, cursor = process(env, made, cursor)
    assert asked == [GMAIL + "history.list"]
    assert states == [DraftStatus.DRAFT] * 4

    at = SINCE + timedelta(hours=6)
    env.state.edit_draft_as_user(made[0][0].id, text="Thanks, edited")
    env.state.send_draft_as_user(made[1][0].id, at=at)
    env.state.delete_draft(made[2][0].id)
    asked, states, _, _ = process(env, made, cursor)
    assert states == [DraftStatus.DRAFT, DraftStatus.SENT, DraftStatus.GONE, DraftStatus.DRAFT]
    assert asked.count(GMAIL + "drafts.get") == 3  # the three the user touched, not the fourth


def test_what_changed_between_processes_is_seen(env):
    made = drafts(env.mailbox(), 4)
    _, _, sent, cursor = process(env, made, None, polls=2)
    assert sent == []

    at = SINCE + timedelta(hours=6)
    env.state.send_draft_as_user(made[1][0].id, at=at)
    env.state.delete_draft(made[2][0].id)
    env.state.user_sends("raj@acme.com", "Following up", at=at + timedelta(minutes=5))
    asked, states, sent, cursor = process(env, made, cursor)

    assert states == [DraftStatus.DRAFT, DraftStatus.SENT, DraftStatus.GONE, DraftStatus.DRAFT]
    assert sent == ["Following up", "Thanks 1"]
    looked = [m for m in asked if m == GMAIL + "drafts.get"]
    assert len(looked) == 2  # only the two touched drafts
    # And the next process starts from there: unchanged again, one request.
    asked, states, _, _ = process(env, [made[0], made[3]], cursor)
    assert asked == [GMAIL + "history.list"]


def test_history_gmail_no_longer_keeps_means_looking_each_draft_up(env):
    made = drafts(env.mailbox(), 3)
    _, _, _, cursor = process(env, made, None, polls=2)
    env.state.expire_history()
    mailbox = env.mailbox()
    mark = len(env.state.requests)
    states = [mailbox.draft_state(ref, key).status for ref, key in made]
    assert states == [DraftStatus.DRAFT] * 3
    assert env.state.count(mark, GMAIL + "drafts.get") == 3


@pytest.mark.parametrize("content", [b"{not json", b'{"v": 1, "positions": {"draft:x": 7}}'])
def test_an_unreadable_positions_file_means_looking_each_draft_up(env, caplog, content):
    made = drafts(env.mailbox(), 3)
    _, _, _, cursor = process(env, made, None, polls=2)
    (env.ctx.state_dir / FILE).write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="connectors.google.positions"):
        asked, states, sent, _ = process(env, made, cursor)
    assert states == [DraftStatus.DRAFT] * 3
    assert asked.count(GMAIL + "drafts.get") == 3
    assert str(env.ctx.state_dir / FILE) in caplog.text
    # Written again whole: the next process is back to one request.
    asked, _, _, _ = process(env, made, cursor)
    assert asked == [GMAIL + "history.list"]


def test_an_unchanged_poll_writes_nothing(env):
    made = drafts(env.mailbox(), 2)
    _, _, _, cursor = process(env, made, None, polls=2)
    before = os.stat(env.ctx.state_dir / FILE)
    process(env, made, cursor, polls=3)
    after = os.stat(env.ctx.state_dir / FILE)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


EXIT = """
import json, sys
from datetime import UTC, datetime
from pathlib import Path
from connectors.google.gmail import GoogleMailbox
from connectors.google.http import GoogleSession
from daemon.clock import FrozenClock
from daemon.protocols import AccountContext, DraftRef
given = json.loads(sys.argv[1])
ctx = AccountContext(name="personal", addresses=("me@example.com",),
    state_dir=Path(given["state"]), clock=FrozenClock(datetime(2026, 3, 2, 9, tzinfo=UTC)),
    timezone="UTC")
mailbox = GoogleMailbox(GoogleSession(ctx, given["options"]), ctx, {})
for ref, key in given["waiting"]:
    print(mailbox.draft_state(DraftRef(**ref), key).status.value)
"""


def test_a_process_that_exits_leaves_its_last_poll_written(env):
    """``run --once``: the process's one poll is written when it exits (nothing flushes it
    before: there is no next poll)."""
    made = drafts(env.mailbox(), 2)
    gc.collect()
    given = {
        "state": str(env.ctx.state_dir),
        "options": {k: str(v) for k, v in env.options.items()},
        "waiting": [
            ({"id": r.id, "thread_id": r.thread_id, "message_id": r.message_id}, k) for r, k in made
        ],
    }
    run = subprocess.run(
        [sys.executable, "-c", EXIT, json.dumps(given)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads((env.ctx.state_dir / FILE).read_text())["positions"]
    asked, states, _, _ = process(env, made, None)
    assert states == [DraftStatus.DRAFT] * 2
    assert GMAIL + "drafts.get" not in asked


def test_the_draft_record_is_read_again_only_when_the_file_changed(tmp_path):
    path = tmp_path / "google-drafts.json"
    record, other = DraftLog(path), DraftLog(path)
    record.remember("d1", "k1", "t1", [])
    assert record.get("d1")["thread"] == "t1"
    # Changed in place with its size and mtime kept: the same file to the record, not read.
    status = os.stat(path)
    path.write_bytes(path.read_bytes().replace(b'"t1"', b'"t9"'))
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert record.get("d1")["thread"] == "t1"
    # Another process's write replaces the file: seen.
    other.remember("d2", "k2", "t2", [])
    assert record.get("d2")["thread"] == "t2"
    assert record.by_key("k2")[0] == "d2"
