"""The language of the user's own text, so that none of it lands in a draft of another language.

A German note pasted into an English letter ("I especially enjoyed our conversation about
Migration der Abrechnung auf Kafka") reads as a machine's work, and rubric item 9 forbids it.
So every note, highlight and fit sentence is given a language before it reaches a template:
the shipped language whose common words (``stopwords`` of its ``phrases.toml``) it uses most,
a typical letter ("ä", "ß") counting as one word. Words that are common in two languages
("was", "die"...) are left out of the count. A text with no telling word ("Kafka", "on-call")
has no language and is kept: it reads the same in every language.

Why no language-detection library: the texts are a few words long, where statistical detectors
guess (and some guess differently on every run, which would break "the same draft on a
re-run"); a word list per shipped language is deterministic, needs nothing installed and comes
with every new language folder.

Text in another language than the draft's is dropped from what the template sees
(:func:`usable`, called by the context builders) and listed by :func:`remarks` so that
``preview`` and ``status`` can tell the user why their note is not in the draft.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence

from daemon.writing import phrases
from daemon.writing.phrases import Language

_WORD = re.compile(r"[^\W\d_]+")


@functools.cache
def _telling_words(codes: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """Each language's stopwords minus those of any other (cached per set of languages)."""
    tables = {c: phrases.shipped()[c].stopwords for c in codes}
    return {c: words - frozenset().union(*(w for o, w in tables.items() if o != c))
            for c, words in tables.items()}  # fmt: skip


def _scores(text: str, languages: Mapping[str, Language]) -> dict[str, int]:
    if languages is phrases.shipped():
        telling = _telling_words(tuple(languages))
    else:
        tables = {c: lang.stopwords for c, lang in languages.items()}
        telling = {c: words - frozenset().union(*(w for o, w in tables.items() if o != c))
                   for c, words in tables.items()}  # fmt: skip
    words = [w.casefold() for w in _WORD.findall(text)]
    out: dict[str, int] = {}
    for code, lang in languages.items():
        score = sum(1 for w in words if w in telling[code])
        if lang.letters and any(ch in lang.letters for ch in text.casefold()):
            score += 1
        out[code] = score
    return out


def text_language(text: str, languages: Mapping[str, Language] | None = None) -> str | None:
    """The code of the language ``text`` is written in, or None when nothing tells (or two
    languages tie)."""
    scores = _scores(text, languages if languages is not None else phrases.shipped())
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    if not ranked or ranked[0][1] == 0 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    return ranked[0][0]


def _cannot_be(text: str, lang: Language) -> bool:
    """True when ``text`` is certainly not in ``lang``: several words, none capitalised, in a
    language that capitalises its nouns."""
    words = _WORD.findall(text)
    return lang.nouns_capitalised and len(words) >= 2 and not any(w[0].isupper() for w in words)


def fits(text: str, language: str) -> bool:
    """Whether ``text`` may appear in a draft in ``language``: it is in that language, or in
    none that can be told (and nothing says it cannot be in this one)."""
    found = text_language(text)
    if found is None:
        lang = phrases.shipped().get(language)
        return lang is None or not _cannot_be(text, lang)
    return found == language


def usable(texts: Iterable[str], language: str) -> tuple[str, ...]:
    """``texts`` without those written in another language than ``language``, in order: what
    the template (and the sentence composed from the notes) may use."""
    return tuple(t for t in texts if fits(t, language))


def _quoted(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return f"'{text if len(text) <= limit else text[: limit - 1].rstrip() + '…'}'"


def remarks(
    language: str,
    notes: Sequence[tuple[str | None, str]] = (),
    highlights: Sequence[str] = (),
    fit: str | None = None,
) -> list[str]:
    """What of the user's text is left out of a draft in ``language`` because it is in
    another language, as remarks to show beside the draft.

    ``notes`` are (whose note: a name, or None for the interview's general notes, text).
    For example: "the note for Anna Müller is in German, the draft in English: not used
    ('Migration der Abrechnung auf Kafka')".
    """
    draft = phrases.get(language).name
    out: list[str] = []

    def other(text: str) -> str | None:
        if fits(text, language):
            return None
        found = text_language(text)
        return phrases.get(found).name if found else "another language"

    for who, text in notes:
        if name := other(text):
            whose = f"the note for {who}" if who else "a note of this interview"
            out.append(f"{whose} is in {name}, the draft in {draft}: not used ({_quoted(text)})")
    for text in highlights:
        if name := other(text):
            out.append(
                f"the highlight {_quoted(text)} ([candidate].highlights) is in {name}, the "
                f"draft in {draft}: not used"
            )
    if fit and (name := other(fit)):
        out.append(
            f"the fit sentence {_quoted(fit)} (note --fit) is in {name}, the draft in "
            f"{draft}: not used"
        )
    return out


def highlight_warnings(highlights: Sequence[str], accounts: Mapping[str, str]) -> list[str]:
    """For ``followupd check``: highlights that the drafts of an account (name -> language)
    leave out because they are in another language, one line per account and language."""
    out: list[str] = []
    for language in dict.fromkeys(accounts.values()):
        unused = [h for h in highlights if not fits(h, language)]
        if not unused:
            continue
        names = ", ".join(repr(a) for a, code in accounts.items() if code == language)
        draft = phrases.get(language).name
        which = ", ".join(_quoted(h) for h in unused)
        out.append(
            f"[candidate].highlights {which} {'is' if len(unused) == 1 else 'are'} not in "
            f"{draft}: the drafts of account {names} (in {draft}) leave "
            f"{'it' if len(unused) == 1 else 'them'} out and say how your experience fits in "
            "general words"
        )
    return out


__all__ = ["fits", "highlight_warnings", "remarks", "text_language", "usable"]
