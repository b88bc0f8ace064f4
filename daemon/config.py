"""The one TOML file, loaded, validated and turned into typed settings.

Validation collects every problem before it reports, and every problem names the file, the
key, what was expected and what was found::

    config.toml: [thank_you].delay: expected a duration like '90m' or '2h', got 'soon'

Unknown sections and keys are errors. Provider tables are validated by the provider's own
schema (:mod:`daemon.options`), looked up by name through :mod:`daemon.registry`.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from daemon import options as o
from daemon import paths
from daemon.errors import ConfigError
from daemon.registry import UnknownProvider, known, provider
from daemon.writing import phrases
from daemon.writing.prose import SALUTATION_STYLES

MAX_THANK_YOU_DELAY = timedelta(hours=24)
# Polling less than daily would miss interviews booked for the next day; far larger values
# overflowed the scheduler's date arithmetic at start.
MAX_POLL_INTERVAL = timedelta(hours=24)
MAX_ACCOUNT_NAME = 100  # accounts.name and the other account columns (store/models.py)

DEFAULT_KEYWORDS = [
    "interview",
    "phone screen",
    "phone interview",
    "technical screen",
    "tech screen",
    "onsite",
    "on-site",
    "hiring manager",
    "recruiter call",
    "recruiter screen",
    "panel",
    "final round",
    "coding challenge review",
    "case study",
    "entrevista",
]
# Every shipped language brings its own title words ("Telefoninterview": German compounds are
# no whole-word "interview").
DEFAULT_KEYWORDS += [
    k for lang in phrases.shipped().values() for k in lang.interview_keywords
    if k not in DEFAULT_KEYWORDS
]  # fmt: skip

# Free-mail domains never identify a company.
DEFAULT_FREEMAIL = [
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me",
    "protonmail.com", "gmx.de", "gmx.net", "web.de", "mail.com", "zoho.com", "fastmail.com",
    "yandex.ru", "qq.com", "163.com",
]  # fmt: skip

# Local parts that are never a person.
DEFAULT_BOT_PATTERNS = [
    r"^no-?reply", r"^do-?not-?reply", r"^notifications?$", r"^calendar", r"^mailer-daemon",
    r"^postmaster", r"^bounce", r"^resource\.", r"^room[-_.]", r"@resource\.calendar\.google\.com$",
    r"@group\.calendar\.google\.com$", r"^scheduler", r"^invites?$", r"^meetings?$", r"^bot[-_.@]",
]  # fmt: skip


@dataclass(frozen=True)
class DaemonSettings:
    poll_interval: timedelta
    timezone: str
    state_dir: Path
    database: str  # SQLAlchemy URL
    sync_past: timedelta  # how far back the calendar window reaches
    sync_ahead: timedelta
    log_level: str
    concurrency: int = 16  # accounts worked at once (daemon/running/workers.py)
    provider_concurrency: dict[str, int] = field(default_factory=dict)  # at once, per provider
    # Several instances on one PostgreSQL: how long a dead instance's accounts wait at most
    # before another instance takes them (daemon/running/leases.py).
    lease_period: timedelta = timedelta(seconds=60)
    # One more account per *.toml file here (daemon/accountsdir.py), picked up while running.
    accounts_dir: Path | None = None
    metrics_port: int | None = None  # Prometheus metrics (daemon/metrics.py); None: off
    metrics_address: str = "127.0.0.1"
    # A change to an account's local files (.ics, Maildir) or a new message in its IMAP INBOX
    # polls that account within seconds instead of at the next poll (daemon/running/wakeups.py).
    wake_on_change: bool = True


@dataclass(frozen=True)
class Candidate:
    name: str
    highlights: tuple[str, ...]
    signature: str
    phone: str
    links: tuple[str, ...]


@dataclass(frozen=True)
class DetectionRules:
    keywords: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    exclude_keywords: tuple[str, ...]
    calendars: tuple[str, ...]  # empty: all calendars of the account
    tags: tuple[str, ...]  # provider tags that mark an interview ("category:Interview")
    include_domains: tuple[str, ...]  # an attendee from one of these makes it an interview
    exclude_domains: tuple[str, ...]  # an attendee from one of these vetoes it
    force_tag: str  # in the description: always an interview
    suppress_tag: str  # in the description: never
    require_other_attendee: bool
    include_all_day: bool
    freemail_domains: frozenset[str]
    bot_patterns: tuple[re.Pattern[str], ...]
    # An invitation may list thousands of addresses (a stranger's, or a company all-hands): past
    # this many, thank-yous wait for the user's word (`followupd note ID --max-interviewers N`).
    max_interviewers: int = 20


@dataclass(frozen=True)
class ThankYouSettings:
    enabled: bool
    delay: timedelta
    max_lateness: timedelta
    template: Path | None
    html_template: Path | None
    # Without notes given yet, the thank-you waits this long after the end (when longer than
    # ``delay``) for them; 0 = never waits (planning/notes_window.py).
    wait_for_notes: timedelta = timedelta(0)


@dataclass(frozen=True)
class InquirySettings:
    enabled: bool
    after_business_days: int
    spacing_business_days: int
    max_per_process: int
    max_lateness: timedelta
    template: Path | None
    html_template: Path | None


@dataclass(frozen=True)
class CalendarDays:
    holidays: frozenset[date]
    weekend: frozenset[int]  # ISO weekday numbers, 6 = Saturday, 7 = Sunday


@dataclass(frozen=True)
class NotifySettings:
    """Who hears that the user's input is wanted (daemon/notify/): any combination of these."""

    desktop: bool = False  # freedesktop notifications on the session bus
    apprise: tuple[str, ...] = ()  # Apprise URLs (secrets: never logged)
    command: tuple[str, ...] = ()  # a hook: program and arguments, run without a shell
    timeout: timedelta = timedelta(seconds=10)  # each notifier, each event

    @property
    def any(self) -> bool:
        return self.desktop or bool(self.apprise) or bool(self.command)


