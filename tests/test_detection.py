"""Interview detection: the decision order, who the interviewers are, company and role."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from daemon.config import (
    DEFAULT_BOT_PATTERNS,
    DEFAULT_FREEMAIL,
    DEFAULT_KEYWORDS,
    Contact,
    DetectionRules,
)
from daemon.detection import Detection, Person, detect, name_from_address
from daemon.protocols import Attendee, AttendeeKind, CalendarEvent, Response
from daemon.titles import company_from_domain, looks_like_job_title, registrable, title_parts
from tests.conftest import corpus_files

ME = "alex@example.org"
START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def rules(**changes: object) -> DetectionRules:
    """The defaults of config.py, as DetectionRules (config.parse needs a whole file)."""
    base = DetectionRules(
        keywords=tuple(DEFAULT_KEYWORDS),
        patterns=(),
        exclude_keywords=("mock interview", "interview prep"),
        calendars=(),
        tags=("category:interview", "label:interview"),
        include_domains=(),
        exclude_domains=(),
        force_tag="#followup",
        suppress_tag="#nofollowup",
        require_other_attendee=True,
        include_all_day=False,
        freemail_domains=frozenset(DEFAULT_FREEMAIL),
        bot_patterns=tuple(re.compile(p, re.IGNORECASE) for p in DEFAULT_BOT_PATTERNS),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


JANE = Attendee("jane.smith@acme-corp.com", "Jane Smith", response=Response.ACCEPTED)
BOB = Attendee("bob@acme-corp.com", "Bob Lee")
SELF = Attendee(ME, "Alex Morgan", is_self=True, response=Response.ACCEPTED)


def event(title: str = "Interview with Acme", **changes: object) -> CalendarEvent:
    base = CalendarEvent(
        id="ev1",
        title=title,
        start=START,
        end=START + timedelta(hours=1),
        calendar="Work",
        organizer=Attendee("jane.smith@acme-corp.com", "Jane Smith", is_organizer=True),
        attendees=(JANE, BOB, SELF),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def check(ev: CalendarEvent, **rule_changes: object) -> Detection:
    return detect(ev, rules(**rule_changes), [ME])


# ------------------------------------------------------------------------------------------
# Decision order and reasons
# ------------------------------------------------------------------------------------------


def test_keyword_match_and_reason() -> None:
    found = check(event("Phone Screen – Acme"))
    assert found.is_interview
    assert found.reason == "title matches keyword 'phone screen'"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Interview with Acme", True),
        ("Interviews all day", True),
        ("INTERVIEW", True),
        ("Phone-Screen w/ Acme", True),
        ("Acme onsite", True),
        ("On-site at Acme", True),
        ("Vorstellungsgespräch bei Siemens", True),
        ("iphone screenshot review", False),
        ("Reinterview planning", False),
        ("Team lunch", False),
        ("Panelist sync", False),
    ],
)
def test_keywords_are_word_boundary_aware(title: str, expected: bool) -> None:
    assert check(event(title)).is_interview is expected


def test_cancelled_comes_first() -> None:
    found = check(event(cancelled=True, description="#followup"))
    assert (found.is_interview, found.reason) == (False, "cancelled")


def test_declined_by_self_flag_or_own_address() -> None:
    declined = replace(SELF, response=Response.DECLINED)
    found = check(event(attendees=(JANE, declined), description="#followup"))
    assert (found.is_interview, found.reason) == (False, "you declined")
    by_address = Attendee(ME.upper(), "Alex", response=Response.DECLINED)
    assert check(event(attendees=(JANE, by_address))).reason == "you declined"


def test_suppress_tag_and_provider_off() -> None:
    found = check(event(description="Great chat.\n#nofollowup please"))
    assert (found.is_interview, found.reason) == (
        False,
        "suppressed by #nofollowup in the description",
    )
    off = check(event(tags=frozenset({"followupd:off"}), description="#followup"))
    assert (off.is_interview, off.reason) == (False, "turned off for this event (followupd:off)")


def test_force_tag_wins_over_missing_keyword_calendar_and_all_day() -> None:
    ev = event("Coffee with Jane", description="see you #followup", calendar="Personal",
               all_day=True)  # fmt: skip
    found = check(ev, calendars=("Work",))
    assert (found.is_interview, found.reason) == (True, "forced by #followup in the description")
    on = check(event("Coffee", tags=frozenset({"followupd:on"})))
    assert (on.is_interview, on.reason) == (True, "turned on for this event (followupd:on)")


def test_force_tag_is_a_whole_tag() -> None:
    # "#followups" and "#nofollowup" are not "#followup".
    assert not check(event("Coffee", description="#followups")).is_interview
    assert check(event("Coffee", description="#FollowUp")).is_interview


def test_forced_without_anyone_to_write_to_says_so() -> None:
    found = check(event("Coffee", description="#followup", attendees=(SELF,), organizer=None))
    assert found.is_interview
    assert found.reason == "forced by #followup in the description, but nobody else to write to"
    assert found.interviewers == ()


def test_calendar_filter() -> None:
    found = check(event(calendar="Personal"), calendars=("Work", "Jobs"))
    assert (found.is_interview, found.reason) == (
        False,
        "calendar 'Personal' is not in [detection].calendars",
    )
    assert check(event(calendar="work"), calendars=("Work",)).is_interview
    unknown = check(event(calendar=""), calendars=("Work",))
    assert unknown.reason == "the event's calendar is not in [detection].calendars"


def test_all_day() -> None:
    found = check(event(all_day=True))
    assert (found.is_interview, found.reason) == (False, "all-day event")
    assert check(event(all_day=True), include_all_day=True).is_interview


def test_exclude_keyword_and_domain_veto() -> None:
    found = check(event("Mock interview with Sam"))
    assert (found.is_interview, found.reason) == (
        False,
        "title matches excluded keyword 'mock interview'",
    )
    vetoed = check(event(), exclude_domains=("acme-corp.com",))
    assert vetoed.reason == (
        "attendee jane.smith@acme-corp.com is from excluded domain 'acme-corp.com'"
    )


def test_pattern_tag_and_include_domain() -> None:
    by_pattern = check(event("Loop #3 (Acme)"), patterns=(re.compile(r"loop #\d", re.I),))
    assert by_pattern.reason == r"title matches pattern 'loop #\d'"
    by_tag = check(event("Acme", tags=frozenset({"category:Interview"})))
    assert (by_tag.is_interview, by_tag.reason) == (True, "calendar tag 'category:interview'")
    by_domain = check(event("Catch-up"), include_domains=("acme-corp.com",))
    assert by_domain.reason == (
        "attendee jane.smith@acme-corp.com is from 'acme-corp.com' in [detection].include_domains"
    )
    nothing = check(event("Catch-up"))
    assert nothing.reason == "title matches no keyword or pattern and no interview tag is set"


def test_require_other_attendee() -> None:
    alone = event("Interview prep block", attendees=(SELF,), organizer=None)
    assert not check(alone).is_interview  # excluded keyword
    alone = event("Interview practice", attendees=(SELF,), organizer=None)
    found = check(alone)
    assert (found.is_interview, found.reason) == (False, "no other human attendee")
    assert check(alone, require_other_attendee=False).is_interview


# ------------------------------------------------------------------------------------------
# Interviewers
# ------------------------------------------------------------------------------------------


def test_interviewers_exclude_self_rooms_bots_and_decliners() -> None:
    attendees = (
        JANE,
        SELF,
        Attendee("alex@other.example", is_self=True),
        Attendee("room-4@acme-corp.com", "Room 4", kind=AttendeeKind.RESOURCE),
        Attendee("eng@acme-corp.com", "Engineering", kind=AttendeeKind.GROUP),
        Attendee("noreply@acme-corp.com", "Acme"),
        Attendee("c_1234@resource.calendar.google.com", "Big Room"),
        Attendee("x@group.calendar.google.com"),
        Attendee("carol@acme-corp.com", "Carol", response=Response.DECLINED),
        Attendee("dave@acme-corp.com", "Dave Wu"),
        Attendee("Dave@Acme-Corp.com", None),  # the same person twice
        Attendee("not-an-address", "Broken"),
    )
    found = check(event(attendees=attendees, organizer=None))
    emails = [p.email for p in found.interviewers]
    assert emails == ["jane.smith@acme-corp.com", "dave@acme-corp.com"]
    assert found.organizer is None


def test_bot_patterns_apply_to_local_part_and_address() -> None:
    ats = Attendee("scheduler+abc@acme-corp.com", "Acme Scheduling")
    custom = Attendee("x@goodtime.io", "GoodTime")
    found = check(
        event(attendees=(JANE, ats, custom)),
        bot_patterns=rules().bot_patterns + (re.compile(r"@goodtime\.io$"),),
    )
    assert [p.email for p in found.interviewers] == ["jane.smith@acme-corp.com"]


def test_organizer_is_merged_and_flagged() -> None:
    found = check(event())
    assert found.organizer == Person("jane.smith@acme-corp.com", "Jane Smith", True)
    emails = [p.email for p in found.interviewers]
    assert emails == ["jane.smith@acme-corp.com", "bob@acme-corp.com"]
    only_org = check(event(attendees=(SELF,)))
    assert only_org.interviewers == (Person("jane.smith@acme-corp.com", "Jane Smith", True),)


def test_organizer_that_is_a_bot_is_no_organizer() -> None:
    found = check(event(organizer=Attendee("calendar-noreply@google.com", "Google Calendar")))
    assert found.organizer is None


def test_names_from_attendee_contacts_and_address() -> None:
    attendees = (
        Attendee("jane.smith@acme-corp.com", None),
        Attendee("jsmith@acme-corp.com", None),
        Attendee("kim@acme-corp.com", "Lee, Kim"),
        Attendee("raj@acme-corp.com", "RAJ PATEL"),
        Attendee("pat@acme-corp.com", "pat@acme-corp.com"),
        Attendee("ann@acme-corp.com", "Ann Chu (Acme)"),
        Attendee("boss@acme-corp.com", "B. Oss"),
    )
    contacts = {"boss@acme-corp.com": Contact("Dr. Barbara Oss", "CTO", None, None)}
    found = detect(event(attendees=attendees, organizer=None), rules(), [ME], contacts)
    names = {p.email: p.name for p in found.interviewers}
    assert names["jane.smith@acme-corp.com"] == "Jane Smith"
    assert names["jsmith@acme-corp.com"] is None
    assert names["kim@acme-corp.com"] == "Kim Lee"
    assert names["raj@acme-corp.com"] == "Raj Patel"
    assert names["pat@acme-corp.com"] is None
    assert names["ann@acme-corp.com"] == "Ann Chu"
    assert names["boss@acme-corp.com"] == "Dr. Barbara Oss"  # [contacts] overrides


@pytest.mark.parametrize(
    ("display", "email", "name"),
    [
        ("Jane", "jane@acme-corp.com", "Jane"),  # a name that is also the local part
        ("JANE", "jane@acme-corp.com", "Jane"),
        ("Jane", "JANE@acme-corp.com", "Jane"),
        ("jane", "jane@acme-corp.com", "Jane"),  # the address is her name (issue 10)
        ("marco", "marco@fabrikam.example", "Marco"),
        ("priya", "priya@acme-corp.com", "Priya"),
        ("david", "david@acme-corp.com", "David"),
        ("jsmith", "jsmith@acme-corp.com", None),  # the client filled in the login
        ("tmiller", "tmiller@acme-corp.com", None),
        ("jallen", "jallen@acme-corp.com", None),  # J. Allen
        ("amiller", "amiller@acme-corp.com", None),
        ("billing", "billing@acme-corp.com", None),  # a function, not a person
        ("recruiting", "recruiting@acme-corp.com", None),
        ("xyz", "xyz@acme-corp.com", None),
        ("pkumar", "pkumar@acme-corp.com", None),
        ("j.smith", "j.smith@acme-corp.com", None),
        ("jane.smith", "jane.smith@acme-corp.com", "Jane Smith"),  # from the address instead
        ("Smith, Jane", "jane@acme-corp.com", "Jane Smith"),
        ("李小龙", "li@acme-corp.com", "李小龙"),
        ("Мария Иванова", "m.ivanova@acme-corp.com", "Мария Иванова"),
    ],
)
def test_display_names_that_look_like_the_address(
    display: str, email: str, name: str | None
) -> None:
    found = detect(event(attendees=(Attendee(email, display),), organizer=None), rules(), [ME])
    assert [p.name for p in found.interviewers] == [name]


@pytest.mark.parametrize(
    ("address", "name"),
    [
        ("jane.smith@x.com", "Jane Smith"),
        ("jane_smith+jobs@x.com", "Jane Smith"),
        ("anne-marie.dupont@x.com", "Anne-Marie Dupont"),
        ("jane.m.smith@x.com", "Jane M. Smith"),
        ("jsmith@x.com", None),
        ("jane@x.com", None),
        ("j.smith@x.com", None),
        ("jane.smith2@x.com", None),
        ("talent.acquisition@x.com", None),
        ("hr.team@x.com", None),
        ("a.b.c.d@x.com", None),
    ],
)
def test_name_from_address(address: str, name: str | None) -> None:
    assert name_from_address(address) == name


# ------------------------------------------------------------------------------------------
# Company, role, domains
# ------------------------------------------------------------------------------------------


def test_company_from_domain_and_domains_for_replies() -> None:
    attendees = (
        Attendee("jane@eu.acme-corp.co.uk", "Jane Smith"),
        Attendee("bob@acme-corp.co.uk", "Bob Lee"),
        Attendee("recruiter.friend@gmail.com", "Sam Friend"),
        Attendee("x@greenhouse.io", "Greenhouse Scheduler"),
        SELF,
    )
    found = check(event("Phone screen", attendees=attendees, organizer=None))
    assert found.company == "Acme Corp"
    assert found.domains == ("acme-corp.co.uk", "eu.acme-corp.co.uk")


def test_own_domain_is_not_the_company() -> None:
    colleague = Attendee("pat@example.org", "Pat Own")
    found = detect(event("Interview", attendees=(colleague, SELF), organizer=None), rules(), [ME])
    assert found.company is None
    assert found.domains == ()


def test_company_prefers_title_spelling_of_the_domain_name() -> None:
    ppl = (Attendee("sam@openai.com", "Sam A"), SELF)
    assert check(event("Interview w/ OpenAI", attendees=ppl, organizer=None)).company == "OpenAI"
    # "Openai" would be a misspelling (issue 10): without the title's spelling, say nothing.
    assert check(event("Interview", attendees=ppl, organizer=None)).company is None
    # A title naming another company does not override the attendees' domain.
    assert check(event("Interview with Globex", attendees=ppl, organizer=None)).company is None
    acme = (Attendee("sam@acme.com", "Sam A"), SELF)
    assert check(event("Interview with Globex", attendees=acme, organizer=None)).company == "Acme"


def test_company_from_title_when_only_freemail() -> None:
    ppl = (Attendee("sam.jones@gmail.com", "Sam Jones"), SELF)
    found = check(event("Acme - Phone Screen", attendees=ppl, organizer=None))
    assert (found.company, found.domains) == ("Acme", ())


def test_contact_company_overrides() -> None:
    contacts = {"jane.smith@acme-corp.com": Contact(None, None, None, "ACME Corporation")}
    found = detect(event(), rules(), [ME], contacts)
    assert found.company == "ACME Corporation"


@pytest.mark.parametrize(
    ("title", "company", "role"),
    [
        ("Interview with Acme", "Acme", None),
        ("Acme - Phone Screen", "Acme", None),
        ("Phone screen: Acme (Backend Engineer)", "Acme", "Backend Engineer"),
        ("Onsite @ Acme", "Acme", None),
        ("Acme – Senior Backend Engineer interview", "Acme", "Senior Backend Engineer"),
        ("Interview: Data Scientist at Acme", "Acme", "Data Scientist"),
        ("Acme | Staff Software Engineer | Onsite", "Acme", "Staff Software Engineer"),
        ("Phone screen for the Backend Engineer role", None, "Backend Engineer"),
        ("Acme Interview", "Acme", None),
        ("Acme Labs: final round", "Acme Labs", None),
        ("Interview with the Acme team", "Acme", None),
        ("Interview with Jane (Acme)", "Acme", None),
        # Cases where a guess would be wrong more often than right: None.
        ("Interview with Jane Smith", None, None),
        ("Alex Morgan - Onsite Interview - Sr. Backend Engineer", None, "Sr. Backend Engineer"),
        ("Final round - Goldman Sachs", None, None),
        ("Hiring Manager Interview", None, None),
        ("Interview at 10am", None, None),
        ("Technical Interview (45 min)", None, None),
        ("Interview prep", None, None),
        ("Coffee chat", None, None),
        ("Zoom Interview", None, None),
        ("Interview - Round 2", None, None),
        ("Interview", None, None),
        ("", None, None),
    ],
)
def test_title_parts(title: str, company: str | None, role: str | None) -> None:
    assert title_parts(title, ["Jane Smith"]) == (company, role)


def test_title_parsing_is_bounded() -> None:
    long_title = "Interview with " + "a " * 50_000 + "Acme"
    started = datetime.now()
    title_parts(long_title)
    assert (datetime.now() - started).total_seconds() < 2


@pytest.mark.parametrize(
    ("domain", "base", "name"),
    [
        ("acme-corp.co.uk", "acme-corp.co.uk", "Acme Corp"),
        ("eu.mail.acme.com", "acme.com", "Acme"),
        ("acme.com.au", "acme.com.au", "Acme"),
        ("jobs.acme.io", "acme.io", "Acme"),
        ("ibm.com", "ibm.com", "IBM"),
        ("acme-ai.de", "acme-ai.de", "Acme AI"),
    ],
)
def test_registrable_and_company_from_domain(domain: str, base: str, name: str) -> None:
    assert registrable(domain) == base
    assert company_from_domain(domain) == name


def test_looks_like_job_title() -> None:
    assert looks_like_job_title("Engineering Manager")
    assert looks_like_job_title("Senior Data Scientist")
    assert not looks_like_job_title("asked about the engineering manager role")
    assert not looks_like_job_title("Kafka")


# ------------------------------------------------------------------------------------------
# Real-world corpus: nothing crashes, rooms and self never become interviewers
# ------------------------------------------------------------------------------------------


def test_corpus_events_never_crash(corpus_dir: object) -> None:
    icalendar = pytest.importorskip("icalendar")
    checked = 0
    for path in corpus_files("ics"):
        try:
            calendar = icalendar.Calendar.from_ical(path.read_bytes())
        except Exception:  # broken files are the ics connector's business, not ours
            continue
        for component in calendar.walk("VEVENT"):
            attendees = tuple(
                Attendee(str(a).removeprefix("mailto:").removeprefix("MAILTO:").lower(),
                         a.params.get("CN"))
                for a in _as_list(component.get("ATTENDEE"))
            )  # fmt: skip
            ev = event(
                str(component.get("SUMMARY", "")),
                description=str(component.get("DESCRIPTION", "")),
                attendees=attendees,
                organizer=None,
            )
            found = detect(ev, rules(), [ME])
            assert isinstance(found.reason, str) and found.reason
            assert all("@" in p.email for p in found.interviewers)
            checked += 1
    assert checked > 20


def _as_list(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


# ------------------------------------------------------------------------------------------
# The user's own addresses, however written (issue 9, point 8)
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mine",
    [
        "alex+jobs@example.org",  # a sub-address tag (RFC 5233)
        "Alex+Interviews@Example.org",
        "alex+@example.org",
    ],
)
def test_the_user_s_tagged_address_is_never_an_interviewer(mine: str) -> None:
    me = Attendee(mine, "Alex Morgan", response=Response.ACCEPTED)  # no is_self from an .ics
    found = check(event(attendees=(JANE, me)))
    assert [p.email for p in found.interviewers] == ["jane.smith@acme-corp.com"]


def test_gmail_ignores_dots_and_googlemail_is_gmail() -> None:
    me = Attendee("a.lex.morgan@googlemail.com", "Alex", response=Response.ACCEPTED)
    found = detect(event(attendees=(JANE, me)), rules(), ["alexmorgan@gmail.com"])
    assert [p.email for p in found.interviewers] == ["jane.smith@acme-corp.com"]


def test_someone_else_s_tagged_address_stays_an_interviewer() -> None:
    other = Attendee("alexa+jobs@example.org", "Alexa", response=Response.ACCEPTED)
    dotted = Attendee("a.lex@example.org", "A Lex", response=Response.ACCEPTED)  # not Gmail
    found = check(event(attendees=(JANE, other, dotted)))
    assert "alexa+jobs@example.org" in [p.email for p in found.interviewers]
    assert "a.lex@example.org" in [p.email for p in found.interviewers]


# ------------------------------------------------------------------------------------------
# Series that repeat more often than interviews do (issue 9, point 5)
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("every", "said"),
    [
        (timedelta(minutes=1), "repeats every 1 minute"),
        (timedelta(hours=4), "repeats every 4 hours"),
        (timedelta(seconds=30), "repeats every 30 seconds"),
    ],
)
def test_a_series_repeating_within_a_day_is_not_an_interview(every: timedelta, said: str) -> None:
    found = check(event("Interview", repeats_every=every))
    assert not found.is_interview
    assert found.reason == f"{said}, more often than interviews do"


def test_a_daily_or_weekly_series_may_be_interviews() -> None:
    assert check(event("Interview", repeats_every=timedelta(days=1))).is_interview
    assert check(event("Interview", repeats_every=timedelta(weeks=1))).is_interview
