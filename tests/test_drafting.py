"""Draft rendering: the quality of the default texts, the sandbox, and template errors."""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from daemon.config import Candidate, Contact
from daemon.detection import Detection, Person
from daemon.errors import TemplateError
from daemon.protocols import CalendarEvent
from daemon.writing.context import (
    DraftContext,
    build_context,
    interview_for,
    recipient_for,
    sample_context,
    sparse_context,
)
from daemon.writing.notes import Notes
from daemon.writing.prose import address_parts, interview_kind, join_and, longdate, nl2br, topic
from daemon.writing.render import Renderer

DEFAULTS = Renderer()
KINDS = [("thank_you", 0), ("status_inquiry", 1), ("status_inquiry", 2)]


def context(
    *,
    company: bool,
    role: bool,
    notes: bool,
    highlights: bool,
    name: bool,
    inquiry: int = 0,
    honorific: str | None = None,
) -> DraftContext:
    ctx = sample_context(inquiry_number=inquiry)
    # Without a name the address must not give one either ("jane.smith@" would: "Dear Jane").
    person = (
        Person("jane.smith@acme.example", "Jane Smith") if name else Person("t@acme.example", None)
    )
    return replace(
        ctx,
        company="Acme" if company else None,
        role="Backend Engineer" if role else None,
        notes=("talked about the migration to Kafka",) if notes else (),
        mention="I especially enjoyed our conversation about the migration to Kafka."
        if notes
        else None,
        next_step=None,
        candidate=replace(ctx.candidate, highlights=ctx.candidate.highlights if highlights else ()),
        recipient=recipient_for(person, Contact(None, None, honorific, None)),
    )


def assert_clean(text: str, where: str) -> None:
    """What must never appear in a draft, whatever is missing."""
    assert "None" not in text, where
    assert "{{" not in text and "{%" not in text and "}}" not in text, where
    assert "  " not in text, where
    assert "\n\n\n" not in text, where
    assert not re.search(r"\s[,.;:]", text), where  # "Acme ," or "role ."
    assert not re.search(r"[,;]\s*[,.;]", text), where  # ", ." or ",,"
    assert ".." not in text, where
    assert not re.search(r"\b(\w+) \1\b", text), where  # "the the"
    assert not re.search(r"\b(about|at|for|in|with|of|the|joining)\s*[.,]", text), where
    assert all(line == line.rstrip() for line in text.splitlines()), where


FLAGS = list(itertools.product([True, False], repeat=5))


@pytest.mark.parametrize(("kind", "inquiry"), KINDS)
@pytest.mark.parametrize(("company", "role", "notes", "highlights", "name"), FLAGS)
def test_default_templates_read_well_whatever_is_missing(
    kind: str, inquiry: int, company: bool, role: bool, notes: bool, highlights: bool, name: bool
) -> None:
    ctx = context(company=company, role=role, notes=notes, highlights=highlights, name=name,
                  inquiry=inquiry)  # fmt: skip
    draft = DEFAULTS.render(kind, ctx)
    where = f"{kind}#{inquiry} {ctx.company=} {ctx.role=} {ctx.notes=}\n{draft.text}"
    assert_clean(draft.subject, where)
    assert_clean(draft.text, where)
    assert draft.html is not None
    html_text = re.sub(r"<[^>]+>", "", draft.html).strip()
    assert_clean(re.sub(r"\n+", " ", html_text), where)

    # Subject: one line, no trailing punctuation, no "Re:" (the engine adds it when replying).
    assert draft.subject and "\n" not in draft.subject and not draft.subject.startswith("Re:")
    # Salutation first, signature last.
    first_line = draft.text.splitlines()[0]
    assert first_line == ("Dear Jane," if name else "Hello,")
    assert draft.text.rstrip().endswith(
        "https://alexmorgan.dev" if kind == "thank_you" else "+1 555 0100"
    )
    assert "Alex Morgan" in draft.text
    # Specific facts appear when known.
    if role:
        assert "Backend Engineer" in draft.text
    if company:
        assert "Acme" in draft.text
    words = len(draft.text.split())
    if kind == "thank_you":
        assert 40 <= words <= 150, where
        assert ("our conversation about the migration to Kafka." in draft.text) is notes
        assert ("leading a Kafka migration" in draft.text) is highlights
        assert "next steps" in draft.text and "further information" in draft.text
    else:
        assert 40 <= words <= 120, where
        assert "Tuesday, November 24" in draft.text
        assert "update" in draft.text or "news" in draft.text
        assert "information" in draft.text or "anything else" in draft.text
        assert "Kafka" not in draft.text  # inquiries do not replay the notes