@dataclass(frozen=True)
class Contact:
    name: str | None
    title: str | None  # job title, e.g. "Engineering Manager"
    honorific: str | None  # e.g. "Dr.", used in the salutation
    company: str | None


@dataclass(frozen=True)
class ProviderSection:
    provider: str
    options: dict[str, Any]


@dataclass(frozen=True)
class Account:
    name: str
    addresses: tuple[str, ...]
    sender_name: str | None
    calendar: ProviderSection
    mailbox: ProviderSection
    provider_options: dict[str, dict[str, Any]]  # [accounts.<provider>] tables, validated
    # How drafts greet people: "first_name" ("Dear Jane") or "formal" ("Dear Dr. Chen" where
    # the honorific is known, else "Dear Jane Smith"); see daemon.prose.address_parts. Per
    # account because one mailbox may be for a job search where first names are usual and
    # another for one where they are not.
    salutation: str = "first_name"
    # The language drafts are written in: a folder of daemon/writing/languages/ ("en", "de");
    # `followupd note ID --language` overrides it for one interview.
    language: str = phrases.DEFAULT
    # The file of [daemon].accounts_dir it comes from; None: the main config file.
    source: Path | None = None

    def options_for(self, provider_name: str) -> dict[str, Any]:
        return self.provider_options.get(provider_name, {})


@dataclass(frozen=True)
class SkippedFile:
    """A file of ``[daemon].accounts_dir`` that holds no usable account, and every problem."""

    path: Path
    problems: tuple[str, ...]


@dataclass(frozen=True)
class Config:
    path: Path
    daemon: DaemonSettings
    candidate: Candidate
    detection: DetectionRules
    thank_you: ThankYouSettings
    status_inquiry: InquirySettings
    days: CalendarDays
    contacts: dict[str, Contact]  # by lower-cased e-mail address
    accounts: tuple[Account, ...]
    extra: dict[str, Any] = field(default_factory=dict)
    notify: NotifySettings = field(default_factory=NotifySettings)
    # Files of [daemon].accounts_dir that could not be read as an account, and why: skipped,
    # shown by `check` and `status` (daemon/accountsdir.py).
    skipped: tuple[SkippedFile, ...] = ()

    def account(self, name: str) -> Account:
        for account in self.accounts:
            if account.name == name:
                return account
        known = ", ".join(a.name for a in self.accounts) or "none"
        raise ConfigError([f"{self.path}: no account named {name!r} (accounts: {known})"])


# ------------------------------------------------------------------------------------------
# Schemas
# ------------------------------------------------------------------------------------------

WEEKDAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}


def _weekday(value: Any) -> int:
    if isinstance(value, str) and value[:3].lower() in WEEKDAYS:
        return WEEKDAYS[value[:3].lower()]
    raise o.Invalid("a weekday name like 'sat'")


