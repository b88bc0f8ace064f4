"""Notes become sentences: what this interviewer discussed, and what comes next.

Users jot notes the way people do: a topic ("the billing migration"), a clause ("she is
rebuilding the data platform on Snowflake"), a fragment ("Great chat about on-call, very
friendly."), a label ("next step: take-home", "decision: end of month"), a question, an
exclamation, several sentences at once. A template that pastes a note after "our conversation
about" breaks on all but the first, so the sentences are composed here, in Python, per language
(:mod:`.compose_en`, :mod:`.compose_de`), and the templates print them whole: ``mention`` and
``next_step`` of :class:`daemon.writing.context.DraftContext`.

What happens to a note, sentence by sentence:

* a decision ("decision: end of month", "They expect a decision by March 20.") is a date, not
  a topic: :mod:`.deadline` resolves it; it never becomes the mention;
* a next step or follow-up label ("next step: take-home", "follow-up: send portfolio") becomes
  the ``next_step`` sentence of the next-steps paragraph;
* a to-do ("todo: update CV") is the user's reminder to themselves and goes nowhere;
* anything else is what was discussed: woven into one sentence when its form is understood,
  quoted as the user's own words in a natural frame when it is not, dropped when nothing is
  left of it ("Great chat, very friendly.": an impression, not a topic).

The frame of each sentence is chosen by ``panel_position``, so a re-run gives the same words and
two members of one panel never get the same wording.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from daemon.writing.deadline import is_decision_note


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


class Kind(StrEnum):
    """What a note (one sentence of it) is."""

    TOPIC = "topic"  # what was discussed: woven or quoted
    NEXT_STEP = "next_step"  # "next step: take-home"
    FOLLOW_UP = "follow_up"  # "follow-up: send portfolio": something the candidate will do
    DECISION = "decision"  # "decision: end of month"
    TODO = "todo"  # "todo: update CV": the user's own reminder, for nobody else


@dataclass(frozen=True)
class Piece:
    """One sentence of a note, tidied: its kind, its text without the label, and how it ended
    ("." "!" "?" or "")."""

    kind: Kind
    text: str
    end: str = ""
    written: str = ""  # the sentence as the user wrote it, label and all


@dataclass(frozen=True)
class Names:
    """The recipient's names, so that "Jane's team" in a note to Jane becomes "your team"."""

    words: tuple[str, ...] = field(default=())  # "Jane", "Smith", "Jane Smith"


@dataclass(frozen=True)
class Composition:
    mention: str | None = None
    next_step: str | None = None


# ------------------------------------------------------------------------------------------
# Tidying what people type
# ------------------------------------------------------------------------------------------

_BULLET = re.compile(r"^\s*(?:[-*•·◦‣>]+|\d+[.)]|\[[ xX]?\])\s+")
_URL = re.compile(
    r"(?:\(\s*)?(?:\b(?:see|check|at|via|here|link)\s*:?\s+)?<?\b(?:https?://|www\.)\S+",
    re.IGNORECASE,
)
# What is left before a link that was taken out: "the demo at", "see:".
_DANGLING = re.compile(r"\s+(?:at|on|see|via|here|from|in|under|:)\s*$", re.I)
_QUOTES = "\"'“”„‘’«»"


def _is_emoji(char: str) -> bool:
    """Pictographs, their modifiers and joiners; not "°", "^" or the arrows ("→" means "to")."""
    if char in "\u200d\ufe0f\ufe0e\u20e3":
        return True
    category = unicodedata.category(char)
    return category in ("Cs", "Co") or (category in ("So", "Sk") and ord(char) >= 0x2300)


