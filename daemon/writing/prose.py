"""Small pieces of English for drafts: salutations, meeting kinds, note phrases, dates.

Kept apart from :mod:`daemon.writing.render` (which renders) because these decide how a draft reads,
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

# Forms of address written before a name, by the word without case or punctuation ("Dr.-Ing."
# is "dring"), and how an English salutation writes each: German, French and Spanish forms
# become their English equivalents ("Herr" is "Mr."), degrees that are no form of address in
# English ("Dipl.-Ing.") are dropped (None). Read by the notes parser too, to find "Dr. Chen".
HONORIFICS: dict[str, str | None] = {
    "dr": "Dr.", "dring": "Dr.", "drmed": "Dr.", "drrernat": "Dr.", "drphil": "Dr.",
    "dott": "Dr.", "dottssa": "Dr.", "prof": "Prof.", "professor": "Prof.",
    "mr": "Mr.", "mrs": "Mrs.", "ms": "Ms.", "miss": "Miss", "mx": "Mx.",
    "herr": "Mr.", "hr": "Mr.", "frau": "Ms.", "fr": "Ms.", "monsieur": "Mr.", "madame": "Ms.",
    "mme": "Ms.", "mlle": "Ms.", "sr": "Mr.", "sra": "Ms.", "srta": "Ms.",
    "dipling": None, "ing": None,
}  # fmt: skip
# When a name carries several ("Prof. Dr.", "Herr Dr."), English uses the highest one.
_RANK = {"Prof.": 3, "Dr.": 2}
_PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "del", "della", "la", "le", "du",
              "dos", "das", "ten", "ter", "bin", "al", "st."}  # fmt: skip
_SUFFIX = re.compile(r",?\s+(?:ph\.?d\.?|md|mba|jr\.?|sr\.?|esq\.?|ii|iii|iv)$", re.IGNORECASE)
# Scripts whose names are written family name first and not split into first/last in English
# mail: "李小龙" is greeted as "Dear 李小龙", never "Dear 李".
_FAMILY_FIRST = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
# "(she/her)", "[Acme]", "| Acme", ", she/her": additions to a display name, not the name.
_ADDITION = re.compile(
    r"\s*(?:[(\[][^)\]]*[)\]]|\|.*$|[,-]?\s*\b(?:she|he|they|ze|xe)/\w+(?:/\w+)?\b)", re.IGNORECASE
)

SALUTATION_STYLES = ("first_name", "formal")


def honorific_key(word: str) -> str:
    """ "Dr.-Ing." -> "dring": how :data:`HONORIFICS` is keyed."""
    return "".join(c for c in word.casefold() if c.isalnum())


def _honorific(value: str | None) -> str | None:
    """The configured honorific as an English salutation writes it ("dr" -> "Dr."); one that
    is not in the table ("Rev.", "Capt.") is the user's choice and kept as written."""
    if not value or not value.strip():
        return None
    value = " ".join(value.split())
    key = honorific_key(value)
    return HONORIFICS.get(key, value)


def _capitalize(word: str) -> str:
    """ "o'brien" -> "O'Brien", "anne-marie" -> "Anne-Marie"; other scripts as Python does."""
    return re.sub(r"[^\W\d_]+", lambda m: m[0][:1].upper() + m[0][1:].lower(), word)


def tidy_name(name: str | None) -> str | None:
    """A display name as a person would write it, or None when nothing is left.

    Calendars and directories export names in their own ways; the salutation must not show
    it: "Smith, Jane" -> "Jane Smith", "JANE SMITH" and "jane smith" -> "Jane Smith", "Jane
    Smith (she/her)" -> "Jane Smith". The same rules as the invitation's display names get in
    :func:`daemon.detection._clean_name`, applied again here because ``[contacts]`` names and
    names stored by older versions did not pass through it. Idempotent.
    """
    if not name:
        return None
    name = " ".join(_ADDITION.sub("", name).strip().strip("'\"").split())
    name = _SUFFIX.sub("", name).strip(" ,")
    parts = [p.strip() for p in name.split(",")]
    if len(parts) == 2 and all(parts) and len(parts[0].split()) == 1 and len(parts[1].split()) <= 3:
        name = f"{parts[1]} {parts[0]}"  # "Smith, Jane", "Chen, Dr. Amelia"
    else:
        name = parts[0]  # "Jane Smith, Acme": what follows a full name is not part of it
    if name.isupper() or name.islower():
        name = " ".join(_capitalize(w) for w in name.split())
    return name or None


@dataclass(frozen=True)
class NameParts:
    name: str | None
    first: str | None
    last: str | None
    honorific: str | None
    salutation: str


def address_parts(
    name: str | None, honorific: str | None = None, style: str = "first_name"
) -> NameParts:
    """Split a display name and greet its owner in ``style`` (:data:`SALUTATION_STYLES`).

    ``first_name`` (the default): "Dear Jane". ``formal``: "Dear Dr. Chen" when an honorific is
    *known* (``honorific``, from ``[contacts]``, wins over one the display name carries: "Dr.
    Amelia Chen"); it is never guessed from a first name, so without one the formal greeting is
    the full name, "Dear Jane Smith". A display name that is an honorific and one word ("Dr.
    Chen") gives a surname only, greeted "Dear Dr. Chen" in both styles, since that is how the
    person presents themselves. "Hello" only when no name is known at all.
    """
    if style not in SALUTATION_STYLES:
        raise ValueError(f"salutation style {style!r}; expected one of {SALUTATION_STYLES}")
    configured = _honorific(honorific)
    carried: str | None = None
    first = last = None
    words = (tidy_name(name) or "").split()
    while len(words) > 1 and honorific_key(words[0]) in HONORIFICS:
        form = HONORIFICS[honorific_key(words.pop(0))]
        if form and (carried is None or _RANK.get(form, 1) > _RANK.get(carried, 1)):
            carried = form
    if len(words) == 1 and honorific_key(words[0]) in HONORIFICS:
        words = []  # "Dr." alone names nobody
    honorific = configured or carried
    name = " ".join(words) or None
    if name and _FAMILY_FIRST.search(name):
        first = name  # greeted by the whole name, in both styles
    elif len(words) == 1 and carried:
        last = words[0]  # "Dr. Chen"
    elif words:
        first = words[0]
        if len(words) > 1:
            start = len(words) - 1
            while start > 1 and words[start - 1].lower() in _PARTICLES:
                start -= 1
            last = " ".join(words[start:])
    if style == "formal" and honorific and last:
        salutation = f"Dear {honorific} {last}"
    elif style == "formal" and first and last:
        salutation = f"Dear {first} {last}"
    elif first:
        salutation = f"Dear {first}"
    elif honorific and last:
        salutation = f"Dear {honorific} {last}"
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
