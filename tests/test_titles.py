"""Company and role from real-world invitation titles, as :func:`daemon.detection.detect` sees them.

Each case is a title as Google Calendar, Outlook, Greenhouse, Lever, Calendly or Zoom write it,
the domains of the other attendees, and the (company, role) a thank-you may name. None is the
right answer whenever a guess could be wrong: a thank-you that names the wrong company, or an
interview stage as the role, is worse than one that names neither (RUBRIC.md item 3).

The candidate is "Alex Candidate" (``[candidate].name``); the interviewers are "Jane Doe",
"Bob Lee", ... at the listed domains.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from daemon.config import Contact
from daemon.detection import Detection, detect
from daemon.protocols import Attendee, CalendarEvent, Response
from daemon.titles import domain_display, title_parts
from tests.test_detection import rules

ME = "alex@example.org"
CANDIDATE = "Alex Candidate"
START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
_PEOPLE = [("jane.doe", "Jane Doe"), ("bob.lee", "Bob Lee"), ("sam.roe", "Sam Roe")]

# (title, attendee domains, company, role)
CASES: list[tuple[str, tuple[str, ...], str | None, str | None]] = [
    # -- the failures named in issue 10 --------------------------------------------------------
    ("Phone screen with Acme recruiting", ("acme.com",), "Acme", None),
    ("Phone screen with Acme recruiting", ("gmail.com",), "Acme", None),
    ("Contoso <> Alex — Recruiter phone screen", ("contoso.com",), "Contoso", None),
    ("Contoso <> Alex — Recruiter phone screen", ("greenhouse.io",), "Contoso", None),
    ("Fabrikam | Final round interview (Hiring Manager)", ("fabrikam.com",), "Fabrikam", None),
    ("Pied Piper – Onsite", ("piedpiper.example",), "Pied Piper", None),
    ("Interview with Pied Piper", ("piedpiper.example",), "Pied Piper", None),
    ("Onsite interview", ("piedpiper.example",), None, None),
    # -- the styles named in the brief ---------------------------------------------------------
    ("Interview: Data Scientist at Acme", ("acme.com",), "Acme", "Data Scientist"),
    ("Acme - Phone Screen", ("acme.com",), "Acme", None),
    ("Acme - Phone Screen", ("gmail.com",), "Acme", None),
    ("Acme - Phone Screen", ("greenhouse.io",), "Acme", None),
    ("[Acme] Onsite - Backend Engineer", ("acme.com",), "Acme", "Backend Engineer"),
    ("Alex Candidate x Stripe | Intro call", ("stripe.com",), "Stripe", None),
    ("Alex Candidate x Stripe | Intro call", ("gmail.com",), "Stripe", None),
    ("Stripe x Alex Candidate - Intro Chat", ("stripe.com",), "Stripe", None),
    ("Call with Jane (Acme) re: Staff SRE", ("acme.com",), "Acme", "Staff SRE"),
    ("Recruiter Screen: Jane Doe for Senior PM", ("acme.com",), "Acme", "Senior PM"),
    ("Globex // Technical Interview // Alex", ("globex.com",), "Globex", None),
    ("Globex // Technical Interview // Alex", ("gmail.com",), "Globex", None),
    (
        "Vorstellungsgespräch – Softwareentwickler (m/w/d) bei Initech",
        ("initech.de",),
        "Initech",
        "Softwareentwickler",
    ),
    ("Bewerbungsgespräch mit Initech", ("initech.de",), "Initech", None),
    (
        "Telefoninterview: Werkstudent Data Science bei Globex",
        ("globex.de",),
        "Globex",
        "Werkstudent Data Science",
    ),
    # -- interview stages are never the role ---------------------------------------------------
    ("Fabrikam: Culture fit interview", ("fabrikam.com",), "Fabrikam", None),
    ("Hooli: Onsite Loop (Bar Raiser)", ("hooli.com",), "Hooli", None),
    (
        "Bar Raiser - Senior Software Engineer",
        ("amazon.com",),
        "Amazon",
        "Senior Software Engineer",
    ),
    ("Hiring Manager Interview - Product Designer", ("acme.com",), "Acme", "Product Designer"),
    ("Technical Interview (Engineering Manager)", ("acme.com",), "Acme", "Engineering Manager"),
    ("Alex Candidate <> Jane Doe: Hiring Manager Screen", ("acme.com",), "Acme", None),
    ("Zoom meeting: Acme Recruiter Screen", ("acme.com",), "Acme", None),
    ("Acme recruiter screen", ("gmail.com",), "Acme", None),
    ("Acme Interview - Round 2 - Technical", ("acme.com",), "Acme", None),
    ("Initech - Culture Fit", ("initech.com",), "Initech", None),
    ("Director interview", ("acme.com",), "Acme", None),
    ("Onsite: Engineering Manager round", ("acme.com",), "Acme", "Engineering Manager"),
    ("Executive Assistant - Phone Screen", ("acme.com",), "Acme", "Executive Assistant"),
    ("Product Manager - Hiring Manager interview", ("acme.com",), "Acme", "Product Manager"),
    ("Interview 3 PM - Acme", ("gmail.com",), "Acme", None),
    # -- ATS and scheduler styles --------------------------------------------------------------
    (
        "Alex Candidate - Onsite Interview - Senior Backend Engineer",
        ("acme.com",),
        "Acme",
        "Senior Backend Engineer",
    ),
    (
        "Interview with Alex Candidate for Staff Data Engineer",
        ("acme.com",),
        "Acme",
        "Staff Data Engineer",
    ),
    ("Jane Doe and Alex Candidate", ("acme.com",), "Acme", None),
    ("30 Minute Meeting between Jane Doe and Alex Candidate", ("gmail.com",), None, None),
    (
        "Interview - Acme - Senior Product Manager - Jane Doe",
        ("acme.com",),
        "Acme",
        "Senior Product Manager",
    ),
    ("Meeting with Jane Doe (Stripe) - Recruiter Screen", ("stripe.com",), "Stripe", None),
    (
        "Contoso | Technical Interview | Backend Engineer (Python)",
        ("contoso.com",),
        "Contoso",
        "Backend Engineer",
    ),
    ("Dr. Jane Doe / Alex Candidate – Technical Interview", ("acme.com",), "Acme", None),
    # -- the display form: from the title when it agrees with the domain -----------------------
    ("Interview w/ OpenAI", ("openai.com",), "OpenAI", None),
    ("Interview", ("openai.com",), None, None),
    ("Final round - Goldman Sachs", ("gs.com",), "Goldman Sachs", None),
    ("Acme Corp - Product Manager Interview", ("acme.com",), "Acme Corp", "Product Manager"),
    ("Interview: Alex Candidate / Umbrella Corp", ("umbrella.com",), "Umbrella Corp", None),
    (
        "Northwind Traders: Final Interview (Hiring Manager) – Data Analyst",
        ("northwindtraders.com",),
        "Northwind Traders",
        "Data Analyst",
    ),
    ("Recruiter phone screen", ("northwindtraders.com",), None, None),
    ("Phone interview - Wayne Enterprises", ("wayne-enterprises.com",), "Wayne Enterprises", None),
    ("Interview | Hooli", ("hooli.xyz",), "Hooli", None),
    ("interview w/ acme", ("acme.com",), "Acme", None),
    # -- the title's fuller form wins when it starts with the domain's name (issue 10) ---------
    (
        "Interview: Wayne Enterprises (Security Engineer)",
        ("wayne.example",),
        "Wayne Enterprises",
        "Security Engineer",
    ),
    (
        "Interview: Massive Dynamic (Staff Engineer)",
        ("massive.example",),
        "Massive Dynamic",
        "Staff Engineer",
    ),
    (
        "Senior SRE interview - Massive Dynamic",
        ("massive.example",),
        "Massive Dynamic",
        "Senior SRE",
    ),
    (
        "Interview: Müller GmbH (Backend Engineer)",
        ("mueller.example",),
        "Müller GmbH",
        "Backend Engineer",
    ),
    (
        "Vorstellungsgespräch – Müller GmbH (Backend-Entwickler)",
        ("mueller.example",),
        "Müller GmbH",
        "Backend-Entwickler",
    ),
    ("Panel-Interview – Bauer KG (Data Engineer)", ("bauer.example",), "Bauer KG", "Data Engineer"),
    ("Onsite – Société Générale", ("societegenerale.example",), "Société Générale", None),
    ("Interview with Massive Dynamic", ("massive.example",), "Massive Dynamic", None),
    ("Massive Dynamic x Alex Candidate – intro", ("massive.example",), "Massive Dynamic", None),
    ("Alex Candidate <> Wayne Enterprises", ("wayne.example",), "Wayne Enterprises", None),
    (
        "Massive Dynamic | Final round (Hiring Manager)",
        ("massive.example",),
        "Massive Dynamic",
        None,
    ),
    # a role word after the company's name keeps the words between with the role
    ("Acme Data Engineer interview", ("acme.com",), "Acme", "Data Engineer"),
    (
        "Interview: Wayne Enterprises (Security Engineer)",
        ("acme.com",),
        "Acme",
        "Security Engineer",
    ),
    ("Wayne Enterprises | Hiring Manager interview", ("wayne.example",), "Wayne Enterprises", None),
    (
        "Alex Candidate x Massive Dynamic | Recruiter screen",
        ("massive.example",),
        "Massive Dynamic",
        None,
    ),
    (
        "Massive Dynamic <> Alex Candidate: Final round",
        ("massive.example",),
        "Massive Dynamic",
        None,
    ),
    ("Bauer KG – Telefoninterview", ("bauer.example",), "Bauer KG", None),
    ("Müller GmbH x Alex – Kennenlerngespräch", ("mueller.example",), "Müller GmbH", None),
    ("Interview: Müller GmbH", ("muller.example",), "Müller GmbH", None),
    ("Interview - Acme Q3", ("acme.com",), "Acme", None),
    ("Interview: Acme Jane Doe", ("acme.com",), "Acme", None),
    (
        "Acme Senior Backend Engineer interview",
        ("acme.com",),
        "Acme",
        "Senior Backend Engineer",
    ),
    ("Interview w/ Massive Dynamic Inc.", ("massive.example",), "Massive Dynamic Inc", None),
    # -- roles without the usual words: the vocabulary knows more occupations -----------------
    (
        "Interview: Wayne Enterprises (Composer)",
        ("wayne.example",),
        "Wayne Enterprises",
        "Composer",
    ),
    ("Interview: Acme (Photographer)", ("acme.com",), "Acme", "Photographer"),
    ("Pharmacist interview - Acme", ("acme.com",), "Acme", "Pharmacist"),
    ("Interview: Acme (Rescheduled)", ("acme.com",), "Acme", None),
    ("Interview: Acme (Updated invitation)", ("acme.com",), "Acme", None),
    # -- the domain wins over a title that names another company -------------------------------
    ("Interview with Globex", ("acme.com",), "Acme", None),
    ("Interview with Globex", ("openai.com",), None, None),
    ("Phone Screen", ("acme.com",), "Acme", None),
    ("Interview at 10am", ("acme.com",), "Acme", None),
    ("Technical Interview (45 min)", ("initech.com",), "Initech", None),
    ("Coffee chat", ("acme.com",), "Acme", None),
    # -- a side of "<>" that may be a person, with nothing to tell: say nothing ----------------
    ("Sam <> Contoso | intro", ("gmail.com",), None, None),
    ("Goldman Sachs Interview", ("gmail.com",), None, None),
    # -- real titles from ../shared/corpus/ics (none is an interview: nothing to name) ---------
    ("Declined: *[T] Beratung - Martin Eigenmann", ("gmail.com",), None, None),
    ("Teams meeting", ("gmail.com",), None, None),
    ("Sprint 25 Daily Standup", ("gmail.com",), None, None),
    ("Weinabend Franken – Castell", ("gmail.com",), None, None),
    ("Hanf als nachhaltiges Material -- Workshop in der Machbar", ("gmail.com",), None, None),
    ("Example calendar with a ': ' in the summary", ("gmail.com",), None, None),
    ("Mobility reservation  (Economy 11307)", ("gmail.com",), None, None),
    ("Escalade avec Romain", ("gmail.com",), None, None),
    ("Weekly Planning Meeting", ("gmail.com",), None, None),
]


def _event(title: str, domains: tuple[str, ...]) -> CalendarEvent:
    people = tuple(
        Attendee(f"{local}@{domain}", name, response=Response.ACCEPTED)
        for (local, name), domain in zip(_PEOPLE, domains, strict=False)
    )
    me = Attendee(ME, CANDIDATE, is_self=True, response=Response.ACCEPTED)
    return CalendarEvent(
        id="ev1",
        title=title,
        start=START,
        end=START + timedelta(hours=1),
        calendar="Work",
        organizer=None,
        attendees=(*people, me),
    )


def found(
    title: str, domains: tuple[str, ...], contacts: dict[str, Contact] | None = None
) -> Detection:
    return detect(_event(title, domains), rules(), [ME], contacts, candidate_name=CANDIDATE)


@pytest.mark.parametrize(("title", "domains", "company", "role"), CASES)
def test_company_and_role(
    title: str, domains: tuple[str, ...], company: str | None, role: str | None
) -> None:
    result = found(title, domains)
    assert (result.company, result.role) == (company, role), (
        result.company_reason,
        result.role_reason,
    )


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 40


# ------------------------------------------------------------------------------------------
# Precedence and reasons
# ------------------------------------------------------------------------------------------


def test_contacts_company_wins_and_says_so() -> None:
    contacts = {"jane.doe@piedpiper.example": Contact(None, None, None, "Pied Piper")}
    result = found("Onsite interview", ("piedpiper.example",), contacts)
    assert result.company == "Pied Piper"
    assert "[contacts]" in result.company_reason


def test_per_interview_override_wins_over_everything() -> None:
    contacts = {"jane.doe@acme.com": Contact(None, None, None, "ACME Corporation")}
    event = _event("Interview: Data Scientist at Acme", ("acme.com",))
    result = detect(
        event,
        rules(),
        [ME],
        contacts,
        candidate_name=CANDIDATE,
        company_override="Acme Robotics",
        role_override="Robotics Engineer",
    )
    assert (result.company, result.role) == ("Acme Robotics", "Robotics Engineer")
    assert "this interview" in result.company_reason
    assert "this interview" in result.role_reason


def test_reasons_name_the_source() -> None:
    result = found("Pied Piper – Onsite", ("piedpiper.example",))
    assert result.company_reason == (
        "company 'Pied Piper': from the title, agrees with piedpiper.example"
    )
    result = found("Fabrikam | Final round interview (Hiring Manager)", ("fabrikam.com",))
    assert result.role_reason == "role not taken: 'Hiring Manager' is an interview stage"
    assert result.company_reason.startswith("company 'Fabrikam'")
    result = found("Onsite interview", ("piedpiper.example",))
    assert result.company is None
    assert "piedpiper" in result.company_reason
    result = found("Interview: Data Scientist at Acme", ("acme.com",))
    assert result.role_reason == "role 'Data Scientist': from the title"


def test_own_name_is_dropped_even_without_the_configured_name() -> None:
    """The user's own attendee entry names them, so "<> Alex" is dropped without the config."""
    event = _event("Alex <> Contoso | intro", ("greenhouse.io",))
    assert detect(event, rules(), [ME]).company == "Contoso"


@pytest.mark.parametrize(
    ("domain", "display"),
    [
        ("acme.com", "Acme"),
        ("ibm.com", "IBM"),
        ("acme-corp.co.uk", "Acme Corp"),
        ("piedpiper.example", None),
        ("openai.com", None),
        ("northwindtraders.com", None),
    ],
)
def test_domain_display_only_when_clearly_a_word(domain: str, display: str | None) -> None:
    assert domain_display(domain) == display


def test_title_parts_keeps_its_signature() -> None:
    assert title_parts("Acme - Phone Screen") == ("Acme", None)
    assert title_parts("Contoso <> Alex — Recruiter phone screen", own_names=["Alex"]) == (
        "Contoso",
        None,
    )
