"""Phase (c) of bench/many.py with several followupd instances on one PostgreSQL, one killed.

    python3 bench/many.py --accounts 100 --instances 3 --kill --database postgresql+psycopg://...

K ``followupd run`` instances (each its own home and state folder, one config, one database)
serve the world while the arranged thank-yous come due; at ``--kill-at`` seconds from the start
(by default the middle of the due window; later if it holds no account yet) instance 0 is
SIGKILLed: no clean stop, its leases stay in ``account_leases`` until they run out. The
survivors run until every arranged thank-you is drafted and the killed instance's accounts are
taken over (or the grace ends), then SIGTERM.

What it adds to the single instance's figures (see docs/bench.md):

- duplicates: drafts at the fakes that repeat another draft of the same account, by the same
  recipients and subject, or by the same Message-ID (followupd derives it from the follow-up's
  KEY, so two drafts with one Message-ID are one follow-up drafted twice); counted over every
  draft at the fakes, not only the arranged ones;
- the takeover: from the SIGKILL until every account the killed instance held has an
  unexpired lease of a live instance, seen by polling PostgreSQL every 0.25 s (:class:`Watch`);
- how the accounts were split among the instances before the kill and at the end.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from manyworld import Instance, Usage, World, lateness, reap

WATCH_EVERY = 0.25  # seconds between two looks at account_leases
UNDEFINED_TABLE = "42P01"  # before the first instance has made the tables
Planned = Callable[[dict[str, Any], dict[tuple[str, str], float]], dict[str, Any]]


class Watch(threading.Thread):
    """Who holds which account, by PostgreSQL's ``account_leases`` and ``instances`` (the
    database's clock decides what is expired), sampled every :data:`WATCH_EVERY` seconds; and,
    once told of a kill, the first sample in which the killed instance's accounts all have a
    live holder."""

    def __init__(self, url: str) -> None:
        super().__init__(name="lease-watch", daemon=True)
        from sqlalchemy import create_engine

        self.engine = create_engine(url, pool_size=1)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.holders: dict[str, int | None] = {}  # account -> pid of its live holder, or None
        self.orphans: set[str] = set()  # the killed instance's accounts
        self.survivors: set[int] = set()  # pids
        self.killed_at: float | None = None
        self.taken_at: float | None = None
        self.errors: list[str] = []

    def sample(self) -> dict[str, int | None]:
        """Each account and the pid of the instance holding an unexpired lease of it."""
        from sqlalchemy import text

        query = text(
            "SELECT l.account, i.pid FROM account_leases l LEFT JOIN instances i "
            "ON i.id = l.holder AND l.expires_at > clock_timestamp()"
        )
        with self.engine.connect() as conn:
            return {account: pid for account, pid in conn.execute(query)}

    def killed(self, pid: int, survivors: set[int], at: float) -> set[str]:
        """Instance ``pid`` was killed at ``at``: watch its accounts (as last sampled, and now)
        until ``survivors`` hold all of them. Returns them."""
        with self.lock:
            orphans = {a for a, holder in self.holders.items() if holder == pid}
        orphans |= {a for a, holder in self.sample().items() if holder == pid}
        with self.lock:
            self.orphans, self.survivors, self.killed_at = orphans, survivors, at
        return orphans

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                holders = self.sample()
            except Exception as err:  # no tables yet (a first start), or a restart: go on
                if getattr(getattr(err, "orig", None), "sqlstate", None) != UNDEFINED_TABLE:
                    self.errors.append(str(err).splitlines()[0])
                holders = None
            now = time.time()
            with self.lock:
                if holders is not None:
                    self.holders = holders
                    watching = self.killed_at is not None and self.taken_at is None
                    if watching and all(holders.get(a) in self.survivors for a in self.orphans):
                        self.taken_at = now
            self.stop.wait(WATCH_EVERY)

    def holds(self, pid: int) -> bool:
        """Whether instance ``pid`` holds an account (killing one that holds none would show
        no takeover: the kill waits for it, as after a slow start on a busy machine)."""
        with self.lock:
            return pid in self.holders.values()

    def split(self, pids: list[int]) -> list[int]:
        """How many accounts each instance (in ``pids``' order) holds now; then the unheld."""
        with self.lock:
            counts = Counter(self.holders.values())
        return [counts.get(pid, 0) for pid in pids] + [counts.get(None, 0)]

    def close(self) -> None:
        self.stop.set()
        self.join(5)
        self.engine.dispose()


def duplicates(drafts: list[dict[str, Any]]) -> dict[str, int]:
    """Drafts repeating another of the same account: by recipients and subject, by Message-ID.
    Each counts the drafts beyond the first of their group."""
    by_subject = Counter((d["account"], tuple(sorted(d["to"])), d["subject"]) for d in drafts)
    by_id = Counter((d["account"], d["message_id"]) for d in drafts if d.get("message_id"))
    return {
        "duplicates": sum(n - 1 for n in by_subject.values()),
        "duplicate_ids": sum(n - 1 for n in by_id.values()),
        "drafts_at_fakes": len(drafts),
    }


def service(world: World, args: Any, url: str, planned: Planned) -> dict[str, Any]:
    """``followupd run`` on ``args.instances`` instances while the arranged thank-yous come due,
    instance 0 SIGKILLed at ``args.kill_at`` when ``args.kill``; the figures (module docstring).
    ``planned``: bench/many.py's reading of ``status --json`` (what followupd says it did)."""
    instances: list[Instance] = [world.instance(n) for n in range(args.instances)]
    start = time.time()
    last_due = start + args.lead + args.spread
    due = world.ask("/arrange", {"first": start + args.lead, "last": last_due})
    expected = {(d["account"], p.lower()): d["due"] for d in due for p in d["to"]}
    world.ask("/reset")
    fake_cpu, load = world.cpu(), os.getloadavg()[0]
    watch = Watch(url)
    watch.start()
    running = [(n, *instances[n].start("run")) for n in range(args.instances)]
    pids = [proc.pid for _, proc, _ in running]
    kill_at = start + (args.kill_at if args.kill_at is not None else args.lead + args.spread / 2)
    usages: dict[int, Usage] = {}
    orphans: set[str] = set()
    before: list[int] = []
    created: dict[tuple[str, str], float] = {}
    deadline = last_due + args.grace
    while time.time() < deadline and all(proc.poll() is None for _, proc, _ in running):
        time.sleep(0.2 if len(expected) < 10 else 1.0)
        if not args.kill and not before and time.time() >= kill_at:
            before = watch.split(pids)  # no kill: the split at the middle of the run
        if args.kill and 0 not in usages and time.time() >= kill_at and watch.holds(pids[0]):
            before = watch.split(pids)
            _, proc, started = running.pop(0)
            proc.send_signal(signal.SIGKILL)
            killed_at = time.time()
            usages[0] = reap(proc, started)
            orphans = watch.killed(proc.pid, {p.pid for _, p, _ in running}, killed_at)
        for draft in world.ask("/drafts"):
            for person in draft["to"]:
                key = (draft["account"], person)
                if key in expected and draft["created"] >= start:
                    created[key] = min(created.get(key, draft["created"]), draft["created"])
        taken = not args.kill or watch.taken_at is not None
        if len(created) == len(expected) and time.time() > last_due and taken:
            break
    died = [n for n, proc, _ in running if proc.poll() is not None]
    after = watch.split(pids)
    for _, proc, _ in running:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # all at once: none takes over another's accounts
    usages.update({n: reap(proc, started) for n, proc, started in running})
    watch.close()
    stats = world.ask("/stats")
    drafts = world.ask("/drafts")
    ended = time.time()
    orphan_late = [created[k] - expected[k] for k in created if k[0] in orphans]
    other_late = [created[k] - expected[k] for k in created if k[0] not in orphans]
    said = {} if args.smoke else planned(instances[-1].status(), expected)
    return {
        **said,
        "load": max(load, os.getloadavg()[0]),
        "instances": args.instances,
        "lease_period": args.lease_period,
        "cpu": sum(u.cpu for u in usages.values()),
        "rss_mb": max(u.rss_mb for u in usages.values()),
        "per_instance": [usages[n].__dict__ for n in sorted(usages)],
        "code": next(  # the worst way a survivor ended (the killed one's -9 is expected)
            (u.code for n, u in usages.items() if (n or not args.kill) and u.code not in (0, -15)),
            0,
        ),
        "died": bool(died),
        **lateness(created, expected, ended),
        **duplicates(drafts),
        "killed": bool(args.kill),
        "killed_after_s": (watch.killed_at - start) if watch.killed_at else None,
        "killed_held": len(orphans) if args.kill else None,
        "killed_worst_late": max(orphan_late, default=None),  # its accounts' drafts
        "killed_over_60s": sum(1 for x in orphan_late if x > 60),
        "others_worst_late": max(other_late, default=None),  # the survivors' own accounts
        "others_over_60s": sum(1 for x in other_late if x > 60),
        "takeover_s": (watch.taken_at - watch.killed_at)
        if watch.taken_at and watch.killed_at
        else None,
        "split_before": before,
        "split_after": after,
        "watch_errors": watch.errors[:5],
        "requests": stats["paces"]["all"]["served"],
        "in_flight": stats["paces"]["all"]["max_in_flight"],
        "fake_cpu": world.cpu() - fake_cpu,
        "problems": stats["problem_count"],
    }


def table(rows: list[dict[str, Any]]) -> list[str]:
    """The multi-instance figures of (c), a small table under the main one."""
    head = (
        "| accounts | instances | killed at s | held by killed | takeover s | lease period "
        "| duplicates (subject / Message-ID) | drafts at fakes | split before | split after |"
    )
    lines = ["", head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        c = r.get("service", {})
        if "instances" not in c:
            continue
        taken = c.get("takeover_s")
        cells = [
            r["accounts"],
            c["instances"],
            _fmt(c.get("killed_after_s")),
            _fmt(c.get("killed_held")),
            _fmt(taken) if taken is not None or not c.get("killed") else "not seen",
            c.get("lease_period") or "60s",
            f"{c['duplicates']} / {c['duplicate_ids']}",
            c["drafts_at_fakes"],
            _split(c.get("split_before")),
            _split(c.get("split_after")),
        ]
        lines.append("| " + " | ".join(str(x) for x in cells) + " |")
    lines.append(
        "split: accounts held per instance (0 first, the killed one), then those held by no "
        "live instance; after: at the end of the run, before the survivors' SIGTERM"
    )
    return lines


def _split(counts: list[int] | None) -> str:
    return "/".join(str(n) for n in counts) if counts else "-"


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if isinstance(value, float) else str(value)
