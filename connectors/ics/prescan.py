"""The VEVENTs of a file's text that certainly lie outside the sync window, removed unparsed
(and the VALARMs of the others, which nothing reads).

A calendar export holds years of events and the window is a few months: parsing every event
with icalendar was most of a first sync (a 10,000-event file: 60 % of ``run --once``). Reading a
handful of raw lines per event costs a small fraction of that, so events are judged here first
and only those that cannot matter are cut out of the text icalendar then parses.

Correctness comes first: an event is removed only when the full parse would also have left it
out *without a word*: no instance in the window and no problem recorded. So an event is removed
only if all of this holds, and kept whenever anything is unusual:

* it is a plain event: no RRULE, RDATE, EXDATE, EXRULE or RECURRENCE-ID (a series, an override
  or anything that might belong to one is kept, unless the whole series goes: see below);
* its UID is plain (one line, no parameters, no escapes) and no other VEVENT of the file has
  that UID (an update with a higher SEQUENCE replaces its original: both are kept). Across
  files, :mod:`connectors.ics.changes` reads a file again whole when one of the UIDs removed
  here turns up in another file;
* one DTSTART and at most one of DTEND or DURATION, written in the plain RFC 5545 forms
  (``20250131``, ``20250131T090000``, ``...Z``, with only TZID and VALUE parameters), DTEND in
  the same zone and kind as DTSTART and not before it (otherwise the full parse records a
  problem, which must not vanish);
* every line is well-formed (a name, then ``;`` or ``:``; no control characters, no stray
  CR), and each ATTENDEE/ORGANIZER line is one :mod:`connectors.ics.addresslines` leaves
  alone (its repairs are reported as warnings, which must not vanish either);
* it ends more than :data:`MARGIN` before the window starts or starts more than MARGIN after
  it ends. The margin covers every reading of a time the full parse might make: a floating
  time or an unknown TZID in the account's or X-WR-TIMEZONE's zone, any VTIMEZONE (offsets
  are at most 99:59 by their syntax), all-day events from local midnight.

A series goes too, with all the VEVENTs of its UID, when every instance certainly lies
outside the window (:mod:`connectors.ics.seriesbounds` says which series it judges, and how):
exports keep years of finished weekly meetings, a third of what a 10,000-event calendar
still parsed after the plain events were cut. Every line of such a series must be as plain
as above, and a UID in an unusual form anywhere in the file (it may be any series') leaves
every series to the full parse.

When the file's structure is unusual at all (a BEGIN or END line not in its plain form, a
component that never ends or ends another, a VEVENT outside a VCALENDAR, lines folded across
blank lines), nothing is removed: the full parse decides, as before.

The VALARMs of the events that stay are removed as well (nothing reads an alarm; about a fifth
of an exported event's lines), except where an ATTENDEE line in one would get a warning, and
in an event with anything unusual in it.

Removed events are whole lines, so the kept lines' numbers are mapped back to the file's
(:meth:`Prescan.original_line`) for the problems that name a line.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from connectors.ics.addresslines import untouched
from connectors.ics.plaintimes import extent
from connectors.ics.seriesbounds import SERIES, series_outside

# Wider than any offset a time may be read with (VTIMEZONE offsets are +-HHMM, under 100 h).
MARGIN = timedelta(days=7)

# Each search starts at a line break: much faster than ^ in MULTILINE mode. Property names
# are matched in capitals; a line in any other form is "malformed" below (its event is kept).
_MARKS = re.compile(r"\n((?:BEGIN|END)[ \t]*[:;][^\r\n]*)")
_PROPS = re.compile(
    r"\n(DTSTART|DTEND|DURATION|RRULE|RDATE|EXDATE|EXRULE|RECURRENCE-ID|UID|X-WR-TIMEZONE)"
    r"(?=[;:])([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)"
)
_ADDRESS_LINES = re.compile(r"\n((?:ATTENDEE|ORGANIZER)[;:][^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)")
_MALFORMED = re.compile(r"\n(?![A-Z0-9-]+[;:]|[ \t]|\r?\n|\r?\Z)")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)")
_ANY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LIKE_MARK = re.compile(r"[ \t]*(?:BEGIN|END)[ \t]*[:;]", re.IGNORECASE)
_FIRST = re.compile(r"BEGIN:VCALENDAR\r?\n")
_MARK = re.compile(r"(BEGIN|END):([A-Z0-9-]+)\r?")
_FOLD = re.compile(r"\r?\n[ \t]")
_FOLDED_OVER_BLANK = re.compile(r"\n(?:\r?\n)+[ \t]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r")


@dataclass
class Prescan:
    text: str  # the text without the removed VEVENTs
    skipped_uids: frozenset[str] = frozenset()
    # (first line number in ``text``, its number in the original) for each run of kept lines
    runs: list[tuple[int, int]] = field(default_factory=lambda: [(1, 1)])

    def original_line(self, number: int) -> int:
        """The original number of line ``number`` (1-based) of :attr:`text`."""
        at = bisect_right(self.runs, (number, float("inf"))) - 1
        first, original = self.runs[max(at, 0)]
        return original + number - first


@dataclass(slots=True)
class _Block:
    """One VEVENT directly inside a VCALENDAR, as raw lines."""

    start: int  # offset of its BEGIN line
    end: int = -1  # offset just past its END line's line break
    judgeable: bool = True  # False: something unusual, keep it
    nested: list[tuple[int, int]] = field(default_factory=list)  # its VALARMs' spans
    props: dict[str, list[str]] = field(default_factory=dict)  # name -> unfolded "rest"s


class _Unusual(Exception):
    """The file's structure is not plain: remove nothing."""


