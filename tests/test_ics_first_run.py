"""A first ``run --once`` of an ics-only account, in a process of its own: what it loads and
what the garbage collector is left to walk (what bench/ics.py measures the cost of).

An ics calendar with a Maildir mailbox needs no provider library: Google's and Microsoft's
clients, CalDAV and IMAP cost start-up time and memory that such a user never gets back.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What the run leaves in sys.modules and gc, printed for the test to read.
_PROBE = """
import contextlib, gc, json, sys
from daemon import heap
from daemon.cli import main
inside = {}  # the collector's settings while the engine works
work = heap.for_work
@contextlib.contextmanager
def watched():
    with work():
        young, _, full = gc.get_threshold()
        inside.update(frozen=gc.get_freeze_count(), young=young, full=full)
        yield
heap.for_work = watched
try:
    main(prog_name="followupd", args=sys.argv[1:])
except SystemExit:
    pass
young, _, full = gc.get_threshold()
after = {"frozen": gc.get_freeze_count(), "full": full, "young": young}
print(json.dumps({"modules": sorted(sys.modules), **inside, "after": after}))
"""

PROVIDERS = (
    "googleapiclient",
    "google.auth",
    "google_auth_oauthlib",
    "msal",
    "requests",
    "caldav",
    "imaplib",
    "connectors.google",
    "connectors.outlook",
    "connectors.caldav",
    "connectors.imap",
)


def test_an_ics_run_loads_no_provider_and_spares_the_garbage_collector(tmp_path: Path) -> None:
    (tmp_path / "cal.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:a@t\r\n"
        "DTSTAMP:20260101T000000Z\r\nDTSTART:20260301T100000Z\r\nSUMMARY:Interview with ACME\r\n"
        "ATTENDEE;CN=Olga:mailto:olga@acme.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    for folder in ("cur", "new", "tmp", ".Drafts/cur", ".Drafts/new", ".Drafts/tmp"):
        (tmp_path / "mail" / folder).mkdir(parents=True)
    config = tmp_path / "config.toml"
    config.write_text(
        '[daemon]\nstate_dir = "state"\ntimezone = "UTC"\n\n[candidate]\nname = "Alex"\n\n'
        '[[accounts]]\nname = "me"\naddresses = ["me@example.org"]\n'
        'calendar = { provider = "ics", path = "cal.ics" }\n'
        'mailbox = { provider = "maildir", path = "mail" }\n'
    )
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, "--config", str(config), "run", "--once"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    found = json.loads(out.strip().splitlines()[-1])
    loaded = [
        m for m in found["modules"] if m.split(".")[0] in {p.split(".")[0] for p in PROVIDERS}
    ]
    assert [m for m in loaded if any(m == p or m.startswith(p + ".") for p in PROVIDERS)] == []
    assert "connectors.ics" in found["modules"]  # the probe saw the run
    assert found["frozen"] > 10_000  # the start-up's objects: modules, mappers, the config
    assert found["full"] == 100  # full collections spaced out (daemon/heap.py)
    assert found["young"] == 10_000  # and young ones
    assert found["after"] == {"frozen": 0, "full": 10, "young": 700}  # handed back
