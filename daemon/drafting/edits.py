"""Is the draft in the user's mailbox still the one followupd wrote?

``followupd redraft`` replaces a draft only when the user has not touched it: their edits are
theirs, and a redraft that silently threw them away would be worse than no redraft. But mail
clients change a draft the user merely opened and saved, and mailboxes hand a body back in
their own shape: CRLF line endings, trailing spaces, lines re-wrapped (format=flowed, or an
HTML body turned back into text), a signature appended, the quoted original of a reply added
below it (Outlook's createReply does). None of that is an edit, so it is not counted as one:

- the texts are compared word by word (all whitespace, line breaks and wrapping collapsed);
- the mailbox's text may go on after ours where a line starts what a client adds below a
  message: a signature separator (``-- ``), a quote (``>``), an attribution ("On ... wrote:"),
  Outlook's ``From:`` block or its separator line, "-----Original Message-----".

A word changed, added or removed anywhere in what we wrote is an edit. So is a changed subject.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from daemon.protocols import DraftContent

# A line where a client's addition below the message starts (see the module docstring).
_TAIL = re.compile(
    r"^(?:--\s*$|>|On .+ wrote:\s*$|Am .+ schrieb .+:\s*$|From: |Von: |_{8,}\s*$"
    r"|-{3,}\s*Original Message\s*-{3,}\s*$|-{3,}\s*Ursprüngliche Nachricht\s*-{3,}\s*$)",
    re.IGNORECASE,
)


def words(text: str) -> str:
    """``text`` with all whitespace (line endings, wrapping, non-breaking spaces) collapsed."""
    return " ".join(text.replace("\u00a0", " ").split())


def same_text(found: str, ours: str) -> bool:
    """Whether ``found`` (a body as the mailbox gives it back) is ``ours``, give or take what
    clients do to a draft they did not let the user change (see the module docstring)."""
    wanted = words(ours)
    lines = found.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cuts = [i for i, line in enumerate(lines) if _TAIL.match(line.lstrip())]
    return any(words("\n".join(lines[:cut])) == wanted for cut in [*cuts, len(lines)])


def untouched(found: DraftContent, subject: str | None, text: str | None) -> bool:
    """Whether the draft ``found`` in the mailbox is still the one written with ``subject``
    and ``text``. Unknown text (a draft written before followupd kept it) is never untouched:
    nothing proves the user left it alone."""
    if text is None:
        return False
    if subject is not None and words(found.subject).casefold() != words(subject).casefold():
        return False
    return same_text(found.text, text)