def test_thank_you_subject_variants() -> None:
    full = context(company=True, role=True, notes=True, highlights=True, name=True)
    assert DEFAULTS.render("thank_you", full).subject == "Thank you – Backend Engineer interview"
    no_role = replace(full, role=None)
    assert DEFAULTS.render("thank_you", no_role).subject == "Thank you – Acme interview"
    bare = replace(full, role=None, company=None)
    assert DEFAULTS.render("thank_you", bare).subject == "Thank you for your time"


def test_thank_you_full_text() -> None:
    ctx = context(company=True, role=True, notes=True, highlights=True, name=True)
    assert DEFAULTS.render("thank_you", ctx).text == (
        "Dear Jane,\n"
        "\n"
        "Thank you for taking the time to speak with me about the Backend Engineer role at Acme. "
        "I especially enjoyed our conversation about the migration to Kafka.\n"
        "\n"
        "Our conversation reinforced my interest in joining Acme, and I am confident that my "
        "experience, from "
        "eight years of backend work in Python to leading a Kafka migration, would let me "
        "contribute quickly.\n"
        "\n"
        "Could you share what the next steps and the timeline look like? I am happy to provide "
        "any further information or documents that would help.\n"
        "\n"
        "Best regards,\n"
        "Alex Morgan\n"
        "Senior Software Engineer\n"
        "+1 555 0100\n"
        "https://alexmorgan.dev\n"
    )


def test_inquiries_are_polite_and_the_second_says_something_new() -> None:
    first = DEFAULTS.render("status_inquiry", sample_context(inquiry_number=1))
    second = DEFAULTS.render("status_inquiry", sample_context(inquiry_number=2))
    assert first.subject == "Following up on the Senior Backend Engineer interview"
    # Was "Checking in – ..." (RUBRIC 15 forbids "check in"); changed deliberately.
    assert second.subject == "Still interested in the Senior Backend Engineer role"
    assert "follow up on my interview with you on Tuesday, November 24" in first.text
    assert (
        "Some time has passed since our conversation on Tuesday, November 24, about" in second.text
    )
    assert "Could you let me know whether there is any update on the timeline?" in second.text
    for pushy in ("ASAP", "urgent", "immediately", "still haven't", "!"):
        assert pushy not in first.text and pushy not in second.text


# RUBRIC 15: polite and patient. "check in" in any form reads as a nudge, the rest as pressure.
FORBIDDEN_IN_INQUIRIES = re.compile(
    r"\bcheck(?:ing|ed)?[\s-]+in\b|\bjust (?:checking|following|wanted)|touch(?:ing)? base|"
    r"circle back|bump|gentle reminder|as soon as possible|\bASAP\b|urgent|haven't heard|"
    r"still waiting|once more|again and again|!",
    re.IGNORECASE,
)


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.strip().split("\n\n")]


def _sentences(text: str) -> set[str]:
    return {s for s in re.split(r"(?<=[.?;])\s+", " ".join(text.split())) if s}


INQUIRY_CONTEXTS = [
    *(
        context(company=c, role=r, notes=n, highlights=True, name=name, inquiry=number)
        for number in (1, 2)
        for c, r, n, name in itertools.product([True, False], repeat=4)
    ),
    *(
        sample_context(inquiry_number=number, decision_expected=date(2026, 12, 1))
        for number in (1, 2)
    ),
]


