"""Is this calendar event an interview, and with whom, at which company, for which role?

Detection is pure: one :class:`~daemon.protocols.CalendarEvent` and the ``[detection]`` rules
in, one :class:`Detection` out. Its ``reason`` is written for the user (``followupd`` shows it
when asked why an event was or was not taken), so it names the rule that decided.

Decisions, in order (the first that applies wins):

1. the event is cancelled -> no;
2. the user declined it -> no;
3. the suppress tag (``#nofollowup``) is in the description, or the provider tag
   ``followupd:off`` is set -> no;
4. the force tag (``#followup``) is in the description, or ``followupd:on`` is set -> yes, even
   without a keyword, outside ``[detection].calendars``, all-day, or with no other attendee
   (the user asked explicitly; with nobody to write to the engine simply drafts nothing, and
   the reason says so);
5. the event belongs to a series that repeats more often than daily (``repeats_every``) -> no:
   interviews are not held every hour, and such a series would flood the mailbox;
6. ``[detection].calendars`` is set and the event's calendar is not in it -> no;
7. all-day event unless ``include_all_day`` -> no;
8. an excluded keyword in the title or an attendee from an excluded domain -> no;
9. a keyword, pattern, provider tag or include-domain attendee -> yes, otherwise no;
10. ``require_other_attendee`` and no other human attendee -> no.

Company and role are best effort. Returning None is better than a wrong value, because a wrong
company name in a thank-you note is worse than a sentence that does not name one. The company
comes from, in order: the user's override for this interview, ``[contacts]``, the organiser's
company as the provider states it (a hook: no provider gives it today), the attendees' domain
(spelled as the title spells it when the two agree, else only when the domain is clearly one
word), and the title alone only when no attendee has a company domain. Each decision leaves a
short reason on :class:`Detection` for ``preview`` to show.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from daemon.config import Contact, DetectionRules
from daemon.protocols import Attendee, AttendeeKind, CalendarEvent, Response
from daemon.titles import domain_display, parse_title, registrable, spelled_in_title


@dataclass(frozen=True)
class Person:
    email: str
    name: str | None
    is_organizer: bool = False


@dataclass(frozen=True)
class Detection:
    is_interview: bool
    reason: str
    interviewers: tuple[Person, ...]
    organizer: Person | None
    company: str | None
    role: str | None
    domains: tuple[str, ...]  # the company's non-freemail attendee domains, most common first
    # Why company and role are what they are (or None), for the user: "company 'Pied Piper':
    # from the title, agrees with piedpiper.example".
    company_reason: str = ""
    role_reason: str = ""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Scheduling and applicant-tracking services send invitations on a company's behalf; their
# domains never name the company and replies from them are not replies from the company.
SERVICE_DOMAINS = frozenset({
    "greenhouse.io", "lever.co", "ashbyhq.com", "goodtime.io", "calendly.com", "workable.com",
    "workablemail.com", "smartrecruiters.com", "icims.com", "myworkday.com", "workday.com",
    "zoom.us", "gem.com", "hirevue.com", "codility.com", "hackerrank.com", "coderpad.io",
})  # fmt: skip

# Local-part words that name a function, not a person: "talent.acquisition@" is no "Talent".
_NOT_NAMES = _words(
    "talent acquisition recruiting recruitment recruiter careers career jobs job hr hiring team "
    "people info contact hello admin support office sales interview interviews staffing noreply "
    "reply events event schedule scheduling coordinator coordination"
)

_NOT_PEOPLE = (AttendeeKind.RESOURCE, AttendeeKind.GROUP)
# A series that repeats more often than this is not a series of interviews.
MIN_REPEAT = timedelta(days=1)
# Providers where dots in the local part do not matter ("a.lex@gmail.com" is "alex@gmail.com").
_DOTLESS_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
# No address is longer (RFC 5321 4.5.3.1: 64 octets local part, 255 domain); a longer one
# cannot be written to, and interviewers.email is bounded to it (it is unique per interview).
MAX_ADDRESS = 320


def detect(
    event: CalendarEvent,
    rules: DetectionRules,
    own_addresses: Sequence[str],
    contacts: Mapping[str, Contact] | None = None,
    *,
    candidate_name: str | None = None,
    company_override: str | None = None,
    role_override: str | None = None,
    explain_no: bool = True,
) -> Detection:
    """Decide whether ``event`` is an interview; see the module docstring for the order.

    ``candidate_name`` is ``[candidate].name``: a title such as "Contoso <> Alex" names the
    candidate on one side, and that side is no company. The overrides are the user's own
    company and role for this interview; they win over anything read from the event.
    ``explain_no=False``: a "no" says only why (no company, role or domains are looked for),
    which is all the planner needs of the many events that are no interview.
    """
    contacts = contacts or {}
    own = {mailbox_of(a) for a in own_addresses}
    interviewers = _interviewers(event, rules, own, contacts)
    organizer = next((p for p in interviewers if p.is_organizer), None)

    def result(yes: bool, reason: str) -> Detection:
        if not (yes or explain_no):
            return Detection(False, reason, interviewers, organizer, None, None, ())
        described = _describe(
            event, interviewers, rules, own, contacts, candidate_name, company_override,
            role_override,
        )  # fmt: skip
        return Detection(yes, reason, interviewers, organizer, *described)

    if event.cancelled:
        return result(False, "cancelled")
    people = [*event.attendees, *([event.organizer] if event.organizer else [])]
    if any(_is_own(a, own) and a.response == Response.DECLINED for a in people):
        return result(False, "you declined")
    tags = {t.lower() for t in event.tags}
    description = event.description.lower()
    if _has_tag(description, rules.suppress_tag):
        return result(False, f"suppressed by {rules.suppress_tag} in the description")
    if "followupd:off" in tags:
        return result(False, "turned off for this event (followupd:off)")
    forced = None
    if _has_tag(description, rules.force_tag):
        forced = f"forced by {rules.force_tag} in the description"
    elif "followupd:on" in tags:
        forced = "turned on for this event (followupd:on)"
    if forced:
        return result(True, forced if interviewers else f"{forced}, but nobody else to write to")
    if event.repeats_every is not None and event.repeats_every < MIN_REPEAT:
        return result(
            False, f"repeats every {_span(event.repeats_every)}, more often than interviews do"
        )
    if rules.calendars and event.calendar.lower() not in {c.lower() for c in rules.calendars}:
        which = f"calendar '{event.calendar}'" if event.calendar else "the event's calendar"
        return result(False, f"{which} is not in [detection].calendars")
    if event.all_day and not rules.include_all_day:
        return result(False, "all-day event")
    for keyword in rules.exclude_keywords:
        if _keyword_in(keyword, event.title):
            return result(False, f"title matches excluded keyword '{keyword}'")
    for person in interviewers:
        domain = _domain_in(person.email, rules.exclude_domains)
        if domain:
            return result(False, f"attendee {person.email} is from excluded domain '{domain}'")
    why = _positive(event, rules, tags, interviewers)
    if why is None:
        return result(False, "title matches no keyword or pattern and no interview tag is set")
    if rules.require_other_attendee and not interviewers:
        return result(False, "no other human attendee")
    return result(True, why)


def _describe(
    event: CalendarEvent,
    interviewers: tuple[Person, ...],
    rules: DetectionRules,
    own: set[str],
    contacts: Mapping[str, Contact],
    candidate_name: str | None,
    company_override: str | None,
    role_override: str | None,
) -> tuple[str | None, str | None, tuple[str, ...], str, str]:
    """(company, role, domains, company_reason, role_reason) of an event."""
    domains = _company_domains(interviewers, rules, own)
    names = [p.name for p in interviewers if p.name]
    reading = parse_title(event.title, names, _own_names(event, own, candidate_name))
    company, company_reason = _company(event, reading.company, interviewers, domains, contacts)
    if company_override:
        company = company_override
        company_reason = f"company '{company_override}': set for this interview"
    role, role_reason = _role(reading.role, reading.stages, role_override)
    if role and company and not role_override and role.lower().startswith(company.lower() + " "):
        role = role[len(company) + 1 :]  # "Acme Data Engineer interview": Acme's Data Engineer
        role_reason = f"role '{role}': from the title, after the company's name"
    return company, role, domains, company_reason, role_reason


# ------------------------------------------------------------------------------------------
# Rules
# ------------------------------------------------------------------------------------------


def _keyword_in(keyword: str, text: str) -> bool:
    """Whole-word, case-insensitive; a plural 's' is allowed; spaces also match '-' and '_'."""
    pattern = _keyword_pattern(keyword)
    return pattern is not None and pattern.search(text) is not None


# Compiled once per keyword or tag, not once per event and keyword (a calendar of thousands of
# events meets the same few keywords each time); bounded like re's own cache.
@lru_cache(maxsize=1024)
def _keyword_pattern(keyword: str) -> re.Pattern[str] | None:
    words = [re.escape(w) for w in keyword.split()]
    if not words:
        return None
    return re.compile(r"(?<!\w)" + r"[\s_-]+".join(words) + r"(?:s|es|'s)?(?!\w)", re.IGNORECASE)


def _has_tag(description: str, tag: str) -> bool:
    """``#followup`` but not ``#followups`` or ``#nofollowup``."""
    return _tag_pattern(tag).search(description) is not None


