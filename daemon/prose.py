"""Small pieces of English for drafts: salutations, meeting kinds, note phrases, dates.

Kept apart from :mod:`daemon.drafting` (which renders) because these decide how a draft reads,
and each is a pure function that is easy to test on its own. The filters are registered in the
template environment as ``topic``, ``join_and``, ``longdate`` and ``nl2br``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from markupsafe import Markup, escape

_HONORIFICS = {"dr": "Dr.", "prof": "Prof.", "mr": "Mr.", "mrs": "Mrs.", "ms": "Ms.", "mx": "Mx."}
_PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "del", "della", "la", "le", "du",
              "dos", "das", "ten", "ter", "bin", "al", "st."}  # fmt: skip
_SUFFIX = re.compile(r",?\s+(?:ph\.?d\.?|md|mba|jr\.?|sr\.?|esq\.?|ii|iii|iv)$", re.IGNORECASE)


def _honorific(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    value = value.strip()
    return _HONORIFICS.get(value.lower().rstrip("."), value)


@dataclass(frozen=True)
class NameParts:
    name: str | None
    first: str | None
    last: str | None
    honorific: str | None
    salutation: str


def address_parts(name: str | None, honorific: str | None = None) -> NameParts:
    """Split a display name for a salutation: "Dr. Ludwig van Beethoven" -> "Dear Dr. van
    Beethoven"; "Jane Smith" -> "Dear Jane"; no name -> "Hello"."""
    honorific = _honorific(honorific)
    first = last = None
    if name:
        name = " ".join(name.split())
        match = re.match(r"^(dr|prof|mrs|mr|ms|mx)\.?\s+(.+)$", name, re.IGNORECASE)
        if match:  # "Dr. Jane Smith": the title belongs in the salutation, not in the name
            honorific = honorific or _honorific(match[1])
            name = match[2]
        name = _SUFFIX.sub("", name).strip() or None
    if name:
        words = name.split()
        first = words[0]
        if len(words) > 1:
            start = len(words) - 1
            while start > 1 and words[start - 1].lower() in _PARTICLES:
                start -= 1
            last = " ".join(words[start:])
    if honorific and last:
        salutation = f"Dear {honorific} {last}"
    elif first:
        salutation = f"Dear {first}"
    else:
        salutation = "Hello"
    return NameParts(name, first, last, honorific, salutation)


_KINDS = [
    (r"phone[\s-]*(?:screen|interview)|recruiter[\s-]*screen|\bscreen(?:ing)?\b", "phone screen"),
    (r"on[\s-]?site", "onsite interview"),
    (r"final[\s-]*round", "final-round interview"),
    (r"panel", "panel interview"),
    (r"technical|tech[\s-]*screen|coding|system design", "technical interview"),
    (r"recruiter|intro(?:ductory)?\s+call", "conversation"),
]


def interview_kind(title: str) -> str:
    """What to call the meeting in prose ("my phone screen with you"); "interview" by default."""
    for pattern, kind in _KINDS:
        if re.search(pattern, title, re.IGNORECASE):
            return kind
    return "interview"


_LEAD_IN = re.compile(
    r"^(?:we\s+|she\s+|he\s+|they\s+|i\s+)?(?:talked|spoke|chatted|discussed|talk|discuss|asked"
    r"(?:\s+me)?|told\s+me|mentioned|went\s+over|covered|dug\s+into|dove\s+into|explained)"
    r"(?:\s+(?:about|on|through))?\s+",
    re.IGNORECASE,
)
_LOWER_FIRST = {"the", "a", "an", "their", "his", "her", "our", "your", "my", "how", "what",
                "why", "whether", "when", "where", "which", "its"}  # fmt: skip


def topic(note: Any) -> str:
    """A note as a noun phrase to follow "our conversation about": its first clause, without
    a lead-in such as "talked about" and without closing punctuation."""
    text = " ".join(str(note).split())
    text = re.split(r"(?<=[.!?;])\s+", text, maxsplit=1)[0].rstrip(" .!?;:,…")
    text = _LEAD_IN.sub("", text, count=1)
    first = text.split(" ", 1)[0]
    if first.lower() in _LOWER_FIRST:
        text = first.lower() + text[len(first) :]
    return text


def join_and(items: Iterable[Any]) -> str:
    """ "a", "a and b", "a, b, and c"."""
    words = [str(i) for i in items if str(i).strip()]
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + ", and " + words[-1]


# English names, independent of the process locale (drafts are written in English).
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip


def weekday(day: date) -> str:
    return WEEKDAYS[day.weekday()]


def longdate(day: date) -> str:
    """ "Tuesday, November 24"."""
    return f"{weekday(day)}, {MONTHS[day.month - 1]} {day.day}"


def nl2br(value: Any) -> Markup:
    return Markup("<br>\n").join(escape(line) for line in str(value).splitlines())