def _weekend(value: Any) -> list[int]:
    days = o.list_of(_weekday, "weekday names")(value)
    if len(set(days)) == len(WEEKDAYS):
        # Business days could never be counted: status inquiries would never come due.
        raise o.Invalid("weekday names that leave at least one business day", "all seven days")
    return days


def _level(value: Any) -> str:
    return o.choice("debug", "info", "warning", "error")(value)


# A lease is renewed every quarter period: below 4 s that is more than one small transaction a
# second per instance; above an hour a dead instance's accounts would wait that long.
MIN_LEASE_PERIOD, MAX_LEASE_PERIOD = timedelta(seconds=4), timedelta(hours=1)


def _lease_period(value: Any) -> timedelta:
    period = o.duration(value)
    if not MIN_LEASE_PERIOD <= period <= MAX_LEASE_PERIOD:
        raise o.Invalid("a duration of at least 4s and at most 1h, like '60s'")
    return period


def _database(value: Any) -> str:
    if not isinstance(value, str) or "://" not in value:
        raise o.Invalid(
            "an SQLAlchemy URL like 'sqlite:////path/state.db' or 'postgresql+psycopg://user@host/db'"
        )
    return value


DAEMON = {
    "poll_interval": o.Option(
        o.duration_at_most(MAX_POLL_INTERVAL, "24h"),
        "5m",
        "how often calendars and mailboxes are polled",
    ),
    "timezone": o.Option(o.timezone, None, "your IANA time zone; default: the system's"),
    "state_dir": o.Option(o.path, None, "where state and tokens live; default: XDG state dir"),
    "database": o.Option(_database, None, "SQLAlchemy URL; default: SQLite in state_dir"),
    "sync_past": o.Option(o.duration, "30d", "how far back calendars are read"),
    "sync_ahead": o.Option(o.duration, "90d", "how far ahead calendars are read"),
    "log_level": o.Option(_level, "info", "debug, info, warning or error"),
    "concurrency": o.Option(o.integer_between(1, 256), 16, "accounts worked at once"),
    "provider_concurrency": o.Option(
        o.mapping_of(o.integer_between(1, 256), "whole numbers from 1 to 256", known),
        {},
        "accounts of one provider worked at once",
    ),
    "lease_period": o.Option(
        _lease_period,
        "60s",
        "several instances on one PostgreSQL: the longest a dead instance's accounts wait",
    ),
    "accounts_dir": o.Option(
        o.path, None, "a folder of per-user account files (*.toml, one account each)"
    ),
    "metrics_port": o.Option(
        o.integer_between(1, 65535), None, "serve Prometheus metrics on this port; default: off"
    ),
    "metrics_address": o.Option(
        o.non_empty_string, "127.0.0.1", "the address the metrics port listens on"
    ),
    "wake_on_change": o.Option(
        o.boolean,
        True,
        "poll an account within seconds when its .ics files or Maildir change, or mail "
        "arrives in its IMAP INBOX (IDLE), instead of at the next poll",
    ),
}

CANDIDATE = {
    "name": o.Option(o.non_empty_string, help="your name, as it should appear in signatures"),
    "highlights": o.Option(o.list_of(o.string, "strings"), [], "what you bring, for the drafts"),
    "signature": o.Option(o.string, "", "text under your name"),
    "phone": o.Option(o.string, "", "a phone number to offer"),
    "links": o.Option(o.list_of(o.string, "strings"), [], "portfolio or profile links"),
}