def tidy(note: str) -> str:
    """The note without bullets, links, emoji, outer quotes, shouting punctuation ("!!!",
    "?!") or stray whitespace; the words themselves as the user wrote them."""
    text = _BULLET.sub("", str(note))
    if _URL.search(text):
        text = " ".join(_DANGLING.sub("", p.strip()) for p in _URL.split(text))
    text = "".join(" " if _is_emoji(c) else c for c in text)
    text = " ".join(text.split())
    text = re.sub(r"\(\s*\)", "", text)
    text = re.sub(r"([!?])[!?.]+", r"\1", text)  # "!!!" "?!" -> "!" / "?"
    text = re.sub(r"\.{2,}|…", ".", text)
    text = re.sub(r"\s+([,;:.!?])", r"\1", text)
    text = text.strip(" ,;:-–—")
    if len(text) > 1 and text[0] in _QUOTES and text[-1] in _QUOTES + ".!?":
        inner = text.rstrip(".!?")
        if inner[-1:] in _QUOTES and not any(q in inner[1:-1] for q in _QUOTES):
            text = inner[1:-1] + text[len(inner) :]
    return " ".join(text.split())


_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_ABBREV = re.compile(r"\b(?:e\.g|i\.e|etc|vs|dr|mr|ms|mrs|prof|z\.b|bzw|ca|u\.a|inkl)\.$", re.I)


def sentences(text: str) -> list[str]:
    """The sentences of a tidied note, not split after "e.g." or "Dr."."""
    out: list[str] = []
    for part in _SENTENCE.split(text):
        if out and _ABBREV.search(out[-1]):
            out[-1] = f"{out[-1]} {part}"
        elif part.strip():
            out.append(part.strip())
    return out


# Labels users put before a note, in the shipped languages, by the kind they give the note.
_LABELS: dict[Kind, tuple[str, ...]] = {
    Kind.NEXT_STEP: ("next steps?", "next", "nächste[rn]? schritte?", "nächster schritt",
                     "weiteres vorgehen", "ns"),
    Kind.FOLLOW_UP: ("follow[- ]?ups?", "f/u", "fu", "action items?", "action", "nachfassen",
                     "nachreichen"),
    Kind.DECISION: ("decision", "decision date", "deadline", "timeline", "entscheidung",
                    "rückmeldung", "zeitplan"),
    Kind.TODO: ("to[- ]?dos?", "reminder", "remember", "note to self", "self", "me",
                "erinnerung", "aufgabe", "zu tun", "merken"),
    Kind.TOPIC: ("re", "topic", "topics", "discussed", "about", "thema", "themen", "besprochen"),
}  # fmt: skip
_LABEL = re.compile(
    r"^(?P<label>"
    + "|".join(f"(?P<{kind}>{'|'.join(words)})" for kind, words in _LABELS.items())
    + r")\s*(?:[:=>\-–—]+|\)|\s+->)\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_NEXT_IS = re.compile(
    r"^(?:the\s+)?next\s+steps?\s+(?:is|are|will\s+be|would\s+be|=)\s+(?:an?\s+|the\s+)?(?P<rest>.+)$"
    r"|^(?:der\s+)?nächste\s+schritt\s+(?:ist|wäre|wird)\s+(?P<rest_de>.+)$",
    re.IGNORECASE,
)


# Common words of each shipped language that the other one does not use: a note made mostly of
# another language's words is not woven into this language's sentences. Deciding a note's
# language (and telling the user) is :mod:`daemon.writing`'s language check's job; this is the
# composer's own guard against writing "our conversation about the Migration der Abrechnung".
_MARKERS: dict[str, frozenset[str]] = {
    "en": _wordset(
        "the and of to with for about our their is are we they she he how why what my your its "
        "next step steps decision from"
    ),
    "de": _wordset(
        "der die das den dem des und mit für über von zum zur ist sind wir sie er ein eine einen "
        "auf bei nicht noch wie warum ich ihr ihre unser nächster nächste schritt schritte "
        "entscheidung gespräch"
    ),
}


# What is for the user alone, in any shipped language: pay, and jokes ("lol", ":)"). A note
# about the salary band is legitimate to keep; a thank-you that recalls it is not.
PRIVATE = re.compile(
    r"\b(?:lol|haha+|lmao|rofl|salary|compensation|comp|pay\s+range|equity|stock\s+options|"
    r"bonus|gehalt\w*|vergütung|\d+\s*k)\b|[$€]\s*\d|\d\s*[$€]|[:;]-?[)(pD](?!\w)",
    re.IGNORECASE,
)


