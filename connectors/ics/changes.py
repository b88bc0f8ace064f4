"""iCalendar bytes of several items + a window -> :class:`daemon.protocols.CalendarChanges`.

The one path from calendar data to events, shared by every provider that receives iCalendar
text: the ``ics`` provider (files) and the ``caldav`` provider (resources of a CalDAV server).
Parsing (:mod:`.reading`), grouping by UID and expanding recurrences (:mod:`.expand`), time
zones (:mod:`.timezones`), cancellations and the mapping to events (:mod:`.events`) are done
here once, so that an invitation reads the same wherever it is stored.

An item is one file or one server resource: ``label`` names it in problems (a path relative
to the configured folder, a resource's href), and ``calendar`` says which calendar its events
belong to, either as a name or as a rule that reads it from the parsed data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from icalendar import Event

from connectors.ics import events as mapping
from connectors.ics import reading
from connectors.ics.components import describe, text
from connectors.ics.expand import Expansion, Limits, Origin
from daemon.protocols import CalendarChanges, CalendarEvent, Problem

logger = logging.getLogger(__name__)

# The calendar's name from the parsed item (X-WR-CALNAME, a folder's name...).
NameRule = Callable[[reading.ParsedFile], str]


@dataclass(frozen=True)
class Item:
    label: str  # how problems name it: a file's relative path, a resource's href
    data: bytes
    calendar: str | NameRule  # the calendar's name, or how to find it in the parsed data


def item_problem(label: str, message: str, *, warning: bool = False) -> Problem:
    """A problem of a whole item: it is both the item and the container."""
    return Problem(item=label, message=message, container=label, warning=warning)


def parse_item(
    item: Item,
    problems: list[Problem],
    window: tuple[datetime, datetime] | None = None,
    skipped: set[str] | None = None,
) -> list[tuple[Event, Origin]]:
    """The item's VEVENTs with their origin; what cannot be read becomes a problem.

    With a ``window``, the events certainly outside it are not parsed (:mod:`.prescan`);
    their UIDs are added to ``skipped``."""
    try:
        parsed = reading.parse(item.data, item.label, window)
        for note in parsed.notes:
            logger.info("%s: %s", item.label, note)
        problems.extend(parsed.problems)
        name = item.calendar if isinstance(item.calendar, str) else item.calendar(parsed)
        origin = Origin(label=item.label, calendar=name, method=parsed.method)
        if skipped is not None:
            skipped.update(parsed.skipped_uids)
        return [(event, origin) for event in parsed.events]
    except reading.NotACalendar as err:
        problems.append(item_problem(item.label, f"{reading.EXPECTED}: {err}"))
    except Exception as err:  # one bad item must never stop the others
        logger.warning("%s: unexpected parser failure", item.label, exc_info=True)
        problems.append(
            item_problem(item.label, f"{reading.EXPECTED}: {type(err).__name__}: {err}")
        )
    return []


def _parse_all(
    items: Iterable[Item],
    window: tuple[datetime, datetime],
    problems: list[Problem],
    prescan: bool = True,
) -> list[tuple[Event, Origin]]:
    """Every item's events, those certainly outside the window left unparsed.

    An event is left out only when its UID is nowhere else in its file (:mod:`.prescan`); an
    item whose left-out UID turns up among the events read from any item is read again
    whole: the event left out may be the update (a higher SEQUENCE) of one in the window, or
    its series."""
    parsed: list[tuple[Item, list[Problem], list[tuple[Event, Origin]], set[str]]] = []
    for item in items:
        own: list[Problem] = []
        skipped: set[str] = set()
        pairs = parse_item(item, own, *((window, skipped) if prescan else ()))
        parsed.append((item, own, pairs, skipped))
    read_uids = {text(event.get("UID")) for _, _, pairs, _ in parsed for event, _ in pairs}
    result: list[tuple[Event, Origin]] = []
    for item, own, pairs, skipped in parsed:
        if skipped & read_uids:
            logger.debug("%s: a UID left unparsed is read elsewhere: read whole", item.label)
            own = []
            pairs = parse_item(item, own)
        problems.extend(own)
        result.extend(pairs)
    return result


def read(
    items: Iterable[Item],
    window: tuple[datetime, datetime],
    local: tzinfo,
    addresses: frozenset[str],
    limits: Limits | None = None,
    problems: list[Problem] | None = None,
    keys: dict[str, set[str]] | None = None,
    prescan: bool = True,
) -> CalendarChanges:
    """Every event instance of ``items`` in ``window`` (aware datetimes), sorted by start.

    ``problems`` already found by the caller (an unreadable file, a resource the server would
    not give) come first in the result and count like the parser's: only a read without any
    (warnings aside) is ``complete``, since an interview in an item that broke must not look
    deleted (its pending follow-ups would be cancelled). The cursor is left to the caller.

    ``keys``, when given, receives each item's event keys (UID, or the id derived for an event
    without one) by label: a provider that later hears an item was deleted knows which events
    went with it.

    ``prescan=False`` parses every event, even those certainly outside the window: the
    reference the prescan is tested against.
    """
    found_problems: list[Problem] = list(problems or [])
    start, end = (w.astimezone(local) for w in window)
    pairs = _parse_all(items, (start, end), found_problems, prescan)
    expansion = Expansion((start, end), local, limits or Limits())
    instances = expansion.run(pairs)
    found_problems.extend(expansion.problems)
    found: list[CalendarEvent] = []
    for instance in instances:
        if keys is not None:
            keys.setdefault(instance.origin.label, set()).add(instance.key)
        try:
            found.append(mapping.to_event(instance, local, addresses))
        except Exception as err:  # one odd event never stops the sync
            logger.warning("cannot map %s", instance.key, exc_info=True)
            found_problems.append(
                Problem(
                    item=describe(instance.event),
                    message=f"event {describe(instance.event)} could not be read ({err});"
                    " expected an event as RFC 5545 describes it",
                    container=instance.origin.label,
                )
            )
    found.sort(key=lambda e: (e.start, e.id))
    # A warning (a repaired line, replaced bytes) lost nothing: it does not count.
    complete = not any(not problem.warning for problem in found_problems)
    return CalendarChanges(events=found, cursor=None, complete=complete, problems=found_problems)
