"""The note form as text (issue 11, point 3): what it shows reads back as itself, whatever
the names and notes hold, and every invalid value is reported, all at once.

The end-to-end runs through the editor are in tests/test_note_form.py.
"""

from __future__ import annotations

import pytest

from daemon.corrections import form
from daemon.corrections.form import Form, FormErrors, Person, PersonValues, Values

JANE = "jane.smith@acme.example"
JUERGEN = "j.mueller@acme.example"
LI = "li@acme.example"


def _form(**changes: object) -> Form:
    values = Values(
        company="Acme Corp",
        role="Senior Backend Engineer",
        fit="I ran a billing migration: like yours",
        decision_by="",
        main_contact=JANE,
        language="account",
        notes=("decision: end of March", "[urgent] send the slides"),
        people={
            JANE: PersonValues(title="Engineering Manager", notes=("the move to Kafka",)),
            JUERGEN: PersonValues(
                title="", notes=("[Jane Smith <jane.smith@acme.example>]", "#1 priority: on-call")
            ),
            LI: PersonValues(title="Staff Engineer", notes=()),
        },
    )
    built = Form(
        interview_id=3,
        about=("Onsite: Acme", "Tuesday", "with Jane Smith, Jürgen Müller, 李小龙"),
        values=values,
        people=(
            Person(JANE, "Jane Smith", "Engineering Manager", ("event sourcing",), None),
            Person(JUERGEN, "Dr. Jürgen Müller", None, (), "due Tue 03 Mar 12:00"),
            Person(LI, "李小龙", None, (), None),
        ),
        described=("general from the description",),
        detected_company="Acme",
        detected_role=None,
        decision_in_notes="2026-03-31",
        account_language="en",
    )
    for name, value in changes.items():
        object.__setattr__(built, name, value)
    return built


def test_what_the_form_shows_reads_back_as_itself() -> None:
    shown = _form()
    text = form.render(shown)
    assert "[Dr. Jürgen Müller <j.mueller@acme.example>]" in text
    assert "[李小龙 <li@acme.example>]" in text
    assert "- [Jane Smith <jane.smith@acme.example>]" in text  # a note, not a header
    assert "#   event sourcing" in text  # the description's notes: comments
    assert form.parse(text, shown) == shown.values
    assert form.changes(shown, form.parse(text, shown)) is None


def test_windows_line_endings_and_a_byte_order_mark_read_the_same() -> None:
    shown = _form()
    text = "\ufeff" + form.render(shown).replace("\n", "\r\n")
    assert form.parse(text, shown) == shown.values
    assert form.parse(form.render(shown).replace("\n", "\r"), shown) == shown.values


def test_notes_may_hold_colons_brackets_and_hashes_and_wrap() -> None:
    shown = _form()
    text = form.render(shown).replace(
        "- the move to Kafka",
        "- the move to Kafka\n  and its rollout: in May\nnext step: a take-home\n"
        "[later] send slides\n* starred\n\n   \n-\n",
    )
    saved = form.parse(text, shown)
    assert saved.people[JANE].notes == (
        "the move to Kafka and its rollout: in May",
        "next step: a take-home",
        "[later] send slides",
        "starred",
    )
    change = form.changes(shown, saved)
    assert change is not None and change.notes == {JANE: list(saved.people[JANE].notes)}
    assert not change.titles and change.company is None


def test_field_names_ignore_case_and_a_missing_field_changes_nothing() -> None:
    shown = _form()
    text = (
        "COMPANY :  Initrode  \nmain contact: Li <LI@acme.example>\n"
        "[Jane <JANE.Smith@acme.example>]\nnotes:\n[li@acme.example]\nnotes:\n"
    )
    saved = form.parse(text, shown)
    assert saved.company == "Initrode" and saved.main_contact == LI
    assert saved.role is None and saved.notes is None and set(saved.people) == {JANE, LI}
    change = form.changes(shown, saved)
    assert change is not None
    # Jane's note was deleted; Li had none and has none; Jürgen's section was left out.
    assert (change.company, change.contact, change.notes) == ("Initrode", LI, {JANE: []})
    assert change.role is None and change.titles == {}


def test_emptied_values_clear_what_the_user_had_set() -> None:
    shown = _form(values=Values(**{**_form().values.__dict__, "decision_by": "2026-03-20"}))
    text = (
        form.render(shown)
        .replace("Decision by: 2026-03-20", "Decision by:")
        .replace("Title: Staff Engineer", "Title:")
        .replace("Company: Acme Corp", "Company:")
    )
    change = form.changes(shown, form.parse(text, shown))
    assert change is not None
    assert change.clear_decision and change.decision_by is None
    assert change.titles == {LI: ""} and change.company == ""


def test_every_invalid_value_is_reported_at_once() -> None:
    shown = _form()
    text = (
        form.render(shown)
        .replace("Decision by: ", "Decision by: next friday")
        .replace("Language: account", "Language: klingon")
        .replace(f"Main contact: {JANE}", "Main contact: bob@acme.example")
        .replace("Title: Staff Engineer", "Title: Dr.")
        .replace(f"<{LI}>]", "<nobody@acme.example>]")
        .replace("Fit:", "Salary: lots\nFit:")
    )
    with pytest.raises(FormErrors) as caught:
        form.parse(text, shown)
    problems = caught.value.problems
    joined = "\n".join(problems)
    assert "Decision by: expected a date like 2026-12-24, got 'next friday'" in joined
    assert "Language: expected one of" in joined and "'klingon'" in joined
    assert "Main contact: expected the address of one of the interviewers" in joined
    assert "no interviewer of this interview has the address nobody@acme.example" in joined
    assert "'Salary: lots': expected one of the fields" in joined
    assert len(problems) == 5
    # The title was in the unknown section: once that is fixed, it is reported too.
    fixed = text.replace("<nobody@acme.example>]", f"<{LI}>]")
    with pytest.raises(FormErrors) as caught:
        form.parse(fixed, shown)
    assert any("Title:" in p and "a form of address" in p for p in caught.value.problems)


def test_a_field_twice_and_a_section_twice_are_problems() -> None:
    shown = _form()
    text = "Role: a\nRole: b\n[li@acme.example]\nTitle: x\n[Li <li@acme.example>]\nTitle: y\n"
    with pytest.raises(FormErrors) as caught:
        form.parse(text, shown)
    assert any("Role: given twice" in p for p in caught.value.problems)
    assert any("two sections" in p for p in caught.value.problems)


def test_comments_and_blanks_only_is_an_empty_form() -> None:
    assert form.is_empty("\ufeff# a\n\n   # b\r\n")
    assert form.is_empty("")
    assert not form.is_empty("# a\nCompany:\n")


def test_reopened_errors_go_on_top_and_do_not_pile_up() -> None:
    first = form.with_errors("Company: x\n", ["Decision by: bad"])
    assert first.startswith("#! followupd could not apply this form")
    assert "#!   - Decision by: bad" in first and first.endswith("Company: x\n")
    second = form.with_errors(first, ["Language: bad"])
    assert "Decision by: bad" not in second and "Language: bad" in second
    assert second.count("could not apply") == 1