def written_in(text: str, language: str) -> bool:
    """False when ``text`` reads as another shipped language than ``language``: some of that
    language's common words and none of this one's. Notes without such words ("Kafka consumer
    lag") pass."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    own = _MARKERS.get(language, frozenset())
    if any(w in own for w in words):
        return True
    return not any(
        any(w in markers for w in words) for other, markers in _MARKERS.items() if other != language
    )


# Reminders written without a colon: "TODO send thank you", "follow up in a week".
_REMINDER = re.compile(r"^(?:todo|to-do|fyi|follow[- ]?up(?:\s+(?:in|on|by|after|next)\b|$)|"
                       r"remember\s+to|don'?t\s+forget|need\s+to|must)\b", re.IGNORECASE)  # fmt: skip


def piece(sentence: str) -> Piece:
    """One sentence of a note as a :class:`Piece`: its label (if any) read and removed."""
    end = sentence[-1] if sentence[-1:] in ".!?" else ""
    body = sentence.rstrip(".!?").strip(" ,;:")
    if is_decision_note(body):
        return Piece(Kind.DECISION, body, end, sentence)
    if _REMINDER.match(body):
        return Piece(Kind.TODO, body, end, sentence)
    match = _LABEL.match(body)
    if match and match["rest"].strip():
        kind = next(k for k in Kind if match.groupdict().get(str(k)))
        return Piece(kind, match["rest"].strip(" ,;:"), end, sentence)
    match = _NEXT_IS.match(body)
    if match:
        return Piece(Kind.NEXT_STEP, (match["rest"] or match["rest_de"]).strip(), end, sentence)
    return Piece(Kind.TOPIC, body, end, sentence)


def pieces(note: str) -> list[Piece]:
    """Every sentence of ``note``, tidied and classified; empty ones dropped."""
    return [piece(s) for s in sentences(tidy(note)) if s.strip(" .!?")]


# ------------------------------------------------------------------------------------------
# Composing
# ------------------------------------------------------------------------------------------


def compose(
    own: Sequence[str],
    general: Sequence[str] = (),
    *,
    language: str = "en",
    panel_position: int = 0,
    names: Sequence[str] = (),
    solo: bool = False,
) -> Composition:
    """The mention and next-step sentences of one draft.

    ``own`` are the notes about this recipient, ``general`` the notes about the whole
    interview; ``solo`` says the recipient is the interview's only interviewer, so general
    notes are about them too ("she is ..." becomes "you are ..."). ``names`` are the
    recipient's names as a note may write them.
    """
    if language == "de":
        from daemon.writing import compose_de as writer
    else:
        from daemon.writing import compose_en as writer  # type: ignore[no-redef]
    turn = max(panel_position, 0)
    who = Names(tuple(n for n in names if n))
    mention: str | None = None
    next_step: str | None = None
    # This recipient's own notes first: their words, even quoted, beat a general note woven in.
    for notes, about in ((own, True), (general, solo)):
        parts = [
            p
            for note in notes
            for p in pieces(note)
            if written_in(p.written, language) and not PRIVATE.search(p.written)
        ]
        if mention is None:
            found = [writer.mention(p, turn, about, who) for p in parts if p.kind == Kind.TOPIC]
            mention = next((w for w, _ in found if w), None) or next(
                (q for _, q in found if q), None
            )
        if next_step is None:
            steps = (p for p in parts if p.kind in (Kind.NEXT_STEP, Kind.FOLLOW_UP))
            next_step = next(
                filter(None, (writer.next_step(p, turn, about, who) for p in steps)), None
            )
    return Composition(mention=mention, next_step=next_step)


__all__ = [
    "Composition", "Kind", "Piece", "compose", "piece", "pieces", "sentences", "tidy", "written_in",
]  # fmt: skip
