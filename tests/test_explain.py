"""The reasons and remarks ``preview`` shows beside a draft, as functions (the CLI tests in
tests/test_draft_decisions.py show them end to end)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from daemon.config import Contact
from daemon.detection import Person
from daemon.explain import greeting_reason
from daemon.writing import remarks as remarks_mod
from daemon.writing.context import recipient_for
from daemon.writing.remarks import UserText, remarks


def test_greeting_without_a_name_says_what_to_set() -> None:
    why = greeting_reason(recipient_for(Person("tmiller@initech.example", None)), "first_name")
    assert why == (
        "greeting 'Hello': no name is known for tmiller@initech.example "
        '(set [contacts."tmiller@initech.example"].name)'
    )


def test_formal_without_an_honorific_never_guesses_one() -> None:
    recipient = recipient_for(Person("tom@initech.example", "Tom Becker"), style="formal")
    why = greeting_reason(recipient, "formal")
    assert why.startswith("greeting 'Dear Tom Becker': formal style, but no honorific is known")
    assert '[contacts."tom@initech.example"].honorific' in why


def test_a_job_title_is_named_and_kept_out_of_the_greeting() -> None:
    contact = Contact(name=None, title="VP Engineering", honorific=None, company=None)
    recipient = recipient_for(Person("nina@massive.example", "Nina Sharp"), contact)
    why = greeting_reason(recipient, "first_name")
    assert why == (
        "greeting 'Dear Nina': first_name style; the title 'VP Engineering' is not a form of "
        "address, so not in the greeting"
    )


def test_remarks_come_from_every_remarker_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another check (a note in another language, say) joins by adding a remarker."""

    def language(texts: Sequence[UserText], draft_language: str) -> list[str]:
        return [f"{t.where} is not in '{draft_language}'" for t in texts if "Abrechnung" in t.text]

    monkeypatch.setattr(remarks_mod, "REMARKERS", [*remarks_mod.REMARKERS, language, language])
    texts = [
        UserText("the bliling migration", "your note for Jane"),
        UserText("Migration der Abrechnung", "your note for Anna"),
    ]
    assert remarks(texts, "en") == [
        "'bliling' in your note for Jane (billing?)",
        "your note for Anna is not in 'en'",
    ]
