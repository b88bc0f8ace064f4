"""A draft's body as plain text, as ``followupd redraft`` compares and shows it.

The text/plain part when there is one (every draft followupd writes has it). A mail client that composes in HTML may save the user's edit of our draft as HTML alone. The
text only has to read as the draft reads (paragraphs, line breaks, list items), for the user to
see what changed and for a comparison with what followupd wrote, which will differ anyway: such
a draft was edited. So this is the standard library's tokenizer with block elements turned
into line breaks, not a rendering engine; scripts, styles and the head are dropped, entities
decoded, runs of spaces collapsed as a browser collapses them.
"""

from __future__ import annotations

import re
from email.message import EmailMessage, Message
from html.parser import HTMLParser

_INVISIBLE = frozenset({"script", "style", "head", "title", "template"})
_BREAK = frozenset({"br"})
_BLOCK = frozenset(
    {
        "p", "div", "section", "article", "header", "footer", "blockquote", "pre", "table",
        "tr", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "address", "body",
    }
)  # fmt: skip
_PARAGRAPH = frozenset({"p", "blockquote", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5"})


# Where a block starts or ends: one line break, or a blank line around a paragraph. Adjacent
# boundaries (</div><div>) are one break, as a browser draws them. A <br> is a line break,
# except the last thing in a block with text ("x<br></div>"); alone in a block it is an empty
# line (<div><br></div>, how web mail editors write one).
_LINE, _PARA = "\x01", "\x02"
_BOUNDARIES = re.compile(r"[ \t\n]*[\x01\x02][\x01\x02 \t\n]*")


def _break(run: re.Match[str]) -> str:
    breaks, at_line_start = 0, False  # the run follows text, so not at a line start
    for char in run.group():
        # A <br> always breaks the line; a block boundary only when the line has text.
        if char == "\n" or (char in (_LINE, _PARA) and not at_line_start):
            breaks, at_line_start = breaks + 1, True
    return "\n" * max(breaks, 2 if _PARA in run.group() else 1)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._hidden = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in _INVISIBLE:
            self._hidden += 1
        elif tag in _BREAK:
            self.out.append("\n")
        elif tag in _BLOCK:
            self.out.append(_PARA if tag in _PARAGRAPH else _LINE)
            if tag == "li":
                self.out.append("- ")
            if tag == "pre":
                self._pre += 1

    def handle_startendtag(self, tag: str, attrs: object) -> None:
        if tag in _BREAK:
            self.out.append("\n")
        elif tag in _BLOCK:
            self.out.append(_LINE)

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK:
            self.out.append(_PARA if tag in _PARAGRAPH else _LINE)
            if tag == "pre":
                self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        # Outside <pre>, any run of whitespace (newlines included) is one space in a browser.
        data = data.replace(_LINE, " ").replace(_PARA, " ")
        self.out.append(data if self._pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """``html`` as plain text: one line per line break or block, a blank line between
    paragraphs, list items as "- ", no leading or trailing blank lines."""
    reader = _Text()
    reader.feed(html)
    reader.close()
    text = _BOUNDARIES.sub(_break, "".join(reader.out).replace("\xa0", " "))
    text = "\n".join(line.strip(" \t") for line in text.split("\n")).strip("\n")
    return text + "\n" if text else ""


def message_text(msg: EmailMessage) -> str:
    """The body of ``msg`` as text: its text/plain part, else its HTML part as text, else "";
    line endings as "\\n". A part in an unknown charset or a broken transfer encoding is read
    as UTF-8 with replacement characters, never an error: the text is shown, not trusted."""
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _content(part)
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")


def _content(part: Message) -> str:
    try:
        return str(part.get_content())  # type: ignore[attr-defined]
    except Exception:  # unknown charset, broken transfer encoding
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
