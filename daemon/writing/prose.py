"""Small pieces of language for drafts: salutations, meeting kinds, note phrases, dates.

Salutations and dates are written in the draft's language from its phrase table
(:mod:`daemon.writing.phrases`); ``topic`` and ``join_and`` are English.

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

from daemon.writing import phrases
from daemon.writing.phrases import Language

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


# What each form of address means, whatever language it is written in: a gender ("f", "m",
# "x") or an academic title ("dr", "prof"); "mrs" and "miss" are also kept as themselves for
# languages whose table writes them (English). A draft language writes the meaning with its
# own words (``[honorifics]`` of its phrases.toml): "Herr" is "Mr." in English, "Ms." is
# "Frau" in German.
_MEANING: dict[str, tuple[str, ...]] = {
    "dr": ("dr",), "dring": ("dr",), "drmed": ("dr",), "drrernat": ("dr",), "drphil": ("dr",),
    "dott": ("dr",), "dottssa": ("f", "dr"), "prof": ("prof",), "professor": ("prof",),
    "mr": ("m",), "herr": ("m",), "hr": ("m",), "monsieur": ("m",), "sr": ("m",),
    "mrs": ("f", "mrs"), "miss": ("f", "miss"), "ms": ("f",), "frau": ("f",), "fr": ("f",),
    "madame": ("f",), "mme": ("f",), "mlle": ("f",), "sra": ("f",), "srta": ("f",),
    "mx": ("x",),
}  # fmt: skip
_GENDERS = ("f", "m", "x")
_TITLE_RANK = {"prof": 3, "dr": 2}


@dataclass(frozen=True)
class Address:
    """A form of address as meanings: the gender when known, the academic titles in the order
    written, the specific word ("mrs"), or the user's own words when they are in no table."""

    gender: str | None = None
    titles: tuple[str, ...] = ()
    specific: str | None = None
    verbatim: str | None = None  # "Rev.", "Capt.": the user's choice, kept as written

    def __bool__(self) -> bool:
        return bool(self.gender or self.titles or self.verbatim)

    def written(self, language: Language) -> str | None:
        """How ``language`` writes this form of address: "Dr." (English, the highest form),
        "Frau Dr." (German: the gender's word, then every title), or None."""
        if self.verbatim:
            return self.verbatim
        words = language.honorifics
        titles = [words[t] for t in self.titles if t in words]
        gender = None
        if self.specific and self.specific in words:
            gender = words[self.specific]
        elif self.gender and self.gender in words:
            gender = words[self.gender]
        if language.combine == "highest":
            ranked = sorted((t for t in self.titles if t in words), key=_TITLE_RANK.get,
                            reverse=True)  # fmt: skip
            return words[ranked[0]] if ranked else gender
        return " ".join(w for w in (gender, *titles) if w) or None

    def merged(self, other: Address) -> Address:
        """This address completed by ``other`` (what the display name carries)."""
        if self.verbatim:
            return self
        return Address(self.gender or other.gender, self.titles or other.titles,
                       self.specific or (other.specific if not self.gender else None))  # fmt: skip


