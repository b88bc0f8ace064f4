"""Drafts in the user's language (issue 10, part 6): the registry of language folders, the
account's and the interview's language, German greetings and dates, and notes in another
language than the draft's."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import pytest

from daemon.config import DEFAULT_KEYWORDS
from daemon.config import load as load_config
from daemon.detection import Person
from daemon.errors import ConfigError
from daemon.writing import notelang, phrases
from daemon.writing.context import (
    closing_for,
    composed,
    interview_for,
    sample_context,
    sparse_context,
)
from daemon.writing.notes import parse_notes
from daemon.writing.phrases import LanguageError, discover
from daemon.writing.prose import address_parts, longdate, weekday
from daemon.writing.render import Renderer
from tests.rubric.runner import START, Home
from tests.rubric.scenarios import P, Scenario

SHIPPED = Path(str(resources.files("daemon.writing") / "languages"))

# ------------------------------------------------------------------------------------------
# Config: [[accounts]].language
# ------------------------------------------------------------------------------------------

ACCOUNT = """
[candidate]
name = "Alex Candidate"

[[accounts]]
name = "home"
addresses = ["alex@example.org"]
calendar = {{ provider = "ics", path = "cal.ics" }}
mailbox = {{ provider = "maildir", path = "mail" }}
{extra}
"""


def write_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(ACCOUNT.format(extra=extra), encoding="utf-8")
    return path


def test_account_language_defaults_to_english_and_accepts_a_shipped_one(tmp_path: Path) -> None:
    assert load_config(write_config(tmp_path)).accounts[0].language == "en"
    assert load_config(write_config(tmp_path, 'language = "de"')).accounts[0].language == "de"


def test_an_unshipped_language_names_the_file_the_key_and_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, 'language = "fr"'))
    (problem,) = caught.value.problems
    assert "config.toml" in problem
    assert "[[accounts]] 'home'.language" in problem
    assert "'de', 'en'" in problem and "'fr'" in problem


def test_german_title_words_make_an_interview() -> None:
    assert "telefoninterview" in DEFAULT_KEYWORDS  # from languages/de/phrases.toml
    assert "vorstellungsgespräch" in DEFAULT_KEYWORDS


# ------------------------------------------------------------------------------------------
# Greetings
# ------------------------------------------------------------------------------------------

GERMAN = [
    # display name, [contacts] honorific, first_name style, formal style
    ("Anna Müller", None, "Hallo Anna", "Guten Tag Anna Müller"),
    ("Anna Müller", "Frau", "Hallo Anna", "Sehr geehrte Frau Müller"),
    ("Anna Müller", "Ms.", "Hallo Anna", "Sehr geehrte Frau Müller"),
    ("Klaus Schmidt", None, "Hallo Klaus", "Guten Tag Klaus Schmidt"),  # never guessed
    ("Klaus Schmidt", "Herr", "Hallo Klaus", "Sehr geehrter Herr Schmidt"),
    ("Klaus Schmidt", "Mr", "Hallo Klaus", "Sehr geehrter Herr Schmidt"),
    ("Dr. Amelia Chen", None, "Hallo Amelia", "Guten Tag Dr. Amelia Chen"),
    ("Dr. Amelia Chen", "Frau", "Hallo Amelia", "Sehr geehrte Frau Dr. Chen"),
    ("Amelia Chen", "Frau Dr.", "Hallo Amelia", "Sehr geehrte Frau Dr. Chen"),
    ("Prof. Dr.-Ing. Jürgen Müller", "Herr", "Hallo Jürgen", "Sehr geehrter Herr Prof. Dr. Müller"),
    ("Herr Dr. Hans Weber", None, "Hallo Hans", "Sehr geehrter Herr Dr. Weber"),
    ("Frau Katrin Weber", None, "Hallo Katrin", "Sehr geehrte Frau Weber"),
    ("Dr. Chen", None, "Guten Tag Dr. Chen", "Guten Tag Dr. Chen"),  # a surname only
    ("Ludwig van Beethoven", "Herr", "Hallo Ludwig", "Sehr geehrter Herr van Beethoven"),
    ("李小龙", None, "Hallo 李小龙", "Guten Tag 李小龙"),
    ("Smith, Jane", None, "Hallo Jane", "Guten Tag Jane Smith"),
    (None, None, "Guten Tag", "Guten Tag"),
    ("Jane Smith", "Rev.", "Hallo Jane", "Guten Tag Rev. Jane Smith"),  # kept as written
]  # fmt: skip


@pytest.mark.parametrize(("name", "honorific", "informal", "formal"), GERMAN)
def test_german_greetings(name: str | None, honorific: str | None, informal: str,
                          formal: str) -> None:  # fmt: skip
    assert address_parts(name, honorific, "first_name", "de").salutation == informal
    assert address_parts(name, honorific, "formal", "de").salutation == formal


def test_english_greetings_write_german_honorifics_in_english() -> None:
    assert address_parts("Klaus Schmidt", "Herr", "formal").salutation == "Dear Mr. Schmidt"
    assert address_parts("Amelia Chen", "Frau Dr.", "formal").salutation == "Dear Dr. Chen"
    assert address_parts("Jane Smith", "Mrs.", "formal").salutation == "Dear Mrs. Smith"
    assert address_parts("Dr. Amelia Chen", "Frau", "formal", "de").honorific == "Frau Dr."


def test_closing_per_style_and_language() -> None:
    assert closing_for("first_name", "de") == "Viele Grüße"
    assert closing_for("formal", "de") == "Mit freundlichen Grüßen"
    assert closing_for("formal", "en") == "Best regards"


# ------------------------------------------------------------------------------------------
# Dates (Babel)
# ------------------------------------------------------------------------------------------


def test_dates_as_germans_write_them() -> None:
    day = date(2026, 3, 3)
    assert longdate(day, "de") == "Dienstag, 3. März"
    assert weekday(day, "de") == "Dienstag"
    assert phrases.get("de").short_date(date(2026, 3, 31)) == "31. März"
    assert longdate(day) == "Tuesday, March 3"  # English stays the default
    interview = interview_for("Telefoninterview mit Zalando", day, "de")
    assert (interview.date_text, interview.kind) == ("Dienstag, 3. März", "Telefonat")


# ------------------------------------------------------------------------------------------
# The language of notes
# ------------------------------------------------------------------------------------------

NOTES = [
    ("Migration der Abrechnung auf Kafka", "de"),
    ("Sie baut gerade die Datenplattform neu auf", "de"),
    ("nächster Schritt: Probearbeit", "de"),
    ("Gespräch über Rufbereitschaft, sehr nett", "de"),
    ("the billing migration", "en"),
    ("she is rebuilding the data platform on Snowflake", "en"),
    ("Great chat about on-call, very friendly.", "en"),
    ("next step: take-home", "en"),
    ("Kafka", None),  # nothing tells: kept in every language
    ("Snowflake, dbt", None),
]


@pytest.mark.parametrize(("text", "language"), NOTES)
def test_language_of_a_note(text: str, language: str | None) -> None:
    assert notelang.text_language(text) == language


def test_foreign_notes_are_left_out_and_said() -> None:
    notes = ("Migration der Abrechnung auf Kafka", "the billing migration", "Kafka")
    assert notelang.usable(notes, "en") == ("the billing migration", "Kafka")
    assert notelang.usable(notes, "de") == ("Migration der Abrechnung auf Kafka", "Kafka")
    # German capitalises nouns: several lower-case words with nothing else telling are no
    # German, so an English highlight does not land in a German letter.
    assert notelang.usable(("leading incident reviews",), "de") == ()
    assert notelang.usable(("leading incident reviews",), "en") == ("leading incident reviews",)
    remarks = notelang.remarks("en", [("Anna Müller", notes[0]), (None, notes[1])])
    assert remarks == [
        "the note for Anna Müller is in German, the draft in English: not used "
        "('Migration der Abrechnung auf Kafka')"
    ]
    said = notelang.remarks("de", [], ["eight years of Go"], "My background fits well")
    assert [r.split(" (")[0] for r in said] == [
        "the highlight 'eight years of Go'",
        "the fit sentence 'My background fits well'",
    ]


def test_german_notes_heading_comes_from_the_phrase_table() -> None:
    anna = Person("anna@mueller.example", "Anna Müller")
    notes = parse_notes("Gesprächsnotizen:\nMigration der Abrechnung\n", [anna])
    assert notes.general == ("Migration der Abrechnung",)


# ------------------------------------------------------------------------------------------
# The German templates
# ------------------------------------------------------------------------------------------

DEFAULTS = Renderer()


def test_german_thank_you_reads_german_and_uses_mention_and_decision() -> None:
    ctx = sample_context("de", decision_expected=date(2026, 3, 31), company="Müller GmbH")
    draft = DEFAULTS.render("thank_you", ctx)
    assert draft.subject == (
        "Vielen Dank für das Gespräch – Senior Backend Engineer bei der Müller GmbH"
    )
    assert draft.text.startswith("Hallo Jane,\n\nvielen Dank, dass Sie sich Zeit")
    assert "bis zum 31. März eine Entscheidung" in draft.text
    assert "Viele Grüße\nAlex Morgan" in draft.text
    assert "migration to Kafka" not in draft.text  # the English sample notes are not German
    mention = "Besonders spannend fand ich, was Sie über die Migration auf Kafka erzählt haben."
    assert mention in DEFAULTS.render("thank_you", sample_context("de", mention=mention)).text


def test_german_panel_drafts_differ_beyond_the_name() -> None:
    texts = {
        DEFAULTS.render("thank_you", sample_context("de", panel_position=n)).text for n in range(3)
    }
    assert len(texts) == 3


def test_german_inquiries_say_something_new_the_second_time() -> None:
    first = DEFAULTS.render("status_inquiry", sample_context("de", inquiry_number=1)).text
    second = DEFAULTS.render("status_inquiry", sample_context("de", inquiry_number=2)).text
    assert "vom 24. November" in first and "vom 24. November" in second
    shared = set(first.split(". ")) & set(second.split(". "))
    assert shared <= {"Alex Morgan\nSenior Software Engineer\n+1 555 0100\n"} or len(shared) < 2
    assert "Referenzen" in second and "Referenzen" not in first


# ------------------------------------------------------------------------------------------
# Adding a language is one folder
# ------------------------------------------------------------------------------------------


def test_a_language_folder_added_elsewhere_is_found_and_used(tmp_path: Path) -> None:
    root = tmp_path / "languages"
    shutil.copytree(SHIPPED / "en", root / "en")
    shutil.copytree(SHIPPED / "en", root / "xx")
    table = (root / "xx" / "phrases.toml").read_text(encoding="utf-8")
    table = table.replace('name = "English"', 'name = "Testish"')
    table = table.replace('first_name = "Dear {first}"', 'first_name = "Howdy {first}"')
    (root / "xx" / "phrases.toml").write_text(table, encoding="utf-8")
    (root / "xx" / "thank_you.txt.j2").write_text(
        "Subject: Testish\n\n{{ recipient.salutation }},\n\n{{ interview.date_text }}\n",
        encoding="utf-8",
    )
    found = discover(root)
    assert list(found) == ["en", "xx"]
    xx = found["xx"]
    # "xx" is not shipped, so the context takes its greeting from the folder's own table.
    base = sample_context()
    greeting = address_parts("Jane Smith", None, "first_name", xx).salutation
    ctx = replace(base, language="xx", recipient=replace(base.recipient, salutation=greeting))
    draft = Renderer(languages=found).render("thank_you", ctx)
    assert draft.subject == "Testish"
    assert draft.text.startswith("Howdy Jane,")
    assert Renderer(languages=found).check() == []


def test_a_half_added_language_says_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "xx").mkdir()
    shutil.copy(SHIPPED / "en" / "phrases.toml", tmp_path / "xx" / "phrases.toml")
    with pytest.raises(LanguageError, match=r"languages/xx: missing thank_you\.txt\.j2"):
        discover(tmp_path)
    shutil.copytree(SHIPPED / "de", tmp_path / "yy")
    (tmp_path / "xx").rename(tmp_path / "_unused")
    broken = (tmp_path / "yy" / "phrases.toml").read_text(encoding="utf-8")
    (tmp_path / "yy" / "phrases.toml").write_text(
        broken.replace('formal = "Mit freundlichen Grüßen"', ""), encoding="utf-8"
    )
    with pytest.raises(LanguageError, match=r"yy/phrases.toml: \[closing\]\.formal"):
        discover(tmp_path)


def test_a_draft_in_a_language_without_templates_is_a_clear_error() -> None:
    from daemon.errors import TemplateError

    with pytest.raises(TemplateError, match="no templates for the draft language 'xx'"):
        DEFAULTS.render("thank_you", replace(sample_context(), language="xx"))


def test_own_templates_serve_every_language(tmp_path: Path) -> None:
    own = tmp_path / "mine.txt.j2"
    own.write_text(
        "Subject: {% if language == 'de' %}Danke{% else %}Thanks{% endif %}\n\n"
        "{{ recipient.salutation }},\n{{ interview.date | longdate }}\n\n{{ closing }}\n",
        encoding="utf-8",
    )
    renderer = Renderer(thank_you=own)
    german = renderer.render("thank_you", sample_context("de"))
    assert german.subject == "Danke"
    assert german.text == "Hallo Jane,\nDienstag, 24. November\n\nViele Grüße\n"
    assert renderer.render("thank_you", sample_context()).subject == "Thanks"
    assert renderer.check() == []


# ------------------------------------------------------------------------------------------
# The interview's language through the real CLI (ics + maildir)
# ------------------------------------------------------------------------------------------

MUELLER = Scenario(
    "cli-language", "language", "Interview: Müller GmbH (Backend Engineer)",
    (P("Anna Müller", "anna.mueller@mueller.example"),), "Müller GmbH", "Backend Engineer",
    "Notizen:\nAnna: Migration der Abrechnung auf Kafka",
)  # fmt: skip


def test_note_language_overrides_the_account_and_returns_to_it(tmp_path: Path) -> None:
    home = Home(tmp_path, MUELLER, {"name", "addresses", "calendar", "mailbox", "language"})
    home.run_at(START - timedelta(days=1))  # known before it happens: nothing drafted yet

    english = home.cli("preview", "1")
    assert "Language: English (en), the account's" in english
    assert "Dear Anna," in english
    assert "Abrechnung" not in english.split("Check before sending:")[0]
    assert "- the note for Anna Müller is in German, the draft in English: not used" in (
        " ".join(english.split())
    )

    home.cli("note", "1", "--language", "de")
    german = " ".join(home.cli("preview", "1").split())  # rich wraps long lines
    assert "Language: German (de), set for this interview" in german
    assert "Hallo Anna," in german
    assert "„Migration der Abrechnung auf Kafka“" in german  # composed, in German
    assert "- the note for Anna" not in german
    assert "- the highlight 'eight years of building payment systems'" in german
    assert "(de)" in home.cli("status")

    home.cli("note", "1", "--language", "account")
    assert "Dear Anna," in home.cli("preview", "1")

    home.cli("note", "1", "--language", "fr")
    assert "-> 1" in home.log[-1]
    assert "--language: expected one of de, en" in home.log[-1]


GERMAN_NOTES = [
    "Migration der Abrechnung auf Kafka", "Rufbereitschaft", "die neue Datenplattform",
    "Wir haben über die Migration gesprochen", "Kafka-Migration besprochen",
    "nächster Schritt: Probearbeit", "der Umbau der Plattform",
]  # fmt: skip


@pytest.mark.parametrize("note", GERMAN_NOTES)
def test_a_german_note_reaches_the_german_draft_composed(note: str) -> None:
    """The German template prints what the composer (daemon/writing/compose_de.py, tested
    note by note in tests/test_compose.py) makes of a note, and never the note pasted raw
    into a frame of its own: a label goes to the next-steps paragraph, not the mention."""
    ctx = sample_context("de")
    written = composed((note,), (), ctx.recipient, "de", 0, solo=True)
    assert written.mention or written.next_step
    draft = DEFAULTS.render(
        "thank_you",
        replace(ctx, notes=(note,), mention=written.mention, next_step=written.next_step),
    )
    text = " ".join(draft.text.split())
    for sentence in (written.mention, written.next_step):
        if sentence:
            assert sentence in text
    assert "nächster Schritt:" not in text.lower()  # the label as written, pasted


def _words(text: str) -> list[str]:
    import html
    import re

    return re.findall(r"[\w'„“.-]+", html.unescape(re.sub(r"<[^>]+>", " ", text)))


@pytest.mark.parametrize("kind_number", [("thank_you", 0), ("status_inquiry", 1),
                                         ("status_inquiry", 2)])  # fmt: skip
@pytest.mark.parametrize("turn", [0, 1, 2])
def test_german_html_says_what_the_text_says(kind_number: tuple[str, int], turn: int) -> None:
    kind, number = kind_number
    for ctx in (
        sample_context("de", notes=("die neue Datenplattform",), company="Müller GmbH"),
        sample_context("de", decision_expected=date(2026, 12, 1), fit="Das passt gut."),
        sparse_context("de"),
    ):
        draft = DEFAULTS.render(kind, replace(ctx, panel_position=turn, inquiry_number=number))
        assert _words(draft.text) == _words(draft.html or "")


def test_check_warns_when_highlights_are_not_in_the_drafts_language(tmp_path: Path) -> None:
    german = Scenario("check-language", "language", "Vorstellungsgespräch – Globex (Data Scientist)",
                      (P("Anna Müller", "anna@globex.example"),), "Globex", "Data Scientist",
                      language="de")  # fmt: skip
    home = Home(tmp_path, german, {"name", "addresses", "calendar", "mailbox", "language"})
    said = " ".join(home.cli("check").split())
    assert (
        "warning: [candidate].highlights 'eight years of building payment systems', 'leading "
        "incident reviews' are not in German: the drafts of account 'home' (in German) leave "
        "them out" in said
    )
    english = Home(tmp_path / "en", MUELLER, {"name", "addresses", "calendar", "mailbox"})
    assert "warning:" not in english.cli("check")
