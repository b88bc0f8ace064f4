"""ATTENDEE and ORGANIZER lines that icalendar cannot parse, mended before it sees them.

icalendar drops a content line it cannot split into name, parameters and value, and only notes
it in the component's ``errors``. For an ATTENDEE that means an interviewer silently gets no
thank-you. Real files break these lines in these ways (icalendar 7 drops or misreads them):

* an unescaped quote in a parameter: ``ATTENDEE;CN=Jane "JJ" Smith:mailto:jane@acme.example``;
* a control character in a parameter, e.g. a NUL inside the CN;
* a raw line break inside a quoted CN, which splits the line in two (``ATTENDEE;CN="Jane`` and
  ``Smith":mailto:...``); they are joined again with a space;
* a ``:`` inside an unquoted parameter value (``X-...-USER-KEY=a:b;CN=...``), which ends the
  parameters there: icalendar then reads the rest as the address;
* a bare CR inside the line: what is left of a fold whose LF and space were lost
  (``CN=ka<CR>rim@nilas.com`` in the nylas-sync-engine test files). It is removed.

So each such line (inside a VEVENT) is re-read here by hand: the address is the ``mailto:`` URI
after the last ``:``, the parameters are split at ``;NAME=``, control characters go and quotes
inside values are kept (icalendar writes them back as RFC 6868 ``^'``). The mended line is
re-serialised by icalendar itself, so what it parses next is well-formed. Each repair is a
warning Problem naming the event and the address; a line without a readable address is a
Problem naming the event and the line, and is left for icalendar to drop.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from icalendar.parser import Contentline, Parameters
from icalendar.prop import vCalAddress, vText

from connectors.ics.components import describe_parts
from daemon.protocols import Problem

_NAMES = ("ATTENDEE", "ORGANIZER")
_PROPERTY = re.compile(r"^\s*([A-Za-z0-9-]+)\s*[;:]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_MAILTO = re.compile(r":\s*(mailto:[^\s\"<>:;,]+@[^\s\"<>:;,]+)\s*$", re.IGNORECASE)
_PARAM_SPLIT = re.compile(r";(?=\s*[A-Za-z0-9-]+\s*=)")
_MAX_JOINED = 3  # physical lines a raw line break may have split one quoted CN into
_EXPECTED = 'expected {name};CN="NAME":mailto:ADDRESS (RFC 5545)'


@dataclass
class _Line:
    number: int  # 1-based physical line number of the first line
    raw: list[str]  # the physical lines (a folded line has several), without line ends

    @property
    def text(self) -> str:
        """The line unfolded as icalendar unfolds it (CRLF + one space or tab removed).

        Only the CR that ends a physical line goes with its fold; a CR anywhere else is what
        is left of a damaged fold and stays, for :func:`_repair` to report."""
        parts = [self.raw[0], *(part[1:] for part in self.raw[1:])]
        return "".join(part[:-1] if part.endswith("\r") else part for part in parts)

    @property
    def name(self) -> str:
        found = _PROPERTY.match(self.text)
        return found.group(1).upper() if found else ""


def mend(
    text: str, label: str, numbered: Callable[[int], int] | None = None
) -> tuple[str, list[Problem]]:
    """``text`` with its broken ATTENDEE/ORGANIZER lines mended, and what was done.

    ``numbered`` gives a line of ``text`` its number in the file, when lines were taken out
    before (:mod:`connectors.ics.prescan`), so that problems name the line the user sees."""
    if _all_untouched(text):
        return text, []  # the common case: one pass of a regular expression
    lines = _logical(text.split("\n"), numbered)
    out: list[str] = []
    problems: list[Problem] = []
    depth = 0  # VEVENTs we are inside of (an ATTENDEE of a VALARM belongs to its VEVENT too)
    block: list[_Line] = []
    for line in lines:
        upper = line.text.strip().upper()
        if upper == "BEGIN:VEVENT":
            depth += 1
        if depth:
            block.append(line)
        else:
            out.extend(line.raw)
        if upper == "END:VEVENT" and depth:
            depth -= 1
            if not depth:
                out.extend(_mend_event(block, label, problems))
                block = []
    if block:  # a VEVENT that never ends: icalendar reports the file as truncated
        out.extend(part for line in block for part in line.raw)
    return "\n".join(out), problems


# Where mend() could find an address line: what its walk reads as one is matched here too.
_ADDRESS_START = re.compile(r"^\s*(?:ATTENDEE|ORGANIZER)\s*[;:]", re.IGNORECASE | re.MULTILINE)
# A first physical line holding nothing but (part of) a name, folded: a name split by a fold
# ("ATTEN" CRLF " DEE;CN=...") is one _ADDRESS_START does not see.
_FOLDED_NAME = re.compile(r"^[A-Za-z0-9-]*[ \t]*\r?\n[ \t]", re.MULTILINE)


def _all_untouched(text: str) -> bool:
    """Would :func:`mend` certainly return ``text`` as it is, without a problem? True when
    every address line is one :func:`untouched` accepts (nearly every file): then no line has
    to be walked, which cost a 10,000-event calendar 0.4 s of its first sync."""
    if text[:1].isspace() or _FOLDED_NAME.search(text):
        return False
    for found in _ADDRESS_START.finditer(text):
        at = found.start()
        if text[at : at + 1].isspace():
            return False  # blank lines before it, or indented: the walk decides
        end = text.find("\n", at)
        parts = [text[at:] if end < 0 else text[at:end]]
        while end >= 0 and text[end + 1 : end + 2] in (" ", "\t"):
            after = text.find("\n", end + 1)
            parts.append(text[end + 2 :] if after < 0 else text[end + 2 : after])
            end = after
        if not untouched("".join(_strip_cr(part) for part in parts)):
            return False
    return True


def _logical(physical: list[str], numbered: Callable[[int], int] | None = None) -> list[_Line]:
    """Physical lines (still ending in CR where the file has CRLF) grouped by folding."""
    result: list[_Line] = []
    for number, raw in enumerate(physical, start=1):
        body = raw[:-1] if raw.endswith("\r") else raw
        if result and body[:1] in (" ", "\t"):
            result[-1].raw.append(raw)
        else:
            result.append(_Line(number=numbered(number) if numbered else number, raw=[raw]))
    return result


# An ATTENDEE/ORGANIZER line icalendar certainly reads: parameters whose values are plain
# or properly quoted, no control characters. Nearly every line is one, and this costs far less
# than letting icalendar try (a thousand-event calendar spent half a second there).
_CLEAN = re.compile(
    r"(?:ATTENDEE|ORGANIZER)"
    r'(?:;[A-Za-z0-9-]+=(?:"[^"\x00-\x1f]*"|[^";:,\x00-\x1f]*)'
    r'(?:,(?:"[^"\x00-\x1f]*"|[^";:,\x00-\x1f]*))*)*'
    r":[^\x00-\x1f]*",
    re.IGNORECASE,
)


def untouched(line: str) -> bool:
    """Does :func:`mend` certainly leave this (unfolded) ATTENDEE/ORGANIZER line as it is, and
    say nothing about it? It is clean, holds an address, and has no ':' that could be misread
    (what :mod:`connectors.ics.prescan` needs to know before removing an event unparsed)."""
    line = _strip_cr(line)
    return (
        _CLEAN.fullmatch(line) is not None
        and line.count(":") <= 2
        and _MAILTO.search(line) is not None
    )


def _parses(text: str) -> bool:
    if _CLEAN.fullmatch(_strip_cr(text)):
        return True
    try:
        Contentline(_strip_cr(text)).parts()
    except Exception:  # icalendar raises ValueError and friends on every kind of breakage
        return False
    return True


# Properties a VEVENT (or its VALARM) may hold (RFC 5545, 7986, 9073): a line named so is no
# piece of a broken address line.
_PROPERTIES = frozenset(
    [
        "ACTION",
        "ATTACH",
        "ATTENDEE",
        "BEGIN",
        "CATEGORIES",
        "CLASS",
        "COLOR",
        "COMMENT",
        "CONFERENCE",
        "CONTACT",
        "CREATED",
        "DESCRIPTION",
        "DTEND",
        "DTSTAMP",
        "DTSTART",
        "DURATION",
        "END",
        "EXDATE",
        "GEO",
        "IMAGE",
        "LAST-MODIFIED",
        "LOCATION",
        "ORGANIZER",
        "PRIORITY",
        "RDATE",
        "RECURRENCE-ID",
        "RELATED-TO",
        "REPEAT",
        "REQUEST-STATUS",
        "RESOURCES",
        "RRULE",
        "SEQUENCE",
        "STATUS",
        "STYLED-DESCRIPTION",
        "SUMMARY",
        "TRANSP",
        "TRIGGER",
        "UID",
        "URL",
    ]
)


def _cut(line: _Line, block: list[_Line], following: int) -> bool:
    """An address line without address whose rest is on the next line ("ATTENDEE;CN=Jane",
    which icalendar reads as an empty address, then "Smith:mailto:jane@acme.example")."""
    return (
        following < len(block)
        and _MAILTO.search(_strip_cr(line.text)) is None
        and _continues(block[following].text)
    )


def _continues(text: str) -> bool:
    """Is this line the rest of an address line a raw line break cut (it ends in the
    address and is named as no property is)?"""
    found = _PROPERTY.match(text)
    name = found.group(1).upper() if found else ""
    if name in _PROPERTIES or name.startswith("X-"):
        return False
    return _MAILTO.search(_strip_cr(text)) is not None


def _misread(text: str) -> bool:
    """A line icalendar reads, but wrongly: a ':' in an unquoted parameter value ends the
    parameters early, and the value then holds the rest of them (``X-KEY=a:b;CN=Jane:mailto:
    jane@acme.example`` reads as the address ``b;cn=jane:mailto:jane@acme.example``; with
    ``X-KEY=mailto:x@y``, as x@y). The address is the ``mailto:`` URI at the end."""
    line = _strip_cr(text)
    if line.count(":") <= 2:  # the separator and "mailto:": nothing else can be misread
        return False
    found = _MAILTO.search(line)
    if found is None:
        return False
    try:
        _, _, value = Contentline(line).parts()
    except Exception:
        return False
    return str(value).strip().lower() != found.group(1).lower()


def _strip_cr(text: str) -> str:
    return text[:-1] if text.endswith("\r") else text


def _mend_event(block: list[_Line], label: str, problems: list[Problem]) -> list[str]:
    """One VEVENT's physical lines, broken address lines replaced by mended ones."""
    out: list[str] = []
    i = 0
    while i < len(block):
        line = block[i]
        i += 1
        if line.name not in _NAMES or (
            _parses(line.text) and not _misread(line.text) and not _cut(line, block, i)
        ):
            out.extend(line.raw)
            continue
        parts = [_strip_cr(line.text)]
        # A raw line break inside a parameter: take the following lines back in while they
        # are not properties of their own and the quotes are still open, or, for a line that
        # has no address yet, while the next one holds it under no property's name (an
        # unquoted "CN=Jane<CR>Smith": the CR became a line break, in XML as in a file).
        while (
            i < len(block)
            and len(parts) < _MAX_JOINED
            and block[i].text.strip().upper() != "END:VEVENT"
            and (
                (parts[-1].count('"') % 2 and not _parses(block[i].text))
                or (_MAILTO.search(parts[-1]) is None and _continues(block[i].text))
            )
        ):
            parts.append(_strip_cr(block[i].text))
            i += 1
        event = _describe(block)  # only for a broken line: most events have none
        joined = " ".join(parts) if len(parts) > 1 else parts[0]
        shown = _show(joined if len(parts) == 1 else "\\n".join(parts))
        where = f"{label} line {line.number}: {shown}"
        expected = _EXPECTED.format(name=line.name)
        mended = _repair(line.name, joined)
        if mended is None:
            problems.append(
                Problem(
                    item=f"{event} line {line.number}",
                    message=f"{where} has no readable mailto: address and was skipped; {expected}",
                    container=label,
                    # The event itself is read: the sync stays complete, so deleted events are
                    # still noticed while this one line waits for the user.
                    warning=True,
                )
            )
            out.extend(part for used in block[i - len(parts) : i] for part in used.raw)
            continue
        new_line, address, name = mended
        problems.append(
            Problem(
                item=f"{event} {line.name} {address}",
                message=f"{where} {_fault(parts)}; read as"
                f" {f'{name} ' if name else ''}<{address}>; {expected}",
                container=label,
                warning=True,
            )
        )
        out.append(new_line + "\r")
    return out


