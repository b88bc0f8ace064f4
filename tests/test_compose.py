"""Notes as people really write them become one grammatical sentence, or none (issue 10).

Each row is a note as users type it (topics, clauses, fragments, labels, questions,
exclamations, bullets, capitals, links, emoji, several sentences, very long ones) and the exact
sentences the draft to the note's subject gets: the mention (what this interviewer discussed)
and the next-step sentence. Every result is also held to the checks a reader applies
(:func:`assert_reads_well`): a capital first, one sentence end, no clause or label pasted after
"about", no doubled punctuation, no third person about the reader. The tables were read one by
one; a row whose expectation is None says the note must not become a mention (an impression,
a decision date, a to-do).
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from daemon.writing.compose import Kind, compose, piece, tidy
from daemon.writing.deadline import date_in, decision_from_notes, decision_in

NAMES = ("Jane Smith", "Jane", "Smith")

EN = [
    ('the billing migration', 'I especially enjoyed our conversation about the billing migration.', None),
    ('The billing migration.', 'I especially enjoyed our conversation about the billing migration.', None),
    ('billing migration', 'I especially enjoyed our conversation about the billing migration.', None),
    ('the migration to Kafka', 'I especially enjoyed our conversation about the migration to Kafka.', None),
    ('- on-call rotation', 'I especially enjoyed our conversation about the on-call rotation.', None),
    ('moving the billing system to event sourcing', 'I especially enjoyed our conversation about moving the billing system to event sourcing.', None),
    ('scaling our API across regions', 'I especially enjoyed our conversation about scaling our API across regions.', None),
    ('hiring process', 'I especially enjoyed our conversation about the hiring process.', None),
    ('onboarding process for new hires', 'I especially enjoyed our conversation about the onboarding process for new hires.', None),
    ('* Kafka consumer lag', 'I especially enjoyed our conversation about the Kafka consumer lag.', None),
    ('• the hiring plan for next year', 'I especially enjoyed our conversation about the hiring plan for next year.', None),
    ("1. the team's roadmap for 2027", "I especially enjoyed our conversation about the team's roadmap for 2027.", None),
    ('their move from Jenkins to GitHub Actions', 'I especially enjoyed our conversation about your move from Jenkins to GitHub Actions.', None),
    ('the ML platform roadmap', 'I especially enjoyed our conversation about the ML platform roadmap.', None),
    ('the GraphQL API and its versioning', 'I especially enjoyed our conversation about the GraphQL API and its versioning.', None),
    ('"strangler fig" pattern for the monolith', 'I especially enjoyed our conversation about the "strangler fig" pattern for the monolith.', None),
    ('the data platform (Snowflake + dbt)', 'I especially enjoyed our conversation about the data platform (Snowflake + dbt).', None),
    ('the new design system 🎨', 'I especially enjoyed our conversation about the new design system.', None),
    ('the on-call setup 🚀🔥', 'I especially enjoyed our conversation about the on-call setup.', None),
    ("the SRE team's SLOs", "I especially enjoyed our conversation about the SRE team's SLOs.", None),
    ('Kubernetes', 'I especially enjoyed our conversation about Kubernetes.', None),
    ('Terraform modules for AWS', 'I especially enjoyed our conversation about Terraform modules for AWS.', None),
    ('the payments API redesign', 'I especially enjoyed our conversation about the payments API redesign.', None),
    ('budget planning for the team', 'I especially enjoyed our conversation about budget planning for the team.', None),
    ('talked about the migration to Kafka', 'I especially enjoyed our conversation about the migration to Kafka.', None),
    ('we talked about their incident tooling', 'I especially enjoyed our conversation about your incident tooling.', None),
    ('We discussed the team structure.', 'I especially enjoyed our conversation about the team structure.', None),
    ('discussed pairing and code review culture', 'I especially enjoyed our conversation about pairing and code review culture.', None),
    ('spoke about remote work policy', 'I especially enjoyed our conversation about the remote work policy.', None),
    ('went over the system design for the ledger', 'I especially enjoyed our conversation about the system design for the ledger.', None),
    ('we dug into their observability stack', 'I especially enjoyed our conversation about your observability stack.', None),
    ('chatted about hiking!', 'I especially enjoyed our conversation about hiking.', None),
    ('talked a lot about mentoring', 'I especially enjoyed our conversation about mentoring.', None),
    ('she walked me through the deployment pipeline', 'I especially enjoyed our conversation about the deployment pipeline.', None),
    ('she told me about the reorg', 'I especially enjoyed our conversation about the reorg.', None),
    ('covered the interview process', 'I especially enjoyed our conversation about the interview process.', None),
    ('she is rebuilding the data platform on Snowflake', 'I especially enjoyed hearing how you are rebuilding the data platform on Snowflake.', None),
    ("She's leading the payments team", "I especially enjoyed hearing how you're leading the payments team.", None),
    ('she leads the payments team and wants someone senior', 'I especially enjoyed hearing that you lead the payments team and want someone senior.', None),
    ('he has been at the company for ten years', 'I especially enjoyed hearing that you have been at the company for ten years.', None),
    ('he manages three teams across two time zones', 'I especially enjoyed hearing that you manage three teams across two time zones.', None),
    ('they are moving everything to Kubernetes', 'I especially enjoyed hearing how you are moving everything to Kubernetes.', None),
    ('they use Go and Rust', 'I especially enjoyed hearing that you use Go and Rust.', None),
    ("They're hiring two more SREs this quarter.", "I especially enjoyed hearing how you're hiring two more SREs this quarter.", None),
    ('she recently joined from Stripe', 'I especially enjoyed hearing that you recently joined from Stripe.', None),
    ("Jane's team is moving to Kubernetes", 'I especially enjoyed hearing how your team is moving to Kubernetes.', None),
    ('Jane is rebuilding the search service', 'I especially enjoyed hearing how you are rebuilding the search service.', None),
    ('the team is growing fast', 'I especially enjoyed hearing how the team is growing fast.', None),
    ('the company plans to open an office in Berlin', 'I especially enjoyed hearing that the company plans to open an office in Berlin.', None),
    ('Great chat about on-call, very friendly.', 'I especially enjoyed our conversation about on-call.', None),
    ('great conversation about the roadmap', 'I especially enjoyed our conversation about the roadmap.', None),
    ('Really good talk about testing strategy - super smart', 'I especially enjoyed our conversation about the testing strategy.', None),
    ('nice chat re: the frontend rewrite', 'I especially enjoyed our conversation about the frontend rewrite.', None),
    ('Fun convo about Rust vs Go, nice guy', 'I especially enjoyed our conversation about Rust vs Go.', None),
    ('Great chat, very friendly.', None, None),
    ('super smart, nice guy', None, None),
    ('Very friendly.', None, None),
    ('Good vibes overall', None, None),
    ('Loved the demo of their new design system!', 'I especially enjoyed the demo of your new design system.', None),
    ('Loved the demo of their new design system!!!', 'I especially enjoyed the demo of your new design system.', None),
    ('Really enjoyed the whiteboard session!', 'I especially enjoyed the whiteboard session.', None),
    ('LOVED their approach to incident reviews', 'I especially enjoyed your approach to incident reviews.', None),
    ('liked how they do code review', 'I especially enjoyed discussing how you do code review.', None),
    ('Impressed by their test coverage!', 'I was particularly impressed by your test coverage.', None),
    ('asked me why I moved from fintech to ML?', 'I appreciated your question about why I moved from fintech to ML.', None),
    ('asked about my Rust side project', 'I appreciated your question about my Rust side project.', None),
    ('she asked me about my experience with Kafka', 'I appreciated your question about my experience with Kafka.', None),
    ('asked me how I would design a rate limiter', 'I appreciated your question about how I would design a rate limiter.', None),
    ('asked lots of questions about my leadership style', 'I appreciated your question about my leadership style.', None),
    ('he asked whether I have worked with Terraform', 'I appreciated your question about whether I have worked with Terraform.', None),
    ('how do they handle on-call?', 'I especially enjoyed discussing how you handle on-call.', None),
    ('how does she scale the team?', 'I especially enjoyed discussing how you scale the team.', None),
    ('what is their stack?', 'One point from our conversation has stayed with me: “What is their stack?”', None),
    ('Why did they pick Elixir?', 'One point from our conversation has stayed with me: “Why did they pick Elixir?”', None),
    ('next step: take-home', None, 'I look forward to the take-home assignment.'),
    ('Next steps: onsite with the team', None, 'I look forward to the onsite with the team.'),
    ('next step - system design round', None, 'I look forward to the system design interview.'),
    ('NEXT STEP: final round', None, 'I look forward to the final round.'),
    ('next: meet the CTO', None, 'I look forward to meeting the CTO.'),
    ('next steps: a call with the VP next week', None, 'I look forward to a call with the VP next week.'),
    ('the next step is a take-home', None, 'I look forward to the take-home assignment.'),
    ('next step: they will send a take-home', None, 'As for the next steps, I understand that you will send a take-home.'),
    ('follow-up: send portfolio', None, 'As discussed, I will send my portfolio shortly.'),
    ('Follow up: share code samples', None, 'As discussed, I will share my code samples shortly.'),
    ('follow-up - send references', None, 'As discussed, I will send my references shortly.'),
    ('f/u: send the slides from my talk', None, 'As discussed, I will send the slides from my talk shortly.'),
    ('action item: email my GitHub link', None, 'As discussed, I will email my GitHub link shortly.'),
    ('todo: update CV', None, None),
    ('to-do: research their stack', None, None),
    ('reminder: buy a new suit', None, None),
    ('decision: end of month', None, None),
    ('They expect a decision by March 20.', None, None),
    ('decision by Friday', None, None),
    ('we should hear back in two weeks', None, None),
    ('Decision: next week', None, None),
    ('talked about the HUGE Kafka migration', 'I especially enjoyed our conversation about the huge Kafka migration.', None),
    ('KAFKA CONSUMER LAG', 'I especially enjoyed our conversation about the kafka consumer lag.', None),
    ('the REALLY interesting API design', 'I especially enjoyed our conversation about the really interesting API design.', None),
    ('the migration of the billing system from the monolith to event-sourced services, which took two years and three rewrites, plus the new ledger', 'I especially enjoyed our conversation about the migration of the billing system from the monolith to event-sourced services.', None),
    ('we went through the whole vault ledger design, how they reconcile balances overnight, why they moved off the mainframe, what went wrong in the first migration attempt, how on-call works for the ledger team, and what they expect from a new senior engineer in the first ninety days', 'I especially enjoyed our conversation about the whole vault ledger design and how you reconcile balances overnight.', None),
    ('Talked about Kafka. She wants someone senior.', 'I especially enjoyed our conversation about Kafka.', None),
    ('the billing migration. next step: take-home.', 'I especially enjoyed our conversation about the billing migration.', 'I look forward to the take-home assignment.'),
    ('the demo (see https://acme.example/demo)', 'I especially enjoyed our conversation about the demo.', None),
    ('their eng blog post https://acme.example/blog/kafka', 'I especially enjoyed our conversation about your engineering blog post.', None),
    ('I pitched my caching idea', 'I especially enjoyed the part of our conversation where I pitched my caching idea.', None),
    ('I showed them my side project', 'I especially enjoyed the part of our conversation where I showed you my side project.', None),
    ('it was a long interview', None, None),
    ('there were three people on the call', None, None),
    ("the team's on-call load & alerting", "I especially enjoyed our conversation about the team's on-call load and alerting.", None),
    ('growth path w/ the staff engineers', 'I especially enjoyed our conversation about the growth path with the staff engineers.', None),
    ('the roadmap... lots to do', 'I especially enjoyed our conversation about the roadmap.', None),
    ('the Q3 roadmap??', 'One point from our conversation has stayed with me: “The Q3 roadmap?”', None),
    ('"the billing migration"', 'I especially enjoyed our conversation about the billing migration.', None),
    ("'event sourcing'", 'I especially enjoyed our conversation about event sourcing.', None),
    ("the migration to Kafka (she's the lead)", 'I especially enjoyed our conversation about the migration to Kafka.', None),
    ("her team's move to Kafka", "I especially enjoyed our conversation about your team's move to Kafka.", None),
    ('his work on the compiler', 'I especially enjoyed our conversation about your work on the compiler.', None),
    ('the way he runs retros', 'I especially enjoyed our conversation about the way you run retros.', None),
    ("Jane: she's the hiring manager", "I especially enjoyed hearing that you're the hiring manager.", None),
    ('interested in my k8s experience', 'I appreciated your interest in my k8s experience.', None),
    ('wants someone who can mentor juniors', 'I especially enjoyed hearing that you want someone who can mentor juniors.', None),
    ('mentioned that the team is remote-first', 'I especially enjoyed hearing that the team is remote-first.', None),
    ("She's been at Acme 6 yrs", "I especially enjoyed hearing that you've been at Acme 6 years.", None),
    ('pair programming exercise went well', 'I especially enjoyed the pair programming exercise.', None),
    ('i think it went well', None, None),
    ('Q: how do you handle conflicting priorities?', 'I appreciated your question about how I handle conflicting priorities.', None),
    ('TODO send thank you', None, None),
    ('follow up in a week', None, None),
    ('They will let me know by next Tuesday.', None, None),
    ('The role reports to the VP of Eng.', 'I especially enjoyed hearing that the role reports to the VP of engineering.', None),
    ('salary range 150-180k', None, None),
    ('Their stack: Python, Django, Postgres, Celery', 'I especially enjoyed our conversation about your stack (Python, Django, Postgres, Celery).', None),
    ('"We ship every day" - loved that', 'One point from our conversation has stayed with me: “We ship every day.”', None),
    ('his dog was in the background lol', None, None),
    ("Sarah's advice on the system design round", "I especially enjoyed our conversation about Sarah's advice on the system design round.", None),
    ('we both love Rust', 'I especially enjoyed hearing that we both love Rust.', None),
    ('Kafka -> Pulsar migration', 'I especially enjoyed our conversation about the Kafka to Pulsar migration.', None),
    ('🎉🎉 the launch 👍🏽', 'I especially enjoyed our conversation about the launch.', None),
    ('next step -> take-home', None, 'I look forward to the take-home assignment.'),
    ('she leads the hiring committee', 'I especially enjoyed hearing that you lead the hiring committee.', None),
]  # fmt: skip

DE = [
    ('Migration der Abrechnung auf Kafka', 'Besonders interessant fand ich das Thema „Migration der Abrechnung auf Kafka“.', None),
    ('die Migration der Abrechnung auf Kafka', 'Besonders interessant fand ich das Thema „Migration der Abrechnung auf Kafka“.', None),
    ('- Umbau der Datenplattform', 'Besonders interessant fand ich das Thema „Umbau der Datenplattform“.', None),
    ('* Bereitschaftsdienst im Team', 'Besonders interessant fand ich das Thema „Bereitschaftsdienst im Team“.', None),
    ('das neue Design-System 🎨', 'Besonders interessant fand ich das Thema „Das neue Design-System“.', None),
    ('Kubernetes', 'Besonders interessant fand ich das Thema „Kubernetes“.', None),
    ('Teamstruktur und Onboarding', 'Besonders interessant fand ich das Thema „Teamstruktur und Onboarding“.', None),
    ('wir haben über die Teamstruktur gesprochen', 'Besonders interessant fand ich das Thema „Teamstruktur“.', None),
    ('Haben über Code-Reviews gesprochen.', 'Besonders interessant fand ich das Thema „Code-Reviews“.', None),
    ('über das Onboarding geredet', 'Besonders interessant fand ich das Thema „Onboarding“.', None),
    ('sprachen über Remote-Arbeit', 'Besonders interessant fand ich das Thema „Remote-Arbeit“.', None),
    ('Gespräch über die Roadmap für 2027', 'Besonders interessant fand ich das Thema „Roadmap für 2027“.', None),
    ('sie baut die Datenplattform auf Snowflake neu auf', 'Besonders spannend fand ich zu hören, dass Sie die Datenplattform auf Snowflake neu aufbauen.', None),
    ('sie leitet das Payments-Team', 'Besonders spannend fand ich zu hören, dass Sie das Payments-Team leiten.', None),
    ('er ist seit fünf Jahren im Team', 'Besonders spannend fand ich zu hören, dass Sie seit fünf Jahren im Team sind.', None),
    ('er arbeitet an der Migration auf Kafka', 'Besonders spannend fand ich zu hören, dass Sie an der Migration auf Kafka arbeiten.', None),
    ('sie hat das Team aufgebaut', 'Besonders spannend fand ich zu hören, dass Sie das Team aufgebaut haben.', None),
    ('Tolles Gespräch über Bereitschaftsdienst, sehr sympathisch.', 'Besonders interessant fand ich das Thema „Bereitschaftsdienst“.', None),
    ('Super Gespräch zur Architektur!', 'Besonders interessant fand ich das Thema „Architektur“.', None),
    ('Sehr nett!', None, None),
    ('Super sympathisch', None, None),
    ('hat mich gefragt, warum ich von Fintech zu ML gewechselt bin?', 'Ihre Frage, warum ich von Fintech zu ML gewechselt bin, habe ich sehr gern beantwortet.', None),
    ('fragte, wie ich einen Rate Limiter bauen würde', 'Ihre Frage, wie ich einen Rate Limiter bauen würde, habe ich sehr gern beantwortet.', None),
    ('Wie geht das Team mit Incidents um?', 'Ein Punkt aus unserem Gespräch ist mir besonders im Gedächtnis geblieben: „Wie geht das Team mit Incidents um?“', None),
    ('Nächster Schritt: Take-Home-Aufgabe', None, 'Ich freue mich auf den nächsten Schritt: Take-Home-Aufgabe.'),
    ('nächster Schritt: Gespräch mit dem CTO', None, 'Ich freue mich auf den nächsten Schritt: Gespräch mit dem CTO.'),
    ('Nächste Schritte: Vor-Ort-Termin', None, 'Ich freue mich auf den nächsten Schritt: Vor-Ort-Termin.'),
    ('Follow-up: Portfolio schicken', None, 'Wie besprochen reiche ich Folgendes zeitnah nach: Portfolio.'),
    ('Follow-up: Referenzen senden', None, 'Wie besprochen reiche ich Folgendes zeitnah nach: Referenzen.'),
    ('To-do: Lebenslauf aktualisieren', None, None),
    ('Entscheidung bis Ende März', None, None),
    ('Entscheidung: Ende des Monats', None, None),
    ('Rückmeldung bis Freitag', None, None),
    ('Ich habe mein Side-Project gezeigt', 'Ein Punkt aus unserem Gespräch ist mir besonders im Gedächtnis geblieben: „Ich habe mein Side-Project gezeigt.“', None),
    ('Anna: sie ist die Teamleiterin', 'Besonders spannend fand ich zu hören, dass Sie die Teamleiterin sind.', None),
    ('interessiert an meiner Kafka-Erfahrung', 'Gefreut hat mich Ihr Interesse an meiner Kafka-Erfahrung.', None),
    ('Gehaltsband 70-80k', None, None),
    ('sehr nettes Gespräch, Thema Datenqualität', 'Besonders interessant fand ich das Thema „Datenqualität“.', None),
    ('Pair-Programming lief gut', 'Besonders interessant fand ich das Thema „Pair-Programming“.', None),
    ('ich glaube, es lief gut', None, None),
    ('Demo des neuen Dashboards war super!', 'Besonders interessant fand ich das Thema „Demo des neuen Dashboards“.', None),
    ('hat viel über Teamkultur erzählt', 'Besonders interessant fand ich das Thema „Teamkultur“.', None),
    ('Fragen zur Architektur gestellt', 'Gern habe ich Ihre Fragen zur Architektur beantwortet.', None),
    ('Sie sucht jemanden mit Führungserfahrung', 'Besonders spannend fand ich zu hören, dass Sie jemanden mit Führungserfahrung suchen.', None),
    ('TODO Dankesmail schicken', None, None),
]  # fmt: skip

_LABEL_PASTED = re.compile(
    r"\b(?:next steps?|decision|follow[- ]?up|to ?do|action items?|re|reminder|nächster schritt|"
    r"entscheidung|notiz)\s*:",
    re.IGNORECASE,
)
_THIRD_PERSON = re.compile(r"\b(?:she|he|her|his|him|they|their|them|theirs)\b", re.IGNORECASE)


def _unquoted(sentence: str) -> str:
    return re.sub(r"[“„][^“”„]*[”“]", "“…”", sentence)


def assert_reads_well(sentence: str, note: str, *, to_them: bool = True) -> None:
    """What every composed sentence must meet, whatever the note looked like."""
    where = f"{note!r} -> {sentence!r}"
    assert sentence == sentence.strip() and "  " not in sentence, where
    assert sentence[0].isupper(), where
    assert re.search(r"[.!?][”“]?$", sentence), where  # ends as a sentence ends
    outside = _unquoted(sentence)
    assert not re.search(r"[.!?]\s", outside), where  # one sentence, not two
    assert not re.search(r"([.,;:!?])\s*[.,;:!?]", outside.replace("“…”", "")), where
    assert not re.search(r"\b(?:about|über) (?:she|he|they|we|i|sie|er|wir|ich)\b", outside,
                         re.IGNORECASE), where  # fmt: skip
    assert not _LABEL_PASTED.search(sentence), where
    assert not re.search(r"https?://|www\.", sentence), where
    assert not re.search(r"[\U0001F300-\U0001FAFF\u2600-\u27BF]", sentence), where
    assert not re.match(r"^[-*•\d]", sentence), where
    assert not re.search(r"\bi\b", sentence), where  # "I", never "i"
    opening, closing = ("„", "“") if "„" in sentence else ("“", "”")
    assert sentence.count(opening) == sentence.count(closing), where  # quotes are closed
    if to_them and "“" not in sentence and "„" not in sentence:
        assert not _THIRD_PERSON.search(sentence), where  # "she" about the reader is "you"


@pytest.mark.parametrize(("note", "mention", "next_step"), EN)
def test_english_notes_become_sentences(note: str, mention: str | None,
                                        next_step: str | None) -> None:  # fmt: skip
    result = compose([note], names=NAMES)
    assert (result.mention, result.next_step) == (mention, next_step)
    for sentence in filter(None, (result.mention, result.next_step)):
        assert_reads_well(sentence, note)


@pytest.mark.parametrize(("note", "mention", "next_step"), DE)
def test_german_notes_become_german_sentences(note: str, mention: str | None,
                                              next_step: str | None) -> None:  # fmt: skip
    result = compose([note], names=NAMES, language="de")
    assert (result.mention, result.next_step) == (mention, next_step)
    for sentence in filter(None, (result.mention, result.next_step)):
        assert_reads_well(sentence, note)
        assert not re.search(r"\b(?:the|and|about|with|our|your|I)\b", sentence), sentence


def test_the_tables_hold_every_class_of_note() -> None:
    """At least 100 English and 30 German notes, of every kind the classifier knows."""
    assert len(EN) >= 100 and len(DE) >= 30
    kinds = {piece(s).kind for note, _, _ in EN for s in [tidy(note)]}
    assert kinds == set(Kind)
    woven = [m for _, m, _ in EN if m and "“" not in m]
    quoted = [m for _, m, _ in EN if m and "“" in m]
    dropped = [n for n, m, s in EN if m is None and s is None]
    assert len(woven) >= 70 and len(quoted) >= 3 and len(dropped) >= 8


# ------------------------------------------------------------------------------------------
# Whose note it is, and the panel
# ------------------------------------------------------------------------------------------


def test_a_note_about_someone_else_of_the_panel_keeps_or_drops_the_third_person() -> None:
    """A general note in a panel is not about this reader: "she" stays unsaid, the company
    ("they") is still "you"."""
    assert compose([], ["she is rebuilding the data platform"], solo=False).mention is None
    assert compose([], ["they use Go and Rust"], solo=False).mention == (
        "I especially enjoyed hearing that you use Go and Rust."
    )
    assert compose([], ["she is rebuilding the data platform"], solo=True).mention == (
        "I especially enjoyed hearing how you are rebuilding the data platform."
    )


def test_the_recipients_own_note_comes_first_even_when_only_quotable() -> None:
    result = compose(["how is on-call paid?"], ["the billing migration"])
    assert result.mention == (
        "One point from our conversation has stayed with me: “How is on-call paid?”"
    )
    result = compose(["Great chat, very friendly."], ["the billing migration"])
    assert result.mention == "I especially enjoyed our conversation about the billing migration."


def test_a_next_step_in_the_general_notes_reaches_every_draft() -> None:
    result = compose(["the billing migration"], ["next step: take-home"])
    assert result.mention == "I especially enjoyed our conversation about the billing migration."
    assert result.next_step == "I look forward to the take-home assignment."


def test_labels_never_become_the_mention() -> None:
    result = compose(["decision: end of month", "next step: take-home", "todo: update CV",
                      "the ETL rewrite in Rust"])  # fmt: skip
    assert result.mention == "I especially enjoyed our conversation about the ETL rewrite in Rust."
    assert result.next_step == "I look forward to the take-home assignment."


@pytest.mark.parametrize(
    "note",
    ["the billing migration", "she is rebuilding the data platform", "asked about my Rust work",
     "Loved the demo of their design system!", "how do they handle on-call?", "I pitched my idea",
     "Impressed by their test coverage!", "why they moved off the mainframe"],
)  # fmt: skip
def test_panel_members_never_get_the_same_wording(note: str) -> None:
    """Five panel positions, five wordings; the same position gives the same words again."""
    seen = [compose([note], names=NAMES, panel_position=p).mention for p in range(5)]
    assert len(set(seen)) == 5, seen
    assert seen == [compose([note], names=NAMES, panel_position=p).mention for p in range(5)]
    for sentence in seen:
        assert sentence is not None
        assert_reads_well(sentence, note)


@pytest.mark.parametrize("position", range(5))
def test_german_panel_wordings_differ(position: int) -> None:
    mine = compose(["Migration der Abrechnung"], language="de", panel_position=position)
    other = compose(["Migration der Abrechnung"], language="de", panel_position=position + 1)
    assert mine.mention != other.mention and "„Migration der Abrechnung“" in (mine.mention or "")


def test_no_notes_no_sentences() -> None:
    assert compose([], []).mention is None and compose([], []).next_step is None
    assert compose(["", "   ", "- ", "🚀"]).mention is None


# ------------------------------------------------------------------------------------------
# Decision dates
# ------------------------------------------------------------------------------------------

INTERVIEW = date(2026, 3, 3)  # a Tuesday


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("decision: end of month", date(2026, 3, 31)),
        ("They expect a decision by March 20.", date(2026, 3, 20)),
        ("Entscheidung bis Ende März", date(2026, 3, 31)),
        ("Entscheidung: Ende des Monats", date(2026, 3, 31)),
        ("decision by Friday", date(2026, 3, 6)),
        ("we should hear back in two weeks", date(2026, 3, 17)),
        ("decision within 5 business days", date(2026, 3, 10)),
        ("Rückmeldung bis 20.3.", date(2026, 3, 20)),
        ("decision: 2026-03-18", date(2026, 3, 18)),
        ("Decision: next week", date(2026, 3, 13)),
        ("they'll get back to me by 3/13", date(2026, 3, 13)),
        ("decision mid-March", date(2026, 3, 15)),
        ("Entscheidung innerhalb von zwei Wochen", date(2026, 3, 17)),
        ("decision end of next month", date(2026, 4, 30)),
        ("decision: 20th March", date(2026, 3, 20)),
        ("decision by January 10", date(2027, 1, 10)),  # after the interview: next year
        ("decision: soon", None),
        ("decision: February 30", None),
        ("next step: onsite on March 10", None),  # a date, but not the decision's
        ("the billing migration", None),
        ("decision was made on 2026-02-01", None),  # before the interview: nothing to wait for
        ("great feedback on my March 3 take-home", None),  # the interview's own day
    ],
)  # fmt: skip
def test_a_decision_date_is_resolved_against_the_interview_date(
    note: str, expected: date | None
) -> None:
    assert decision_in(note, INTERVIEW) == expected


def test_the_first_note_with_a_decision_date_wins() -> None:
    notes = ["the billing migration", "Talked about Kafka. Decision by March 20.",
             "decision: end of month"]  # fmt: skip
    assert decision_from_notes(notes, INTERVIEW) == date(2026, 3, 20)
    assert decision_from_notes(["the billing migration"], INTERVIEW) is None
    assert date_in("see you on 5 April", INTERVIEW) == date(2026, 4, 5)


@pytest.mark.parametrize(
    ("notes", "language"),
    [
        (["Migration der Abrechnung auf Kafka"], "en"),
        (["Nächster Schritt: Take-Home-Aufgabe"], "en"),
        (["sie baut die Datenplattform neu auf"], "en"),
        (["the billing migration"], "de"),
        (["next step: take-home"], "de"),
        (["she is rebuilding the data platform"], "de"),
    ],
)
def test_a_note_in_another_language_is_never_pasted_into_this_ones_sentences(
    notes: list[str], language: str
) -> None:
    """Which language a note is in is for ``preview``/``status`` to flag; the composer itself
    never writes "our conversation about the Migration der Abrechnung"."""
    assert compose(notes, language=language) == compose([], language=language)


def test_a_foreign_note_gives_way_to_the_next_usable_one() -> None:
    result = compose(["Migration der Abrechnung auf Kafka", "the billing migration"])
    assert result.mention == "I especially enjoyed our conversation about the billing migration."
    neutral = compose(["Kafka"], language="de")  # no words of either language: usable in both
    assert neutral.mention == "Besonders interessant fand ich das Thema „Kafka“."


@pytest.mark.parametrize(
    ("note", "language"),
    [("next step: take-home", "en"), ("follow-up: send portfolio", "en"),
     ("next step: they will send a take-home", "en"), ("next: meet the CTO", "en"),
     ("Nächster Schritt: Take-Home-Aufgabe", "de"), ("Follow-up: Portfolio schicken", "de")],
)  # fmt: skip
def test_a_shared_next_step_is_worded_differently_for_each_panel_member(
    note: str, language: str
) -> None:
    """A next step in the general notes reaches every interviewer of the panel."""
    seen = [compose([], [note], language=language, panel_position=p).next_step for p in range(5)]
    assert len(set(seen)) == 5, seen
    for sentence in seen:
        assert sentence is not None
        assert_reads_well(sentence, note)
