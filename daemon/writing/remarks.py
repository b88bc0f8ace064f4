"""Remarks shown beside a draft: what the user should look at before sending it.

Why one generic place: several checks have something to say about the user's own text in a
draft (a word that looks misspelled; a note in another language than the draft's), and
``preview`` and ``status`` should show them all the same way, without knowing each check.
A check is a :data:`Remarker`: the user's texts that go into the draft and the draft's
language in, sentences for the user out. Add one to :data:`REMARKERS`.

Remarks never change a draft: the user decides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from daemon.writing.proofread import suspects


@dataclass(frozen=True)
class UserText:
    """A piece of the user's own text that goes into a draft, and how to name where it is:
    "your note for Jane", "[candidate].highlights", "your fit text"."""

    text: str
    where: str


Remarker = Callable[[Sequence[UserText], str], list[str]]


def spelling(texts: Sequence[UserText], language: str) -> list[str]:
    """ "'bliling' in your note for Jane (billing?)": suspected misspellings, never corrected."""
    out = []
    for text in texts:
        for suspect in suspects(text.text, language):
            hint = f" ({suspect.suggestion}?)" if suspect.suggestion else ""
            out.append(f"'{suspect.word}' in {text.where}{hint}")
    return out


REMARKERS: list[Remarker] = [spelling]


def remarks(texts: Sequence[UserText], language: str) -> list[str]:
    """Every remarker's remarks on ``texts`` in a draft written in ``language``, each once."""
    found: dict[str, None] = {}
    for remarker in REMARKERS:
        found.update(dict.fromkeys(remarker(texts, language)))
    return list(found)


__all__ = ["REMARKERS", "Remarker", "UserText", "remarks", "spelling"]
