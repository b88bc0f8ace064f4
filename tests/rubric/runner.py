"""Run the scenario table through the real CLI and judge every draft against the rubric.

Why the real CLI in a subprocess: the rubric measures what a user gets, so each scenario is a
user's home of its own (an .ics calendar, a Maildir with Drafts and Sent, a config.toml) and
``python3 -m daemon --config ... run --once --now ...`` is run in it, exactly as a user or
systemd would, with ``followupd note`` where the user gives notes or a decision date on the
command line. The user's part is played on the real files: sending a thank-you moves it from
Drafts to Sent with a new Message-ID, as mail clients do, so that the status inquiries that
follow can be judged as replies in that thread.

Each scenario is independent (own temp dir, own state), so they run in a small process pool.
"""

from __future__ import annotations

import argparse
import mailbox
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.rubric.checks import (
    ITEMS,
    Addressee,
    Draft,
    Expectation,
    Failure,
    check_draft,
    check_panel,
    check_recipients,
)
from tests.rubric.scenarios import ME, SCENARIOS, Person, Scenario

REPO = Path(__file__).resolve().parents[2]
TZ = "Europe/Berlin"
START = datetime(2026, 3, 3, 10, 0, tzinfo=ZoneInfo(TZ))  # a Tuesday
PHONE = "+1 555 0100"
LINKS = ("https://alex.example.org",)


@dataclass
class DraftResult:
    """One draft of one scenario, as bytes (it crosses a process boundary) and its failures."""

    scenario: str
    kind: str
    seq: int
    to: str
    raw: bytes
    failures: list[Failure] = field(default_factory=list)

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)  # type: ignore[return-value]


@dataclass
class ScenarioResult:
    name: str
    drafts: list[DraftResult]
    problems: list[Failure]  # per interview: a missing or extra draft, an unexpected inquiry
    log: list[str]  # the CLI's output, for a scenario that went wrong


# ------------------------------------------------------------------------------------------
# Writing the user's home
# ------------------------------------------------------------------------------------------


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _cn(name: str) -> str:
    return '"' + name.replace('"', "'") + '"' if any(c in name for c in ',;:"') else name