def prescan(text: str, window: tuple[datetime, datetime]) -> Prescan:
    """``text`` without the VEVENTs that certainly have no instance in ``window`` (aware),
    whatever zone its times are read in (see :data:`MARGIN`), and without alarms."""
    try:
        blocks = _blocks(text)
        _mark_malformed(text, blocks)
        xwr = _properties(text, blocks)
    except _Unusual:
        return Prescan(text=text)
    low = window[0].astimezone(UTC).replace(tzinfo=None) - MARGIN
    high = window[1].astimezone(UTC).replace(tzinfo=None) + MARGIN
    uids: dict[str, int] = {}
    candidates: list[tuple[_Block, str]] = []
    for block in blocks:
        uid = _uid(block)
        if uid is not None:
            uids[uid] = uids.get(uid, 0) + 1
        if uid and block.judgeable:
            candidates.append((block, uid))
    spans: list[tuple[int, int]] = []
    names: set[str] = set()
    for block, uid in candidates:
        if (
            uids[uid] == 1
            and _outside(block, low, high, xwr)
            and _addresses_untouched(text, block.start, block.end)
        ):
            spans.append((block.start, block.end))
            names.add(uid)
            block.judgeable = False  # gone: its alarms need no look
    if "" not in uids:  # a UID in an unusual form may be any series' UID: none is judged
        for uid, group in _series(blocks, uids):
            if series_outside([block.props for block in group], low, high, xwr) and all(
                _addresses_untouched(text, block.start, block.end) for block in group
            ):
                spans.extend((block.start, block.end) for block in group)
                names.add(uid)
                for block in group:
                    block.judgeable = False
    # Alarms are read by nothing: those of plain events go too, unless addresslines.py has
    # something to say about one of their lines.
    for block in blocks:
        if block.judgeable:
            spans.extend(span for span in block.nested if _addresses_untouched(text, *span))
    if not spans:
        return Prescan(text=text)
    spans.sort()
    return _without(text, spans, frozenset(names))


def _blocks(text: str) -> list[_Block]:
    """The VEVENTs of the file's VCALENDARs, from its BEGIN and END lines; :class:`_Unusual`
    when the structure is odd."""
    if not _FIRST.match(text) or _FOLDED_OVER_BLANK.search(text):
        raise _Unusual
    stack: list[str] = ["VCALENDAR"]
    blocks: list[_Block] = []
    block: _Block | None = None
    nested = 0
    for found in _MARKS.finditer(text):
        plain = _MARK.fullmatch(found.group(1))
        after = found.end() + (2 if text.startswith("\r\n", found.end()) else 1)
        if plain is None or text[after : after + 1] in (" ", "\t"):
            raise _Unusual  # not in its plain form, or continued on the next line
        which, name = plain.groups()
        if which == "BEGIN":
            if not stack and name != "VCALENDAR":
                raise _Unusual  # a bare VEVENT, or something that is no calendar
            if len(stack) == 1 and name == "VEVENT":
                block = _Block(start=found.start() + 1)
            elif block is not None:
                if name != "VALARM" or len(stack) != 2:
                    block.judgeable = False
                if len(stack) == 2:
                    nested = found.start() + 1
            stack.append(name)
            continue
        if not stack or stack[-1] != name:
            raise _Unusual
        stack.pop()
        if block is None:
            continue
        if len(stack) == 1:
            block.end = after
            blocks.append(block)
            block = None
        elif len(stack) == 2:
            block.nested.append((nested, after))
    if stack:
        raise _Unusual  # the file ends inside a component
    return blocks