@lru_cache(maxsize=1024)
def _tag_pattern(tag: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w#])" + re.escape(tag.lower()) + r"(?![\w-])")


def _domain_in(email: str, domains: Sequence[str]) -> str | None:
    host = email.rpartition("@")[2].lower()
    for domain in domains:
        d = domain.lower().lstrip(".")
        if host == d or host.endswith("." + d):
            return domain
    return None


def _positive(
    event: CalendarEvent, rules: DetectionRules, tags: set[str], interviewers: Sequence[Person]
) -> str | None:
    for keyword in rules.keywords:
        if _keyword_in(keyword, event.title):
            return f"title matches keyword '{keyword}'"
    for pattern in rules.patterns:
        if pattern.search(event.title):
            return f"title matches pattern '{pattern.pattern}'"
    for tag in rules.tags:
        if tag.lower() in tags:
            return f"calendar tag '{tag}'"
    for person in interviewers:
        domain = _domain_in(person.email, rules.include_domains)
        if domain:
            return f"attendee {person.email} is from '{domain}' in [detection].include_domains"
    return None


# ------------------------------------------------------------------------------------------
# People
# ------------------------------------------------------------------------------------------


def mailbox_of(address: str) -> str:
    """The mailbox an address delivers to, for telling the user's own addresses.

    Sub-address tags are dropped ("alex+jobs@example.org" reaches "alex@example.org": RFC 5233,
    and Gmail, Outlook.com, Fastmail and Proton all honour "+"), and so are dots at Gmail.
    Used only to recognise the user: an interviewer's address is always written as given.
    """
    local, at, domain = address.strip().lower().rpartition("@")
    if not at:
        return address.strip().lower()
    local = local.split("+", 1)[0] or local
    if domain in _DOTLESS_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def _is_own(attendee: Attendee, own: set[str]) -> bool:
    return attendee.is_self or mailbox_of(attendee.email) in own


def _span(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}" + ("s" if count != 1 else "")
    return f"{seconds} seconds"


def _is_bot(email: str, rules: DetectionRules) -> bool:
    local = email.partition("@")[0]
    return any(p.search(email) or p.search(local) for p in rules.bot_patterns)


def _interviewers(
    event: CalendarEvent, rules: DetectionRules, own: set[str], contacts: Mapping[str, Contact]
) -> tuple[Person, ...]:
    """Other humans on the event, de-duplicated by address, in invitation order.

    An address listed twice (as organizer and attendee) is merged conservatively: if any copy
    says it is the user, a room/group, or declined, it is left out. So is an address longer than
    any address can be (:data:`MAX_ADDRESS`): nobody can be written to there.
    """
    copies: dict[str, list[Attendee]] = {}
    for a in [*event.attendees, *([event.organizer] if event.organizer else [])]:
        email = a.email.strip().lower()
        if "@" in email and len(email) <= MAX_ADDRESS:
            copies.setdefault(email, []).append(a)
    organizer = event.organizer.email.strip().lower() if event.organizer else None
    people = []
    for email, seen in copies.items():
        if any(_is_own(a, own) or a.kind in _NOT_PEOPLE for a in seen):
            continue
        if any(a.response == Response.DECLINED for a in seen) or _is_bot(email, rules):
            continue
        contact = contacts.get(email)
        name = contact.name if contact and contact.name else None
        name = name or next((n for a in seen if (n := _clean_name(a.name, email))), None)
        people.append(Person(email, name or name_from_address(email), email == organizer))
    return tuple(people)


def _clean_name(name: str | None, email: str) -> str | None:
    """A display name fit for a salutation, or None ("Smith, Jane" -> "Jane Smith")."""
    if not name:
        return None
    name = re.split(r"\s+[|(\[]", name, maxsplit=1)[0]  # "Jane Smith (Acme)", "Jane | Acme"
    name = " ".join(name.strip().strip("'\"").split())
    if not name or "@" in name:
        return None
    # A client filled in the address ("jsmith", "j.smith"), or the address is the name:
    # "marco" for marco@ is Marco, and dropping it greeted him "Hello".
    is_local_part = name.lower() == email.partition("@")[0].lower()
    if is_local_part and (name.islower() or not name.isalpha()) and not looks_like_given_name(name):
        return None
    parts = [p.strip() for p in name.split(",")]
    if len(parts) == 2 and all(parts) and len(parts[0].split()) == 1 and len(parts[1].split()) <= 2:
        name = f"{parts[1]} {parts[0]}"
    if name.isupper() or name.islower():
        name = " ".join(w[:1].upper() + w[1:].lower() for w in name.split())
    return name


# Consonants a given name may begin with before its first vowel, in the Latin-script names
# seen in local parts; "js", "tm", "mb" begin logins ("jsmith", "tmiller", "mbolton").
_ONSETS = _words(
    "b c d f g h j k l m n p q r s t v w x y z bl br ch chr cl cr dr dw fl fr gl gr gw kh kl kr "
    "ph pl pr qu sc sch sh shr sk sl sm sn sp st str sv sw th thr tr ts tw vl wh wr zh"
)
# Mailboxes named after what they do rather than who reads them.
_FUNCTIONS = _words(
    "billing security support sales press marketing engineering accounts finance legal ops it "
    "dev devops calendar invoices help feedback privacy abuse postmaster webmaster alerts "
    "notifications updates newsletter partners booking bookings applications apply admissions"
)


def looks_like_given_name(word: str) -> bool:
    """A one-word local part that is a given name ("marco", "priya"), not a login or a
    function: "jsmith" starts like no name, "jallen" is an initial and a word of the
    dictionary (J. Allen), "billing" names a task. When unsure, not a name: "Hello" is
    better than "Dear Jsmith"."""
    lowered = word.lower()
    if not (word.isalpha() and word.isascii() and 2 <= len(word) <= 12):
        return False
    if lowered in _NOT_NAMES or lowered in _FUNCTIONS:
        return False
    if not re.search(r"[aeiou]", lowered):
        return False
    onset = re.match(r"[^aeiouy]*", lowered)
    if onset is None or onset[0] == lowered or (onset[0] and onset[0] not in _ONSETS):
        return False
    from daemon.lexicon import frequency

    tail = lowered[1:]
    return not (len(tail) >= 3 and frequency(tail) > frequency(lowered))


def name_from_address(email: str) -> str | None:
    """ "jane.smith@..." -> "Jane Smith"; None when the local part is not clearly a name."""
    local = email.partition("@")[0].split("+")[0]
    parts = [p for p in re.split(r"[._]", local) if p]
    if not 2 <= len(parts) <= 3:
        return None
    if any(not re.fullmatch(r"[^\W\d_]+(?:-[^\W\d_]+)*", p) for p in parts):
        return None
    if any(p.lower() in _NOT_NAMES for p in parts):
        return None
    first, last = parts[0], parts[-1]
    if len(first) < 2 or len(last) < 2:
        return None
    middle = parts[1:-1]
    if middle and len(middle[0]) != 1:
        return None  # "jane.anne.smith" is fine as "Jane A. Smith" only when clearly an initial
    words = [first, *(m + "." for m in middle), last]
    return " ".join("-".join(w[:1].upper() + w[1:] for w in word.split("-")) for word in words)


# ------------------------------------------------------------------------------------------
# Company and role
# ------------------------------------------------------------------------------------------


def _company_domains(
    people: Sequence[Person], rules: DetectionRules, own: set[str]
) -> tuple[str, ...]:
    """Company domains, most common organisation first: each base domain, then its hosts."""
    own_domains = {registrable(a.rpartition("@")[2]) for a in own}
    counts: Counter[str] = Counter()
    hosts: dict[str, list[str]] = {}
    for person in people:
        host = person.email.rpartition("@")[2]
        base = registrable(host)
        if host in rules.freemail_domains or base in rules.freemail_domains:
            continue
        if base in own_domains or base in SERVICE_DOMAINS:
            continue
        counts[base] += 1
        hosts.setdefault(base, [])
        if host != base and host not in hosts[base]:
            hosts[base].append(host)
    return tuple(d for base, _ in counts.most_common() for d in (base, *hosts[base]))


def _own_names(event: CalendarEvent, own: set[str], candidate_name: str | None) -> list[str]:
    """The candidate's names: ``[candidate].name`` and the display names of their own entries.

    The user's own attendee entry names them even when the configured name is unknown to the
    caller, so "Alex <> Contoso" drops "Alex" either way.
    """
    names = [candidate_name] if candidate_name and candidate_name.strip() else []
    for a in [*event.attendees, *([event.organizer] if event.organizer else [])]:
        if _is_own(a, own) and (name := _clean_name(a.name, a.email.strip().lower())):
            names.append(name)
    return names


def _organizer_company(event: CalendarEvent) -> str | None:
    """The organiser's company as the provider states it; a hook, None today.

    No connector gives it yet (Google's and Outlook's event payloads carry only the organiser's
    address and display name; a directory lookup would need scopes followupd does not ask
    for). When one does, return it here: it ranks below ``[contacts]`` and above the domain.
    """
    del event
    return None


def _company(
    event: CalendarEvent,
    from_title: str | None,
    people: Sequence[Person],
    domains: Sequence[str],
    contacts: Mapping[str, Contact],
) -> tuple[str | None, str]:
    """The company and why: ``[contacts]``, the organiser's company, the domain, the title."""
    named = Counter(
        c.company for p in people if (c := contacts.get(p.email)) is not None and c.company
    )
    if named:
        company = named.most_common(1)[0][0]
        return company, f"company '{company}': from [contacts]"
    if organizer_company := _organizer_company(event):
        return organizer_company, f"company '{organizer_company}': the organiser's company"
    names = [p.name for p in people if p.name]
    if domains:
        return _company_of_domain(event.title, from_title, domains[0], names)
    if from_title:
        return from_title, f"company '{from_title}': from the title (no company domain)"
    return None, "company not named: no company domain and the title names none"


def _company_of_domain(
    title: str, from_title: str | None, domain: str, names: Sequence[str]
) -> tuple[str | None, str]:
    """The company at ``domain``, in the title's spelling when the title agrees with it.

    The title names another company more often by mistake (an agency, a copied invitation)
    than the attendees' domain does, so a disagreeing title is only mentioned in the reason.
    """
    base = registrable(domain)
    spelled = spelled_in_title(title, domain, from_title, names)
    if spelled:
        return spelled, f"company '{spelled}': from the title, agrees with {base}"
    guess = domain_display(domain)
    unlike = f"; the title's '{from_title}' does not agree" if from_title else ""
    if guess:
        return guess, f"company '{guess}': from the attendees' domain {base}{unlike}"
    return None, f"company not named: cannot tell how '{base}' is spelled{unlike}"


def _role(
    from_title: str | None, stages: Sequence[str], override: str | None
) -> tuple[str | None, str]:
    """The role and why: the user's override, else the title's job title, never a stage."""
    if override:
        return override, f"role '{override}': set for this interview"
    if from_title:
        return from_title, f"role '{from_title}': from the title"
    if stages:
        return None, f"role not taken: '{stages[0]}' is an interview stage"
    return None, "role not named: the title names none"
