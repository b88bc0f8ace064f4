"""A world for fault tests: a provider account and a local account, the real engine, simulated
time, and the fake servers of the provider with their fault controls (tests/fakes/faults.py).

Used by tests/test_api_faults.py and tests/test_liveness.py. The provider account (Google as
"gmail" or Outlook as "work") is built from the providers' own classes with a short HTTP
timeout and recorded retry waits; the local account ("home", ics + Maildir) comes through the
registry as in the daemon, and is listed second: whatever happens to the provider, it keeps
getting its drafts. ``tick(at)`` is one poll plus the due work at simulated time ``at``.
"""

from __future__ import annotations

import io
import mailbox
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import select

from connectors.google.calendar import GoogleCalendar
from connectors.google.gmail import GoogleMailbox
from connectors.google.http import GoogleSession, NoResendHttp
from connectors.google.retry import RetryPolicy
from connectors.outlook import PROVIDER as OUTLOOK
from connectors.outlook import forget_runtimes
from connectors.outlook.auth import MsalTokens
from connectors.outlook.calendar import OutlookCalendar
from connectors.outlook.http import Graph, PinnedSession
from connectors.outlook.mail import KEY_PROPERTY, OutlookMailbox
from connectors.outlook.settings import resolve
from daemon import config as config_mod
from daemon.clock import FrozenClock
from daemon.output.tables import print_status
from daemon.protocols import AccountContext
from daemon.running.accounts import connect, context
from daemon.running.engine import Connection, Engine
from daemon.store.database import open_store
from daemon.store.models import AccountState, FollowUp, ProblemRecord
from daemon.writing.render import Renderer
from tests.fakes.faults import Fault, FaultPlan, google_endless, graph_endless
from tests.fakes.google_server import GoogleFake, start_google_server
from tests.fakes.graph_server import MicrosoftFakes, start_microsoft
from tests.harness import Event, Person

START = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # a Wednesday
END = START + timedelta(hours=1)
PLAN = END + timedelta(minutes=10)  # a poll that plans the thank-yous (due one hour after END)
DUE = END + timedelta(hours=1, minutes=1)
TIMEOUT = 1.0  # the connectors' HTTP read timeout in these tests (a request takes ~5 ms; 0.3 s was
# exceeded now and then with two test workers on two cores, and an extra retry broke a count)
LOCAL = ["Gina Grant <gina@globex.example>", "Omar Ortiz <omar@globex.example>"]
GOOGLE_PEOPLE = ("jane@acme.example", "raj@acme.example")
OUTLOOK_PEOPLE = ("ian@initech.example", "pam@initech.example")
EVENTS = "calendar.events.list"
DELTA = "/me/calendarView/delta"


def google_interview() -> dict[str, Any]:
    def moment(value: datetime) -> dict[str, str]:
        return {"dateTime": value.strftime("%Y-%m-%dT%H:%M:%SZ"), "timeZone": "Europe/Berlin"}

    jane = {"email": GOOGLE_PEOPLE[0], "displayName": "Jane Smith"}
    return {
        "id": "acme1",
        "summary": "Interview: Acme (Backend Engineer)",
        "description": "Jane: the billing migration\nRaj: on-call reviews",
        "start": moment(START),
        "end": moment(END),
        "organizer": jane,
        "attendees": [
            {**jane, "organizer": True, "responseStatus": "accepted"},
            {"email": GOOGLE_PEOPLE[1], "displayName": "Raj Patel", "responseStatus": "accepted"},
            {"email": "me@example.com", "self": True, "responseStatus": "accepted"},
        ],
    }


def seed_outlook(ms: MicrosoftFakes) -> str:
    return ms.graph.add_event(
        "Initech - conversation with the platform team",
        START,
        END,
        attendees=(
            (OUTLOOK_PEOPLE[0], "Ian Interviewer", "required", "accepted"),
            (OUTLOOK_PEOPLE[1], "Pam Panelist", "required", "accepted"),
            ("casey@contoso.example", "Casey Candidate", "required", "accepted"),
        ),
        organizer=(OUTLOOK_PEOPLE[0], "Ian Interviewer"),
        categories=("Interview",),
        body="Ian: event sourcing\nPam: on-call",
    )


# --------------------------------------------------------------------------------------------
# The world: a provider account and a local account, the real engine, simulated time
# --------------------------------------------------------------------------------------------