def _repair(name: str, line: str) -> tuple[str, str, str] | None:
    """(mended line, address, name) for a broken address line, or None without an address."""
    cleaned = _CONTROL.sub("", line)  # a bare CR is what is left of a damaged fold: no space
    found = _MAILTO.search(cleaned)
    if found is None:
        return None
    uri = found.group(1)
    address = uri[7:].lower()
    head = cleaned[: found.start()]
    params = Parameters()
    separator = re.match(r"\s*[A-Za-z0-9-]+\s*;", head)
    if separator:
        for part in _PARAM_SPLIT.split(head[separator.end() :]):
            key, sep, value = part.partition("=")
            key = key.strip().upper()
            value = re.sub(r"\s+", " ", value).strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1].strip()
            if sep and key and re.fullmatch(r"[A-Z0-9-]+", key) and value:
                params[key] = value
    attempts = [params, Parameters({k: v for k, v in params.items() if k == "CN"}), Parameters()]
    for attempt in attempts:
        mended = str(Contentline.from_parts(name, attempt, vCalAddress(f"mailto:{uri[7:]}")))
        if _parses(mended):
            return mended, address, str(attempt.get("CN", ""))
    return None  # pragma: no cover - a bare mailto: line always parses


def _fault(parts: list[str]) -> str:
    """What was wrong with the line, in the user's words."""
    if len(parts) > 1:
        if parts[0].count('"') % 2:
            return "has a line break inside a quoted parameter"
        return "has a line break inside a parameter"
    if "\r" in parts[0]:
        return "has a stray carriage return (CR) in a parameter"
    if _CONTROL.search(parts[0]):
        return "has a control character in a parameter"
    if '"' in parts[0]:
        return "has a quote inside a parameter value"
    if _misread(parts[0]):
        return "has a ':' inside a parameter value that is not quoted"
    if re.search(r";\s*[A-Za-z0-9-]*\s*[;:]", parts[0].split(":mailto:")[0] + ":"):
        return "has a parameter without a value"
    return "could not be parsed"


def _show(text: str) -> str:
    """The line as the user can find it in the file: control characters visible, bounded."""
    visible = "".join(ch if ch.isprintable() or ch == " " else f"\\x{ord(ch):02x}" for ch in text)
    return visible if len(visible) <= 160 else visible[:157] + "..."


def _describe(block: list[_Line]) -> str:
    """The event as :func:`connectors.ics.components.describe` names it, from raw lines."""
    found: dict[str, str] = {}
    depth = 0
    for line in block:
        upper = line.text.strip().upper()
        if upper.startswith("BEGIN:"):
            depth += 1
        elif upper.startswith("END:"):
            depth -= 1
        elif depth == 1 and line.name in ("UID", "SUMMARY", "DTSTART"):
            try:
                _, _, value = Contentline(_strip_cr(line.text)).parts()
            except Exception:
                continue
            if line.name != "DTSTART":  # as icalendar reads them: escapes undone
                value = vText.from_ical(value)
            found.setdefault(line.name, str(value).strip())
    return describe_parts(found.get("UID", ""), found.get("SUMMARY", ""), found.get("DTSTART"))
