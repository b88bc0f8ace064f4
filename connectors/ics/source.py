"""A calendar made of local .ics files: one file, or a folder of them (searched recursively).

A folder can hold whole-calendar exports (one file per calendar) or vdirsyncer/khal style
collections (one event per file, a folder per calendar). Files can only be read whole, so each
sync that sees a change returns everything in the window with ``complete=True``.

The cursor is a fingerprint of the files' names and contents, the account's time zone (it gives
floating times their meaning) and the days the window spans. An unchanged folder therefore costs
no parsing, and no reading either while each file's stat is the one it had when it was last read
(:meth:`IcsCalendar._unchanged`); the days are in it so that a recurring series is expanded again
at least once a day as the window slides forward over new instances. A changed file is parsed
without the events that certainly lie outside the window (:mod:`connectors.ics.prescan`).

Which calendar an event belongs to (``CalendarEvent.calendar``), in this order: the file's
X-WR-CALNAME; the ``displayname`` file next to it (vdirsyncer collection metadata); the folder's
name when the file is a collection item (it holds one event and is named after its UID, or
the UID's part before "@", as vdirsyncer, khal, DAVx5 and Radicale name them); else the
file's name without ``.ics``. Each rule depends on the file alone, so a calendar's name never
changes as events come and go.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import stat
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Event

from connectors.ics import changes as reading_changes
from connectors.ics import files, reading
from connectors.ics.components import text
from connectors.ics.expand import Limits, Origin
from daemon.errors import ConnectorError
from daemon.files import NotRegularFile, describe_mode, read_regular
from daemon.filewatch import FileWatch
from daemon.protocols import AccountContext, CalendarChanges, CannotWatch, Problem, Watch
from daemon.worlderrors import explain

logger = logging.getLogger(__name__)

# Bumped when the same bytes give other events or problems (ics2: issue 9; ics3: issue 13,
# the EMAIL parameter over a relay, RSCALE, mended address lines), so that an
# unchanged folder is read again after an upgrade.
_CURSOR_VERSION = "ics3"


class IcsCalendar:
    """:class:`daemon.protocols.CalendarSource` over .ics files at ``path``.

    Event ids: the UID for a single event; ``UID/<RECURRENCE-ID in UTC ISO>`` for each instance
    of a recurring one (``series_id`` = UID). An event without UID gets an id derived from its
    start, organizer and attendees, never from its title or file (see
    :func:`connectors.ics.components.series_key`).
    """

    def __init__(self, path: Path, ctx: AccountContext, limits: Limits | None = None) -> None:
        self.path = Path(path).expanduser()
        self.ctx = ctx
        self.local = ZoneInfo(ctx.timezone)
        self.addresses = frozenset(a.lower() for a in ctx.addresses)
        self.limits = limits or Limits()
        # Each file as last read: its stat (_stat_key; None when it cannot be trusted) and
        # the sha256 of its bytes.
        self._seen: dict[Path, tuple[tuple[int, ...] | None, bytes]] = {}

    # ---------------------------------------------------------------------------------------

    def check(self) -> str:
        listing = self._listing()
        found = listing.files
        unreadable = [f for f in found if not os.access(f, os.R_OK)]
        if unreadable:
            more = f" (and {len(unreadable) - 1} more)" if len(unreadable) > 1 else ""
            raise ConnectorError(
                f"ics: {unreadable[0]} is not readable{more}; expected .ics files this user"
                " can read"
            )
        self._check_parse(listing)
        if self.path.is_file():
            return f"ics: {self.path}"
        noun = "file" if len(found) == 1 else "files"
        skipped = ""
        if listing.others:
            path, what = listing.others[0]
            more = f" and {len(listing.others) - 1} more" if len(listing.others) > 1 else ""
            skipped = f" (skipped {self._label(path)}, which is {what}{more})"
        return f"ics: {len(found)} {noun} in {self.path}{skipped}"

    def _check_parse(self, listing: files.Listing) -> None:
        """Every file is read and parsed as a sync would; ConnectorError counting the files
        that are not calendars (or cannot be read), naming the first three: each may hide an
        interview, which a sync would only record as a problem."""
        problems: list[Problem] = []
        for path, data in self._read(files.Listing(files=listing.files, others=[]), problems):
            self._parse(path, data, problems)
        broken = [p for p in problems if p.item == p.container and not p.warning]
        if not broken:
            return
        shown = "; ".join(f"{p.item}: {p.message}" for p in broken[:3])
        if len(broken) > 3:
            shown += f"; and {len(broken) - 3} more"
        raise ConnectorError(
            f"ics: {len(broken)} of {len(listing.files)} calendar file(s) in {self.path} cannot "
            f"be used: {shown}"
        )

    def changes(self, cursor: str | None, window: tuple[datetime, datetime]) -> CalendarChanges:
        listing = self._listing()
        if cursor is not None and cursor == self._unchanged(listing, window):
            return CalendarChanges(events=[], cursor=cursor, complete=False)
        problems: list[Problem] = []
        blobs = list(self._read(listing, problems))
        digests = [(path, self._seen[path][1]) for path, _ in blobs]
        fingerprint = self._fingerprint(digests, problems, window)
        if cursor is not None and cursor == fingerprint:
            return CalendarChanges(events=[], cursor=fingerprint, complete=False)
        aware_window = (self._aware(window[0]), self._aware(window[1]))
        found = reading_changes.read(
            (self._item(path, data) for path, data in blobs),
            aware_window,
            self.local,
            self.addresses,
            self.limits,
            problems,
        )
        found.cursor = fingerprint
        logger.debug(
            "ics: %d events from %d files, %d problems",
            len(found.events),
            len(blobs),
            len(found.problems),
        )
        return found

    def watch(self, wake: Callable[[], None]) -> Watch:
        """A file saved, added or removed below the path wakes the core (inotify through
        :mod:`daemon.filewatch`), so an event a sync tool writes is read within seconds. Only
        what a sync reads counts: ``*.ics`` and ``displayname`` files outside hidden folders
        (vdirsyncer's temporary files are hidden). A single file is watched through its folder:
        editors and downloads replace it by a rename, which would end a watch of the file."""
        label = f"{self.ctx.name}: ics {self.path}"
        if not self.path.exists():  # tried again after each poll cycle: watched once it is
            raise CannotWatch(f"{label}: it does not exist (yet)")
        if self.path.is_dir():
            root = self.path
            return FileWatch(
                [root], lambda batch: any(_read_by_sync(root, p) for _, p in batch), wake, label
            )
        name = self.path.name
        return FileWatch(
            [self.path.parent],
            lambda batch: any(p.name == name for _, p in batch),
            wake,
            label,
            recursive=False,
        )

    # ---------------------------------------------------------------------------------------

    def _files(self) -> list[Path]:
        """Every *.ics below the path, sorted; hidden files and folders are skipped."""
        return self._listing().files

    def _listing(self) -> files.Listing:
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            raise ConnectorError(
                f"ics: {self.path} does not exist; expected an .ics file or a folder of"
                " .ics files (calendar.path)"
            ) from None
        except OSError as err:
            raise ConnectorError(
                explain(err, f"ics: {self.path} (calendar.path)", "cannot read it")
            ) from None
        if stat.S_ISREG(mode):
            return files.Listing(files=[self.path], others=[])
        if not stat.S_ISDIR(mode):  # a FIFO would block the first read for good
            raise ConnectorError(
                f"ics: {self.path} is {describe_mode(mode)}; expected an .ics file or a folder"
                " of .ics files (calendar.path)"
            )
        if not os.access(self.path, os.R_OK | os.X_OK):
            denied = PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self.path))
            raise ConnectorError(
                explain(denied, f"ics: {self.path} (calendar.path)", "cannot read the folder")
            )
        return files.list_calendar_files(self.path)

    def _unchanged(self, listing: files.Listing, window: tuple[datetime, datetime]) -> str | None:
        """The fingerprint of the files as last read, when none of them can have changed since
        (same inode, size, mtime and ctime, and no change in the two seconds before it was
        read, which coarse file-system clocks could not tell apart); else None.

        What makes an unchanged calendar cost a stat per file instead of reading and hashing
        every byte (a 50,000-event export is 40 MB) on every poll of a running daemon."""
        if listing.others or not listing.files:
            return None
        digests: list[tuple[Path, bytes]] = []
        for path in listing.files:
            seen = self._seen.get(path)
            try:
                now = _stat_key(os.stat(path))
            except OSError:
                return None
            if seen is None or seen[0] is None or seen[0] != now:
                return None
            digests.append((path, seen[1]))
        return self._fingerprint(digests, [], window)

    def _read(
        self, listing: files.Listing, problems: list[Problem]
    ) -> Iterator[tuple[Path, bytes]]:
        for path, what in listing.others:
            problems.append(self._file_problem(path, f"is {what}; expected a regular .ics file"))
        seen: dict[Path, tuple[tuple[int, ...] | None, bytes]] = {}
        try:
            yield from self._read_files(listing.files, problems, seen)
        finally:
            self._seen = seen

    def _read_files(
        self,
        paths: list[Path],
        problems: list[Problem],
        seen: dict[Path, tuple[tuple[int, ...] | None, bytes]],
    ) -> Iterator[tuple[Path, bytes]]:
        """Each readable file's bytes; ``seen`` gets its digest, and its stat when the file
        had been left alone long enough before it was read to be trusted next time."""
        for path in paths:
            try:
                started = time.time_ns()
                data = read_regular(path, follow_symlinks=True)
                key: tuple[int, ...] | None = _stat_key(os.stat(path))
            except FileNotFoundError:
                continue  # deleted since the listing: it is simply gone
            except NotRegularFile as err:  # replaced since the listing
                problems.append(
                    self._file_problem(path, f"is {err.kind}; expected a regular .ics file")
                )
                continue
            except OSError as err:
                problems.append(
                    self._file_problem(
                        path,
                        f"cannot be read ({err.strerror or err}); expected a readable .ics file",
                    )
                )
                continue
            if key is not None and max(key[3], key[4]) >= started - _SETTLED_NS:
                key = None  # changed just before it was read: maybe again within the same tick
            seen[path] = (key, hashlib.sha256(data).digest())
            yield path, data

    def _file_problem(self, path: Path, message: str, *, warning: bool = False) -> Problem:
        """A problem of a whole file: it is both the item and the container."""
        return reading_changes.item_problem(self._label(path), message, warning=warning)

    def _fingerprint(
        self,
        digests: list[tuple[Path, bytes]],
        problems: list[Problem],
        window: tuple[datetime, datetime],
    ) -> str:
        """The cursor: the files' names and content digests, the zone and the window's days."""
        digest = hashlib.sha256()
        days = [self._aware(w).astimezone(self.local).date().isoformat() for w in window]
        for part in (_CURSOR_VERSION, self.ctx.timezone, *days):
            digest.update(part.encode() + b"\0")
        for path, content in digests:
            digest.update(self._label(path).encode() + b"\0" + content)
        for problem in problems:  # an unreadable file that becomes readable is a change
            digest.update(b"unreadable\0" + problem.item.encode() + b"\0")
        return f"{_CURSOR_VERSION}:{digest.hexdigest()}"

    def _item(self, path: Path, data: bytes) -> reading_changes.Item:
        return reading_changes.Item(
            label=self._label(path),
            data=data,
            calendar=lambda parsed: self._calendar_name(path, parsed),
        )

    def _parse(
        self, path: Path, data: bytes, problems: list[Problem]
    ) -> list[tuple[Event, Origin]]:
        return reading_changes.parse_item(self._item(path, data), problems)

    def _calendar_name(self, path: Path, parsed: reading.ParsedFile) -> str:
        if parsed.calendar_name:
            return parsed.calendar_name
        try:
            shown = (path.parent / "displayname").read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            shown = ""
        if shown:
            return shown
        # Events left unparsed (outside the window) count too: the name never depends on it.
        uids = {text(event.get("UID")) for event in parsed.events} | parsed.skipped_uids
        uid = uids.pop() if len(uids) == 1 else ""
        if uid and _plain(path.stem) in (_plain(uid), _plain(uid.split("@")[0])):
            return path.parent.name
        return path.stem

    def _label(self, path: Path) -> str:
        if path == self.path:
            return path.name
        try:
            return path.relative_to(self.path).as_posix()
        except ValueError:
            return path.as_posix()

    def _aware(self, value: datetime) -> datetime:
        return value if value.tzinfo is not None else value.replace(tzinfo=self.local)


# A file changed less than this before it was read may change again within the same
# timestamp (file systems with a coarse clock): its stat alone does not prove it unchanged.
_SETTLED_NS = 2_000_000_000


def _stat_key(found: os.stat_result) -> tuple[int, ...]:
    """What changes when a file's content may have: which file, its size, mtime and ctime
    (writing any byte moves ctime, which no program can set back)."""
    return (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns)


def _plain(name: str) -> str:
    """A name without the characters item file names may have escaped."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _read_by_sync(root: Path, changed: Path) -> bool:
    """Would a sync of the folder ``root`` read ``changed`` (see :func:`files.list_calendar_files`)?"""
    try:
        parts = changed.relative_to(root).parts
    except ValueError:
        return False
    if not parts or any(part.startswith(".") for part in parts):
        return False
    return parts[-1].lower().endswith(".ics") or parts[-1] == "displayname"