@dataclass
class World:
    root: Path
    kind: str  # "google" or "outlook"
    google: GoogleFake | None
    ms: MicrosoftFakes | None
    clock: FrozenClock
    engine: Engine
    config: config_mod.Config
    slept: list[float] = field(default_factory=list)

    @property
    def name(self) -> str:
        return "gmail" if self.kind == "google" else "work"

    @property
    def faults(self) -> FaultPlan:
        return self.google.state.faults if self.google else self.ms.graph.faults  # type: ignore[union-attr]

    @property
    def people(self) -> tuple[str, str]:
        return GOOGLE_PEOPLE if self.kind == "google" else OUTLOOK_PEOPLE

    def tick(self, at: datetime) -> None:
        """One poll plus the due work, at simulated time ``at``."""
        self.clock.set(at)
        if self.google:
            self.google.state.clock = at
        else:
            self.ms.graph.clock = lambda: at  # type: ignore[union-attr]
        self.engine.poll()
        self.engine.run_due()

    # -- the outside world -------------------------------------------------------------------

    def new_interview(self, n: int, start: datetime) -> tuple[str, str]:
        """Another interview (company Co<n>, two interviewers) in the provider's calendar."""
        people = (f"lee{n}@co{n}.example", f"kim{n}@co{n}.example")
        title = f"Interview: Co{n} (Engineer)"
        if self.google:
            stamp = "%Y-%m-%dT%H:%M:%SZ"
            self.google.state.put_event(
                {
                    "id": f"iv{n}",
                    "summary": title,
                    "start": {"dateTime": start.strftime(stamp)},
                    "end": {"dateTime": (start + timedelta(hours=1)).strftime(stamp)},
                    "organizer": {"email": people[0]},
                    "attendees": [
                        {"email": people[0], "organizer": True, "responseStatus": "accepted"},
                        {"email": people[1], "responseStatus": "accepted"},
                        {"email": "me@example.com", "self": True, "responseStatus": "accepted"},
                    ],
                }
            )
        else:
            self.ms.graph.add_event(  # type: ignore[union-attr]
                title,
                start,
                start + timedelta(hours=1),
                attendees=(
                    (people[0], f"Lee {n}", "required", "accepted"),
                    (people[1], f"Kim {n}", "required", "accepted"),
                    ("casey@contoso.example", "Casey", "required", "accepted"),
                ),
                organizer=(people[0], f"Lee {n}"),
            )
        return people

    def user_sends_a_draft(self, rng: random.Random, at: datetime) -> None:
        """The user sends one of the waiting drafts (chosen by ``rng``) from the web mail."""
        if self.google:
            state = self.google.state
            if state.drafts:
                state.send_draft_as_user(rng.choice(sorted(state.drafts)), at=at)
            return
        graph = self.ms.graph  # type: ignore[union-attr]
        drafts = sorted(d["id"] for d in graph.drafts())
        if drafts:
            graph.user_sends(rng.choice(drafts), at)

    # -- what the provider saw ---------------------------------------------------------------

    def requests(self, match: str = "") -> int:
        """Requests that reached the fake API (token requests excluded) matching ``match``."""
        if self.google:
            return sum(1 for r in self.google.state.api_requests() if match in r.method)
        return sum(1 for r in self.ms.graph.log if match in f"{r.method} {r.path}")  # type: ignore[union-attr]

    def mark(self) -> int:
        return len(self.google.state.requests) if self.google else len(self.ms.graph.log)  # type: ignore[union-attr]

    def since(self, mark: int, match: str = "") -> int:
        if self.google:
            rows = self.google.state.requests[mark:]
            return sum(1 for r in rows if match in f"{r.http_method} {r.method}")
        return sum(1 for r in self.ms.graph.log[mark:] if match in f"{r.method} {r.path}")  # type: ignore[union-attr]

    def draft_keys(self) -> list[str]:
        """What names the KEY of every draft in the provider's mailbox (duplicates kept): in
        Gmail the Message-ID derived from it (nothing in a draft names the KEY, issue 10), in
        Outlook the KEY itself, in the draft's extended property."""
        if self.google:
            state = self.google.state
            return sorted(
                str(state.messages[m].header("Message-ID")) for m in state.drafts.values()
            )
        graph = self.ms.graph  # type: ignore[union-attr]
        return sorted(graph.extended(d["id"]).get(KEY_PROPERTY, "?") for d in graph.drafts())

    def drafted_to(self) -> list[str]:
        if self.google:
            state = self.google.state
            return sorted(
                parseaddr(str(state.messages[m].header("To")))[1].lower()
                for m in state.drafts.values()
            )
        keys = self.draft_keys()
        return sorted(k.split(":")[3] for k in keys)

    def local_drafts(self) -> list[str]:
        drafts = mailbox.Maildir(self.root / "mail", create=False).get_folder("Drafts")
        return sorted(str(drafts.get_message(k)["To"]) for k in drafts.iterkeys())

    # -- what followupd knows ----------------------------------------------------------------

    def account(self, name: str | None = None) -> AccountState:
        with self.engine.sessions() as session:
            row = session.get(AccountState, name or self.name)
            assert row is not None
            session.expunge(row)
            return row

    def followups(self) -> dict[tuple[str, str], tuple[int, str]]:
        """(account, interviewer) -> (row id, state) of every thank-you."""
        with self.engine.sessions() as session:
            rows = session.scalars(select(FollowUp).where(FollowUp.kind == "thank_you")).all()
            return {(fu.interview.account, fu.interviewer.email): (fu.id, fu.state) for fu in rows}

    def status(self) -> str:
        """What ``followupd status`` prints (the same function, into a string)."""
        console = Console(file=io.StringIO(), width=400, color_system=None)
        with self.engine.sessions() as session:
            print_status(console, session, self.config, self.clock.now())
        return console.file.getvalue()  # type: ignore[attr-defined]

    def status_row(self, name: str | None = None) -> str:
        wanted = name or self.name
        for line in self.status().splitlines():
            cells = [c.strip() for c in line.split("│")]
            if len(cells) == 7 and cells[1] == wanted:
                return " | ".join(cells[2:6])
        raise AssertionError(f"no status row for {wanted}:\n{self.status()}")


