"""The interest-and-fit sentence of an English thank-you, and where its words came from.

Why in Python rather than in the template: the sentence has three sources (the user's fit
text for this interview, ``followupd note ID --fit``; else ``[candidate].highlights``; else
a general line that claims nothing specific) and must stay one readable sentence of at most
:data:`MAX_WORDS` words whatever the user wrote. Two highlights that contain "and" themselves
("payment systems and APIs", "on-call and incident reviews") cannot be joined by another
"and" without reading as one list of four, so they are written "from X to Y".

The default English templates call :func:`interest_and_fit`; :func:`fit_reason` is what
``followupd preview`` shows beside the draft. The German templates have their own wording and
read the same context fields (``fit``, ``candidate.highlights``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from daemon.writing.context import DraftContext

MAX_WORDS = 35  # RUBRIC.md item 5: one readable sentence
MAX_HIGHLIGHTS = 2

# A fit text that is a clause of its own ("I have run the same migration twice", "my work on
# Kafka matches your plans") is joined with "and"; a noun phrase ("eight years of payments")
# gets a verb. Told apart by its first word or a finite verb among its words.
_CLAUSE_START = re.compile(r"^(?:i|i'm|i've|i'd|i am|i have|i would|i could|i can)\b", re.I)
_VERBS = re.compile(
    r"\b(?:is|are|am|was|were|has|have|had|will|would|could|can|should|fits?|matches|match|"
    r"aligns?|maps?|means?|gives?|lets?|makes?|covers?|overlaps?|translates?|prepared|"
    r"equips?|suits?)\b",
    re.IGNORECASE,
)


def _words(text: str) -> int:
    return len(text.split())


def _clean(text: str) -> str:
    """One line, without closing punctuation: the user's text goes inside a sentence."""
    return " ".join(str(text).split()).rstrip(" .!;,:")


def _as_clause(text: str) -> str | None:
    """The fit text as a clause that can follow "..., and", or None for a noun phrase."""
    if _CLAUSE_START.match(text):
        return text if text.startswith("I") else "I" + text[1:]
    if _VERBS.search(text):
        first = text.split(" ", 1)[0]
        return (first.lower() if first[1:].islower() else first) + text[len(first) :]
    return None


def _from_own(lead: str, fit: str) -> str:
    text = _clean(fit)
    clause = _as_clause(text)
    if clause is None:
        sentence = f"{lead}, and I am confident that {text} would let me contribute quickly."
    else:
        sentence = f"{lead}, and {clause}."
    if _words(sentence) <= MAX_WORDS:
        return sentence
    # Too long to join: the user's own words as their own sentence, never shortened.
    own = (clause or f"I bring {text}").strip()
    return f"{lead}. {own[:1].upper()}{own[1:]}."


# Panel members compare notes: the highlights sentence has one wording per panel place (the
# same on a re-run), each "I ... that my experience, <from X to Y>, <ends>".
_HIGHLIGHT_FORMS = (
    "{lead}, and I am confident that my experience, {middle}, would let me contribute quickly.",
    "{lead}, and I believe my experience, {middle}, fits the work you described.",
    "{lead}, and I am sure my experience, {middle}, would help me make an impact from the start.",
)


_COMPACT_FORM = "{lead}, and my experience, {middle}, fits the role well."


def _from_highlights(lead: str, highlights: Sequence[str], turn: int = 0) -> str:
    """Two highlights in this place's wording; when that runs past :data:`MAX_WORDS`, the
    compact wording, then one highlight in each; one long highlight is kept whole."""
    chosen = [_clean(h) for h in highlights if _clean(h)][:MAX_HIGHLIGHTS]
    if not chosen:
        return _generic(lead)
    form = _HIGHLIGHT_FORMS[turn % len(_HIGHLIGHT_FORMS)]
    middles = [f"including {chosen[0]}"]
    if len(chosen) == 2:
        middles.insert(0, f"from {chosen[0]} to {chosen[1]}")
    sentence = ""
    for middle in middles:
        for wording in (form, _COMPACT_FORM):
            sentence = wording.format(lead=lead, middle=middle)
            if _words(sentence) <= MAX_WORDS:
                return sentence
    return sentence


def _generic(lead: str) -> str:
    return f"{lead}, and I would welcome the chance to put my experience to work in this role."


def interest_and_fit(
    lead: str, highlights: Sequence[str] = (), fit: str | None = None, turn: int = 0
) -> str:
    """``lead`` (the interest clause, "Our conversation reinforced my interest in joining
    Acme") completed with how the candidate's experience fits, as one sentence.

    From ``fit`` (the user's text for this interview) when given, else from the first two
    ``highlights`` (worded by ``turn``, the recipient's place in a panel), else a general line.
    """
    lead = lead.rstrip(" .,")
    if fit and _clean(fit):
        return _from_own(lead, fit)
    if any(_clean(h) for h in highlights):
        return _from_highlights(lead, highlights, turn)
    return _generic(lead)


def fit_reason(ctx: DraftContext) -> str:
    """Where the fit sentence's words come from, for ``followupd preview``."""
    if ctx.fit and _clean(ctx.fit):
        return "fit: your fit text for this interview (followupd note ID --fit)"
    used = [h for h in ctx.candidate.highlights if _clean(h)][:MAX_HIGHLIGHTS]
    if used:
        return f"fit: [candidate].highlights ({len(used)} of {len(ctx.candidate.highlights)})"
    return (
        "fit: a general line, since nothing says how your experience fits; set "
        '[candidate].highlights, or followupd note ID --fit "..."'
    )


def fit_warning(highlights: Sequence[str], interviews_with_fit: int) -> str | None:
    """What ``followupd check`` warns when nothing says how the candidate's experience fits
    (every thank-you then falls back to the general line), or None."""
    if any(_clean(h) for h in highlights) or interviews_with_fit:
        return None
    return (
        "nothing says how your experience fits the roles, so every thank-you uses a general "
        'line: set [candidate].highlights = ["...", "..."] in the config, or give an '
        'interview its own with followupd note ID --fit "..."'
    )


__all__ = ["MAX_WORDS", "fit_reason", "fit_warning", "interest_and_fit"]
