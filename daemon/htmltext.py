"""An HTML body as plain text: what ``followupd redraft`` shows of a draft that has no text part.

A mail client that composes in HTML may save the user's edit of our draft as HTML alone. The
text only has to read as the draft reads (paragraphs, line breaks, list items), for the user to
see what changed and for a comparison with what followupd wrote, which will differ anyway: such
a draft was edited. So this is the standard library's tokenizer with block elements turned
into line breaks, not a rendering engine; scripts, styles and the head are dropped, entities
decoded, runs of spaces collapsed as a browser collapses them.
"""

from __future__ import annotations

import re
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
            self.out.append("\n\n" if tag in _PARAGRAPH else "\n")
            if tag == "li":
                self.out.append("- ")
            if tag == "pre":
                self._pre += 1

    def handle_startendtag(self, tag: str, attrs: object) -> None:
        if tag in _BREAK or tag in _BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK:
            self.out.append("\n\n" if tag in _PARAGRAPH else "\n")
            if tag == "pre":
                self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        # Outside <pre>, any run of whitespace (newlines included) is one space in a browser.
        self.out.append(data if self._pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """``html`` as plain text: one line per line break or block, a blank line between
    paragraphs, list items as "- ", no leading or trailing blank lines."""
    reader = _Text()
    reader.feed(html)
    reader.close()
    lines = [line.strip(" \t") for line in "".join(reader.out).replace("\xa0", " ").split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")
    return text + "\n" if text else ""
