"""The user's own notes about an interview, read from the event description.

Users jot down what they talked about right in the calendar event, and a thank-you note that
mentions it is worth far more than a generic one. The format is deliberately loose::

    Notes: general remarks until the next blank line
    Jane: talked about the migration to Kafka
    Jane Smith - asked about on-call
    jane@acme.com: the team is hiring two more people
    Bob:
    - line after line for Bob
    - until a blank line

A line ``<who>: <text>`` or ``<who> - <text>`` goes to that interviewer when ``<who>`` names
them: their address, full name, first name, surname, "first last" without middle names, or
"Surname, First". The calendar writes names its own way ("Dr. Amelia Chen", "Jürgen Müller",
"O'Brien, Seán") and the user types them quickly ("Amelia", "Dr. Chen", "juergen", "obrien"),
so both sides are compared without honorifics (Dr., Prof., Mr., Ms., Herr, Frau, Dr.-Ing., ...),
accents, case or punctuation (:func:`name_keys`). German umlauts also match their spelled-out
("ue") and their plain ("u") forms, but only when nothing matches without that loosening, so
"Michal" still finds Michal before Michael.

A name that fits two interviewers (two Janes, or one's first name is another's surname) is
*ambiguous*: its line is given to neither, because a note in the wrong person's draft is worse
than no note, but it is not dropped either, because the user did write it about this interview:
it becomes a general note (and a ``Jane:`` heading opens a general block). A name that fits no
interviewer is not a note line at all ("Agenda: ...", "Location: ..."). Everything else in the
description (the recruiter's agenda, the video-call block) is ignored: it was not written by the
user and must never end up in a draft.

A general block starts with a heading from :data:`NOTE_HEADINGS`, one row per shipped draft
language ("Notes:", "Notizen:", from each language's ``phrases.toml``). Descriptions are often HTML (Google, Outlook), so
markup is turned into lines with the stdlib :mod:`html.parser` first.

Parsing is bounded: only the first :data:`MAX_INPUT` characters are read, at most
:data:`MAX_NOTES` notes are kept per person and for the general block, each at most
:data:`MAX_NOTE_CHARS` characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser

from daemon.detection import Person
from daemon.titles import looks_like_job_title
from daemon.writing import phrases
from daemon.writing.prose import HONORIFICS, honorific_key

MAX_INPUT = 20_000
MAX_NOTES = 5
MAX_NOTE_CHARS = 300


@dataclass(frozen=True)
class Notes:
    general: tuple[str, ...] = ()
    by_person: dict[str, tuple[str, ...]] = field(default_factory=dict)  # by interviewer email

    def for_person(self, email: str) -> tuple[str, ...]:
        """Notes about ``email`` first, then the general ones."""
        return self.by_person.get(email.lower(), ()) + self.general


# ------------------------------------------------------------------------------------------
# HTML to lines
# ------------------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {"br", "p", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
     "blockquote", "pre", "hr", "section", "article", "header", "footer"}
)  # fmt: skip
_SKIP_TAGS = frozenset({"script", "style", "head", "title"})
_LOOKS_LIKE_HTML = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*)(?:\s[^<>]*)?/?>|&(?:nbsp|amp|lt|gt);")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            # Inside HTML, source line breaks are just spaces; only block tags break lines.
            self.parts.append(data.replace("\r", " ").replace("\n", " "))


def html_to_text(text: str) -> str:
    """Plain text with one line per HTML block; text without markup is returned unchanged."""
    if not _LOOKS_LIKE_HTML.search(text):
        return text
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


# ------------------------------------------------------------------------------------------
# Boilerplate
# ------------------------------------------------------------------------------------------

# Google wraps its Meet block in "-::~:~::~:~...::-" lines, Outlook its Teams block in long
# underscore lines: everything between two separators is the provider's, never the user's.
_SEPARATOR = re.compile(r"^\s*(?:-::~[:~]*::-|[_\-=~*]{10,})\s*$")
_URL = re.compile(r"<?\b(?:https?://|www\.|meet\.google\.com/|teams\.microsoft\.com/)\S*>?", re.I)
_BOILERPLATE = re.compile(
    r"^(?:join (?:with |by |on |the |zoom|google|microsoft|teams|skype|webex|meeting|online)|"
    r"click here to join|tap to join|(?:zoom|google meet|microsoft teams|webex) (?:meeting|call)|"
    r"(?:webinar |meeting |conference |phone conference )?id\s*:|meeting id\b|"
    r"pass(?:code|word)\s*:|pin\s*:|one tap mobile|dial[- ]in|dial by your location|"
    r"find your local number|more phone numbers|learn more about|meeting options|help\s*(?:\||$)|"
    r"invitation from google calendar|you are receiving this|forwarding this invitation|"
    r"to stop receiving|view all guest info|view your event|(?:please )?do not edit this section|"
    r"or call in|or dial|sip:|h\.323|\(?[A-Z]{2}\)?\s*\+\d|"
    r"\+?[\d\s().,#*/-]{7,}(?:\s*\(?[A-Za-z]{2,3}\)?)?$|"
    r"(?:phone|tel|telephone)\s*:?\s*\+?[\d\s().-]{6,}$)",
    re.IGNORECASE,
)
_TAG = re.compile(r"(?<![\w#])#[\w:-]+")
# The headings that open the general notes block, one row per shipped draft language, from
# each language's phrases.toml ("Notes:", "Notizen:"): a new language brings its own. Matched
# case-insensitively, with or without a space before ":".
NOTE_HEADINGS: dict[str, tuple[str, ...]] = {
    code: language.note_headings for code, language in phrases.shipped().items()
}
_NOTES_HEAD = re.compile(
    r"^(?:"
    + "|".join(
        re.escape(h).replace(r"\ ", r"\s+")
        for h in sorted({h for row in NOTE_HEADINGS.values() for h in row}, key=len, reverse=True)
    )
    + r")\s*:\s*(?P<text>.*)$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*(?:[-*•·◦‣]|\d+[.)])\s+")
_COLON_LINE = re.compile(r"^(?P<who>[^:]{1,80}?)\s*:\s*(?P<text>.*)$")
_DASH_LINE = re.compile(r"^(?P<who>.{1,80}?)\s+[-–—]\s+(?P<text>.+)$")


def _lines(description: str) -> list[str]:
    """The description as cleaned lines; boilerplate removed, blank lines kept as ''."""
    text = html_to_text(description[:MAX_INPUT])
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = re.sub(r"[\u200b-\u200f\u2028\u2029\ufeff]", "", text)
    out: list[str] = []
    inside_block = False
    for raw in text.split("\n"):
        if _SEPARATOR.match(raw):
            inside_block = not inside_block
            out.append("")
            continue
        line = " ".join(raw.split())
        if inside_block or _BOILERPLATE.match(line):
            out.append("")
            continue
        line = " ".join(_TAG.sub(" ", _URL.sub(" ", line)).split())
        out.append(line)
    return out


# ------------------------------------------------------------------------------------------
# Notes
# ------------------------------------------------------------------------------------------


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NAME_SUFFIXES = _wordset("phd md mba jr sr esq ii iii iv msc bsc")
# Surname particles: "Ludwig van Beethoven" is also "van Beethoven", not only "Beethoven".
_PARTICLES = _wordset("van von de der den da di del della la le du dos das ten ter")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
_SPELLED_UMLAUT = re.compile(r"(?<=[a-z])([aou])e")


def _fold(text: str) -> str:
    """Case and accents away: "Jürgen" -> "jurgen", "Seán" -> "sean", "STRAßE" -> "strasse"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_words(name: str) -> list[str]:
    """The words of a written name without honorifics, suffixes or punctuation, still cased.

    "Dr. Amelia Chen" -> ["Amelia", "Chen"]; "Prof. Dr.-Ing. Jürgen Müller, PhD" -> ["Jürgen",
    "Müller"]; "O'Brien" -> ["OBrien"]; "Anne-Marie Dubois" -> ["AnneMarie", "Dubois"].
    """
    words = []
    for raw in name.split():
        word = "".join(c for c in raw if c.isalnum())
        if word:
            words.append(word)
    while len(words) > 1 and honorific_key(words[0]) in HONORIFICS:
        words.pop(0)
    while len(words) > 1 and _fold(words[-1]) in _NAME_SUFFIXES:
        words.pop()
    return words


