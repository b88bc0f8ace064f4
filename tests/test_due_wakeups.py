"""The service's due wake-ups follow one another while work keeps coming due.

Found by bench/many.py (issue 14): with thank-yous coming due every second, a due round ended
with the next one already due; the round placed its successor at "now" from inside its own job,
APScheduler (one instance of a job at a time) skipped it as "maximum number of running instances
reached" and, a one-off date job, dropped it. Nothing then woke the service before the next
recheck (a minute) or poll: drafts up to 47 s late with 100 accounts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BACKLOG = '''
import os, signal, threading, time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from daemon.running.service import Service

class Backlog:
    """An engine with five follow-ups already due, one drafted per round."""
    def __init__(self):
        self.stopping, self.progress_at, self.left = False, time.monotonic(), 5
        self.done = threading.Event()
    def stop(self):
        self.stopping = True
    def poll(self):  # what the poll job reads after it (no config: no accounts to follow)
        self.config = SimpleNamespace(daemon=SimpleNamespace(timezone="UTC"), accounts=[])
    def run_due(self):
        time.sleep(0.05)  # a round takes a moment: its successor is placed while it runs
        self.left -= 1
        if self.left == 0:
            self.done.set()
    def upcoming(self):  # what the service logs as "next: ...": a query of its own
        time.sleep(0.2)
        raise LookupError("not told here")
    def next_due(self):
        return datetime.now(UTC) - timedelta(seconds=1) if self.left > 0 else None

engine = Backlog()
def stop():
    engine.done.wait(8)
    print("left", engine.left, flush=True)
    os.kill(os.getpid(), signal.SIGTERM)
threading.Thread(target=stop, daemon=True).start()
Service(engine, timedelta(hours=1)).run()
'''


def test_due_work_coming_due_during_a_round_is_done_by_the_next_round_at_once(
    tmp_path: Path,
) -> None:
    """Five follow-ups due, each round drafts one: five rounds in a row within seconds, not
    two and then a wait for the minute's recheck."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWUPD_")}
    proc = subprocess.run(
        [sys.executable, "-c", BACKLOG],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT), "PYTHONFAULTHANDLER": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "left 0\n", proc.stderr
    assert "maximum number of running instances" not in proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