@pytest.mark.parametrize("ctx", INQUIRY_CONTEXTS)
def test_inquiries_never_check_in_and_end_with_the_offer(ctx: DraftContext) -> None:
    draft = DEFAULTS.render("status_inquiry", ctx)
    assert draft.html is not None
    html_text = re.sub(r"<[^>]+>", "", draft.html)
    for text in (draft.subject, draft.text, html_text):
        assert not FORBIDDEN_IN_INQUIRIES.search(text), text
    paragraphs = _paragraphs(draft.text)
    closing = paragraphs.index("Best regards, " + ctx.candidate.name + " " + ctx.candidate.signature
                               + " " + ctx.candidate.phone)  # fmt: skip
    assert closing == len(paragraphs) - 1, "the signature is last"
    offer = paragraphs[closing - 1]
    assert re.search(r"(?:provide|share) .*information\.$", offer), offer
    # Asks about the timeline, names the interview date, and the role when known.
    assert "update on the timeline" in draft.text or "timeline still holds?" in draft.text
    assert ctx.interview.date_text in draft.text
    if ctx.role:
        assert ctx.role in draft.text
    # The HTML part says what the text part says.
    assert " ".join(html.unescape(html_text).split()) == " ".join(draft.text.split())


@pytest.mark.parametrize("decision", [None, date(2026, 12, 1)])
@pytest.mark.parametrize(("company", "role"), list(itertools.product([True, False], repeat=2)))
def test_the_second_inquiry_repeats_no_sentence_of_the_first(
    company: bool, role: bool, decision: date | None
) -> None:
    texts = []
    for number in (1, 2):
        ctx = context(company=company, role=role, notes=True, highlights=True, name=True,
                      inquiry=number)  # fmt: skip
        texts.append(DEFAULTS.render("status_inquiry", replace(ctx, decision_expected=decision)))
    first, second = texts
    assert first.subject != second.subject
    body = [_paragraphs(d.text)[1:-1] for d in (first, second)]  # without greeting, signature
    shared = _sentences(" ".join(body[0])) & _sentences(" ".join(body[1]))
    assert not shared
    # The second adds what the first did not: time has passed, more to offer than "information".
    assert "Some time has passed" in second.text and "references" in second.text
    assert "Some time has passed" not in first.text and "references" not in first.text


def test_inquiry_mentions_the_expected_decision_date() -> None:
    ctx = sample_context(inquiry_number=1, decision_expected=date(2026, 12, 1))
    draft = DEFAULTS.render("status_inquiry", ctx)
    assert "I understood a decision might come around Tuesday, December 1." in draft.text
    assert draft.html is not None and "Tuesday, December 1" in draft.html


# (display name, [contacts].honorific, first_name style, formal style)
SALUTATIONS = [
    ("Jane Smith", None, "Dear Jane", "Dear Jane Smith"),  # formal: no honorific is guessed
    ("Jane Smith", "Dr.", "Dear Jane", "Dear Dr. Smith"),
    ("Jane Smith", "dr", "Dear Jane", "Dear Dr. Smith"),
    ("Jane Smith", "Ms", "Dear Jane", "Dear Ms. Smith"),
    ("Jane Smith", "Rev.", "Dear Jane", "Dear Rev. Smith"),  # the user's own honorific, as written
    ("Dr. Amelia Chen", None, "Dear Amelia", "Dear Dr. Chen"),
    ("Dr Amelia Chen", None, "Dear Amelia", "Dear Dr. Chen"),
    ("Dr. Amelia Chen", "Prof.", "Dear Amelia", "Dear Prof. Chen"),  # [contacts] wins
    ("Chen, Dr. Amelia", None, "Dear Amelia", "Dear Dr. Chen"),
    ("Dr. Chen", None, "Dear Dr. Chen", "Dear Dr. Chen"),  # a surname only: no first name known
    ("Prof Ludwig van Beethoven", None, "Dear Ludwig", "Dear Prof. van Beethoven"),
    ("Prof. Dr.-Ing. Jürgen Müller", None, "Dear Jürgen", "Dear Prof. Müller"),
    ("Herr Dr. Hans Weber", None, "Dear Hans", "Dear Dr. Weber"),
    ("Frau Katrin Weber", None, "Dear Katrin", "Dear Ms. Weber"),
    ("Mx. Sam Lee", None, "Dear Sam", "Dear Mx. Lee"),
    ("Jane Smith, PhD", "Ms", "Dear Jane", "Dear Ms. Smith"),
    ("Smith, Jane", None, "Dear Jane", "Dear Jane Smith"),
    ("JANE SMITH", None, "Dear Jane", "Dear Jane Smith"),
    ("jane smith", None, "Dear Jane", "Dear Jane Smith"),
    ("JANE O'BRIEN", None, "Dear Jane", "Dear Jane O'Brien"),
    ("Jane Smith (she/her)", None, "Dear Jane", "Dear Jane Smith"),
    ("Jane Smith, she/her", None, "Dear Jane", "Dear Jane Smith"),
    ("Jane Smith | Acme", None, "Dear Jane", "Dear Jane Smith"),
    ("Anne-Marie Dubois", None, "Dear Anne-Marie", "Dear Anne-Marie Dubois"),
    ("Jane", None, "Dear Jane", "Dear Jane"),
    ("Jane", "Dr.", "Dear Jane", "Dear Jane"),  # one word: a first name or a surname? Unknown.
    ("王伟", None, "Dear 王伟", "Dear 王伟"),
    ("李小龙", None, "Dear 李小龙", "Dear 李小龙"),
    ("山田 太郎", None, "Dear 山田 太郎", "Dear 山田 太郎"),  # family name first: never "Dear 山田"
    ("Мария Иванова", None, "Dear Мария", "Dear Мария Иванова"),
    ("МАРИЯ ИВАНОВА", None, "Dear Мария", "Dear Мария Иванова"),
    ("محمد علي", None, "Dear محمد", "Dear محمد علي"),
    ("Dr.", None, "Hello", "Hello"),
    (None, "Dr.", "Hello", "Hello"),
    (None, None, "Hello", "Hello"),
]


