"""A decision date from the user's notes: "decision: end of month", "Entscheidung bis Ende März".

Users write down when the company said it would decide, in their own words and relative to the
interview ("by Friday", "in two weeks"). Such a note is not something to thank anyone for; it is
a date, used like ``followupd note ID --decision-by`` (the thank-you names it, the first status
inquiry waits until one business day after it). Why it is resolved here, from the notes, each
time it is needed rather than stored: the notes are re-read from the calendar on every sync and
the user may edit them; a date derived once would go stale, one derived from the current notes
cannot. The date the user gives with ``--decision-by`` always wins (see
:func:`daemon.planning.followups.expected_decision`).

English and German phrasings are understood whatever the draft's language, since the note's
language is the user's, not the draft's. A note counts only when it *says* it is about the
decision (a "decision:" label, or words such as "decide", "hear back", "Rückmeldung"), so
"next step: onsite on March 10" gives no decision date.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from datetime import date, timedelta

_EN_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
              "september", "october", "november", "december")  # fmt: skip
_DE_MONTHS = ("januar", "februar", "märz", "april", "mai", "juni", "juli", "august",
              "september", "oktober", "november", "dezember")  # fmt: skip
MONTHS: dict[str, int] = {}
for _names in (_EN_MONTHS, _DE_MONTHS):
    for _i, _name in enumerate(_names, 1):
        MONTHS[_name] = _i
        MONTHS[_name[:3]] = _i
MONTHS.update({"sept": 9, "maerz": 3, "jänner": 1, "mrz": 3})
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"

_WEEKDAYS: dict[str, int] = {}
for _i, _names2 in enumerate(
    (("monday", "mon", "montag"), ("tuesday", "tue", "tues", "dienstag"),
     ("wednesday", "wed", "mittwoch"), ("thursday", "thu", "thurs", "donnerstag"),
     ("friday", "fri", "freitag"), ("saturday", "sat", "samstag"), ("sunday", "sun", "sonntag"))
):  # fmt: skip
    for _name in _names2:
        _WEEKDAYS[_name] = _i
_WEEKDAY = r"(?P<weekday>" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")"

_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
            "ein": 1, "eine": 1, "einer": 1, "einem": 1, "zwei": 2, "drei": 3, "vier": 4,
            "fünf": 5, "sechs": 6, "couple of": 2, "few": 3, "paar": 2}  # fmt: skip
_COUNT = r"(?P<count>\d{1,2}|" + "|".join(sorted(_NUMBERS, key=len, reverse=True)) + r")"

# Words that say a note is about the company's decision (or its answer), not just any date.
DECISION_WORDS = re.compile(
    r"\b(?:decision|decide[sd]?|deciding|verdict|outcome|hear back|get back to (?:me|us)|"
    r"back to me|let (?:me|us) know|hear from (?:them|her|him|you)|answer|feedback|offer|result|"
    r"entscheid\w*|rückmeldung|bescheid|antwort|"
    r"zusage|absage|melden sich|meldet sich|hören wir|ergebnis)\b",
    re.IGNORECASE,
)

# Each rule: a pattern and how to get the date from its match and the interview day.
_Rule = tuple[re.Pattern[str], str]
_RULES: list[_Rule] = [
    (re.compile(r"\b(?P<y>20\d\d)-(?P<m>\d\d)-(?P<d>\d\d)\b"), "iso"),
    (re.compile(r"\b(?P<d>\d{1,2})\.\s?(?P<m>\d{1,2})\.(?P<y>(?:20)?\d\d)?"), "dmy"),
    (re.compile(r"\b(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>(?:20)?\d\d))?\b"), "mdy"),
    (
        re.compile(
            r"\b(?:end|ende)\s+(?:of\s+)?(?:the\s+)?(?:next|nächsten)\s+"
            r"(?:month|monats)\b",
            re.I,
        ),
        "end_next_month",
    ),
    (
        re.compile(
            r"\b(?:end\s+of\s+(?:the\s+|this\s+)?month|month[- ]end|eom|"
            r"ende\s+(?:des|dieses)\s+monats|monatsende)\b",
            re.I,
        ),
        "end_month",
    ),
    (
        re.compile(
            r"\b(?:end|ende)\s+(?:of\s+)?(?:the\s+)?(?:next|nächsten|kommenden)\s+"
            r"(?:week|woche)\b",
            re.I,
        ),
        "end_next_week",
    ),
    (
        re.compile(
            r"\b(?:end\s+of\s+(?:the\s+|this\s+)?week|ende\s+(?:der|dieser)\s+woche|"
            r"wochenende)\b",
            re.I,
        ),
        "end_week",
    ),
    (re.compile(r"\b(?:end\s+of|late|ende)\s+" + _MONTH, re.I), "end_named"),
    (re.compile(r"\b(?:mid|mitte)[- ]\s*" + _MONTH, re.I), "mid_named"),
    (
        re.compile(
            r"\b(?P<d>\d{1,2})(?:st|nd|rd|th|\.)?\s+(?:of\s+)?" + _MONTH + r"(?:\s+(?P<y>20\d\d))?",
            re.I,
        ),
        "day_month",
    ),
    (
        re.compile(
            r"\b" + _MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>20\d\d))?", re.I
        ),
        "month_day",
    ),
    (
        re.compile(
            r"\b(?:within|in|innerhalb(?:\s+von)?|in\s+den\s+nächsten)\s+(?:the\s+next\s+)?"
            + _COUNT
            + r"\s+(?P<unit>weeks?|wochen?|days?|tagen?|business days?|werktagen?)\b",
            re.I,
        ),
        "in",
    ),
    (re.compile(r"\b(?:next|nächste|kommende)\s+woche?\b|\bnext\s+week\b", re.I), "next_week"),
    (re.compile(r"\b(?:next|nächsten|kommenden)\s+" + _WEEKDAY + r"\b", re.I), "next_weekday"),
    (
        re.compile(
            r"\b(?:by|on|until|before|bis|am|zum|this|diesen)\s+(?:(?:this|next|"
            r"kommenden|nächsten)\s+)?" + _WEEKDAY + r"\b",
            re.I,
        ),
        "weekday",
    ),
    (re.compile(r"\b(?:tomorrow|morgen)\b", re.I), "tomorrow"),
]


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _after(day: date, month: int, dom: int, year: int | None) -> date | None:
    """The date ``month``/``dom``: in ``year`` when given, else the first one not before
    ``day`` (a note written in December that says "January 10" means next year)."""
    if year is not None and year < 100:
        year += 2000
    try:
        found = date(year or day.year, month, dom)
        if year is None and found < day:
            found = date(day.year + 1, month, dom)
    except ValueError:
        return None
    return found


def _friday(day: date) -> date:
    """The Friday of ``day``'s week (the next one when ``day`` is already the weekend)."""
    return day + timedelta(days=(4 - day.weekday()) % 7)


