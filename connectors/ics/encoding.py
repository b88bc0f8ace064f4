"""Bytes of an .ics file -> text, losing as little as possible and saying what was lost.

RFC 5545 files are UTF-8. Two kinds of real file are not:

* a UTF-8 file with a few bad bytes (a truncated multi-byte character, one line pasted from a
  Latin-1 source). Decoding the whole file as Windows-1252 because of them turns every correct
  "ü" into "Ã¼" ("Dear JÃ¼rgen", and a title keyword "Vorstellungsgespräch" no longer matches),
  so only the bad bytes are replaced (by U+FFFD, one per byte) and the lines are reported;
* a file written in a legacy 8-bit encoding from end to end (old Outlook and Lotus exports).
  It has bytes above 0x7F but not a single valid UTF-8 multi-byte sequence; such a file is
  read as Windows-1252 (a superset of Latin-1 for text; its five undefined bytes fall back to
  Latin-1), which is what those exporters write. Nothing is replaced, so nothing is reported.

The rule between the two is deliberately simple: one valid multi-byte UTF-8 sequence means the
file is UTF-8. A legacy file that happens to contain one (e.g. "Ã¼" typed in Windows-1252) is
read as UTF-8 with replacements, and the warning tells the user.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

# A well-formed UTF-8 sequence of two to four bytes (RFC 3629, no surrogates, no overlongs).
_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]"
    rb"|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
    rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_ESCAPED = re.compile("[\udc80-\udcff]")  # bytes that surrogateescape could not decode


@dataclass
class Decoded:
    text: str
    legacy: str | None = None  # the encoding used instead of UTF-8 for a wholly legacy file
    replaced: dict[int, int] = field(default_factory=dict)  # line number -> bytes replaced

    def summary(self) -> str | None:
        """What was replaced, for a warning; None when nothing was."""
        if not self.replaced:
            return None
        count = sum(self.replaced.values())
        lines = sorted(self.replaced)
        names = [str(n) for n in lines[:5]] + ([f"{len(lines) - 5} more"] if len(lines) > 5 else [])
        shown = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        where = f"line {shown}" if len(lines) == 1 else f"lines {shown}"
        noun = "byte" if count == 1 else "bytes"
        verb = "was" if count == 1 else "were"
        return (
            f"{count} {noun} at {where} {verb} not UTF-8 and {verb} replaced by U+FFFD;"
            " expected a UTF-8 file (RFC 5545)"
        )


def decode(data: bytes) -> Decoded:
    """UTF-8 (with or without BOM), replacing only invalid bytes; else Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return Decoded(text=data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    if not _MULTIBYTE.search(data):
        return Decoded(text=_legacy(data), legacy="windows-1252")
    # surrogateescape maps each bad byte to one lone surrogate, so they can be counted per line
    # and replaced one for one (errors="replace" merges a run of bad bytes into one U+FFFD).
    text = data.decode("utf-8", "surrogateescape")
    replaced: dict[int, int] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        bad = len(_ESCAPED.findall(line))
        if bad:
            replaced[number] = bad
    return Decoded(text=_ESCAPED.sub("\ufffd", text), replaced=replaced)


def _legacy(data: bytes) -> str:
    """Windows-1252, with Latin-1 for the five bytes it leaves undefined (0x81, 0x8D, ...)."""
    return "".join(
        chunk.decode("cp1252", "strict") if _cp1252_ok(chunk) else chunk.decode("latin-1")
        for chunk in re.split(rb"([\x81\x8d\x8f\x90\x9d])", data)
        if chunk
    )


def _cp1252_ok(chunk: bytes) -> bool:
    try:
        chunk.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True