def name_keys(words: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """The strict key of a name and its looser umlaut keys, for comparing two spellings.

    Strict: folded, spaces gone ("Jürgen Müller" -> "jurgenmuller"). Loose: umlauts spelled
    out ("juergenmueller") and spelled-out umlauts contracted ("Juergen" -> "jurgen"); only
    consulted when the strict key matches nobody.
    """
    joined = " ".join(words)
    strict = _fold(joined).replace(" ", "")
    spelled = _fold(joined.translate(_UMLAUTS)).replace(" ", "")
    contracted = _SPELLED_UMLAUT.sub(r"\1", strict)
    loose = tuple(k for k in dict.fromkeys((spelled, contracted)) if k != strict)
    return strict, loose


def _ways_to_name(name: str) -> Iterable[list[str]]:
    """Each way the user may write ``name``: full, first, surname (with "van"/"de"), first
    and last without middle names, and "Surname, First"."""
    words = name_words(name)
    if not words:
        return
    yield words
    if len(words) == 1:
        return
    first, last = words[0], words[-1]
    start = len(words) - 1
    while start > 1 and _fold(words[start - 1]) in _PARTICLES:
        start -= 1
    for short in ([first], [last], words[start:]):
        if len(short) > 1 or len(short[0]) > 1:  # never a lone initial
            yield short
    yield [first, last]
    yield [last, first]


@dataclass(frozen=True)
class _Aliases:
    """Who a written name may mean: exact addresses, then strict keys, then loose keys."""

    addresses: dict[str, str]
    strict: dict[str, frozenset[str]]
    loose: dict[str, frozenset[str]]

    def lookup(self, who: str) -> frozenset[str]:
        """The interviewers ``who`` may mean: one address, several (ambiguous), or none."""
        who = " ".join(who.split())
        if who.lower() in self.addresses:
            return frozenset({self.addresses[who.lower()]})
        strict, loose = name_keys(name_words(who))
        if not strict:
            return frozenset()
        if strict in self.strict:
            return self.strict[strict]
        found: set[str] = set()
        for key in (strict, *loose):
            found |= self.loose.get(key, frozenset())
        return frozenset(found)


@lru_cache(maxsize=256)
def _aliases(interviewers: tuple[Person, ...]) -> _Aliases:
    """Every way to name each interviewer (see the module docstring), keyed for lookup.

    Memoised (the answer is only read): a recurring interview's occurrences and a company's
    invitations name the same people, and a first sync reads thousands of events."""
    addresses: dict[str, str] = {}
    strict: dict[str, set[str]] = {}
    loose: dict[str, set[str]] = {}
    for person in interviewers:
        email = person.email.lower()
        addresses[email] = email
        for words in _ways_to_name(person.name or ""):
            key, looser = name_keys(words)
            if len(key) == 1 and key.isascii():
                continue  # "J" is an initial, not a name to file notes under
            strict.setdefault(key, set()).add(email)
            for k in (key, *looser):
                loose.setdefault(k, set()).add(email)
    return _Aliases(
        addresses,
        {k: frozenset(v) for k, v in strict.items()},
        {k: frozenset(v) for k, v in loose.items()},
    )


def _clean(text: str) -> str:
    text = " ".join(_BULLET.sub("", text).split()).strip(" -–—:;,")
    if len(text) > MAX_NOTE_CHARS:
        cut = text[:MAX_NOTE_CHARS].rsplit(" ", 1)[0]
        text = cut.rstrip(" ,;:-") + "…"
    return text


# _who's answer for a line that names two or more interviewers: a general note.
GENERAL = ""


def _who(line: str, aliases: _Aliases) -> tuple[str, str] | None:
    """(address, text) when the line starts with a name or address of an interviewer;
    (:data:`GENERAL`, text) when the name fits several of them."""
    line = _BULLET.sub("", line)
    for pattern in (_COLON_LINE, _DASH_LINE):
        match = pattern.match(line)
        if match:
            found = aliases.lookup(match["who"].strip(" *_"))
            if len(found) == 1:
                return next(iter(found)), match["text"]
            if found:
                return GENERAL, match["text"]
    return None


def parse_notes(description: str, interviewers: Sequence[Person]) -> Notes:
    """Split the user's notes in ``description`` into general ones and ones per interviewer."""
    aliases = _aliases(tuple(interviewers))
    general: list[str] = []
    by_person: dict[str, list[str]] = {}
    block: list[str] | None = None  # the notes list that continuation lines go to

    def add(target: list[str], text: str) -> None:
        text = _clean(text)
        # "Jane Smith - Engineering Manager" in a recruiter's agenda is not a note.
        if looks_like_job_title(text):
            return
        if text and len(target) < MAX_NOTES and text not in target:
            target.append(text)

    for line in _lines(description):
        if not line:
            block = None
            continue
        person = _who(line, aliases)
        if person:
            email, text = person
            target = general if email == GENERAL else by_person.setdefault(email, [])
            add(target, text)
            block = target if not text.strip() else block
            continue
        head = _NOTES_HEAD.match(_BULLET.sub("", line))
        if head:
            block = general
            add(general, head["text"])
            continue
        if block is not None:
            add(block, line)
    return Notes(
        general=tuple(general),
        by_person={email: tuple(notes) for email, notes in by_person.items() if notes},
    )
