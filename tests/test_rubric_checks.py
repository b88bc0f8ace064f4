"""The rubric checker itself, so that it cannot silently pass.

Hand-written good drafts (a thank-you, a formal one, an inquiry in its thread) must pass every
item; hand-written bad drafts each fail exactly the item they break. One end-to-end test runs
three scenarios through the real CLI and asserts that the runner produces drafts and a report
(not that they pass: that is issue 10's job).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.rubric.checks import (
    Addressee,
    Decision,
    Draft,
    Expectation,
    Failure,
    Note,
    check_draft,
    check_panel,
    check_recipients,
)

JANE = Addressee("jane.smith@acme.example", "Jane", "Smith", names=("Jane Smith",))
CHEN = Addressee("amelia.chen@globex.example", "Amelia", "Chen", honorific="Dr.",
                 names=("Dr. Amelia Chen",))  # fmt: skip
RAJ = Addressee("raj.patel@acme.example", "Raj", "Patel", names=("Raj Patel",))

GOOD_THANKS = """\
Dear Jane,

Thank you for taking the time to speak with me about the Senior Backend Engineer role at Acme \
Corp. I especially enjoyed hearing how the team is planning the billing migration.

I am even more interested in the role now, and my eight years of building payment systems \
match the work you described.

Could you share what the next steps look like? I understood a decision may come by March 31.
I am happy to provide any further information or documents that would help.

Best regards,
Alex Candidate
+1 555 0100
"""

FIT = (
    "I am even more interested in the role now, and my eight years of building payment "
    "systems match the work you described."
)
assert FIT in GOOD_THANKS

GOOD_FORMAL = """\
Dear Dr. Chen,

Thank you for your time on Tuesday and for the conversation about the Research Scientist role \
at Globex. Your overview of the ML platform roadmap was especially helpful.

The conversation strengthened my interest in joining your group, and my background in \
large-scale model training fits the platform work well.

Could you tell me what the next steps in the process are? If further information or \
references would help, I would be glad to send them.

Kind regards,
Alex Candidate
"""

GOOD_INQUIRY = """\
Dear Jane,

I hope you are well. I enjoyed our interview on Tuesday, March 3, about the Senior Backend \
Engineer role at Acme Corp, and I remain very interested in the position.

Is there any update on the timeline for a decision? If any further information would help, \
I am happy to provide it.

Best regards,
Alex Candidate
"""


def message(
    body: str,
    *,
    to: str = "Jane Smith <jane.smith@acme.example>",
    subject: str = "Thank you – Senior Backend Engineer interview",
    html: str | None = "",
    headers: dict[str, str] | None = None,
) -> Draft:
    """A draft as followupd's Maildir holds it: parsed back from its bytes."""
    msg = EmailMessage()
    msg["From"] = "Alex Candidate <alex@example.org>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 3, 3, 13, 0, tzinfo=UTC))
    msg["Message-ID"] = "<abc123@example.org>"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html == "":
        paragraphs = body.strip().split("\n\n")
        html = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>\n" for p in paragraphs)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    raw = msg.as_bytes()
    return Draft(message_from_bytes(raw, policy=policy.default), raw)  # type: ignore[arg-type]


