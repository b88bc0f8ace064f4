"""How soon a thank-you is drafted after its interview is saved to the calendar, with the
service polling every hour: with ``[daemon].wake_on_change`` (the default) and without.

    python3 bench/wakeups.py              # 5 interviews each way
    python3 bench/wakeups.py --rounds 10

The real service in this process (its scheduler, the ics and Maildir connectors on real
folders, SQLite), as tests/test_wakeups.py runs it, with the default two-second grouping.
Prints, per setting, the seconds from the file written to the draft in Drafts (median and
worst), a draft not made within ``--wait`` seconds counted as "not within", and the watch
threads the service runs. Without wake-ups the draft waits for the next poll: up to the
interval (an hour here).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from daemon.running.service import Service  # noqa: E402
from tests.harness import Event, Person, World  # noqa: E402


def run(on: bool, rounds: int, wait: float) -> tuple[list[float], int, int]:
    """Seconds to each draft (``wait`` + 1 when none came), drafts missed, watch threads."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        extra = "" if on else "[daemon]\nwake_on_change = false\n"
        world = World(root, f"sqlite:///{root / 'state.db'}")
        if not on:  # the option in [daemon], which World writes itself
            text = world.config_path.read_text()
            world.config_path.write_text(text.replace("[daemon]\n", extra, 1))
            world.restart()
        world.clock.set(datetime.now(UTC))
        threads = threading.active_count()
        service = Service(world.engine, timedelta(hours=1))
        service.renewal.start()
        service._start()
        time.sleep(1.0)  # the first poll
        watching = threading.active_count() - threads
        took, missed = [], 0
        try:
            for n in range(rounds):
                start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
                person = Person(f"Person {n}", f"person{n}@acme.example")
                before = len(world.drafts())
                world.add(Event(f"acme-{n}", start, 60, "Interview: Acme (Engineer)", [person]))
                began = time.monotonic()
                while len(world.drafts()) == before and time.monotonic() - began < wait:
                    time.sleep(0.01)
                if len(world.drafts()) == before:
                    missed += 1
                    took.append(wait + 1)
                else:
                    took.append(time.monotonic() - began)
        finally:
            service.stop_jobs(wait=True)
        return took, missed, watching


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--wait", type=float, default=10.0, help="seconds to wait for a draft")
    args = parser.parse_args()
    print(f"poll interval 1 h; {args.rounds} interviews saved, each already due")
    print(f"{'wake_on_change':<16}{'median s':>10}{'worst s':>10}{'not within':>12}{'threads':>9}")
    for on in (True, False):
        took, missed, threads = run(on, args.rounds, args.wait)
        worst = "-" if missed else f"{max(took):.2f}"
        median = "-" if missed > len(took) // 2 else f"{statistics.median(took):.2f}"
        print(
            f"{str(on).lower():<16}{median:>10}{worst:>10}{f'{missed} ({args.wait:.0f} s)':>12}"
            f"{threads:>9}"
        )


if __name__ == "__main__":
    main()