def _config_text(world_root: Path, kind: str, google: GoogleFake | None, ms: Any) -> str:
    if kind == "google":
        assert google is not None
        token = world_root / "state" / "accounts" / "gmail" / "google-token.json"
        provider = f"""
[[accounts]]
name = "gmail"
addresses = ["me@example.com"]
calendar = {{ provider = "google" }}
mailbox = {{ provider = "google" }}

[accounts.google]
{google.account_toml(world_root, token_file=token)}
"""
    else:
        provider = f"""
[[accounts]]
name = "work"
addresses = ["casey@contoso.example"]
calendar = {{ provider = "outlook" }}
mailbox = {{ provider = "outlook" }}

[accounts.outlook]
client_id = "{ms.authority.client_id}"
graph_root = "{ms.graph_root}"
authority_host = "{ms.authority_host}"
ca_bundle = "{ms.ca_bundle}"
"""
    return f"""
[daemon]
timezone = "Europe/Berlin"
state_dir = "state"
database = "sqlite:///{world_root / "state.db"}"
poll_interval = "5m"

[candidate]
name = "Alex Candidate"

[days]
holidays = []
{provider}
[[accounts]]
name = "home"
addresses = ["alex@example.org"]
calendar = {{ provider = "ics", path = "cal" }}
mailbox = {{ provider = "maildir", path = "mail" }}
"""


def local_files(root: Path, start: datetime = START) -> None:
    """The local account's calendar folder (an interview at ``start``) and Maildir."""
    (root / "cal").mkdir()
    box = mailbox.Maildir(root / "mail", create=True)
    for folder in ("Drafts", "Sent"):
        box.add_folder(folder)
    globex = Event(
        "globex-1",
        start,
        60,
        "Interview: Globex (Data Engineer)",
        [Person("Gina Grant", "gina@globex.example"), Person("Omar Ortiz", "omar@globex.example")],
    )
    (root / "cal" / "globex.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + globex.ics()
        + "\r\nEND:VCALENDAR\r\n",
        newline="",
    )


def _google_connection(
    config: config_mod.Config, account: config_mod.Account, clock: FrozenClock, slept: list[float]
) -> Connection:
    """The Google provider's own classes, with a short timeout and recorded retry waits."""
    ctx = context(config, account, clock)
    options = account.options_for("google")

    def session() -> GoogleSession:
        return GoogleSession(
            ctx,
            options,
            policy=RetryPolicy(sleep=slept.append, jitter=lambda: 0.0),
            http_factory=lambda: NoResendHttp(timeout=TIMEOUT, ca_certs=str(options["ca_bundle"])),
        )

    return Connection(
        account,
        GoogleCalendar(session(), ctx, {"calendars": ["primary"]}),
        GoogleMailbox(session(), ctx, {}),
    )