def expect(**changes: object) -> Expectation:
    base = Expectation(
        kind="thank_you",
        to=JANE,
        interview_date=date(2026, 3, 3),
        company="Acme Corp",
        role="Senior Backend Engineer",
        notes=(Note("the billing migration", "billing migration", JANE.email),),
        decision=Decision(date(2026, 3, 31), ("end of the month",)),
        highlights=("eight years of building payment systems",),
        candidate_phone="+1 555 0100",
        own_addresses=("alex@example.org",),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def items(failures: list[Failure]) -> set[int]:
    return {f.item for f in failures}


SENT = message(GOOD_THANKS, headers={}).message
SENT.replace_header("Message-ID", "<sent-1@example.org>")


def inquiry_expect(**changes: object) -> Expectation:
    return expect(**{"kind": "status_inquiry", "parent": SENT, "decision": None, **changes})


def inquiry(body: str = GOOD_INQUIRY, **kw: str) -> Draft:
    headers = {"In-Reply-To": "<sent-1@example.org>", "References": "<sent-1@example.org>"}
    headers.update(kw)
    return message(body, subject="Re: Thank you – Senior Backend Engineer interview",
                   headers=headers)  # fmt: skip


# ------------------------------------------------------------------------------------------
# Good drafts pass
# ------------------------------------------------------------------------------------------


def test_a_good_thank_you_passes_every_item() -> None:
    assert check_draft(message(GOOD_THANKS), expect()) == []


def test_a_good_formal_thank_you_passes_every_item() -> None:
    exp = expect(to=CHEN, company="Globex", role="Research Scientist", style="formal",
                 notes=(Note("the ML platform roadmap", "ML platform", CHEN.email),),
                 decision=None, highlights=())  # fmt: skip
    draft = message(GOOD_FORMAL, to="Amelia Chen <amelia.chen@globex.example>",
                    subject="Thank you – Research Scientist interview")  # fmt: skip
    assert check_draft(draft, exp) == []


def test_a_good_inquiry_in_the_thread_passes_every_item() -> None:
    assert check_draft(inquiry(), inquiry_expect()) == []


def test_a_non_ascii_name_is_encoded_and_passes() -> None:
    zoe = Addressee("zoe@fabrikam.example", "Zoë", "Ørsted", names=("Zoë Ørsted",))
    body = GOOD_THANKS.replace("Dear Jane,", "Dear Zoë,")
    draft = message(body, to="Zoë Ørsted <zoe@fabrikam.example>")
    assert draft.raw is not None and draft.raw.split(b"\n\n")[0].isascii()
    assert check_draft(draft, expect(to=zoe, notes=())) == []


# ------------------------------------------------------------------------------------------
# Each bad draft fails exactly the item it breaks
# ------------------------------------------------------------------------------------------

BAD_THANKS = [
    pytest.param(1, GOOD_THANKS, {"to": "Jane Smith <jane.smith@acme.example>, room@acme.example"},
                 id="1-extra-recipient"),
    pytest.param(2, GOOD_THANKS.replace("Dear Jane,", "Dear Smith, Jane,"), {}, id="2-surname-comma"),
    pytest.param(2, GOOD_THANKS.replace("Dear Jane,", "Dear JANE SMITH,"), {}, id="2-capitals"),
    pytest.param(2, GOOD_THANKS.replace("Dear Jane,", "Hello,"), {}, id="2-hello-with-a-name"),
    pytest.param(2, GOOD_THANKS.replace("Dear Jane,", "Dear jane.smith@acme.example,"), {},
                 id="2-address"),
    pytest.param(3, GOOD_THANKS.replace("Thank you for taking the time to speak with me",
                                        "I spoke with you"), {}, id="3-no-thanks"),
    pytest.param(3, GOOD_THANKS.replace("at Acme Corp", "at AcmeCorp"), {},
                 id="3-company-misspelled"),
    pytest.param(3, GOOD_THANKS.replace("Senior Backend Engineer role", "Hiring Manager role"),
                 {"subject": "Thank you"}, id="3-stage-as-role"),
    pytest.param(4, GOOD_THANKS.replace("hearing how the team is planning the billing migration",
                                        "the team culture"), {}, id="4-note-missing"),
    pytest.param(4, GOOD_THANKS.replace("hearing how the team is planning the billing migration",
                                        "our conversation about she is planning the billing "
                                        "migration"), {}, id="4-clause-after-about"),
    pytest.param(4, GOOD_THANKS.replace("hearing how the team is planning the billing migration",
                                        "our conversation about Great chat on the billing "
                                        "migration"), {}, id="4-fragment-after-about"),
    pytest.param(4, GOOD_THANKS.replace("hearing how the team is planning the billing migration",
                                        "the billing migration, next step: take-home"), {},
                 id="4-label-pasted"),
    pytest.param(5, GOOD_THANKS.replace(FIT, "It was a pleasant day."), {},
                 id="5-no-interest-no-fit"),
    pytest.param(5, GOOD_THANKS.replace(
        "match the work you described.",
        "match the work you described, which as I said covers ledgers, reconciliation, "
        "chargebacks, fraud rules, settlement files, and the many reports that finance teams "
        "need every single month."), {}, id="5-fit-sentence-too-long"),
    pytest.param(6, GOOD_THANKS.replace("Could you share what the next steps look like?",
                                        "I look forward to hearing about the next steps."), {},
                 id="6-no-question"),
    pytest.param(6, GOOD_THANKS.replace(" I understood a decision may come by March 31.", ""), {},
                 id="6-decision-ignored"),
    pytest.param(7, GOOD_THANKS.replace(
        "I am happy to provide any further information or documents that would help.", ""), {},
                 id="7-no-offer"),
    pytest.param(8, GOOD_THANKS.replace(
        "Best regards,", "Also, " + "there is a lot more I could say about payments. " * 12
        + "\n\nBest regards,"), {}, id="8-too-long"),
    pytest.param(9, GOOD_THANKS.replace("Dear Jane,\n", "Dear Jane,\n\nJoin: https://zoom.us/j/1\n"),
                 {}, id="9-meeting-link"),
    pytest.param(9, GOOD_THANKS.replace("billing migration.", "billing migration.."), {},
                 id="9-doubled-punctuation"),
    pytest.param(9, GOOD_THANKS.replace("role at Acme", "role  at Acme"), {}, id="9-doubled-space"),
    pytest.param(9, GOOD_THANKS.replace("billing migration.", "billing migration ({{ note }})."),
                 {}, id="9-template-syntax"),
    pytest.param(9, GOOD_THANKS.replace("Best regards,", "None\n\nBest regards,"), {},
                 id="9-none"),
    pytest.param(9, GOOD_THANKS.replace("billing migration.",
                                        "billing migration (Migration der Abrechnung auf Kafka)."),
                 {}, id="9-foreign-text"),
    pytest.param(11, GOOD_THANKS.replace("I am happy to provide",
                                         "Sorry to bother you, but I am happy to provide"), {},
                 id="11-desperate"),
    pytest.param(11, GOOD_THANKS.replace("I am happy to provide",
                                         "I am just checking in, and I am happy to provide"), {},
                 id="11-checking-in"),
    pytest.param(12, GOOD_THANKS, {"html": "<p>Dear Jane,</p><p>Something else entirely.</p>"},
                 id="12-html-differs"),
    pytest.param(12, GOOD_THANKS, {"headers": {"Message-ID": "no-angle-brackets"}},
                 id="12-bad-message-id"),
    pytest.param(12, GOOD_THANKS, {"headers": {"Message-ID": "<0a1b2c@followupd.invalid>"}},
                 id="12-tool-message-id"),
    pytest.param(12, GOOD_THANKS, {"extra": {"X-Followupd-Key": "abc"}}, id="12-tool-header"),
    pytest.param(12, GOOD_THANKS, {"extra": {
                     "X-Draft-Key": "acct:event-7:jane.smith@acme.example:thank_you:1"}},
                 id="12-address-in-a-key"),
    pytest.param(12, GOOD_THANKS.replace("Best regards,", "Drafted by followupd.\n\nBest regards,"),
                 {}, id="12-tool-in-body"),
]  # fmt: skip


@pytest.mark.parametrize(("item", "body", "kw"), BAD_THANKS)
def test_a_bad_thank_you_fails_exactly_its_item(item: int, body: str, kw: dict) -> None:
    kw = dict(kw)
    if "extra" in kw:
        kw["headers"] = kw.pop("extra")
        draft = message(body, **kw)
        failures = check_draft(draft, expect())
        assert items(failures) == {item}, failures
        return
    headers = kw.pop("headers", None)
    if headers:
        draft = message(body, **kw)
        msg = draft.message
        for name, value in headers.items():
            msg.replace_header(name, value)
        draft = Draft(msg, None)
    else:
        draft = message(body, **kw)
    failures = check_draft(draft, expect())
    assert items(failures) == {item}, failures


def test_non_ascii_raw_headers_fail_item_12() -> None:
    draft = message(GOOD_THANKS)
    assert draft.raw is not None
    raw = draft.raw.replace(b"Subject: Thank you", "Subject: Thänk you".encode())
    failures = check_draft(Draft(draft.message, raw), expect())
    assert items(failures) == {12}, failures


def test_a_guessed_honorific_fails_item_2() -> None:
    body = GOOD_THANKS.replace("Dear Jane,", "Dear Ms. Smith,")
    assert items(check_draft(message(body), expect(style="formal"))) == {2}


def test_formal_style_wants_the_known_honorific() -> None:
    body = GOOD_FORMAL.replace("Dear Dr. Chen,", "Dear Amelia,")
    exp = expect(to=CHEN, company="Globex", role="Research Scientist", style="formal",
                 notes=(), decision=None, highlights=())  # fmt: skip
    draft = message(body, to="Amelia Chen <amelia.chen@globex.example>", subject="Thank you")
    assert items(check_draft(draft, exp)) == {2}
    assert check_draft(draft, replace(exp, style="first_name")) == []


def test_no_notes_leaves_no_empty_slot() -> None:
    body = GOOD_THANKS.replace("hearing how the team is planning the billing migration",
                               "our conversation about.")  # fmt: skip
    failures = check_draft(message(body), expect(notes=()))
    assert 4 in items(failures), failures


def test_a_foreign_note_need_not_appear_but_must_not_be_pasted() -> None:
    foreign = (Note("Migration der Abrechnung auf Kafka", "Abrechnung", JANE.email, "de"),)
    body = GOOD_THANKS.replace("hearing how the team is planning the billing migration",
                               "our talk")  # fmt: skip
    assert check_draft(message(body), expect(notes=foreign)) == []


def test_a_panel_of_two_identical_but_the_name_fails_item_10() -> None:
    body = GOOD_THANKS.replace("hearing how the team is planning the billing migration",
                               "learning about the team")  # fmt: skip
    to_jane = message(body)
    to_raj = message(
        body.replace("Dear Jane,", "Dear Raj,"), to="Raj Patel <raj.patel@acme.example>"
    )
    results = check_panel([(to_jane, JANE), (to_raj, RAJ)])
    assert [items(r) for r in results] == [{10}, {10}]
    different = message(body.replace("Dear Jane,", "Dear Raj,").replace(
        "learning about the team", "your account of the on-call rotation"),
        to="Raj Patel <raj.patel@acme.example>")  # fmt: skip
    assert check_panel([(to_jane, JANE), (different, RAJ)]) == [[], []]


def test_one_thank_you_per_interviewer_and_nobody_else() -> None:
    failures = check_recipients(
        ["jane.smith@acme.example", "room@acme.example", "jane.smith@acme.example"],
        ["jane.smith@acme.example", "raj.patel@acme.example"],
    )
    reasons = [f.why for f in failures]
    assert all(f.item == 1 for f in failures)
    assert any("no thank_you to raj.patel" in r for r in reasons)
    assert any("room@acme.example" in r for r in reasons)
    assert any("2 thank_yous to jane.smith" in r for r in reasons)


BAD_INQUIRIES = [
    pytest.param(14, {"Subject": "Following up"}, GOOD_INQUIRY, id="14-no-re-subject"),
    pytest.param(14, {"In-Reply-To": "<other@example.org>"}, GOOD_INQUIRY, id="14-wrong-parent"),
    pytest.param(15, {}, GOOD_INQUIRY.replace("I hope you are well.", "I am just checking in."),
                 id="15-checking-in"),
    pytest.param(15, {}, GOOD_INQUIRY.replace("Tuesday, March 3, ", ""), id="15-no-date"),
    pytest.param(15, {}, GOOD_INQUIRY.replace(
        "Is there any update on the timeline for a decision?", "I remain available."),
                 id="15-asks-nothing"),
]  # fmt: skip


@pytest.mark.parametrize(("item", "headers", "body"), BAD_INQUIRIES)
def test_a_bad_inquiry_fails_exactly_its_item(item: int, headers: dict, body: str) -> None:
    draft = inquiry(body)
    msg = draft.message
    for name, value in headers.items():
        msg.replace_header(name, value)
    failures = check_draft(Draft(msg, None), inquiry_expect())
    assert items(failures) == {item}, failures


def test_an_inquiry_without_a_sent_message_fails_item_13() -> None:
    failures = check_draft(inquiry(), inquiry_expect(parent=None))
    assert items(failures) == {13}, failures


def test_a_second_inquiry_that_repeats_the_first_fails_item_15() -> None:
    failures = check_draft(inquiry(), inquiry_expect(earlier=(GOOD_INQUIRY,)))
    assert items(failures) == {15}, failures


def test_a_german_draft_with_english_text_fails_item_16() -> None:
    exp = expect(language="de", notes=(), decision=None, highlights=())
    failures = check_draft(message(GOOD_THANKS), exp)
    assert 16 in items(failures), failures


# ------------------------------------------------------------------------------------------
# The runner, end to end through the real CLI
# ------------------------------------------------------------------------------------------


def test_the_runner_drafts_and_reports_three_scenarios(tmp_path: Path) -> None:
    from tests.rubric.runner import figures, report, run_scenario
    from tests.rubric.scenarios import by_name

    chosen = by_name("noun-phrase-note", "panel-2-no-notes", "inquiry-1")
    results = [run_scenario(s, tmp_path / s.name) for s in chosen]
    fig = figures(results)
    assert fig.scenarios == 3
    assert fig.thank_yous == 4, [r.log for r in results]
    assert fig.inquiries == 1, [r.log for r in results]
    text = report(results, show=2)
    assert "rubric: 3 scenarios, 5 drafts" in text
    assert "pass rate:" in text and "drafts failing each item:" in text
    assert "noun-phrase-note: thank_you #1 to jane.smith@acme.example" in text