@pytest.mark.parametrize(("name", "honorific", "first_name", "formal"), SALUTATIONS)
def test_salutation(name: str | None, honorific: str | None, first_name: str, formal: str) -> None:
    assert address_parts(name, honorific).salutation == first_name  # the default style
    assert address_parts(name, honorific, "first_name").salutation == first_name
    assert address_parts(name, honorific, "formal").salutation == formal


def test_unknown_salutation_style_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="salutation style 'casual'"):
        address_parts("Jane Smith", None, "casual")


@pytest.mark.parametrize(
    ("email", "first_name", "formal"),
    [
        ("jane.smith@acme.example", "Dear Jane", "Dear Jane Smith"),
        ("anne-marie.dupont@acme.example", "Dear Anne-Marie", "Dear Anne-Marie Dupont"),
        ("jsmith@acme.example", "Hello", "Hello"),
        ("recruiting@acme.example", "Hello", "Hello"),
    ],
)
def test_a_name_from_the_address_when_nobody_gave_one(
    email: str, first_name: str, formal: str
) -> None:
    assert recipient_for(Person(email, None)).salutation == first_name
    assert recipient_for(Person(email, None), None, "formal").salutation == formal


def test_recipient_uses_contacts_over_invitation() -> None:
    person = Person("jane@acme.example", "jane s")
    contact = Contact(name="Jane Smith", title="Engineering Manager", honorific="Dr.", company=None)
    recipient = recipient_for(person, contact, "formal")
    assert (recipient.name, recipient.first_name, recipient.last_name) == (
        "Jane Smith",
        "Jane",
        "Smith",
    )
    assert (recipient.title, recipient.honorific, recipient.salutation) == (
        "Engineering Manager", "Dr.", "Dear Dr. Smith",
    )  # fmt: skip
    draft = DEFAULTS.render("thank_you", replace(sample_context(), recipient=recipient))
    assert draft.text.startswith("Dear Dr. Smith,\n\n")
    assert draft.html is not None and draft.html.startswith("<p>Dear Dr. Smith,</p>")
    # The default style greets by first name even when the honorific is known (the account
    # chose "first_name"); the honorific and title stay available to templates.
    informal = recipient_for(person, contact)
    assert (informal.salutation, informal.honorific, informal.title) == (
        "Dear Jane", "Dr.", "Engineering Manager",
    )  # fmt: skip


@pytest.mark.parametrize(("kind", "inquiry"), KINDS)
@pytest.mark.parametrize(
    ("style", "greeting"), [("first_name", "Dear Amelia,"), ("formal", "Dear Dr. Chen,")]
)
def test_every_default_template_greets_in_the_style(
    kind: str, inquiry: int, style: str, greeting: str
) -> None:
    recipient = recipient_for(Person("amelia.chen@acme.example", "Dr. Amelia Chen"), None, style)
    draft = DEFAULTS.render(kind, sample_context(recipient=recipient, inquiry_number=inquiry))
    assert draft.text.splitlines()[0] == greeting
    assert draft.html is not None and draft.html.startswith(f"<p>{greeting}</p>")


