"""``--json``: what ``status``, ``run --once``, ``preview`` and ``check`` say, for scripts
(shape: docs/json.md).

The shape is a promise: fields are added, never renamed or removed, without raising
``VERSION``. Every time is ISO 8601 with the offset of the configured zone (or null); ids are
the ones the other commands take (``followupd note ID``, ``retry ID``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from daemon.output.checks import Finding
from daemon.output.rows import AccountRow, FollowUpRow, InterviewRow
from daemon.output.summary import Summary
from daemon.store.models import ProblemRecord, Transition

VERSION = 1


def when(value: datetime | None, tz: str) -> str | None:
    if value is None:
        return None
    return value.astimezone(ZoneInfo(tz)).isoformat(timespec="seconds")


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)


def envelope(command: str, tz: str, now: datetime) -> dict[str, Any]:
    """What every document starts with."""
    return {"version": VERSION, "command": command, "timezone": tz, "now": when(now, tz)}


def account(row: AccountRow, tz: str) -> dict[str, Any]:
    return {
        "name": row.name,
        "status": row.status.replace(" ", "_"),  # "never polled" -> "never_polled"
        "needs_attention": row.needs_attention,
        "last_poll_at": when(row.last_poll_at, tz),
        "last_success_at": when(row.last_success_at, tz),
        "last_error": row.last_error,
        "fix": row.fix,
        "retry_after": when(row.backoff_until, tz),
    }


def interview(row: InterviewRow, tz: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "account": row.account,
        "company": row.company,
        "role": row.role,
        "title": row.title,
        "start": when(row.start_at, tz),
        "end": when(row.end_at, tz),
        "status": row.status,
        "reason": row.reason,
        "language": row.language,
    }


def followup(row: FollowUpRow, interview_id: int, tz: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "interview_id": interview_id,
        "kind": row.kind,
        "seq": row.seq,
        "to": {"email": row.to_email, "name": row.to_name},
        "state": row.state,
        "due_at": when(row.due_at, tz),
        "waiting": row.waiting,
        "reason": row.reason or None,
        "drafted_at": when(row.drafted_at, tz),
        "sent_at": when(row.sent_at, tz),
        "finished_at": when(row.finished_at, tz),
    }


def problem(row: ProblemRecord, tz: str) -> dict[str, Any]:
    return {
        "account": row.account,
        "source": row.source,
        "file": row.container,
        "item": row.item,
        "message": row.message,
        "count": row.count,
        "first_seen": when(row.first_seen, tz),
        "last_seen": when(row.last_seen, tz),
    }


def status_document(
    accounts: Sequence[AccountRow],
    interviews: Sequence[InterviewRow],
    problems: Sequence[ProblemRecord],
    tz: str,
    now: datetime,
    summary: Summary | None = None,
) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if summary is not None:
        extra["summary"] = {
            "accounts": summary.accounts,
            "by_state": dict(summary.by_state),
            "due_next_hour": summary.due_next_hour,
            "late": summary.late,
        }
        extra["skipped_files"] = [
            {"file": str(s.path), "problems": list(s.problems)} for s in summary.skipped_files
        ]
    return {
        **envelope("status", tz, now),
        **extra,
        "accounts": [account(a, tz) for a in accounts],
        "interviews": [interview(i, tz) for i in interviews],
        "followups": [followup(f, i.id, tz) for i in interviews for f in i.followups],
        "problems": [problem(p, tz) for p in problems],
    }


def preview_document(
    interview_row: InterviewRow, drafts: Sequence[dict[str, Any]], tz: str, now: datetime
) -> dict[str, Any]:
    return {
        **envelope("preview", tz, now),
        "interview": interview(interview_row, tz),
        "drafts": list(drafts),
    }


def event(transition: Transition, tz: str) -> dict[str, Any]:
    """One change a run made to a follow-up (``run --once --json``)."""
    fu = transition.followup
    return {
        "followup_id": fu.id,
        "interview_id": fu.interview_id,
        "kind": fu.kind,
        "seq": fu.seq,
        "to": {"email": fu.interviewer.email, "name": fu.interviewer.name},
        "from_state": transition.from_state,
        "state": transition.to_state,
        "at": when(transition.at, tz),
        "reason": transition.reason,
        "due_at": when(fu.due_at, tz),
        "subject": fu.subject if transition.to_state == "drafted" else None,
    }


def run_document(
    accounts: Sequence[AccountRow],
    transitions: Sequence[Transition],
    failures: Sequence[str],
    tz: str,
    now: datetime,
    dry_run: bool = False,
) -> dict[str, Any]:
    """``dry_run``: what a ``--dry-run`` would do; nothing of it was written."""
    return {
        **envelope("run", tz, now),
        "dry_run": dry_run,
        "ok": not failures,
        "failures": list(failures),
        "accounts": [account(a, tz) for a in accounts],
        "events": [event(t, tz) for t in transitions if t.to_state != "creating"],
    }


def check_document(
    findings: Sequence[Finding], tz: str, now: datetime, strict: bool = False
) -> dict[str, Any]:
    """``check --json``: ``ok`` is false exactly when ``check`` exits non-zero."""
    from daemon.output.checks import ERROR, WARNING, failed, finding

    return {
        **envelope("check", tz, now),
        "ok": not failed(findings, strict),
        "errors": sum(f.level == ERROR for f in findings),
        "warnings": sum(f.level == WARNING for f in findings),
        "checks": [finding(f) for f in findings],
    }
