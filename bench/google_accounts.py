"""CPU, memory and requests per Google account, against the Google fake (issue 14).

    python3 bench/google_accounts.py              # 200 accounts
    python3 bench/google_accounts.py --accounts 1000 --drafts 5

The fake runs in a child process, so the figures are the connector's alone. Each account is a
real :class:`GoogleCalendar` and :class:`GoogleMailbox` (their own state dir and token file);
all of them read the same fake user. After a first poll of every account, ``--polls`` unchanged
polls are timed: the calendar's ``changes`` with its cursor, each waiting draft's
``draft_state`` and the reply check's ``messages_since`` with its cursor, as the engine asks
them. Printed: ms of CPU per unchanged account poll, KB of RSS per account (growth from before
the first account to after the last first poll, divided by the number of accounts), and
requests per unchanged account poll.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WINDOW = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
SINCE = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
SENDERS = ["jane@acme.com"]
DOMAINS = ["acme.com"]


def serve(folder: Path, accounts: int) -> None:
    """The child: the fake, a token per account, an interview and some mail; prints its
    address, then answers until its standard input closes."""
    from tests.fakes.google_server import start_google_server

    fake = start_google_server(folder)
    fake.state.put_event(
        {
            "id": "iv",
            "summary": "Interview with Jane",
            "start": {"dateTime": "2026-03-03T10:00:00Z"},
            "end": {"dateTime": "2026-03-03T11:00:00Z"},
            "attendees": [{"email": "jane@acme.com"}],
        }
    )
    for n in range(20):
        fake.state.receive(f"news{n}@example.net", "News", at=datetime(2026, 3, 1, tzinfo=UTC))
    for n in range(accounts):
        state = folder / f"a{n}"
        state.mkdir(mode=0o700)
        fake.authorize_token(state / "google-token.json")
    options = fake.account_options(folder)
    print(json.dumps({k: str(v) for k, v in options.items()}), flush=True)
    for line in sys.stdin:
        if line.strip() == "requests":
            print(len(fake.state.requests), flush=True)
    fake.stop()


def rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--drafts", type=int, default=0, help="waiting drafts per account")
    parser.add_argument("--polls", type=int, default=3, help="unchanged polls timed")
    parser.add_argument("--trace", action="store_true", help="print where the memory went")
    args = parser.parse_args()

    from connectors.google.calendar import GoogleCalendar
    from connectors.google.gmail import GoogleMailbox
    from connectors.google.http import GoogleSession
    from daemon.clock import FrozenClock
    from daemon.message import message_id_for
    from daemon.protocols import AccountContext, Address, DraftRequest

    with tempfile.TemporaryDirectory(prefix="followupd-bench-") as tmp:
        folder = Path(tmp)
        child = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(folder), str(args.accounts)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert child.stdin is not None and child.stdout is not None

        def requests() -> int:
            child.stdin.write("requests\n")
            child.stdin.flush()
            return int(child.stdout.readline())

        try:
            options: dict[str, object] = json.loads(child.stdout.readline())
            clock = FrozenClock(datetime(2026, 3, 4, 9, 0, tzinfo=UTC))
            gc.collect()
            if args.trace:
                import tracemalloc

                tracemalloc.start(8)
                snapshot = tracemalloc.take_snapshot()
            before = rss_kb()
            accounts = []
            for n in range(args.accounts):
                state = folder / f"a{n}"
                ctx = AccountContext(f"a{n}", ("me@example.com",), state, clock, "Europe/Berlin")
                opts = {**options, "token_file": state / "google-token.json"}
                calendar = GoogleCalendar(GoogleSession(ctx, opts), ctx, {"calendars": ["primary"]})
                mailbox = GoogleMailbox(GoogleSession(ctx, opts), ctx, {})
                drafts = []
                for d in range(args.drafts):
                    key = f"followupd:a{n}:{d}:jane@acme.com:thank-you"
                    request = DraftRequest(
                        key,
                        Address("me@example.com"),
                        (Address("jane@acme.com"),),
                        "Thanks",
                        "Hi",
                        message_id=message_id_for(key, "me@example.com"),
                    )
                    drafts.append((mailbox.create_draft(request), key))
                cal = calendar.changes(None, WINDOW).cursor
                for ref, key in drafts:
                    mailbox.draft_state(ref, key)
                mail = mailbox.messages_since(SINCE, SENDERS, DOMAINS, None).cursor
                accounts.append([calendar, mailbox, drafts, cal, mail])
            # Once more, so that whatever a first unchanged poll still sets up is counted.
            for account in accounts:
                calendar, mailbox, drafts, cal, mail = account
                account[3] = calendar.changes(cal, WINDOW).cursor
                for ref, key in drafts:
                    mailbox.draft_state(ref, key)
                account[4] = mailbox.messages_since(SINCE, SENDERS, DOMAINS, mail).cursor
            gc.collect()
            after = rss_kb()
            if args.trace:
                grown = tracemalloc.take_snapshot().compare_to(snapshot, "traceback")
                for stat in grown[:6]:
                    print(f"{stat.size_diff / 1024:9.1f} KB  {stat.count_diff:7d} blocks")
                    for line in stat.traceback.format()[-8:]:
                        print("      ", line)
                tracemalloc.stop()
            mark = requests()
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(args.polls):
                for account in accounts:
                    calendar, mailbox, drafts, cal, mail = account
                    account[3] = calendar.changes(cal, WINDOW).cursor
                    for ref, key in drafts:
                        mailbox.draft_state(ref, key)
                    account[4] = mailbox.messages_since(SINCE, SENDERS, DOMAINS, mail).cursor
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            polls = args.polls * args.accounts
            sent = requests() - mark
        finally:
            child.stdin.close()
            child.wait(timeout=30)
    print(f"google accounts: {args.accounts}, waiting drafts each: {args.drafts}")
    print(f"  CPU per unchanged account poll:      {cpu * 1000 / polls:8.2f} ms")
    print(f"  wall per unchanged account poll:     {wall * 1000 / polls:8.2f} ms")
    print(f"  requests per unchanged account poll: {sent / polls:8.2f}")
    print(f"  RSS per account:                     {(after - before) / args.accounts:8.1f} KB")
    print(f"  RSS total:                           {after / 1024:8.1f} MB")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
