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

A line ``<who>: <text>`` or ``<who> - <text>`` goes to that interviewer when ``<who>`` is their
full name, their address, or a first or last name no other interviewer shares. Everything else
in the description (the recruiter's agenda, the video-call block) is ignored: it was not written
by the user and must never end up in a draft. Descriptions are often HTML (Google, Outlook), so
markup is turned into lines with the stdlib :mod:`html.parser` first.

Parsing is bounded: only the first :data:`MAX_INPUT` characters are read, at most
:data:`MAX_NOTES` notes are kept per person and for the general block, each at most
:data:`MAX_NOTE_CHARS` characters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser

from daemon.detection import Person
from daemon.titles import looks_like_job_title

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
_NOTES_HEAD = re.compile(
    r"^(?:my |interview |follow-?up )?notes?\s*:\s*(?P<text>.*)$", re.IGNORECASE
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


def _aliases(interviewers: Sequence[Person]) -> dict[str, str]:
    """Lower-cased ways to name each interviewer -> address; ambiguous short names dropped."""
    exact: dict[str, str] = {}
    short: dict[str, set[str]] = {}
    for person in interviewers:
        email = person.email.lower()
        exact[email] = email
        if person.name:
            name = " ".join(person.name.lower().split())
            exact[name] = email
            words = [w.strip(".,") for w in name.split()]
            for word in {words[0], words[-1]}:
                if len(word) > 1:
                    short.setdefault(word, set()).add(email)
    aliases = {word: next(iter(emails)) for word, emails in short.items() if len(emails) == 1}
    aliases.update(exact)
    return aliases


def _clean(text: str) -> str:
    text = " ".join(_BULLET.sub("", text).split()).strip(" -–—:;,")
    if len(text) > MAX_NOTE_CHARS:
        cut = text[:MAX_NOTE_CHARS].rsplit(" ", 1)[0]
        text = cut.rstrip(" ,;:-") + "…"
    return text


def _who(line: str, aliases: dict[str, str]) -> tuple[str, str] | None:
    """(address, text) when the line starts with a name or address of an interviewer."""
    line = _BULLET.sub("", line)
    for pattern in (_COLON_LINE, _DASH_LINE):
        match = pattern.match(line)
        if match:
            who = " ".join(match["who"].lower().strip(" *_").split())
            if who in aliases:
                return aliases[who], match["text"]
    return None


def parse_notes(description: str, interviewers: Sequence[Person]) -> Notes:
    """Split the user's notes in ``description`` into general ones and ones per interviewer."""
    aliases = _aliases(interviewers)
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
            target = by_person.setdefault(email, [])
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
