"""A job seeker's calendar and mailbox, for the many-user fakes (tests/fakes/serve.py).

Each user gets the same kind of month, drawn from their own seeded random generator:

- interviews past (2 to 25 days ago), some answered by the user's own thank-you mail and some
  of those by a reply from the interviewer; one that ended a few hours ago for about half the
  users (its thank-yous are due at once: the first poll drafts them); upcoming ones; and one
  "during the run" interview that :func:`arrange_google` / :func:`arrange_graph` move so its
  thank-yous come due while the benchmark's service runs;
- interviews have one to three interviewers at one company each, recognised by a keyword in the
  title or (Outlook) the "Interview" category;
- the rest of the events are not interviews: study groups, a coach, a dentist, friends on
  free-mail addresses, a coffee chat with someone at a company but no interview word;
- a few newsletters in the inbox.

Times of day are about half a day away from the moment of seeding, so nothing but the recent
and the moved interviews comes due during a benchmark of a few hours (a status inquiry is due
at the same time of day as the message it follows up on, some business days later).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.google_state import FakeGoogleState
from tests.fakes.graph_server import GraphState

COMPANIES = [
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises",
    "Soylent", "Tyrell", "Cyberdyne", "Wonka", "Vandelay", "Pied Piper", "Aperture", "Black Mesa",
    "Massive Dynamic", "Oscorp", "Gringotts", "Monarch", "Dunder Mifflin", "Prestige Worldwide",
    "Nakatomi", "Virtucon", "Blue Sun", "Weyland", "Duff", "Gekko", "Sterling Cooper", "Ollivanders",
    "Bluth", "Kramerica", "Rekall", "Omni", "Zorg", "Tessier-Ashpool", "Yoyodyne", "Ghostbusters",
]  # fmt: skip
ROLES = [
    "Backend Engineer", "Data Engineer", "Product Manager", "Frontend Developer", "SRE",
    "Data Scientist", "UX Designer", "Platform Engineer", "QA Engineer", "Engineering Manager",
]  # fmt: skip
FIRST = [
    "Jane", "Raj", "Mei", "Omar", "Lena", "Tom", "Ana", "Ivan", "Sara", "Kofi", "Yuki", "Pedro",
    "Nora", "Liam", "Aisha", "Bo", "Chen", "Dana", "Eli", "Fatima", "Gus", "Hana", "Igor", "Jo",
]  # fmt: skip
LAST = [
    "Smith", "Patel", "Wong", "Haddad", "Berg", "Novak", "Silva", "Petrov", "Kim", "Mensah",
    "Tanaka", "Garcia", "Olsen", "Murphy", "Khan", "Larsen", "Li", "Cohen", "Fischer", "Rossi",
]  # fmt: skip
TITLES = [
    "Interview: {company} ({role})",
    "{company} phone screen",
    "Technical interview - {company}",
    "Onsite: {company} {role}",
    "Hiring manager chat ({company})",
    "{company} - panel with the team",
]
OTHER = [
    "Study group", "Career coaching", "Dentist", "Gym", "Lunch with {friend}",
    "Coffee chat with {contact}", "Portfolio review", "Bootcamp lecture", "Call with mom",
    "Networking meetup", "Mock interview practice", "Interview prep with {friend}",
]  # fmt: skip
NEWSLETTERS = ["jobs@board.example", "news@techweekly.example", "noreply@meetup.example"]


@dataclass
class Meeting:
    """An event, provider-neutral: the writers below turn it into Google or Graph events."""

    title: str
    start: datetime
    end: datetime
    people: list[tuple[str, str]]  # (address, name), the user excluded
    organizer: tuple[str, str] | None = None  # None: the user organizes it
    category: str | None = None  # an Outlook category
    description: str = ""
    key: str = ""  # "during": the interview arrange_* moves


@dataclass
class Mail:
    """A message: received from ``sender`` (to the user), or sent by the user to ``to``."""

    at: datetime
    subject: str
    sender: tuple[str, str] | None = None
    to: tuple[str, str] | None = None


@dataclass
class Plan:
    meetings: list[Meeting] = field(default_factory=list)
    mail: list[Mail] = field(default_factory=list)


def plan(index: int, events: int, now: datetime, seed: int = 1, categories: bool = True) -> Plan:
    """User ``index``'s month: ``events`` events in all (at least 12), and their mail.

    ``categories``: the provider has calendar categories (Outlook), so some interviews are
    known by their "Interview" category instead of a word in the title. Google has none that
    followupd reads by default: there every interview has its word, or the benchmark would
    count drafts due for meetings no one could tell are interviews.
    """
    rng = random.Random(seed * 1_000_003 + index)
    # About half a day away from now, give or take two hours: see the module docstring.
    odd = now.replace(second=0, microsecond=0) + timedelta(hours=12)
    out = Plan()
    companies = rng.sample(COMPANIES, 12)
    used: set[str] = set()

    def people(company: str, count: int) -> list[tuple[str, str]]:
        domain = company.lower().replace(" ", "").replace("-", "") + ".example"
        found = []
        while len(found) < count:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            address = f"{first}.{last}@{domain}".lower()
            if address not in used:
                used.add(address)
                found.append((address, f"{first} {last}"))
        return found

    def interview(end: datetime, key: str = "") -> Meeting:
        company = companies.pop()
        who = people(company, rng.choice((1, 1, 2, 2, 3)))
        title = rng.choice(TITLES).format(company=company, role=rng.choice(ROLES))
        category = None
        if categories and rng.random() < 0.2:  # no interview word: the category says it
            title, category = f"{company} - meet the team", "Interview"
        topics = "\n".join(
            f"{name.split()[0]}: {rng.choice(ROLES).lower()} work" for _, name in who
        )
        minutes = rng.choice((30, 45, 60, 90))
        return Meeting(
            title, end - timedelta(minutes=minutes), end, who, who[0], category, topics, key
        )

    for days in rng.sample(range(2, 26), 6):  # past interviews
        meeting = interview(odd - timedelta(days=days, minutes=rng.randrange(-120, 120)))
        out.meetings.append(meeting)
        if rng.random() < 0.6:  # the user thanked them by hand: an inquiry can follow
            sent = meeting.end + timedelta(hours=20, minutes=rng.randrange(0, 60))
            out.mail.append(Mail(sent, f"Thank you - {meeting.title}", to=meeting.people[0]))
            if rng.random() < 0.4:
                answer = sent + timedelta(days=1, minutes=rng.randrange(0, 120))
                out.mail.append(Mail(answer, f"Re: Thank you - {meeting.title}", meeting.people[0]))
    if rng.random() < 0.5:  # ended a few hours ago: its thank-yous are due at the first poll
        out.meetings.append(interview(now - timedelta(hours=2 + rng.random() * 6)))
    for days in rng.sample(range(1, 60), 4):  # upcoming
        out.meetings.append(interview(odd + timedelta(days=days, minutes=rng.randrange(0, 120))))
    out.meetings.append(interview(odd + timedelta(days=3), key="during"))
    while len(out.meetings) < events:
        day = rng.randrange(-29, 60)
        start = odd + timedelta(days=day, minutes=rng.randrange(-180, 180))
        friend = (f"friend{rng.randrange(99)}@gmail.com", rng.choice(FIRST))
        contact = people(rng.choice(COMPANIES), 1)[0]
        title = rng.choice(OTHER).format(friend=friend[1], contact=contact[1])
        who = [contact] if "{contact}" in title or rng.random() < 0.1 else []
        who += [friend] if rng.random() < 0.5 else []
        out.meetings.append(Meeting(title, start, start + timedelta(minutes=60), who))
    out.mail = [m for m in out.mail if m.at < now]  # nothing from the future
    for n in range(8):
        at = odd - timedelta(days=rng.randrange(1, 29), minutes=rng.randrange(0, 240))
        out.mail.append(Mail(at, f"Weekly digest #{n}", (rng.choice(NEWSLETTERS), "Digest")))
    return out


# -- Google ------------------------------------------------------------------------------------


def _google_time(value: datetime) -> dict[str, str]:
    return {"dateTime": value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "timeZone": "UTC"}


def google_event(meeting: Meeting, me: str) -> dict[str, Any]:
    organizer = meeting.organizer or (me, "Me")
    attendees = [
        {
            "email": address,
            "displayName": name,
            "responseStatus": "accepted",
            **({"organizer": True} if address == organizer[0] else {}),
        }
        for address, name in meeting.people
    ]
    attendees.append({"email": me, "self": True, "responseStatus": "accepted"})
    return {
        "summary": meeting.title,
        "description": meeting.description,
        "start": _google_time(meeting.start),
        "end": _google_time(meeting.end),
        "organizer": {"email": organizer[0], "displayName": organizer[1]},
        "attendees": attendees if meeting.people else [],
    }


def seed_google(state: FakeGoogleState, world: Plan) -> dict[str, str]:
    """Put ``world`` into a Google user's state; returns the ids of keyed events by key."""
    keyed: dict[str, str] = {}
    for meeting in world.meetings:
        stored = state.put_event(google_event(meeting, state.email))
        if meeting.key:
            keyed[meeting.key] = stored["id"]
    for mail in sorted(world.mail, key=lambda m: m.at):
        if mail.to is not None:
            state.user_sends(mail.to[0], mail.subject, at=mail.at)
        elif mail.sender is not None:
            state.receive(f"{mail.sender[1]} <{mail.sender[0]}>", mail.subject, at=mail.at)
    return keyed