# ------------------------------------------------------------------------------------------
# Event data is data
# ------------------------------------------------------------------------------------------


def test_event_data_is_never_template_code() -> None:
    ctx = sample_context(
        company="{{ 7*7 }}",
        role="{% raw %}Engineer",
        notes=("{{ candidate.__class__ }} and {{ 7*7 }}",),
        mention="I enjoyed {{ candidate.__class__ }} and {{ 7*7 }}.",
        interview=interview_for("{{ 7*7 }} interview", date(2026, 11, 24)),
    )
    draft = DEFAULTS.render("thank_you", ctx)
    assert "joining {{ 7*7 }}" in draft.text
    assert "{% raw %}Engineer" in draft.text
    assert "I enjoyed {{ candidate.__class__ }} and {{ 7*7 }}." in draft.text
    assert "49" not in draft.text
    assert draft.html is not None and "{{ 7*7 }}" in draft.html


def test_html_is_escaped_and_text_is_literal() -> None:
    ctx = sample_context(mention="<script>alert('x')</script> & more", company="A&B <Co>")
    draft = DEFAULTS.render("thank_you", ctx)
    assert "<script>alert('x')</script> & more" in draft.text
    assert "A&B <Co>" in draft.text
    assert draft.html is not None
    assert "<script>" not in draft.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more" in draft.html
    assert "A&amp;B &lt;Co&gt;" in draft.html


def test_signature_lines_become_breaks_in_html() -> None:
    candidate = replace(sample_context().candidate, signature="Line one\n<b>Line two</b>")
    draft = DEFAULTS.render("thank_you", sample_context(candidate=candidate))
    assert draft.html is not None
    assert "Line one<br>\n&lt;b&gt;Line two&lt;/b&gt;" in draft.html
    assert "Line one\n<b>Line two</b>\n" in draft.text


# ------------------------------------------------------------------------------------------
# User templates and their errors
# ------------------------------------------------------------------------------------------


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_user_text_template_replaces_text_and_html(tmp_path: Path) -> None:
    path = write(
        tmp_path, "t.txt.j2", "Subject: Thanks, {{ recipient.first_name }}\n\nHi {{ company }}!\n"
    )
    renderer = Renderer(thank_you=path)
    draft = renderer.render("thank_you", sample_context())
    assert (draft.subject, draft.text, draft.html) == ("Thanks, Jane", "Hi Acme!\n", None)
    # The status inquiry still uses both defaults.
    assert renderer.render("status_inquiry", sample_context(inquiry_number=1)).html is not None


def test_user_html_template_is_autoescaped(tmp_path: Path) -> None:
    text = write(tmp_path, "t.txt", "Subject: S\n\n{{ notes[0] }}\n")
    html = write(tmp_path, "t.html", "Subject: ignored\n\n<p>{{ notes[0] }}</p>\n")
    # File names do not matter: the HTML slot is always autoescaped, the text slot never.
    renderer = Renderer(thank_you=text, thank_you_html=html)
    draft = renderer.render("thank_you", sample_context(notes=("<i>x</i>",)))
    assert draft.text == "<i>x</i>\n"
    assert draft.html == "<p>&lt;i&gt;x&lt;/i&gt;</p>\n"


