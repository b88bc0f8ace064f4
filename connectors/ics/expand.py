"""VEVENT components of all files -> the instances that overlap the sync window.

Components are grouped by UID across files before expanding, so a folder of saved invitations
behaves like a calendar: the update with the higher SEQUENCE replaces the original, a METHOD:CANCEL
file cancels it, an override (RECURRENCE-ID) may live in another file than its series.

Expansion itself is recurring-ical-events' ``Series`` (RRULE, RDATE, EXDATE, overrides, moved and
THISANDFUTURE instances). What this module adds is the part a daemon needs and a library cannot
know: every bad component or series becomes a :class:`Problem` instead of an exception, and work
is bounded, because dateutil walks a rule from DTSTART and materialises the whole window.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, cast

from icalendar import Event
from icalendar.prop import vRecur
from recurring_ical_events import EventAdapter, Occurrence, Series

from connectors.ics.components import check, describe, first, series_key, text, values
from connectors.ics.rules import describe_interval, never_repeats, shortest_interval
from connectors.ics.timezones import aware
from daemon.protocols import Problem

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Origin:
    """Where a component came from."""

    label: str  # a file's path relative to the configured source, a resource's href
    calendar: str
    method: str = ""  # the file's METHOD: "REQUEST", "CANCEL", "REPLY" (saved invitations)


@dataclass(frozen=True)
class Instance:
    event: Event  # the component describing this instance: the series' or an override
    origin: Origin
    key: str  # UID, or the derived id of an event without UID (see series_key)
    start: date | datetime
    end: date | datetime
    recurrence_id: date | datetime | None  # None: the event does not recur
    repeats_every: timedelta | None = None  # the series' shortest interval (rules.py)


@dataclass(frozen=True)
class Limits:
    # Per series and sync: a runaway series loses its own instances, never another's.
    max_instances: int = 5000
    max_rule_steps: int = 200_000  # dateutil iterations per rule, ~0.5 s
    # Interviews do not recur more often than this; a series that does is not expanded.
    min_repeat: timedelta = timedelta(days=1)


_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86400,
    "WEEKLY": 7 * 86400,
    "MONTHLY": 28 * 86400,
    "YEARLY": 365 * 86400,
}
_DAYS_PER_PERIOD = {"WEEKLY": 7, "MONTHLY": 31, "YEARLY": 366}
_RSCALE_PARTS = ("RSCALE", "SKIP")
_TIME_PARTS = (("BYHOUR", 3600), ("BYMINUTE", 60), ("BYSECOND", 1))


def rule_steps(event: Event, horizon: datetime, local: tzinfo) -> tuple[int, str]:
    """An upper estimate of dateutil's iterations for the event's rules up to ``horizon``.

    dateutil iterates from DTSTART, period by period, through every day of the period and
    every BYHOUR/BYMINUTE/BYSECOND combination, however small the window is.
    """
    dtstart: Any = first(event["DTSTART"])
    start = aware(dtstart.dt, local)
    worst, worst_rule = 0, ""
    for rule in values(event, "RRULE"):
        freq = text(rule.get("FREQ")).upper()
        seconds = _SECONDS.get(freq)
        if seconds is None:
            continue  # recurring-ical-events reports unknown frequencies itself
        interval = max(1, _int(first(rule.get("INTERVAL")), 1))
        end = horizon
        until = first(rule.get("UNTIL"))
        if isinstance(until, date):
            end = min(end, aware(until, local))
        per_period = _DAYS_PER_PERIOD.get(freq, 1)
        for part, unit in _TIME_PARTS:
            if seconds > unit and rule.get(part):
                per_period *= len(rule[part])
        periods = max(0.0, (end - start).total_seconds()) / (seconds * interval) + 1
        steps = periods * per_period
        count = _int(first(rule.get("COUNT")), -1)
        if count >= 0:
            steps = min(steps, (count + 1) * per_period)
        if steps > worst:
            worst, worst_rule = int(steps), f"FREQ={freq};INTERVAL={interval}"
    return worst, worst_rule


def _drop_idle_rules(event: Event) -> None:
    """Remove the RRULEs that never repeat; DTSTART (always an instance) stays."""
    rules = values(event, "RRULE")
    kept = [rule for rule in rules if not never_repeats(rule)]
    if len(kept) < len(rules):
        logger.debug("%s: dropped an RRULE that matches no day", describe(event))
        del event["RRULE"]
        for rule in kept:
            event.add("RRULE", rule, encode=False)


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class _Adapter(EventAdapter):
    """An event adapter that remembers the file and groups by our key (UID or derived)."""

    def __init__(self, event: Event, origin: Origin, key: str) -> None:
        super().__init__(event)
        self.event, self.origin, self.key = event, origin, key

    @property
    def uid(self) -> str:
        return self.key


class _Occurrence(Occurrence):
    """An occurrence that keeps its adapter reachable (recurring-ical-events keeps it private)."""

    def __init__(self, adapter: Any, start: Any = None, end: Any = None, sequence: int = -1):
        super().__init__(adapter, start, end, sequence)
        self.adapter: _Adapter = adapter


class _Series(Series):
    def occurrence(self, adapter: Any, start: Any = None, end: Any = None) -> Occurrence:
        return _Occurrence(adapter, start, end, sequence=self.sequence)


class Expansion:
    """One sync's expansion: collects instances and problems; bounds the work per series."""

    def __init__(self, window: tuple[datetime, datetime], local: tzinfo, limits: Limits) -> None:
        self.window, self.local, self.limits = window, local, limits
        self.problems: list[Problem] = []

    def run(self, items: Iterable[tuple[Event, Origin]]) -> list[Instance]:
        groups: dict[str, list[_Adapter]] = {}
        for event, origin in items:
            reason = check(event, self.local)
            if reason:
                self._problem(origin, event, f"event {describe(event)} {reason}")
                continue
            self._calendar_scales(event, origin)
            key = series_key(event)
            groups.setdefault(key, []).append(_Adapter(event, origin, key))
        instances: list[Instance] = []
        for adapters in groups.values():
            adapters.sort(key=self._preference)
            try:
                instances.extend(list(self._series(adapters)))  # all of a series or none
            except Exception as err:  # one bad series must never stop the others
                logger.debug("series %s failed", adapters[0].key, exc_info=True)
                self._problem(
                    adapters[0].origin,
                    adapters[0].event,
                    f"event {describe(adapters[0].event)} cannot be expanded"
                    f" ({type(err).__name__}: {err}); expected a valid recurrence (RFC 5545)",
                )
        return instances

    def _calendar_scales(self, event: Event, origin: Origin) -> None:
        """Rules in another calendar than the Gregorian (RFC 7529 RSCALE: Chinese, Hebrew...)
        cannot be expanded (dateutil knows none): such a rule is dropped with a warning, so the
        event still counts with its first occurrence, DTSTART, instead of being lost whole.
        RSCALE=GREGORIAN is an ordinary rule, unless it asks to move skipped days (SKIP)."""
        rules = values(event, "RRULE")
        if not any("RSCALE" in rule for rule in rules if isinstance(rule, vRecur)):
            return
        kept = []
        for rule in rules:
            scale = text(rule.get("RSCALE")).upper()
            found = first(rule.get("SKIP"))  # icalendar's vSkip enum, or a plain word
            skip = str(getattr(found, "value", found or "")).upper()
            if not scale:
                kept.append(rule)
            elif scale == "GREGORIAN" and skip in ("", "OMIT"):
                kept.append(vRecur({k: v for k, v in rule.items() if k not in _RSCALE_PARTS}))
            else:
                how = f"RSCALE={scale}" + (f";SKIP={skip}" if skip else "")
                start = first(event["DTSTART"]).dt
                self._problem(
                    origin,
                    event,
                    f"event {describe(event)} repeats by a rule with {how} (RFC 7529), which"
                    " is not supported: only its first occurrence"
                    f" ({start.isoformat()}) is read; expected a Gregorian RRULE",
                    warning=True,
                )
        del event["RRULE"]
        for rule in kept:
            event.add("RRULE", rule, encode=False)

    def _preference(self, adapter: _Adapter) -> tuple[bool, float]:
        """Order within a UID: recurring-ical-events keeps the first of equal SEQUENCEs, so put
        the newest DTSTAMP first (RFC 5546 orders updates so) and attendees' replies last
        (a METHOD:REPLY carries only the replying attendee)."""
        stamp = getattr(first(adapter.event.get("DTSTAMP")), "dt", None)
        newest = aware(stamp, self.local).timestamp() if isinstance(stamp, date) else 0.0
        return adapter.origin.method == "REPLY", -newest

    def _series(self, adapters: list[_Adapter]) -> Iterator[Instance]:
        masters = [a for a in adapters if "RRULE" in a.event and not a.is_modification()]
        for adapter in masters:
            _drop_idle_rules(adapter.event)
        repeats = self._repeats_every(masters)
        if repeats is not None and repeats < self.limits.min_repeat:
            # A MINUTELY "interview" made 5,000 instances and pushed real ones out: such a
            # series is no interview, and expanding it is all cost.
            adapter = next(a for a in masters if "RRULE" in a.event)
            self._problem(
                adapter.origin,
                adapter.event,
                f"event {describe(adapter.event)} repeats every {describe_interval(repeats)};"
                " expected an interview, which does not recur more often than daily; not"
                " expanded",
                warning=True,
            )
            return
        for adapter in masters:
            if "RRULE" in adapter.event:
                steps, rule = rule_steps(adapter.event, self.window[1], self.local)
                if steps > self.limits.max_rule_steps:
                    self._problem(
                        adapter.origin,
                        adapter.event,
                        f"event {describe(adapter.event)} repeats too often to expand ({rule},"
                        f" about {steps:,} repetitions from DTSTART to the end of the sync"
                        f" window); expected at most {self.limits.max_rule_steps:,}",
                    )
                    return
        recurring = any(
            "RRULE" in a.event or "RDATE" in a.event or a.is_modification() for a in adapters
        )
        series = _Series(adapters)
        for count, occurrence in enumerate(series.between(*self.window)):
            adapter = cast(_Occurrence, occurrence).adapter
            if count >= self.limits.max_instances:
                self._problem(
                    adapter.origin,
                    adapters[0].event,
                    f"event {describe(adapters[0].event)} has more than"
                    f" {self.limits.max_instances:,} instances in the sync window; the rest were"
                    " skipped; expected a calendar of ordinary size",
                )
                return
            yield Instance(
                event=adapter.event,
                origin=adapter.origin,
                key=adapter.key,
                start=occurrence.start,
                end=occurrence.end,
                recurrence_id=_recurrence_id(cast(_Occurrence, occurrence)) if recurring else None,
                repeats_every=repeats,
            )

    def _repeats_every(self, masters: list[_Adapter]) -> timedelta | None:
        """The shortest interval of the series' rules (None: no rule that repeats)."""
        found: list[timedelta] = []
        for adapter in masters:
            start = first(adapter.event["DTSTART"]).dt
            for rule in values(adapter.event, "RRULE"):
                interval = shortest_interval(rule, start)
                if interval is not None:
                    found.append(interval)
        return min(found, default=None)

    def _problem(
        self, origin: Origin, event: Event | None, message: str, *, warning: bool = False
    ) -> None:
        """Record a problem of one event (or, without ``event``, of the file) in its file."""
        logger.debug("%s: %s", origin.label, message)
        item = describe(event) if event is not None else origin.label
        self.problems.append(
            Problem(item=item, message=message, container=origin.label, warning=warning)
        )


def _recurrence_id(occurrence: _Occurrence) -> date | datetime:
    """The instance's original start: an override's RECURRENCE-ID, else the generated start
    (moved back when a RANGE=THISANDFUTURE override shifted it)."""
    adapter = occurrence.adapter
    if adapter.is_modification() and not adapter.this_and_future:
        return first(adapter.event["RECURRENCE-ID"]).dt
    return occurrence.start - adapter.move_recurrences_by
