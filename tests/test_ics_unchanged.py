"""An unchanged .ics folder costs a stat per file on the next poll, not a read of every byte.

IcsCalendar remembers each file's stat (inode, size, mtime, ctime) and digest as last read;
when none changed, the cursor is answered without opening a file. A file written just before
it was read (within a coarse file-system clock tick) is read again, and so is a file whose
bytes changed behind a restored mtime (its ctime moved).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.ics import source
from connectors.ics.source import IcsCalendar
from daemon.clock import FrozenClock
from daemon.protocols import AccountContext

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
WINDOW = (NOW - timedelta(days=60), NOW + timedelta(days=90))


def calendar(summary: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:one\r\n"
        f"DTSTART:20260301T100000Z\r\nDTEND:20260301T110000Z\r\nSUMMARY:{summary}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files the source opens (a spy on the real read)."""
    opened: list[Path] = []
    real = source.read_regular

    def counting(path, *, follow_symlinks):  # type: ignore[no-untyped-def]
        opened.append(Path(path))
        return real(path, follow_symlinks=follow_symlinks)

    monkeypatch.setattr(source, "read_regular", counting)
    return opened


def make(tmp_path: Path) -> IcsCalendar:
    ctx = AccountContext(
        name="t",
        addresses=("me@example.org",),
        state_dir=tmp_path,
        clock=FrozenClock(NOW),
        timezone="UTC",
    )
    return IcsCalendar(tmp_path / "cal", ctx)


def test_an_unchanged_folder_is_not_read_again(
    tmp_path: Path, reads: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source, "_SETTLED_NS", 0)  # files written by the test count as settled
    (tmp_path / "cal").mkdir()
    for name in ("a", "b"):
        (tmp_path / "cal" / f"{name}.ics").write_text(calendar(name), newline="")
    cal = make(tmp_path)
    first = cal.changes(None, WINDOW)
    assert len(reads) == 2 and [e.title for e in first.events] == ["a"]
    again = cal.changes(first.cursor, WINDOW)
    assert len(reads) == 2  # nothing opened
    assert again.cursor == first.cursor and again.events == [] and not again.complete
    # A restart (a new source) reads once, then trusts what it read.
    fresh = make(tmp_path)
    assert fresh.changes(first.cursor, WINDOW).cursor == first.cursor
    assert len(reads) == 4


def test_new_bytes_behind_a_restored_mtime_are_read(
    tmp_path: Path, reads: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source, "_SETTLED_NS", 0)
    (tmp_path / "cal").mkdir()
    path = tmp_path / "cal" / "a.ics"
    path.write_text(calendar("Call"), newline="")
    cal = make(tmp_path)
    first = cal.changes(None, WINDOW)
    before = path.stat()
    path.write_text(calendar("Talk"), newline="")  # the same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    changed = cal.changes(first.cursor, WINDOW)
    assert [e.title for e in changed.events] == ["Talk"]
    assert changed.cursor != first.cursor


def test_a_file_written_just_before_it_was_read_is_read_again(
    tmp_path: Path, reads: list[Path]
) -> None:
    (tmp_path / "cal").mkdir()
    (tmp_path / "cal" / "a.ics").write_text(calendar("Call"), newline="")
    cal = make(tmp_path)
    first = cal.changes(None, WINDOW)
    assert cal.changes(first.cursor, WINDOW).events == []  # same bytes, read and hashed
    assert len(reads) == 2