def arrange_google(state: FakeGoogleState, event_id: str, end: datetime) -> list[str]:
    """Move the event to end at ``end`` (the organizer rescheduled it); returns its people."""
    with state.lock:
        event = dict(state.calendars[state.email].events[event_id])
        length = datetime.fromisoformat(event["end"]["dateTime"]) - datetime.fromisoformat(
            event["start"]["dateTime"]
        )
        event.update(start=_google_time(end - length), end=_google_time(end))
        state.put_event(event)
    return [a["email"] for a in event["attendees"] if not a.get("self")]


# -- Microsoft Graph ---------------------------------------------------------------------------


def seed_graph(state: GraphState, world: Plan) -> dict[str, str]:
    """Put ``world`` into a Graph user's state; returns the ids of keyed events by key."""
    me = state.user["mail"]
    keyed: dict[str, str] = {}
    for meeting in world.meetings:
        attendees = tuple((a, n, "required", "accepted") for a, n in meeting.people)
        ident = state.add_event(
            meeting.title,
            meeting.start,
            meeting.end,
            attendees=(*attendees, (me, state.user["displayName"], "required", "accepted")),
            organizer=meeting.organizer or (me, state.user["displayName"]),
            is_organizer=meeting.organizer is None,
            categories=(meeting.category,) if meeting.category else (),
            body=meeting.description,
        )
        if meeting.key:
            keyed[meeting.key] = ident
    for mail in sorted(world.mail, key=lambda m: m.at):
        if mail.to is not None:
            state.user_writes(mail.to[0], mail.subject, name=mail.to[1], at=mail.at)
        elif mail.sender is not None:
            state.deliver(mail.sender[0], mail.subject, received=mail.at, name=mail.sender[1])
    return keyed


def arrange_graph(state: GraphState, event_id: str, end: datetime) -> list[str]:
    """Move the event to end at ``end``; returns its people (the user left out)."""
    with state.lock:
        _, event = state._event(event_id)
        length = event["end"] - event["start"]
        state.update_event(event_id, start=end - length, end=end)
        people = [a["emailAddress"]["address"] for a in event["attendees"]]
    return [p for p in people if p.lower() != state.user["mail"].lower()]