DETECTION = {
    "keywords": o.Option(o.list_of(o.string, "strings"), DEFAULT_KEYWORDS, "title keywords"),
    "patterns": o.Option(o.list_of(o.regex, "regular expressions"), [], "title regexes"),
    "exclude_keywords": o.Option(
        o.list_of(o.string, "strings"),
        ["mock interview", "interview prep"],
        "title words that veto",
    ),
    "calendars": o.Option(o.list_of(o.string, "strings"), [], "only these calendars"),
    "tags": o.Option(
        o.list_of(o.string, "strings"),
        ["category:Interview", "label:interview"],
        "provider tags that mark an interview",
    ),
    "include_domains": o.Option(
        o.list_of(o.domain, "domains"), [], "attendee domains that mark an interview"
    ),
    "exclude_domains": o.Option(o.list_of(o.domain, "domains"), [], "attendee domains that veto"),
    "force_tag": o.Option(o.non_empty_string, "#followup", "description tag that forces detection"),
    "suppress_tag": o.Option(
        o.non_empty_string, "#nofollowup", "description tag that suppresses it"
    ),
    "require_other_attendee": o.Option(o.boolean, True, "skip events with no other human"),
    "include_all_day": o.Option(o.boolean, False, "consider all-day events"),
    "freemail_domains": o.Option(o.list_of(o.domain, "domains"), [], "more free-mail domains"),
    "bot_patterns": o.Option(
        o.list_of(o.regex, "regular expressions"), [], "more non-human address patterns"
    ),
    "max_interviewers": o.Option(
        o.integer_between(1, 1000), 20, "thank-yous per interview at the most"
    ),
}

THANK_YOU = {
    "enabled": o.Option(o.boolean, True, "draft thank-you notes"),
    "delay": o.Option(
        o.duration_at_most(MAX_THANK_YOU_DELAY, "24h"), "1h", "after the interview ends"
    ),
    # Capped like delay: a thank-you is never due later than 24 h after the interview, so a
    # value past that is a mistake to point out, not one to cut silently.
    "wait_for_notes": o.Option(
        o.duration_at_most(MAX_THANK_YOU_DELAY, "24h"),
        "0m",
        "after the interview ends, how long a thank-you without notes waits for them",
    ),
    "max_lateness": o.Option(o.duration, "12h", "skip a thank-you more than this past due"),
    "template": o.Option(o.path, None, "your own plain-text template"),
    "html_template": o.Option(o.path, None, "your own HTML template"),
}

STATUS_INQUIRY = {
    "enabled": o.Option(o.boolean, True, "draft status inquiries"),
    "after_business_days": o.Option(o.integer_between(1, 60), 5, "business days without a reply"),
    "spacing_business_days": o.Option(o.integer_between(1, 60), 5, "between two inquiries"),
    "max_per_process": o.Option(o.integer_between(0, 5), 2, "then the process is cold"),
    "max_lateness": o.Option(o.duration, "3d", "skip an inquiry more than this past due"),
    "template": o.Option(o.path, None, "your own plain-text template"),
    "html_template": o.Option(o.path, None, "your own HTML template"),
}

DAYS = {
    "holidays": o.Option(
        o.list_of(o.iso_date, "dates like 2026-12-24"), [], "days that are not business days"
    ),
    "weekend": o.Option(_weekend, ["sat", "sun"], "weekend days"),
}

MAX_NOTIFY_TIMEOUT = timedelta(seconds=60)


_APPRISE_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")


def _apprise_urls(value: Any) -> list[str]:
    """Apprise URLs, checked for their shape only: which schemes exist is Apprise's business,
    and Apprise is optional (``followupd check`` asks it about each URL when installed). An
    error names the URL by its position: it may hold a token."""
    expected = "a list of Apprise URLs like 'ntfy://my-topic' or 'tgram://bot-token/chat-id'"
    if isinstance(value, str):
        raise o.Invalid(expected, "a string")
    if not isinstance(value, list) or not all(isinstance(url, str) for url in value):
        raise o.Invalid(expected, o.describe(value))  # no string in it: nothing secret
    for number, url in enumerate(value, 1):
        if not _APPRISE_URL.match(url.strip()):
            raise o.Invalid(expected, f"item {number}, which is not one")
    return [url.strip() for url in value]


NOTIFY = {
    "desktop": o.Option(
        o.boolean, False, "a desktop notification (freedesktop, over the session D-Bus)"
    ),
    # Secret: Apprise URLs carry tokens and passwords; an error never shows the value.
    "apprise": o.Option(
        _apprise_urls,
        [],
        "Apprise URLs (ntfy://, pover://, tgram://, mailto://, ...); needs followupd[apprise]",
        secret=True,
    ),
    "command": o.Option(
        o.list_of(o.non_empty_string, "non-empty strings"),
        [],
        "a program and its arguments, run with the event in FOLLOWUPD_* variables",
    ),
    "timeout": o.Option(
        o.duration_at_most(MAX_NOTIFY_TIMEOUT, "60s"), "10s", "how long each notifier may take"
    ),
}

