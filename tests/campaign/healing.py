"""The story of failures that heal (issue 11, point 6), for the crash campaign.

The user's own thank-you template breaks on two drafts: Raj's (a typo on a line only his
draft reaches) and Maria's (it quotes her first note, and there is none yet). At the interview
times below (relative to the real clock: ``followupd note`` and ``retry`` read it):

1. the thank-yous fall due: Jane's is drafted, Raj's and Maria's fail ("template"); a run
   killed after making Jane's draft, and then her line of the template broken too, still
   records her draft rather than failing beside it;
2. the user fixes Raj's line: the next run heals both (the template changed); Raj's is
   drafted, Maria's fails again under the new fingerprint and stays failed;
3. the user adds a note about Maria (nothing the daemon watches for a failure) and runs
   ``followupd retry``: the next run drafts hers.

Each step is killed at the checkpoints of its heal or retry path; after the clean run, every
follow-up has exactly one draft or none, as expected.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from daemon.store.models import Interview as InterviewRow
from tests.campaign.daemon import Outcome
from tests.campaign.worlds import Interview, World

JANE, RAJ = ("jane@acme.example", "Jane Smith"), ("raj@acme.example", "Raj Patel")
MARIA = ("maria@globex.example", "Maria Garcia")
TY, INQ = "thank_you", "status_inquiry"

TEMPLATE = """\
Subject: Thank you{% if company %} – {{ company }}{% endif %}

{{ recipient.salutation }},

{% if recipient.email.startswith("raj@") %}{{ recipient.nick_name }}{% endif %}
{% if "@globex." in recipient.email %}I keep thinking about {{ notes[0] }}.{% endif %}
thank you for your time today.

{{ closing }},
{{ candidate.name }}
"""
# Breaks Jane's draft as well (still passing check, whose samples are at acme.example).
BROKEN_FOR_JANE_TOO = TEMPLATE.replace(
    "{{ closing }}",
    '{{ closing if not recipient.email.startswith("jane@") else recipient.nick_name }}',
)
FIXED = TEMPLATE.replace('{% if recipient.email.startswith("raj@") %}{{ recipient.nick_name }}'
                         "{% endif %}\n", "")  # fmt: skip


def fu(person: tuple[str, str], kind: str, seq: int = 1) -> str:
    return f"{person[0]}:{kind}:{seq}"


def start() -> datetime:
    """Tomorrow at 09:00 UTC: ahead of the real clock, so that nothing is too late for it."""
    today = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    return today + timedelta(days=1)


@dataclass(frozen=True)
class Step:
    name: str
    when: datetime
    states: dict[str, str]
    mailbox: dict[str, str]


def steps(day: datetime) -> list[Step]:
    """Acme (Jane, Raj) at ``day`` 09:00 and Globex (Maria) at 11:00, an hour each: the
    thank-yous are due at 11:00 and 13:00; every step runs after both."""
    failed = {
        fu(JANE, TY): "drafted",
        fu(RAJ, TY): "failed",
        fu(MARIA, TY): "failed",
        fu(JANE, INQ): "scheduled",
        fu(MARIA, INQ): "scheduled",
    }
    healed = failed | {fu(RAJ, TY): "drafted"}
    retried = healed | {fu(MARIA, TY): "drafted"}
    one = {fu(JANE, TY): "draft"}
    return [
        Step("failed", day + timedelta(hours=4, minutes=30), failed, one),
        Step("healed", day + timedelta(hours=5), healed, one | {fu(RAJ, TY): "draft"}),
        Step(
            "retried",
            day + timedelta(hours=5, minutes=30),
            retried,
            one | {fu(RAJ, TY): "draft", fu(MARIA, TY): "draft"},
        ),
    ]


def setup(world: World, day: datetime) -> Path:
    """The interviews and the user's template (broken on two drafts); returns its path."""
    world.add(Interview("acme1", "Interview: Acme (Backend Engineer)", day, [JANE, RAJ]))
    globex = "Interview: Globex (Data Engineer)"
    world.add(Interview("globex1", globex, day + timedelta(hours=2), [MARIA]))
    template = world.root / "mine.txt.j2"
    template.write_text(TEMPLATE)
    world.config.write_text(f'[thank_you]\ntemplate = "{template}"\n' + world.config_text())
    return template


def interview_id(world: World, company: str) -> int:
    engine = create_engine(world.db_url)
    try:
        with Session(engine) as session:
            return session.scalars(
                select(InterviewRow.id).where(InterviewRow.company == company)
            ).one()
    finally:
        engine.dispose()


def command(world: World, *args: str, kill_on: str | None = None) -> Outcome:
    """``followupd ARGS`` as the user runs it (``note``, ``retry``), killed at the first
    checkpoint called ``kill_on`` when given."""
    faults = f"kill-on:{kill_on}" if kill_on else None
    proc = subprocess.run(
        world.daemon.argv(*args),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=world.root,
        env=world.daemon.env(faults),
    )
    return Outcome(proc.returncode, 0.0, [], proc.stdout, proc.stderr)