def _weekdays_after(day: date, n: int) -> date:
    """``n`` weekdays after ``day``: how a company counts "within five business days" (the
    user's holidays are theirs, not the company's)."""
    while n > 0:
        day += timedelta(days=1)
        n -= day.weekday() < 5
    return day


def _resolve(kind: str, m: re.Match[str], day: date) -> date | None:
    """The date one rule's match names, seen from the interview ``day``."""
    groups = m.groupdict()
    month = MONTHS.get((groups.get("month") or "").lower().rstrip("."))
    if kind == "iso":
        return _after(day, int(m["m"]), int(m["d"]), int(m["y"]))
    if kind in ("dmy", "mdy"):
        y = int(m["y"]) if m["y"] else None
        return _after(day, int(m["m"]), int(m["d"]), y)
    if kind == "end_month":
        return _month_end(day.year, day.month)
    if kind == "end_next_month":
        nxt = _month_end(day.year, day.month) + timedelta(days=1)
        return _month_end(nxt.year, nxt.month)
    if kind == "end_week":
        return _friday(day)
    if kind in ("end_next_week", "next_week"):
        return _friday(day) + timedelta(days=7)
    if kind == "end_named" and month:
        return _after(day, month, calendar.monthrange(day.year, month)[1], None)
    if kind == "mid_named" and month:
        return _after(day, month, 15, None)
    if kind in ("day_month", "month_day") and month:
        return _after(day, month, int(m["d"]), int(m["y"]) if m["y"] else None)
    if kind == "in":
        count = m["count"].lower()
        n = int(count) if count.isdigit() else _NUMBERS[count]
        unit = m["unit"].lower()
        if unit.startswith(("business", "werk")):
            return _weekdays_after(day, n)
        return day + timedelta(days=n * (7 if unit.startswith(("week", "woche")) else 1))
    if kind in ("weekday", "next_weekday"):
        wanted = _WEEKDAYS[m["weekday"].lower()]
        ahead = (wanted - day.weekday()) % 7 or 7
        extra = 7 if kind == "next_weekday" and ahead < 3 else 0
        return day + timedelta(days=ahead + extra)
    if kind == "tomorrow":
        return day + timedelta(days=1)
    return None


def date_in(text: str, day: date) -> date | None:
    """The first date ``text`` names, resolved against the interview ``day``; None when it
    names none or only an impossible one ("February 30")."""
    best: tuple[int, date] | None = None
    for pattern, kind in _RULES:
        for m in pattern.finditer(text):
            found = _resolve(kind, m, day)
            if found is not None and (best is None or m.start() < best[0]):
                best = (m.start(), found)
            break
    return best[1] if best else None


_DECISION_LABEL = re.compile(
    r"^\W*(?:decision|decision date|deadline|entscheidung|rückmeldung|feedback)\s*[:\-–—]",
    re.IGNORECASE,
)


def decision_in(note: str, day: date) -> date | None:
    """The decision date ``note`` gives, or None: a "decision:" label, or a sentence that
    speaks of the decision, with a date resolved against the interview ``day``. A date not
    after the interview ("feedback on my March 3 take-home") is no decision still to come,
    and is ignored."""
    if not (_DECISION_LABEL.match(note) or DECISION_WORDS.search(note)):
        return None
    found = date_in(note, day)
    return found if found is not None and found > day else None


def is_decision_note(note: str, day: date | None = None) -> bool:
    """Whether ``note`` is about the decision date rather than what was discussed."""
    return bool(_DECISION_LABEL.match(note)) or (
        DECISION_WORDS.search(note) is not None and date_in(note, day or date.today()) is not None
    )


def decision_from_notes(notes: Iterable[str], day: date) -> date | None:
    """The decision date of the first note that gives one (the user's own notes first)."""
    for note in notes:
        for sentence in re.split(r"(?<=[.!?;])\s+", note):
            found = decision_in(sentence, day)
            if found is not None:
                return found
    return None


__all__ = ["date_in", "decision_from_notes", "decision_in", "is_decision_note"]