CONTACT = {
    "name": o.Option(o.string, None, "how to address them"),
    "title": o.Option(o.string, None, "their job title, e.g. 'Engineering Manager'"),
    "honorific": o.Option(o.string, None, "how to address them formally, e.g. 'Dr.' or 'Ms.'"),
    "company": o.Option(o.string, None, "their company"),
}

ACCOUNT = {
    "name": o.Option(o.non_empty_string, help="a short name for the account"),
    # Without one, every invitation looks like someone else's and your own replies like the
    # company's: nothing would be detected right.
    "addresses": o.Option(
        o.non_empty(o.list_of(o.email, "e-mail addresses"), "e-mail address of yours"),
        help="your own addresses in this account",
    ),
    "sender_name": o.Option(o.string, None, "the From name on drafts; default: [candidate].name"),
    "salutation": o.Option(
        o.choice(*SALUTATION_STYLES),
        "first_name",
        "how drafts greet people: 'first_name' (Dear Jane) or 'formal' (Dear Dr. Chen)",
    ),
    "language": o.Option(
        o.choice(*phrases.codes()),
        phrases.DEFAULT,
        "the language drafts are written in: one of the folders of daemon/writing/languages/",
    ),
    "calendar": o.Option(o.table, help="a table with provider = ... and its options"),
    "mailbox": o.Option(o.table, help="a table with provider = ... and its options"),
}

SECTIONS = {
    "daemon": DAEMON,
    "candidate": CANDIDATE,
    "detection": DETECTION,
    "thank_you": THANK_YOU,
    "status_inquiry": STATUS_INQUIRY,
    "days": DAYS,
    "notify": NOTIFY,
}


# ------------------------------------------------------------------------------------------
# Loading
# ------------------------------------------------------------------------------------------