def outlook_graph(
    world_config: config_mod.Config, ctx: AccountContext, slept: list[float]
) -> Graph:
    """The Outlook provider's HTTP layer, with a short timeout and recorded retry waits."""
    settings = resolve(ctx, world_config.account(ctx.name).options_for("outlook"))
    http = PinnedSession(settings.ca_bundle, timeout=(2.0, TIMEOUT))
    tokens = MsalTokens(settings, http, ctx.addresses)
    return Graph(settings.graph_base, tokens, http, fix=settings.fix, sleep=slept.append)


def _outlook_connection(
    config: config_mod.Config, account: config_mod.Account, clock: FrozenClock, slept: list[float]
) -> Connection:
    """The Outlook provider's own classes, with a short timeout and recorded retry waits."""
    ctx = context(config, account, clock)
    graph = outlook_graph(config, ctx, slept)
    return Connection(account, OutlookCalendar(graph, ctx, []), OutlookMailbox(graph, ctx))


def make_world(root: Path, kind: str) -> World:
    google = ms = None
    (root / "fake").mkdir()
    if kind == "google":
        google = start_google_server(root / "fake")
        google.state.put_event(google_interview())
    else:
        ms = start_microsoft(root / "fake")
        ms.sign_in()
        seed_outlook(ms)
    local_files(root)
    path = root / "config.toml"
    path.write_text(_config_text(root, kind, google, ms))
    config = config_mod.load(path)
    clock = FrozenClock(PLAN)
    slept: list[float] = []
    connections = []
    for account in config.accounts:
        if account.calendar.provider == "google":
            token = account.options_for("google")["token_file"]
            token.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            google.authorize_token(token)  # type: ignore[union-attr]
            connections.append(_google_connection(config, account, clock, slept))
        elif account.calendar.provider == "outlook":
            ctx = context(config, account, clock)
            OUTLOOK.authorize(ctx, account.options_for("outlook"), lambda _line: None)
            forget_runtimes()
            connections.append(_outlook_connection(config, account, clock, slept))
        else:
            connections.append(connect(config, account, clock))
    t, s = config.thank_you, config.status_inquiry
    engine = Engine(
        config,
        open_store(config.daemon.database),
        connections,
        clock,
        Renderer(t.template, t.html_template, s.template, s.html_template),
    )
    return World(root, kind, google, ms, clock, engine, config, slept)


def close_world(made: World) -> None:
    made.faults.calm()
    if made.google:
        made.google.stop()
        made.google.check()  # no send call, no request the real API would refuse
    if made.ms:
        made.ms.stop()
        assert made.ms.graph.violations == [], made.ms.graph.violations


def planned(world: World) -> dict[tuple[str, str], tuple[int, str]]:
    """A first, fault-free poll: both accounts' thank-yous are planned (due one hour later)."""
    world.tick(PLAN)
    found = world.followups()
    assert sorted(email for _, email in found) == sorted(
        [*world.people, "gina@globex.example", "omar@globex.example"]
    )
    assert {state for _, state in found.values()} == {"scheduled"}
    return found


def exactly_once(world: World) -> None:
    """No key has two drafts; the first interview's thank-yous are drafted, once, and say so."""
    keys = world.draft_keys()
    assert len(keys) == len(set(keys)), f"duplicate drafts: {Counter(keys).most_common(3)}"
    assert [p for p in world.drafted_to() if p in world.people] == sorted(world.people)
    assert world.local_drafts() == LOCAL
    first = {*world.people, "gina@globex.example", "omar@globex.example"}
    states = {email: st for (_, email), (_, st) in world.followups().items() if email in first}
    assert set(states.values()) == {"drafted"}, states


# --------------------------------------------------------------------------------------------
# Transient faults: retried a bounded number of times, then the account backs off


def calendar_listing(world: World) -> str:
    return "GET calendar.events.list" if world.google else "GET /me/calendarView/delta"


def draft_creation(world: World) -> str:
    return "POST gmail.users.drafts.create" if world.google else "POST /me/messages"


def endless(world: World) -> Fault:
    mutate = google_endless() if world.google else graph_endless(world.ms.graph.base_url)  # type: ignore[union-attr]
    return Fault("mutate", mutate=mutate)


def problems(world: World) -> list[tuple[str, str, str]]:
    """The "Skipped input" rows of ``followupd status``: (account, item, problem)."""
    with world.engine.sessions() as session:
        return [(p.account, p.item, p.message) for p in session.scalars(select(ProblemRecord))]