def test_user_template_may_include_a_sibling(tmp_path: Path) -> None:
    write(tmp_path, "signature.txt", "-- \n{{ candidate.name }}\n")
    path = write(tmp_path, "t.txt.j2", 'Subject: S\n\nBody\n{% include "signature.txt" %}')
    draft = Renderer(thank_you=path).render("thank_you", sample_context())
    assert draft.text == "Body\n--\nAlex Morgan\n"


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt.j2", "Subject: x\n\n{{ recipient.name }\n")
    with pytest.raises(TemplateError) as err:
        Renderer(thank_you=path).render("thank_you", sample_context())
    assert str(err.value) == f"thank_you template {path} line 3: unexpected '}}'"


def test_html_syntax_error_names_the_html_template(tmp_path: Path) -> None:
    text = write(tmp_path, "t.txt.j2", "Subject: x\n\nok\n")
    html = write(tmp_path, "t.html.j2", "<p>\n{% if role %}\n</p>\n")
    with pytest.raises(TemplateError) as err:
        Renderer(status_inquiry=text, status_inquiry_html=html).render(
            "status_inquiry", sample_context(inquiry_number=1)
        )
    assert str(err.value).startswith(f"status_inquiry html_template {html} line 3: ")
    assert "Unexpected end of template" in str(err.value)


def test_undefined_variable_names_file_line_and_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt.j2", "Subject: x\n\nHello\n{{ recipent.name }}\n")
    with pytest.raises(TemplateError) as err:
        Renderer(thank_you=path).render("thank_you", sample_context())
    assert str(err.value) == f"thank_you template {path} line 4: undefined variable 'recipent'"


def test_undefined_attribute(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt.j2", "Subject: {{ recipient.nmae }}\n\nx\n")
    with pytest.raises(TemplateError) as err:
        Renderer(thank_you=path).render("thank_you", sample_context())
    assert str(err.value) == (
        f"thank_you template {path} line 1: undefined attribute 'nmae' of Recipient"
    )


def test_missing_subject_line(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt.j2", "Dear {{ recipient.first_name }},\n\nThanks\n")
    with pytest.raises(TemplateError) as err:
        Renderer(thank_you=path).render("thank_you", sample_context())
    assert str(err.value) == (
        f"thank_you template {path}: expected a first line 'Subject: ...', then a blank line, "
        "then the body; got 'Dear Jane,'"
    )


def test_empty_subject_and_empty_body(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt.j2", "Subject: {{ role if false else '' }}\n\nx\n")
    with pytest.raises(TemplateError, match=r"line|Subject") as err:
        Renderer(thank_you=path).render("thank_you", sample_context())
    assert str(err.value) == (
        f"thank_you template {path}: the Subject line is empty; expected 'Subject: <text>'"
    )
    path = write(tmp_path, "u.txt.j2", "Subject: fine\n\n\n")
    with pytest.raises(TemplateError) as err:
        Renderer(thank_you=path).render("thank_you", sample_context())
    assert str(err.value) == f"thank_you template {path}: the body after the Subject line is empty"


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt.j2"
    with pytest.raises(TemplateError) as err:
        Renderer(thank_you=missing).render("thank_you", sample_context())
    assert str(err.value) == (
        f"thank_you template {missing}: no such file; expected a Jinja2 template there "
        "(or remove [thank_you].template to use the default)"
    )
    html_missing = tmp_path / "nope.html.j2"
    with pytest.raises(TemplateError) as err:
        Renderer(status_inquiry_html=html_missing).render("status_inquiry", sample_context())
    assert str(err.value) == (
        f"status_inquiry html_template {html_missing}: no such file; expected a Jinja2 template "
        "there (or remove [status_inquiry].html_template to use the default)"
    )
    latin1 = tmp_path / "latin1.txt.j2"
    latin1.write_bytes("Subject: Grüße\n\nx\n".encode("latin-1"))
    with pytest.raises(TemplateError) as err:
        Renderer(thank_you=latin1).render("thank_you", sample_context())
    assert str(err.value) == f"thank_you template {latin1}: expected UTF-8 text"


def test_sandbox_blocks_python_internals(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt.j2", "Subject: x\n\n{{ candidate.__class__.__mro__ }}\n")
    with pytest.raises(TemplateError) as err:
        Renderer(thank_you=path).render("thank_you", sample_context())
    assert str(err.value).startswith(f"thank_you template {path} line 3: ")
    assert "__class__" in str(err.value)


def test_runtime_error_in_template(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt.j2", "Subject: x\n\n{{ 1 // 0 }}\n")
    with pytest.raises(TemplateError) as err:
        Renderer(thank_you=path).render("thank_you", sample_context())
    assert str(err.value) == (
        f"thank_you template {path} line 3: ZeroDivisionError: integer division or modulo by zero"
    )


def test_unknown_kind() -> None:
    with pytest.raises(TemplateError) as err:
        DEFAULTS.render("thanks", sample_context())
    assert (
        str(err.value) == "unknown draft kind 'thanks'; expected one of thank_you, status_inquiry"
    )


def test_check_defaults_and_problems(tmp_path: Path) -> None:
    assert DEFAULTS.check() == []
    broken = write(tmp_path, "t.txt.j2", "Subject: x\n\n{% if %}\n")
    nones = write(tmp_path, "s.txt.j2", "Subject: About {{ role }}\n\nHi\n")
    problems = Renderer(thank_you=broken, status_inquiry=nones).check()
    assert len(problems) == 2
    assert problems[0].startswith(f"thank_you template {broken} line 3: ")
    assert problems[1] == (
        f"status_inquiry template {nones} line 1: renders the word 'None' when company, role, "
        "notes or the recipient's name are unknown; guard optional values with {% if ... %}"
    )


def test_templates_are_cached_and_errors_are_not(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt.j2", "Subject: x\n\n{{ oops }\n")
    renderer = Renderer(thank_you=path)
    with pytest.raises(TemplateError):
        renderer.render("thank_you", sample_context())
    path.write_text("Subject: x\n\nfixed\n", encoding="utf-8")
    assert renderer.render("thank_you", sample_context()).text == "fixed\n"


# ------------------------------------------------------------------------------------------
# Context building and filters
# ------------------------------------------------------------------------------------------


def test_build_context_from_detection_and_event() -> None:
    jane = Person("jane.smith@acme.example", "Jane Smith", True)
    bob = Person("bob@acme.example", "Bob Lee")
    anon = Person("x7@acme.example", None)
    detection = Detection(True, "title matches keyword 'onsite'", (jane, bob, anon), jane,
                          "Acme", "Data Scientist", ("acme.example",))  # fmt: skip
    start = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # already the 25th in Berlin
    event = CalendarEvent("e1", "Onsite  @ Acme", start, start + timedelta(hours=4))
    notes = Notes(general=("the office",), by_person={"bob@acme.example": ("Rust",)})
    candidate = Candidate("Alex Morgan", (), "", "", ())
    contacts = {"bob@acme.example": Contact(None, "CTO", "Dr.", None)}
    ctx = build_context(candidate=candidate, person=bob, detection=detection, event=event,
                        timezone="Europe/Berlin", notes=notes, contacts=contacts,
                        inquiry_number=1, days_since=5, decision_expected=date(2026, 12, 3),
                        salutation="formal")  # fmt: skip
    assert ctx.recipient.salutation == "Dear Dr. Lee"
    assert ctx.recipient.title == "CTO"
    assert (ctx.company, ctx.role) == ("Acme", "Data Scientist")
    assert ctx.interview.date == date(2026, 11, 25)
    assert (ctx.interview.weekday, ctx.interview.date_text) == (
        "Wednesday",
        "Wednesday, November 25",
    )
    assert ctx.interview.kind == "onsite interview"
    assert ctx.interview.title == "Onsite @ Acme"
    assert ctx.notes == ("Rust", "the office")
    assert ctx.other_interviewers == ("Jane Smith",)
    assert (ctx.inquiry_number, ctx.days_since, ctx.decision_expected) == (1, 5, date(2026, 12, 3))
    text = DEFAULTS.render("status_inquiry", ctx).text
    assert (
        "my onsite interview with you on Wednesday, November 25, for the Data Scientist role"
        in text
    )


def test_sparse_context_has_nothing_optional() -> None:
    ctx = sparse_context()
    assert (ctx.company, ctx.role, ctx.notes, ctx.candidate.highlights) == (None, None, (), ())
    assert ctx.recipient.salutation == "Hello"


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("talked about the migration to Kafka", "the migration to Kafka"),
        ("We discussed how they test.", "how they test"),
        ("asked me about my Go experience", "my Go experience"),
        ("The on-call rotation. Very cool!", "the on-call rotation"),
        ("Kafka migration; team of 6", "Kafka migration"),
        ("Rust…", "Rust"),
    ],
)
def test_topic(note: str, expected: str) -> None:
    assert topic(note) == expected


def test_small_filters() -> None:
    assert join_and([]) == ""
    assert join_and(["a"]) == "a"
    assert join_and(["a", "b"]) == "a and b"
    assert join_and(["a", "b", "c"]) == "a, b, and c"
    assert longdate(date(2026, 11, 24)) == "Tuesday, November 24"
    assert str(nl2br("a\n<b>")) == "a<br>\n&lt;b&gt;"


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Acme - Phone Screen", "phone screen"),
        ("Onsite @ Acme", "onsite interview"),
        ("Final round", "final-round interview"),
        ("Technical interview", "technical interview"),
        ("Recruiter call", "conversation"),
        ("Interview with Acme", "interview"),
    ],
)
def test_interview_kind(title: str, kind: str) -> None:
    assert interview_kind(title) == kind


def test_an_edited_template_takes_effect(tmp_path: Path) -> None:
    import os

    path = write(tmp_path, "t.txt.j2", "Subject: x\n\nfirst\n")
    renderer = Renderer(thank_you=path)
    assert renderer.render("thank_you", sample_context()).text == "first\n"
    path.write_text("Subject: x\n\nsecond\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 5))
    assert renderer.render("thank_you", sample_context()).text == "second\n"


def test_included_template_missing(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt.j2", 'Subject: x\n\n{% include "sig.txt" %}\n')
    with pytest.raises(TemplateError) as err:
        Renderer(thank_you=path).render("thank_you", sample_context())
    assert str(err.value) == (
        f"thank_you template {path} line 3: included template 'sig.txt' not found"
    )


def test_the_thank_you_asks_about_next_steps_and_uses_a_noted_decision_date() -> None:
    """RUBRIC item 6: a polite question, not "I look forward to hearing about the next steps";
    a decision date the user noted is used, in the text and the HTML part alike."""
    base = context(company=True, role=True, notes=False, highlights=True, name=True)
    plain = DEFAULTS.render("thank_you", base)
    assert "Could you share what the next steps and the timeline look like?" in plain.text
    noted = replace(base, decision_expected=date(2026, 1, 30))
    draft = DEFAULTS.render("thank_you", noted)
    sentence = (
        "I understand a decision is planned by Friday, January 30. Could you let me know "
        "whether that timeline still holds, and what the next steps would be?"
    )
    assert sentence in draft.text
    assert sentence in " ".join(html.unescape(re.sub(r"<[^>]+>", " ", draft.html or "")).split())
    assert "further information" in draft.text


@pytest.mark.parametrize("notes", [False, True])
def test_panel_members_get_individual_wording_the_same_on_every_run(notes: bool) -> None:
    """RUBRIC item 10: interviewers compare notes. Up to six members of one panel get drafts
    that differ beyond the name (and beyond a shared general note), in text and HTML, and a
    re-run words each one the same."""
    base = context(company=True, role=True, notes=notes, highlights=True, name=True)
    if notes:  # one general note for all: the wording must still differ
        base = replace(base, notes=("the migration to Kafka",))
    texts, htmls = [], []
    for position in range(6):
        draft = DEFAULTS.render("thank_you", replace(base, panel_position=position))
        assert draft == DEFAULTS.render("thank_you", replace(base, panel_position=position))
        texts.append(draft.text)
        htmls.append(draft.html)
    assert len(set(texts)) == 6 and len(set(htmls)) == 6
    for text in texts:
        assert "Could you share what the next steps" in text
        assert text.count("Our conversation") <= 1


def test_a_panel_of_five_shares_no_opening_and_no_general_line() -> None:
    """Interviewers compare notes: without notes, five members of one panel each get their own
    opening sentence and their own general line, not just a different mix of the same ones."""
    base = context(company=True, role=True, notes=False, highlights=True, name=True)
    paragraphs = [
        DEFAULTS.render("thank_you", replace(base, panel_position=n)).text.split("\n\n")[1]
        for n in range(5)
    ]
    sentences = [re.split(r"(?<=[.;]) (?=[A-Z])", p.replace("; I", ". I")) for p in paragraphs]
    assert len({s[0] for s in sentences}) == 5
    assert len({s[-1] for s in sentences}) == 5


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_known_job_title_gives_its_own_line_without_notes(language: str) -> None:
    """A [contacts] title is no form of address, but it is what is known about the person: it
    replaces the general line when there is no note for them, and never the greeting."""
    ctx = sample_context(language, mention=None)
    ctx = replace(ctx, recipient=replace(ctx.recipient, title="VP Engineering"))
    text = DEFAULTS.render("thank_you", ctx).text
    line = {
        "en": "It was valuable to hear your perspective as VP Engineering.",
        "de": "Ihre Sicht als VP Engineering war für mich besonders aufschlussreich.",
    }[language]
    assert line in " ".join(text.split())
    assert "VP Engineering" not in text.splitlines()[0]
    noted = DEFAULTS.render("thank_you", replace(ctx, mention="I enjoyed the Kafka talk.")).text
    assert "VP Engineering" not in noted
