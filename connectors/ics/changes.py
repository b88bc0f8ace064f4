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
from connectors.ics.components import describe
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


def parse_item(item: Item, problems: list[Problem]) -> list[tuple[Event, Origin]]:
    """The item's VEVENTs with their origin; what cannot be read becomes a problem."""
    try:
        parsed = reading.parse(item.data, item.label)
        for note in parsed.notes:
            logger.info("%s: %s", item.label, note)
        problems.extend(parsed.problems)
        name = item.calendar if isinstance(item.calendar, str) else item.calendar(parsed)
        origin = Origin(label=item.label, calendar=name, method=parsed.method)
        return [(event, origin) for event in parsed.events]
    except reading.NotACalendar as err:
        problems.append(item_problem(item.label, f"{reading.EXPECTED}: {err}"))
    except Exception as err:  # one bad item must never stop the others
        logger.warning("%s: unexpected parser failure", item.label, exc_info=True)
        problems.append(
            item_problem(item.label, f"{reading.EXPECTED}: {type(err).__name__}: {err}")
        )
    return []


def read(
    items: Iterable[Item],
    window: tuple[datetime, datetime],
    local: tzinfo,
    addresses: frozenset[str],
    limits: Limits | None = None,
    problems: list[Problem] | None = None,
    keys: dict[str, set[str]] | None = None,
) -> CalendarChanges:
    """Every event instance of ``items`` in ``window`` (aware datetimes), sorted by start.

    ``problems`` already found by the caller (an unreadable file, a resource the server would
    not give) come first in the result and count like the parser's: only a read without any
    (warnings aside) is ``complete``, since an interview in an item that broke must not look
    deleted (its pending follow-ups would be cancelled). The cursor is left to the caller.

    ``keys``, when given, receives each item's event keys (UID, or the id derived for an event
    without one) by label: a provider that later hears an item was deleted knows which events
    went with it.
    """
    found_problems: list[Problem] = list(problems or [])
    start, end = (w.astimezone(local) for w in window)
    pairs: list[tuple[Event, Origin]] = []
    for item in items:
        pairs.extend(parse_item(item, found_problems))
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
