"""The maildir connector against what an outside campaign left in real Maildirs (issue 9).

Point 10: drafts and the folders we create are private whatever the umask.
Point 11: a FIFO (or any non-file) in any folder never blocks a scan.
Point 16a: a draft moved by hand from Drafts to Sent, D flag and all, counts as sent.
Point 16b: our own stale tmp/ files are removed after 36 h, nobody else's; a failed write
leaves none behind.

Real Maildirs in tmp_path and the real connector throughout. Names of our tmp files are
spelled out literally here rather than taken from the connector, so the tests pin the scheme.
"""

from __future__ import annotations

import dataclasses
import errno
import mailbox
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.maildir.connector import MaildirMailbox
from daemon import demo
from daemon.clock import FrozenClock
from daemon.errors import BadItem, ConnectorError
from daemon.message import message_id_for
from daemon.protocols import AccountContext, Address, DraftRequest, DraftStatus

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
ME = "alex@example.org"
KEY = "followupd:personal:interview-7f3a9c0e:jane.doe@acme.com:thank-you"
DRAFT_ID = message_id_for(KEY, ME)
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


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture(params=[0o000, 0o022], ids=["umask000", "umask022"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


# ------------------------------------------------------------------------------------------
# 10. Private files and folders whatever the umask
# ------------------------------------------------------------------------------------------


def test_a_created_drafts_folder_and_its_draft_are_private_maildirplusplus(
    tmp_path: Path, umask: int
) -> None:
    root = tmp_path / "Mail"
    mailbox.Maildir(root, create=True)  # INBOX only: followupd creates .Drafts
    box = MaildirMailbox(context(tmp_path), {"path": root})
    box.create_draft(request())
    drafts = root / ".Drafts"
    [draft] = (drafts / "cur").iterdir()
    assert oct(mode(draft)) == oct(0o600)
    assert oct(mode(drafts / "maildirfolder")) == oct(0o600)
    for directory in (drafts, drafts / "cur", drafts / "new", drafts / "tmp"):
        assert oct(mode(directory)) == oct(0o700), directory


def test_a_created_nested_drafts_folder_is_private_in_the_folders_layout(
    tmp_path: Path, umask: int
) -> None:
    root = tmp_path / "Mail"
    root.mkdir()
    mailbox.Maildir(root / "INBOX", create=True)  # one Maildir per folder, as mbsync writes
    box = MaildirMailbox(
        context(tmp_path), {"path": root, "layout": "folders", "drafts_folder": "Work/Drafts"}
    )
    box.create_draft(request())
    drafts = root / "Work" / "Drafts"
    [draft] = (drafts / "cur").iterdir()
    assert oct(mode(draft)) == oct(0o600)
    for directory in (root / "Work", drafts, drafts / "cur", drafts / "new", drafts / "tmp"):
        assert oct(mode(directory)) == oct(0o700), directory
    assert not (drafts / "maildirfolder").exists()  # a Maildir++ marker only


def test_a_draft_in_an_existing_folder_is_private_and_the_folder_untouched(
    box: MaildirMailbox, root: Path, umask: int
) -> None:
    drafts = root / ".Drafts"
    os.chmod(drafts, 0o750)  # the user's choice for a folder we did not make: kept
    (drafts / "tmp").rmdir()  # some sync tools never create tmp/: we do, privately
    box.create_draft(request())
    [draft] = (drafts / "cur").iterdir()
    assert oct(mode(draft)) == oct(0o600)
    assert oct(mode(drafts / "tmp")) == oct(0o700)
    assert oct(mode(drafts)) == oct(0o750)


def test_check_creates_no_drafts_folder_the_first_draft_a_private_one(
    tmp_path: Path, umask: int
) -> None:
    root = tmp_path / "Mail"
    mailbox.Maildir(root, create=True)
    box = MaildirMailbox(context(tmp_path), {"path": root})
    box.check()
    assert not (root / ".Drafts").exists()  # issue 12: check writes nothing
    box.create_draft(request())
    assert oct(mode(root / ".Drafts")) == oct(0o700)
    assert oct(mode(root / ".Drafts" / "maildirfolder")) == oct(0o600)


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
    from connectors.maildir.reading import excerpt, parse_inbound, read_head
    from daemon.files import NotRegularFile

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


# ------------------------------------------------------------------------------------------
# 16a. A draft moved by hand into Sent is a sent copy, whatever its flags
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sub", "suffix"),
    [("cur", ":2,D"), ("cur", ":2,DS"), ("cur", ":2,DFS"), ("cur", "!2,DS"), ("new", "")],
)
def test_a_draft_moved_by_hand_to_sent_is_sent(
    box: MaildirMailbox, root: Path, sub: str, suffix: str
) -> None:
    ref = box.create_draft(request())
    [draft] = (root / ".Drafts" / "cur").iterdir()
    shutil.move(draft, root / ".Sent" / sub / (ref.id + suffix))
    state = box.draft_state(ref, KEY)
    assert state.status is DraftStatus.SENT
    assert state.sent is not None and state.sent.message_id == DRAFT_ID
    assert state.sent_at == NOW  # the draft's Date: when it was written, the best we know
    assert box.find_draft(KEY) == ref


def test_a_draft_flagged_copy_in_sent_under_another_message_id_is_not_sent(
    box: MaildirMailbox, root: Path
) -> None:
    """A client's copy of the draft under a new Message-ID, still flagged D, is a draft, not
    the user sending it: only an unflagged copy may be recognised by recipients and subject
    (connectors/maildir/records.py). The draft's own Message-ID in Sent counts whatever its
    flags (above): nothing but the user moves our draft there."""
    ref = box.create_draft(request())
    [draft] = (root / ".Drafts" / "cur").iterdir()
    data = draft.read_bytes().replace(DRAFT_ID.encode(), b"<renewed.1@laptop.example.org>")
    draft.unlink()
    (root / ".Sent" / "cur" / "1796000000.M5P5.gmail:2,DS").write_bytes(data)
    assert box.draft_state(ref, KEY).status is DraftStatus.GONE
    os.rename(
        root / ".Sent" / "cur" / "1796000000.M5P5.gmail:2,DS",
        root / ".Sent" / "cur" / "1796000000.M5P5.gmail:2,S",
    )
    assert box.draft_state(ref, KEY).status is DraftStatus.SENT


# ------------------------------------------------------------------------------------------
# 16b. Our stale tmp/ files go after 36 h, nobody else's; a failed write leaves none
# ------------------------------------------------------------------------------------------

OWN_OLD = "1796000000.followupd_M123456P4242Q7R0123456789abcdef.laptop"
OWN_35H = "1796000001.followupd_M123456P4242Q8R0123456789abcdef.laptop"
OWN_FRESH = "1796000002.followupd_M123456P4242Q9R0123456789abcdef.laptop"
FOREIGN = {
    "python-mailbox": "1796000000.M123456P4242Q7.laptop",  # what followupd used to write too
    "dovecot": "1796000000.M123456P4242.mail.example.org,S=1234",
    "mbsync": "1796000000.4242_7.laptop,U=12",
    "mentions-us": "1796000000.followupd_notes.txt",
}


def age(path: Path, hours: float) -> None:
    stamp = time.time() - hours * HOUR
    os.utime(path, (stamp, stamp))


def fill_tmp(tmp: Path) -> None:
    for name, hours in ((OWN_OLD, 37), (OWN_35H, 35), (OWN_FRESH, 0.1)):
        (tmp / name).write_bytes(b"From: half a draft")
        age(tmp / name, hours)
    for name in FOREIGN.values():
        (tmp / name).write_bytes(b"another program's delivery in progress")
        age(tmp / name, 24 * 100)


def test_create_draft_removes_only_our_stale_tmp_files(box: MaildirMailbox, root: Path) -> None:
    tmp = root / ".Drafts" / "tmp"
    fill_tmp(tmp)
    box.create_draft(request())
    assert sorted(p.name for p in tmp.iterdir()) == sorted([OWN_35H, OWN_FRESH, *FOREIGN.values()])


def test_a_recently_read_own_tmp_file_is_kept(box: MaildirMailbox, root: Path) -> None:
    """The convention says "not accessed for 36 hours": a recent atime keeps the file."""
    path = root / ".Drafts" / "tmp" / OWN_OLD
    path.write_bytes(b"From: half a draft")
    os.utime(path, (time.time() - HOUR, time.time() - 40 * HOUR))
    box.create_draft(request())
    assert path.exists()


def test_check_removes_our_stale_tmp_files(box: MaildirMailbox, root: Path) -> None:
    tmp = root / ".Drafts" / "tmp"
    fill_tmp(tmp)
    box.check()
    assert OWN_OLD not in {p.name for p in tmp.iterdir()}
    assert len(list(tmp.iterdir())) == 2 + len(FOREIGN)


def test_our_draft_files_use_the_recognisable_name_scheme(box: MaildirMailbox, root: Path) -> None:
    ref = box.create_draft(request())
    [draft] = (root / ".Drafts" / "cur").iterdir()
    assert draft.name == f"{ref.id}:2,DS"
    seconds, middle, host = ref.id.split(".", 2)
    assert seconds.isdigit() and middle.startswith("followupd_M") and host
    assert list((root / ".Drafts" / "tmp").iterdir()) == []


def _drafts_tmp_fd(fd: int, root: Path) -> bool:
    try:
        return os.readlink(f"/proc/self/fd/{fd}").startswith(str(root / ".Drafts" / "tmp"))
    except OSError:
        return False


@pytest.mark.parametrize("where", ["write", "fsync"])
def test_a_full_disk_mid_write_leaves_no_tmp_file(
    box: MaildirMailbox, root: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """ENOSPC from the kernel, as a full disk gives it: after half the bytes, or at fsync
    (where NFS and quota-limited file systems report it)."""
    real_write, real_fsync = os.write, os.fsync

    def write(fd: int, data: bytes) -> int:
        if _drafts_tmp_fd(fd, root):
            real_write(fd, bytes(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    def fsync(fd: int) -> None:
        if _drafts_tmp_fd(fd, root):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, where, write if where == "write" else fsync)
    for _ in range(3):
        with pytest.raises(
            ConnectorError, match=r"cannot write the draft \(No space left.*the disk is full"
        ):
            box.create_draft(request())
    monkeypatch.undo()
    assert list((root / ".Drafts" / "tmp").iterdir()) == []
    assert list((root / ".Drafts" / "cur").iterdir()) == []
    ref = box.create_draft(request())  # space again: the retry writes the one draft
    assert box.find_draft(KEY) == ref
    assert list((root / ".Drafts" / "tmp").iterdir()) == []


def test_tmp_file_ages_are_wall_clock_not_the_daemon_clock(tmp_path: Path, root: Path) -> None:
    """File times are wall-clock facts: a daemon clock far ahead (simulated time in tests and
    campaigns) must not make a file being written right now look stale."""
    far = dataclasses.replace(context(tmp_path), clock=FrozenClock(NOW + timedelta(days=3650)))
    tmp = root / ".Drafts" / "tmp"
    (tmp / OWN_FRESH).write_bytes(b"From: being written right now")
    MaildirMailbox(far, {"path": root}).create_draft(request())
    assert (tmp / OWN_FRESH).exists()
