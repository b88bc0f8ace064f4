"""The maildir connector against what an outside campaign left in real Maildirs (issue 9).

Point 11: a FIFO (or any non-file) in any folder never blocks a scan.

Real Maildirs in tmp_path and the real connector throughout.
"""

from __future__ import annotations

import mailbox
import os
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.maildir.connector import MaildirMailbox
from daemon import demo
from daemon.clock import FrozenClock
from daemon.errors import BadItem
from daemon.protocols import AccountContext, Address, DraftRequest, DraftStatus

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
ME = "alex@example.org"
KEY = "followupd:personal:interview-7f3a9c0e:jane.doe@acme.com:thank-you"
DRAFT_ID = "<d41d8cd98f00b204e9800998ecf8427e@followupd.invalid>"
HOUR = 3600


def context(tmp_path: Path) -> AccountContext:
    return AccountContext(
        name="personal",
        addresses=(ME,),
        state_dir=tmp_path / "state",
        clock=FrozenClock(NOW),
        timezone="Europe/Berlin",
    )


def request(key: str = KEY, message_id: str = DRAFT_ID) -> DraftRequest:
    return DraftRequest(
        key=key,
        sender=Address(ME, "Alex"),
        to=(Address("jane.doe@acme.com", "Jane Doe"),),
        subject="Thank you for today",
        text="Hi Jane,\n\nthank you for your time today.\n\nAlex\n",
        message_id=message_id,
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A Maildir++ tree (the root is INBOX) with the folders a client makes."""
    path = tmp_path / "Mail"
    tree = mailbox.Maildir(path, create=True)
    for name in ("Drafts", "Sent", "Archive"):
        tree.add_folder(name)
    return path


@pytest.fixture
def box(tmp_path: Path, root: Path) -> MaildirMailbox:
    return MaildirMailbox(context(tmp_path), {"path": root})


def deliver_reply(root: Path, sub: str = "new") -> Path:
    path = root / sub / ("1796000000.M1P1.mx" + (":2,S" if sub == "cur" else ""))
    path.write_bytes(
        b"From: Jane Doe <jane.doe@acme.com>\nTo: alex@example.org\n"
        b"Subject: Re: Thank you for today\nDate: Sun, 22 Nov 2026 10:00:00 +0000\n"
        b"Message-ID: <reply-1@acme.com>\n\nThanks, Alex!\n"
    )
    return path


# ------------------------------------------------------------------------------------------
# 11. A FIFO anywhere never blocks
# ------------------------------------------------------------------------------------------


@pytest.mark.timeout(20)
def test_a_fifo_in_drafts_cur_blocks_nothing(box: MaildirMailbox, root: Path) -> None:
    fifo = root / ".Drafts" / "cur" / "1796000000.M9P9.x:2,DS"
    os.mkfifo(fifo)
    assert box.find_draft(KEY) is None
    ref = box.create_draft(request())
    assert box.find_draft(KEY) == ref
    assert box.draft_state(ref, KEY).status is DraftStatus.DRAFT
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # skipped, not removed


@pytest.mark.timeout(20)
@pytest.mark.parametrize("sub", ["new", "cur"])
def test_a_fifo_in_inbox_is_a_problem_and_the_reply_is_still_found(
    box: MaildirMailbox, root: Path, sub: str
) -> None:
    fifo = root / sub / ("1796000000.M9P9.x" + (":2,S" if sub == "cur" else ""))
    os.mkfifo(fifo)
    deliver_reply(root, sub)
    result = box.messages_since(NOW, [], ["acme.com"])
    assert [m.id for m in result.messages] == ["<reply-1@acme.com>"]
    [problem] = result.problems
    assert problem.item == str(fifo)
    assert problem.container == "INBOX"
    assert problem.message == "not a regular file but a FIFO (named pipe); expected a message file"
    assert not problem.warning


@pytest.mark.timeout(20)
def test_a_fifo_in_any_scanned_folder_names_that_folder(box: MaildirMailbox, root: Path) -> None:
    os.mkfifo(root / ".Archive" / "cur" / "1796000000.M9P9.x:2,S")
    result = box.messages_since(NOW, [], ["acme.com"])
    assert [(p.container, "FIFO" in p.message) for p in result.problems] == [("Archive", True)]


@pytest.mark.timeout(20)
def test_a_symlink_to_a_fifo_is_not_followed(
    box: MaildirMailbox, root: Path, tmp_path: Path
) -> None:
    os.mkfifo(tmp_path / "pipe")
    (root / "new" / "1796000000.M9P9.x").symlink_to(tmp_path / "pipe")
    result = box.messages_since(NOW, [], ["acme.com"])
    [problem] = result.problems
    assert problem.message == "not a regular file but a symbolic link; expected a message file"


@pytest.mark.timeout(20)
@pytest.mark.parametrize("sub", ["new", "cur"])
def test_a_fifo_in_sent_blocks_nothing(box: MaildirMailbox, root: Path, sub: str) -> None:
    os.mkfifo(root / ".Sent" / sub / "1796000000.M9P9.x")
    ref = box.create_draft(request())
    [draft] = (root / ".Drafts" / "cur").iterdir()
    draft.unlink()
    assert box.find_draft(KEY) is None
    assert box.draft_state(ref, KEY).status is DraftStatus.GONE


@pytest.mark.timeout(20)
def test_a_fifo_in_drafts_tmp_blocks_nothing_and_is_left_alone(
    box: MaildirMailbox, root: Path
) -> None:
    fifo = root / ".Drafts" / "tmp" / "1700000000.followupd_M1P1Q1R0123456789abcdef.laptop"
    os.mkfifo(fifo)
    os.utime(fifo, (time.time() - 100 * HOUR,) * 2, follow_symlinks=False)
    box.create_draft(request())
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.timeout(20)
def test_a_file_swapped_for_a_fifo_after_the_listing_is_refused_without_blocking(
    tmp_path: Path,
) -> None:
    """The second guard: listing said "file", but a FIFO is there by the time we open it."""
    from connectors.maildir.files import NotRegularFile

    from connectors.maildir.reading import excerpt, parse_inbound, read_head

    path = tmp_path / "message"
    os.mkfifo(path)
    with pytest.raises(NotRegularFile) as err:
        read_head(path)
    assert isinstance(err.value, OSError)
    assert "not a regular file but a FIFO" in str(err.value)
    assert excerpt(path) == ""
    with pytest.raises(BadItem, match="cannot read the file: not a regular file but a FIFO"):
        parse_inbound(path)


@pytest.mark.timeout(60)  # two CLI start-ups on a shared machine; the old code never returned
def test_run_once_returns_with_fifos_in_every_folder(tmp_path: Path) -> None:
    config = demo.create(tmp_path / "demo", now=datetime.now(UTC))
    maildir = config.parent / "Maildir"
    for place in ("new", "cur", ".Drafts/cur", ".Drafts/new", ".Sent/cur", ".Drafts/tmp"):
        os.mkfifo(maildir / place / "1796000000.M9P9.fifo")
    result = subprocess.run(
        [sys.executable, "-m", "daemon", "--config", str(config), "run", "--once"],
        capture_output=True,
        text=True,
        timeout=45,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    assert "drafted thank-you" in result.stdout