def _containing(blocks: list[_Block], starts: list[int], at: int) -> _Block | None:
    index = bisect_right(starts, at) - 1
    if index >= 0 and at < blocks[index].end:
        return blocks[index]
    return None


def _mark_malformed(text: str, blocks: list[_Block]) -> None:
    """Events with a malformed line (no NAME: or NAME; at its start), a control character or a
    stray CR are not judged. A malformed line that looks like BEGIN or END (in small letters,
    indented) makes the structure unknown."""
    starts = [block.start for block in blocks]
    for found in _MALFORMED.finditer(text):
        if _LIKE_MARK.match(text, found.end()):
            raise _Unusual
        block = _containing(blocks, starts, found.end())
        if block is not None:
            block.judgeable = False
    if _ANY_CONTROL.search(text) or text.count("\r") != text.count("\r\n"):
        for found in _CONTROLS.finditer(text):
            block = _containing(blocks, starts, found.start())
            if block is not None:
                block.judgeable = False


def _properties(text: str, blocks: list[_Block]) -> str:
    """Collect each event's own properties (not its VALARMs'); returns the calendar's
    X-WR-TIMEZONE."""
    xwr: list[str] = []
    index, count = 0, len(blocks)
    for found in _PROPS.finditer(text):
        at = found.start() + 1
        while index < count and blocks[index].end <= at:
            index += 1
        block = blocks[index] if index < count and blocks[index].start <= at else None
        name, rest = found.groups()
        if "\n" in rest:
            rest = _FOLD.sub("", rest)
        if rest[-1:] == "\r":
            rest = rest[:-1]
        if block is None:
            if name == "X-WR-TIMEZONE":
                xwr.append(rest)
            continue
        if block.nested and any(s <= at < e for s, e in block.nested):
            continue  # a VALARM's DURATION or UID, not the event's
        found_props = block.props
        if name in found_props:
            found_props[name].append(rest)
        else:
            found_props[name] = [rest]
    if text.count("BEGIN:VCALENDAR") > 1 and xwr or len(xwr) > 1:
        raise _Unusual  # which calendar's zone applies where: left to the full parse
    value = xwr[0] if xwr else ""
    return value[1:].strip() if value.startswith(":") else ""


def _uid(block: _Block) -> str | None:
    """The event's UID as icalendar reads it, "" when it has none or an unusual one (the
    event is then kept), None when it has none at all."""
    found = block.props.get("UID")
    if not found:
        return None
    if len(found) > 1 or not found[0].startswith(":") or "\\" in found[0]:
        return ""
    return found[0][1:].strip()


def _outside(block: _Block, low: datetime, high: datetime, xwr: str) -> bool:
    """Does the plain event certainly end before ``low`` or start after ``high``?"""
    if SERIES.intersection(block.props):
        return False
    found = extent(block.props, xwr)
    return found is not None and (found[1] < low or found[0] > high)


def _series(blocks: list[_Block], uids: dict[str, int]) -> Iterator[tuple[str, list[_Block]]]:
    """Each UID's VEVENTs (all of them plain enough to judge) where one is a series or an
    override."""
    groups: dict[str, list[_Block]] = {}
    for block in blocks:
        uid = _uid(block)
        if uid:
            groups.setdefault(uid, []).append(block)
    for uid, group in groups.items():
        if uids[uid] != len(group) or not all(block.judgeable for block in group):
            continue
        if any(SERIES.intersection(block.props) for block in group):
            yield uid, group


def _addresses_untouched(text: str, start: int, end: int) -> bool:
    """Does addresslines.py leave every ATTENDEE and ORGANIZER line between these offsets
    (an event with its VALARMs, or one VALARM) as it is, without a warning?"""
    for line in _ADDRESS_LINES.findall(text, start - 1, end):
        if "\n" in line:
            line = _FOLD.sub("", line)
        if not untouched(line):
            return False
    return True


def _without(text: str, spans: list[tuple[int, int]], uids: frozenset[str]) -> Prescan:
    """``text`` without the spans (whole lines, in order), and how its lines are numbered."""
    parts: list[str] = []
    runs: list[tuple[int, int]] = [(1, 1)]
    at = 0
    line = original = 1
    for start, end in spans:
        kept = text[at:start]
        parts.append(kept)
        lines = kept.count("\n")
        line += lines
        original += lines + text.count("\n", start, end)
        runs.append((line, original))
        at = end
    parts.append(text[at:])
    return Prescan(text="".join(parts), skipped_uids=uids, runs=runs)
