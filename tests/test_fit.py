"""The interest-and-fit sentence of the English thank-you (RUBRIC.md item 5).

One readable sentence of at most 35 words, from the user's fit text for the interview, else
their highlights, else a general line; two highlights that contain "and" never run into one
ambiguous list. Checked on the rendered drafts, as the recipient reads them.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from daemon.config import Candidate
from daemon.writing.context import DraftContext, sample_context
from daemon.writing.fit import MAX_WORDS, fit_reason, interest_and_fit
from daemon.writing.render import Renderer

LEAD = "Our conversation reinforced my interest in joining Initech"


def _candidate(*highlights: str) -> Candidate:
    return Candidate(name="Alex Morgan", highlights=highlights, signature="", phone="", links=())


def _fit_sentence(ctx: DraftContext) -> str:
    """The sentence of the rendered thank-you that reaffirms interest."""
    text = Renderer().render("thank_you", ctx).text
    found = [s for s in re.split(r"(?<=[.?!])\s+", text) if "interest" in s or "interested" in s]
    assert len(found) == 1, text
    return " ".join(found[0].split())


def test_two_highlights_with_and_are_not_one_list() -> None:
    ctx = sample_context(
        candidate=_candidate(
            "eight years of building payment systems and APIs",
            "leading on-call and incident reviews",
        )
    )
    sentence = _fit_sentence(ctx)
    assert "APIs and leading" not in sentence
    assert (
        "from eight years of building payment systems and APIs to leading on-call and "
        "incident reviews" in sentence
    )
    assert len(sentence.split()) <= MAX_WORDS


def test_one_highlight() -> None:
    sentence = _fit_sentence(sample_context(candidate=_candidate("a decade of Go services")))
    assert "my experience, including a decade of Go services, would let me contribute" in sentence


def test_long_highlights_keep_the_sentence_short() -> None:
    long = (
        "twelve years of designing, building and operating large distributed payment systems "
        "for European retail and investment banks"
    )
    sentence = _fit_sentence(sample_context(candidate=_candidate(long, "mentoring engineers")))
    assert len(sentence.split()) <= MAX_WORDS
    assert long in sentence and "mentoring" not in sentence


def test_the_fit_text_for_the_interview_wins_over_highlights() -> None:
    ctx = sample_context(fit="I have led the same migration to Kafka twice")
    sentence = _fit_sentence(ctx)
    assert sentence.endswith(", and I have led the same migration to Kafka twice.")
    assert "eight years" not in sentence


@pytest.mark.parametrize(
    ("fit", "ends"),
    [
        (
            "My work on ledgers maps closely to your billing rewrite.",
            ", and my work on ledgers maps",
        ),
        ("six years of running Postgres at scale", "I am confident that six years of running"),
        ("i've run on-call for a payments team", ", and I've run on-call for a payments team."),
    ],
)
def test_fit_text_as_clause_or_noun_phrase(fit: str, ends: str) -> None:
    sentence = interest_and_fit(LEAD, (), fit)
    assert ends in sentence
    assert sentence.count(".") == 1 and sentence.endswith(".")


def test_a_long_fit_text_is_kept_whole_as_its_own_sentence() -> None:
    fit = (
        "I spent the last four years building exactly the kind of reconciliation pipeline your "
        "team described, including the overnight batch jobs, the ledger and the audit trail"
    )
    text = interest_and_fit(LEAD, (), fit)
    assert text == f"{LEAD}. {fit}."


def test_without_anything_configured_a_general_line_that_claims_nothing() -> None:
    ctx = sample_context(candidate=_candidate())
    sentence = _fit_sentence(ctx)
    assert "put my experience to work in this role" in sentence
    assert "None" not in sentence


def test_html_says_the_same() -> None:
    ctx = sample_context(fit="I have led the same migration to Kafka twice")
    html = Renderer().render("thank_you", ctx).html or ""
    assert "and I have led the same migration to Kafka twice." in html


def test_fit_reason_names_the_source() -> None:
    assert "--fit" in fit_reason(sample_context(fit="I know Kafka"))
    assert "[candidate].highlights (2 of 2)" in fit_reason(sample_context())
    bare = replace(sample_context(), candidate=_candidate())
    assert "general line" in fit_reason(bare)


def test_panel_places_word_the_highlights_sentence_differently() -> None:
    """Interviewers compare notes: the three first places of a panel get three wordings of the
    same highlights, and a re-run gives each place its own again."""
    lead = "Our conversation reinforced my interest in joining Acme"
    highlights = ("eight years of backend work", "leading a Kafka migration")
    sentences = [interest_and_fit(lead, highlights, None, turn) for turn in range(3)]
    assert len(set(sentences)) == 3
    assert sentences == [interest_and_fit(lead, highlights, None, turn) for turn in range(3)]
    for sentence in sentences:
        assert "from eight years of backend work to leading a Kafka migration" in sentence
        assert len(sentence.split()) <= MAX_WORDS