def calendar(s: Scenario) -> str:
    """The scenario's event as an iCalendar file, written the way exporters write it."""
    stamp = START.astimezone(UTC)
    end = stamp + timedelta(minutes=s.minutes)
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//rubric//EN", "BEGIN:VEVENT",
        f"UID:rubric-{s.name}@example.org", "DTSTAMP:20260201T000000Z",
        f"DTSTART:{stamp:%Y%m%dT%H%M%SZ}", f"DTEND:{end:%Y%m%dT%H%M%SZ}",
        f"SUMMARY:{_ics_text(s.title)}", "STATUS:CONFIRMED",
    ]  # fmt: skip
    if s.description:
        lines.append("DESCRIPTION:" + _ics_text(s.description))
    if s.organizer >= 0 and s.people:
        boss = s.people[s.organizer]
        cn = f";CN={_cn(boss.cn)}" if boss.cn else ""
        lines.append(f"ORGANIZER{cn}:mailto:{boss.email}")
    else:
        lines.append(f"ORGANIZER;CN=Alex Candidate:mailto:{ME}")
    for p in s.people:
        cn = f";CN={_cn(p.cn)}" if p.cn else ""
        lines.append(f"ATTENDEE{cn};CUTYPE={p.cutype};ROLE=REQ-PARTICIPANT;"
                     f"PARTSTAT={p.partstat}:mailto:{p.email}")  # fmt: skip
    lines.append(f"ATTENDEE;CN=Alex Candidate;PARTSTAT=ACCEPTED:mailto:{ME}")
    lines += [*s.extra_lines, "END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(_fold(line) for line in lines)


def _fold(line: str) -> str:
    """RFC 5545 folding at 75 octets, as real exporters do (and parsers must undo)."""
    out, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def supported_account_keys() -> set[str]:
    """The [[accounts]] keys the current config accepts: ``salutation`` and ``language`` are
    written only once issue 10 adds them (an unknown key would make the config invalid)."""
    from daemon import config as config_mod

    return set(config_mod.ACCOUNT)


def config_text(s: Scenario, keys: set[str]) -> str:
    def toml(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    highlights = ", ".join(toml(h) for h in s.highlights)
    parts = [
        f'[daemon]\ntimezone = "{TZ}"\nstate_dir = "state"\nlog_level = "warning"\n',
        f'[candidate]\nname = "Alex Candidate"\nhighlights = [{highlights}]\n'
        f'phone = "{PHONE}"\nlinks = [{", ".join(toml(u) for u in LINKS)}]\n',
        "[days]\nholidays = []\n",
    ]
    for p in s.people:
        if p.contact:
            rows = [f"{k} = {toml(v)}" for k, v in vars(p.contact).items() if v]
            parts.append(f'[contacts."{p.email}"]\n' + "\n".join(rows) + "\n")
    account = [
        '[[accounts]]\nname = "home"',
        f'addresses = ["{ME}", "alex+jobs@example.org"]',
        'calendar = { provider = "ics", path = "cal" }',
        'mailbox = { provider = "maildir", path = "mail" }',
    ]
    if "salutation" in keys:
        account.append(f'salutation = "{s.style}"')
    if "language" in keys:
        account.append(f'language = "{s.language}"')
    parts.append("\n".join(account) + "\n")
    return "\n".join(parts)


# ------------------------------------------------------------------------------------------
# Playing the user
# ------------------------------------------------------------------------------------------


class Home:
    """A scenario's temp home: the files, the CLI, and the user's hands on the Maildir."""

    def __init__(self, root: Path, s: Scenario, keys: set[str]) -> None:
        self.root, self.scenario, self.log = root, s, []
        (root / "cal").mkdir(parents=True)
        (root / "cal" / "interview.ics").write_text(calendar(s), encoding="utf-8", newline="")
        self.box = mailbox.Maildir(root / "mail", create=True)
        for folder in ("Drafts", "Sent"):
            self.box.add_folder(folder)
        self.config = root / "config.toml"
        self.config.write_text(config_text(s, keys), encoding="utf-8")
        self.seen: set[str] = set()

    def cli(self, *args: str) -> str:
        env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
        result = subprocess.run(
            [sys.executable, "-m", "daemon", "--config", str(self.config), *args],
            capture_output=True, text=True, timeout=120, env=env, cwd=self.root,
        )  # fmt: skip
        self.log.append(f"$ followupd {' '.join(args)} -> {result.returncode}\n"
                        f"{result.stdout}{result.stderr}")  # fmt: skip
        return result.stdout

    def run_at(self, when: datetime) -> None:
        self.cli("run", "--once", "--now", when.isoformat(timespec="minutes"))

    def new_drafts(self) -> list[bytes]:
        """Drafts that appeared in Drafts since the last call, as a user finds them: nothing in
        a draft names followupd or its key (issue 10), so what a draft is follows from when it
        appeared (thank-yous after the interview, inquiries days after what the user sent) and
        from its threading (:func:`_kind`)."""
        out = []
        folder = self.box.get_folder("Drafts")
        for key in sorted(folder.iterkeys()):
            if key in self.seen:
                continue
            self.seen.add(key)
            out.append(folder.get_bytes(key))
        return out

    def send(self, raw: bytes, at: datetime) -> EmailMessage:
        """The user sends a draft: it leaves Drafts and lands in Sent with a new Message-ID
        and Date, as many clients do, keeping the other headers (tests/harness.py does the
        same)."""
        draft = message_from_bytes(raw, policy=policy.default)
        folder = self.box.get_folder("Drafts")
        for key in list(folder.iterkeys()):
            if folder.get_bytes(key) == raw:
                folder.remove(key)
                break
        sent = EmailMessage()
        skip = {"message-id", "date", "content-type", "mime-version", "content-transfer-encoding"}
        for name, value in draft.items():
            if name.lower() not in skip:
                sent[name] = value
        sent["Date"] = format_datetime(at)
        sent["Message-ID"] = make_msgid(domain="example.org")
        body = draft.get_body(("plain",))
        sent.set_content(body.get_content() if body else "")
        self.box.get_folder("Sent").add(mailbox.MaildirMessage(sent))
        return sent

    def write_own(self, person: Person, at: datetime) -> EmailMessage:
        """The user writes a thank-you of their own in their mail client and sends it: a copy
        in Sent with the client's Message-ID and no followupd header."""
        msg = EmailMessage()
        msg["From"] = f"Alex Candidate <{ME}>"
        msg["To"] = f"{person.cn} <{person.email}>" if person.cn else person.email
        msg["Subject"] = "Thank you for today"
        msg["Date"] = format_datetime(at)
        msg["Message-ID"] = make_msgid(domain="example.org")
        msg.set_content("Thank you for the conversation today; I enjoyed it.\n\nAlex")
        self.box.get_folder("Sent").add(mailbox.MaildirMessage(msg))
        return msg


def _kind(raw: bytes, phase: str) -> str:
    """What a new draft is: a reply (In-Reply-To) is a status inquiry whatever the phase; so is
    any draft that appears in the inquiry phase (an inquiry to nothing sent is judged as one,
    and fails item 13); anything else is a thank-you."""
    msg = message_from_bytes(raw, policy=policy.default)
    return "status_inquiry" if msg["In-Reply-To"] or phase == "inquiry" else "thank_you"


def _to(raw: bytes) -> str:
    msg = message_from_bytes(raw, policy=policy.default)
    found = getaddresses([str(v) for v in msg.get_all("To", [])])
    return found[0][1].lower() if found else ""


def _business_days_after(base: datetime, n: int) -> datetime:
    from daemon.businessdays import add_business_days
    from daemon.config import CalendarDays

    days = CalendarDays(holidays=frozenset(), weekend=frozenset({6, 7}))
    return add_business_days(base, n, TZ, days)


# ------------------------------------------------------------------------------------------
# One scenario
# ------------------------------------------------------------------------------------------


def addressee(p: Person) -> Addressee:
    names = tuple(n for n in (p.cn, p.contact.name if p.contact else None) if n)
    return Addressee(p.email, p.first, p.last, p.honorific, p.german, names, p.also)


def expectation(s: Scenario, p: Person, kind: str, **kw: object) -> Expectation:
    return Expectation(
        kind=kind, to=addressee(p), interview_date=START.date(), company=s.company,
        role=s.role, notes=s.notes + s.cli_notes, decision=s.decision, language=s.language,
        style=s.style, highlights=s.highlights, candidate_phone=PHONE, candidate_links=LINKS,
        forbidden=s.forbidden, own_addresses=(ME, "alex+jobs@example.org"), **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def run_scenario(s: Scenario, root: Path, keys: set[str] | None = None) -> ScenarioResult:
    """Everything one scenario does, from an empty home to judged drafts."""
    home = Home(root, s, supported_account_keys() if keys is None else keys)
    end = START + timedelta(minutes=s.minutes)
    people = {p.email.lower(): p for p in s.people}
    drafted = [p for p in s.people if p.drafted]
    if s.cli_notes or s.decision_by_cli:
        home.run_at(START - timedelta(days=1))  # the interview is known before it happens
        for note in s.cli_notes:
            home.cli("note", "1", note.text, *(["--about", note.about] if note.about else []))
        if s.decision_by_cli and s.decision:
            home.cli("note", "1", "--decision-by", s.decision.day.isoformat())
    home.run_at(end + timedelta(hours=2))
    thanks = home.new_drafts()
    results: list[DraftResult] = []
    problems = check_recipients([_to(raw) for raw in thanks], [p.email for p in drafted])
    panel: list[tuple[Draft, Addressee]] = []
    for raw in thanks:
        kind, seq = _kind(raw, "thank_you"), 1
        person = people.get(_to(raw)) or Person(None, _to(raw))
        draft = Draft(message_from_bytes(raw, policy=policy.default), raw)  # type: ignore[arg-type]
        failures = check_draft(draft, expectation(s, person, kind))
        results.append(DraftResult(s.name, kind, seq, person.email, raw, failures))
        panel.append((draft, addressee(person)))
    for result, extra in zip(results, check_panel(panel), strict=True):
        result.failures += extra

    sent: dict[str, EmailMessage] = {}
    base = end
    if s.inquiries:
        if s.own_message_to is not None:
            at = end + timedelta(hours=3)
            person = s.people[s.own_message_to]
            sent[person.email.lower()] = home.write_own(person, at)
            base = at
            home.run_at(at + timedelta(hours=1))  # the daemon finds it in Sent
            home.new_drafts()
        elif s.send_thank_you:
            at = end + timedelta(hours=3)
            for raw in thanks:
                sent[_to(raw)] = home.send(raw, at)
            base = at
            home.run_at(at + timedelta(hours=1))  # the daemon sees what was sent
            home.new_drafts()
        due = _business_days_after(base, 5)
        if s.decision is not None and s.decision_by_cli:
            noon = datetime.combine(s.decision.day, time(12), tzinfo=ZoneInfo(TZ))
            due = _business_days_after(noon, 1)
        earlier: list[str] = []
        parent_by_person = dict(sent)
        for number in range(1, s.inquiries + 1):
            home.run_at(due + timedelta(hours=2))
            found = [raw for raw in home.new_drafts() if _kind(raw, "inquiry") == "status_inquiry"]
            if not found:
                if s.send_thank_you or s.own_message_to is not None:
                    problems.append(Failure(13, f"no inquiry #{number} although it was due"))
                break
            for raw in found:
                kind, seq = "status_inquiry", number
                to = _to(raw)
                person = people.get(to) or Person(None, to)
                parent = parent_by_person.get(to) or next(iter(parent_by_person.values()), None)
                draft = Draft(message_from_bytes(raw, policy=policy.default), raw)  # type: ignore[arg-type]
                exp = expectation(s, person, kind, parent=parent, earlier=tuple(earlier))
                results.append(DraftResult(s.name, kind, seq, to, raw, check_draft(draft, exp)))
                earlier.append(draft.text)
                if number < s.inquiries:
                    at = due + timedelta(hours=3)
                    parent_by_person[to] = home.send(raw, at)
                    home.run_at(at + timedelta(hours=1))
                    home.new_drafts()
                    due = _business_days_after(at, 5)
    return ScenarioResult(s.name, results, problems, home.log)


def _run_one(name: str) -> ScenarioResult:
    scenario = next(s for s in SCENARIOS if s.name == name)
    with tempfile.TemporaryDirectory(prefix=f"rubric-{name[:20]}-") as tmp:
        return run_scenario(scenario, Path(tmp))


def run_all(scenarios: Sequence[Scenario], jobs: int = 2) -> list[ScenarioResult]:
    """Every scenario, ``jobs`` at a time (each is a few CLI subprocesses), in table order."""
    names = [s.name for s in scenarios]
    if jobs <= 1:
        return [_run_one(n) for n in names]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(_run_one, names))


# ------------------------------------------------------------------------------------------
# The report
# ------------------------------------------------------------------------------------------


@dataclass
class Figures:
    scenarios: int
    drafts: int
    thank_yous: int
    inquiries: int
    passing: int
    drafts_failing: Counter[int]  # item -> drafts failing it
    interview_problems: Counter[int]  # item -> per-interview problems (missing/extra drafts)

    @property
    def pass_rate(self) -> float:
        return self.passing / self.drafts if self.drafts else 0.0


def figures(results: Iterable[ScenarioResult]) -> Figures:
    results = list(results)
    drafts = [d for r in results for d in r.drafts]
    failing: Counter[int] = Counter()
    for d in drafts:
        failing.update({f.item for f in d.failures})
    problems: Counter[int] = Counter(f.item for r in results for f in r.problems)
    return Figures(
        scenarios=len(results), drafts=len(drafts),
        thank_yous=sum(d.kind == "thank_you" for d in drafts),
        inquiries=sum(d.kind == "status_inquiry" for d in drafts),
        passing=sum(not d.failures for d in drafts), drafts_failing=failing,
        interview_problems=problems,
    )  # fmt: skip


def report(results: Sequence[ScenarioResult], show: int = 0) -> str:
    """The figures a developer reads: counts, pass rate, failures per item, sample drafts."""
    fig = figures(results)
    lines = [
        f"rubric: {fig.scenarios} scenarios, {fig.drafts} drafts "
        f"({fig.thank_yous} thank-yous, {fig.inquiries} status inquiries)",
        f"pass rate: {fig.passing}/{fig.drafts} drafts pass every applicable item "
        f"({fig.pass_rate:.0%})",
    ]
    if fig.drafts_failing:
        worst, _ = fig.drafts_failing.most_common(1)[0]
        forgiven = sum(all(f.item == worst for f in d.failures) for r in results for d in r.drafts)
        lines.append(
            f"pass rate forgiving item {worst} alone (the most failed): {forgiven}/{fig.drafts} "
            f"({forgiven / fig.drafts:.0%})"
        )
    lines.append("drafts failing each item:")
    for item, title in ITEMS.items():
        count = fig.drafts_failing.get(item, 0)
        if count or item in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16):
            lines.append(f"  {item:>2} {title:<34} {count:>4}")
    if fig.interview_problems:
        lines.append("per-interview problems (missing, extra or unexpected drafts):")
        for item, count in sorted(fig.interview_problems.items()):
            lines.append(f"  {item:>2} {ITEMS[item]:<34} {count:>4}")
        for r in results:
            for f in r.problems:
                lines.append(f"     {r.name}: {f}")
    reasons: Counter[str] = Counter(
        f"item {f.item}: {_reason_kind(f.why)}"
        for r in results
        for d in r.drafts
        for f in d.failures
    )
    lines.append("most common reasons:")
    lines += [f"  {n:>4}  {why}" for why, n in reasons.most_common(15)]
    shown = [d for r in results for d in r.drafts][:show]
    for d in shown:
        lines += ["", "=" * 78, f"{d.scenario}: {d.kind} #{d.seq} to {d.to}", "-" * 78]
        msg = d.message
        for name in ("From", "To", "Subject", "In-Reply-To"):
            if msg.get(name):
                lines.append(f"{name}: {msg[name]}")
        lines += ["", _plain(msg).rstrip(), "-" * 78]
        lines += [f"  FAIL {f}" for f in d.failures] or ["  passes every applicable item"]
    return "\n".join(lines)


def _plain(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    return part.get_content() if part is not None else ""


def _reason_kind(why: str) -> str:
    """A failure reason without its quoted specifics, so that like reasons count together."""
    import re

    return re.sub(r"'[^']*'|\"[^\"]*\"|\d{4}-\d\d-\d\d|\[[^\]]*\]|\d+", "…", why)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", type=int, default=0, metavar="N", help="print N drafts in full")
    parser.add_argument("--jobs", type=int, default=2, help="scenarios run at once (default 2)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only this scenario (repeatable; a prefix works)")  # fmt: skip
    args = parser.parse_args(argv)
    chosen = [s for s in SCENARIOS if not args.only or any(s.name.startswith(o) for o in args.only)]
    results = run_all(chosen, args.jobs)
    print(report(results, args.show))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