def parse_address(words: str | list[str] | None) -> Address:
    """ "Frau Dr." -> Address("f", ("dr",)); "Rev." -> kept verbatim; None -> empty."""
    if not words:
        return Address()
    items = words.split() if isinstance(words, str) else list(words)
    gender = specific = None
    titles: list[str] = []
    for word in items:
        meaning = _MEANING.get(honorific_key(word))
        if meaning is None:
            if honorific_key(word) in HONORIFICS:
                continue  # "Dipl.-Ing.": a degree no salutation writes
            return Address(verbatim=" ".join(" ".join(items).split()))
        for m in meaning:
            if m in _GENDERS:
                gender = gender or m
            elif m in _TITLE_RANK:
                if m not in titles:
                    titles.append(m)
            else:
                specific = specific or m
    return Address(gender, tuple(titles), specific)


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
    name: str | None,
    honorific: str | None = None,
    style: str = "first_name",
    language: Language | str | None = None,
) -> NameParts:
    """Split a display name and greet its owner in ``style`` (:data:`SALUTATION_STYLES`) and
    in ``language`` (a :class:`~daemon.writing.phrases.Language` or its code; English by
    default), with the forms of that language's ``[greetings]`` table.

    ``first_name`` (the default): "Dear Jane", "Hallo Anna". ``formal``: "Dear Dr. Chen",
    "Sehr geehrte Frau Dr. Chen" when an honorific is *known*: ``honorific`` (from
    ``[contacts]``) wins over one the display name carries ("Dr. Amelia Chen") and is completed
    by it (a configured "Frau" and a carried "Dr." make "Frau Dr."). It is never guessed from a
    first name: without one the formal greeting is the full name, "Dear Jane Smith", "Guten Tag
    Klaus Schmidt"; a language that needs the gender for its formal form (German) greets a
    known title without one as "Guten Tag Dr. Amelia Chen". A display name that is an
    honorific and one word ("Dr. Chen") gives a surname only, greeted with the honorific in
    both styles, since that is how the person presents themselves. The ``nobody`` form
    ("Hello", "Guten Tag") only when no name is known at all.
    """
    if style not in SALUTATION_STYLES:
        raise ValueError(f"salutation style {style!r}; expected one of {SALUTATION_STYLES}")
    lang = language if isinstance(language, Language) else phrases.get(language)
    configured = parse_address(honorific.split() if honorific and honorific.strip() else None)
    carried_words: list[str] = []
    first = last = None
    words = (tidy_name(name) or "").split()
    while len(words) > 1 and honorific_key(words[0]) in HONORIFICS:
        carried_words.append(words.pop(0))
    if len(words) == 1 and honorific_key(words[0]) in HONORIFICS:
        words = []  # "Dr." alone names nobody
    carried = parse_address(carried_words)
    address = configured.merged(carried) if configured else carried
    written = address.written(lang)
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
    forms = lang.greetings
    values = {"first": first or "", "last": last or "", "honorific": written or ""}

    def greet(key: str) -> str:
        return " ".join(forms[key].format(**values).split())

    gendered = f"formal_{address.gender}" if address.gender and not address.verbatim else ""
    honored = written and last
    if honored and (style == "formal" or not first):
        salutation = greet(gendered if gendered in forms else "formal")
    elif first and style == "formal":
        salutation = greet("full")  # "Dear Jane Smith", "Dear 李小龙", "Guten Tag Klaus Schmidt"
    elif first:
        salutation = greet("first_name")
    else:
        salutation = forms["nobody"]
    return NameParts(name, first, last, written, salutation)


_KINDS = [
    (
        r"phone[\s-]*(?:screen|interview)|recruiter[\s-]*screen|\bscreen(?:ing)?\b|telefon",
        "phone screen",
    ),
    (r"on[\s-]?site|vor[\s-]+ort", "onsite interview"),
    (r"final[\s-]*round", "final-round interview"),
    (r"panel", "panel interview"),
    (
        r"technical|tech[\s-]*screen|coding|system design|fachgespräch|technisch",
        "technical interview",
    ),
    (r"recruiter|intro(?:ductory)?\s+call", "conversation"),
]


def interview_kind(title: str) -> str:
    """What to call the meeting in prose ("my phone screen with you"); "interview" by default.
    Titles may be in any language ("Telefoninterview"); a draft language writes the kind with
    its own word (``[kinds]`` of its phrases.toml)."""
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


def weekday(day: date, language: Language | str | None = None) -> str:
    """ "Tuesday", "Dienstag": the weekday in the draft's language (Babel, not the process
    locale: a daemon's locale says nothing about the language of a draft)."""
    from babel.dates import format_date  # here: config imports this module on every command

    lang = language if isinstance(language, Language) else phrases.get(language)
    return format_date(day, "EEEE", locale=lang.locale)


def longdate(day: date, language: Language | str | None = None) -> str:
    """ "Tuesday, March 3", "Dienstag, 3. März": the language's ``date_format``."""
    from babel.dates import format_date

    lang = language if isinstance(language, Language) else phrases.get(language)
    return format_date(day, lang.date_format, locale=lang.locale)


def nl2br(value: Any) -> Markup:
    return Markup("<br>\n").join(escape(line) for line in str(value).splitlines())