def load(path: Path | None = None) -> Config:
    """Read and validate the config file; raise :class:`ConfigError` listing every problem."""
    path = (path or paths.default_config_file()).expanduser()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            [f"{path}: no such file; create one with 'followupd init' or pass --config"]
        ) from None
    except OSError as err:
        raise ConfigError([f"{path}: cannot read ({err.strerror})"]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError([f"{path}: expected UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError([f"{path}: not valid TOML: {err}"]) from None
    return parse(data, path)


def parse(data: dict[str, Any], path: Path) -> Config:
    problems: list[str] = []
    name = path.name
    base = path.parent

    allowed = set(SECTIONS) | {"contacts", "accounts"}
    for key in data:
        if key not in allowed:
            problems.append(
                f"{name}: [{key}]: unknown section (known: {', '.join(sorted(allowed))})"
            )

    values: dict[str, dict[str, Any]] = {}
    for section, schema in SECTIONS.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            problems.append(f"{name}: [{section}]: expected a table, got {o.describe(table)}")
            table = {}
        if section == "candidate" and section not in data:
            problems.append(
                f'{name}: [candidate]: missing; expected a table with at least name = "Your Name"'
            )
            values[section] = {}
            continue
        values[section] = o.validate(table, schema, f"{name}: [{section}]", problems)

    contacts = _contacts(data.get("contacts", {}), name, problems)
    # With a folder of account files, the main file may hold none: they all live there.
    d = values["daemon"]
    folder = d.get("accounts_dir")
    accounts = _accounts(data.get("accounts"), name, base, problems, required=folder is None)

    def resolve(p: Path | None) -> Path | None:
        return None if p is None else (p if p.is_absolute() else base / p)

    skipped: tuple[SkippedFile, ...] = ()
    if folder is not None and not problems:
        from daemon import accountsdir

        try:
            found = accountsdir.read(resolve(folder), {a.name for a in accounts})
        except accountsdir.FolderError as err:
            problems.append(f"{name}: [daemon].accounts_dir: {err}")
        else:
            accounts += found.accounts
            skipped = found.skipped

    if problems:
        raise ConfigError(problems)

    state_dir = resolve(d["state_dir"]) or paths.default_state_dir()
    daemon = DaemonSettings(
        poll_interval=d["poll_interval"],
        timezone=d["timezone"] or paths.system_timezone(),
        state_dir=state_dir,
        database=d["database"] or f"sqlite:///{state_dir / 'state.db'}",
        sync_past=d["sync_past"],
        sync_ahead=d["sync_ahead"],
        log_level=d["log_level"],
        concurrency=d["concurrency"],
        provider_concurrency=dict(d["provider_concurrency"]),
        lease_period=d["lease_period"],
        accounts_dir=resolve(folder),
        metrics_port=d["metrics_port"],
        metrics_address=d["metrics_address"],
        wake_on_change=d["wake_on_change"],
    )
    c = values["candidate"]
    det = values["detection"]
    t = values["thank_you"]
    s = values["status_inquiry"]
    days = values["days"]
    n = values["notify"]
    command = tuple(n["command"])
    if command and "/" in command[0]:
        # A path: '~' expanded and relative to the config file, as every other path; a bare
        # name ("notify-send") is looked up on PATH when it is run.
        program = Path(command[0]).expanduser()
        command = (str(program if program.is_absolute() else base / program), *command[1:])
    return Config(
        path=path,
        daemon=daemon,
        candidate=Candidate(
            name=c["name"].strip(),
            highlights=tuple(c["highlights"]),
            signature=c["signature"],
            phone=c["phone"],
            links=tuple(c["links"]),
        ),
        detection=DetectionRules(
            keywords=tuple(k.lower() for k in det["keywords"]),
            patterns=tuple(det["patterns"]),
            exclude_keywords=tuple(k.lower() for k in det["exclude_keywords"]),
            calendars=tuple(det["calendars"]),
            tags=tuple(t_.lower() for t_ in det["tags"]),
            include_domains=tuple(det["include_domains"]),
            exclude_domains=tuple(det["exclude_domains"]),
            force_tag=det["force_tag"].lower(),
            suppress_tag=det["suppress_tag"].lower(),
            require_other_attendee=det["require_other_attendee"],
            include_all_day=det["include_all_day"],
            freemail_domains=frozenset(DEFAULT_FREEMAIL) | frozenset(det["freemail_domains"]),
            bot_patterns=tuple(re.compile(p, re.IGNORECASE) for p in DEFAULT_BOT_PATTERNS)
            + tuple(det["bot_patterns"]),
            max_interviewers=det["max_interviewers"],
        ),
        thank_you=ThankYouSettings(
            enabled=t["enabled"],
            delay=t["delay"],
            wait_for_notes=t["wait_for_notes"],
            max_lateness=t["max_lateness"],
            template=resolve(t["template"]),
            html_template=resolve(t["html_template"]),
        ),
        status_inquiry=InquirySettings(
            enabled=s["enabled"],
            after_business_days=s["after_business_days"],
            spacing_business_days=s["spacing_business_days"],
            max_per_process=s["max_per_process"],
            max_lateness=s["max_lateness"],
            template=resolve(s["template"]),
            html_template=resolve(s["html_template"]),
        ),
        days=CalendarDays(holidays=frozenset(days["holidays"]), weekend=frozenset(days["weekend"])),
        contacts=contacts,
        accounts=tuple(accounts),
        notify=NotifySettings(
            desktop=n["desktop"], apprise=tuple(n["apprise"]), command=command, timeout=n["timeout"]
        ),
        skipped=skipped,
    )


def _contacts(table: Any, name: str, problems: list[str]) -> dict[str, Contact]:
    if not isinstance(table, dict):
        problems.append(
            f"{name}: [contacts]: expected a table of addresses, got {o.describe(table)}"
        )
        return {}
    out: dict[str, Contact] = {}
    for address, entry in table.items():
        where = f'{name}: [contacts."{address}"]'
        try:
            key = o.email(address)
        except o.Invalid as err:
            problems.append(f"{where}: expected {err} as the key")
            continue
        if not isinstance(entry, dict):
            problems.append(
                f"{where}: expected a table with name/title/company, got {o.describe(entry)}"
            )
            continue
        v = o.validate(entry, CONTACT, where, problems)
        out[key] = Contact(
            name=v.get("name"),
            title=v.get("title"),
            honorific=v.get("honorific"),
            company=v.get("company"),
        )
    return out


def _accounts(
    raw: Any,
    name: str,
    base: Path,
    problems: list[str],
    required: bool = True,
    table: str = "[[accounts]]",
) -> list[Account]:
    """The accounts of ``raw`` (a list of account tables), each problem named ``name: table
    'account'.key``; ``required``: none at all is a problem. Also reads one file of
    ``[daemon].accounts_dir`` (:mod:`daemon.accountsdir`), whose ``table`` is the file."""
    if raw is None:
        if required:
            problems.append(f"{name}: [[accounts]]: missing; expected at least one account")
        return []
    if not isinstance(raw, list) or not all(isinstance(a, dict) for a in raw):
        problems.append(f"{name}: [[accounts]]: expected an array of tables ([[accounts]])")
        return []
    out: list[Account] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        label = entry.get("name") if isinstance(entry.get("name"), str) else f"#{index + 1}"
        where = f"{name}: {table} {label!r}"
        core = {k: v for k, v in entry.items() if k in ACCOUNT}
        extra = {k: v for k, v in entry.items() if k not in ACCOUNT}
        v = o.validate(core, ACCOUNT, where, problems)
        if "name" in v:
            if v["name"] in seen:
                problems.append(f"{where}.name: duplicate account name {v['name']!r}")
            elif not re.match(r"^[A-Za-z0-9_.-]+$", v["name"]):
                problems.append(
                    f"{where}.name: expected letters, digits, '.', '_' or '-', got {v['name']!r}"
                )
            elif len(v["name"]) > MAX_ACCOUNT_NAME:
                # The store keeps it in bounded columns (and in every KEY): PostgreSQL would
                # refuse a longer one at the first poll.
                problems.append(
                    f"{where}.name: expected at most {MAX_ACCOUNT_NAME} characters, got "
                    f"{len(v['name'])}"
                )
            seen.add(v["name"])
        sections: dict[str, ProviderSection] = {}
        for side in ("calendar", "mailbox"):
            if side in v:
                section = _provider_section(v[side], side, where, base, problems)
                if section:
                    sections[side] = section
        used = {s.provider for s in sections.values()}
        provider_options: dict[str, dict[str, Any]] = {}
        for key, table in extra.items():
            if key not in used:
                problems.append(
                    f"{where}.{key}: unknown key (known: {', '.join(sorted(ACCOUNT))}, or a table "
                    f"named after a provider this account uses: {', '.join(sorted(used)) or 'none'})"
                )
                continue
            if not isinstance(table, dict):
                problems.append(
                    f"{where}.{key}: expected a table of {key} settings, got {o.describe(table)}"
                )
                continue
        for pname in used:
            prov = provider(pname)
            schema = getattr(prov, "account_options", None) or {}
            table = extra.get(pname, {})
            if isinstance(table, dict):
                provider_options[pname] = _resolve_paths(
                    o.validate(table, schema, f"{where}.{pname}", problems), base
                )
        if len(sections) == 2 and "name" in v and "addresses" in v:
            out.append(
                Account(
                    name=v["name"],
                    addresses=tuple(v["addresses"]),
                    sender_name=v.get("sender_name"),
                    salutation=v.get("salutation", "first_name"),
                    language=v.get("language", phrases.DEFAULT),
                    calendar=sections["calendar"],
                    mailbox=sections["mailbox"],
                    provider_options=provider_options,
                )
            )
    return out


def _provider_section(
    table: dict[str, Any], side: str, where: str, base: Path, problems: list[str]
) -> ProviderSection | None:
    name = table.get("provider")
    if not isinstance(name, str):
        problems.append(
            f"{where}.{side}.provider: missing; expected a provider name such as 'ics' or 'google'"
        )
        return None
    try:
        prov = provider(name)
    except UnknownProvider as err:
        problems.append(f"{where}.{side}.provider: {err}")
        return None
    schema = getattr(prov, f"{side}_options", None)
    if schema is None:
        problems.append(f"{where}.{side}.provider: provider {name!r} offers no {side}")
        return None
    rest = {k: v for k, v in table.items() if k != "provider"}
    values = o.validate(rest, schema, f"{where}.{side}", problems)
    # Rules across options (exactly one password source, ...) that a schema cannot say.
    across = getattr(prov, "validate_options", None)
    if across is not None:
        across(side, values, f"{where}.{side}", problems)
    return ProviderSection(provider=name, options=_resolve_paths(values, base))


def _resolve_paths(values: dict[str, Any], base: Path) -> dict[str, Any]:
    """Relative paths in provider options are relative to the config file, like the core's."""
    return {
        k: (base / v if isinstance(v, Path) and not v.is_absolute() else v)
        for k, v in values.items()
    }


def environment_config() -> Path | None:
    value = os.environ.get("FOLLOWUPD_CONFIG")
    return Path(value) if value else None
