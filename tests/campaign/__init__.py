"""Helpers of the crash-safety campaign (tests/test_crash_campaign.py, tests/test_sigterm.py).

- :mod:`.daemon`    runs the real ``python -m daemon`` in a subprocess, with the fault hook
  (:mod:`daemon.faults`) set to SIGKILL it at a chosen checkpoint, and reads its trace;
- :mod:`.worlds`    the local world (ics + Maildir) and what every world offers: the same user
  and calendar actions, the same normalised view of the mailbox;
- :mod:`.remote`    the Google and Microsoft worlds, over the fake servers of tests/fakes;
- :mod:`.caldav_world`, :mod:`.imap`, :mod:`.caldav_imap`  worlds on real servers: Radicale
  (+ Maildir), Dovecot (+ ics), and both together (a Fastmail or iCloud user's account);
- :mod:`.scenario`  the story, step by step, with what must be true after each step;
- :mod:`.oracle`    what must hold after every clean run: the mailbox and the state table;
- :mod:`.passes`    one pass of the story with kills, and where the kills fall (seeded);
- :mod:`.live`      a world for the long-running daemon, in real time;
- :mod:`.stall`     a relay that makes a fake server hang (SIGTERM mid-poll).
"""

import os

import pytest

PROVIDERS = ["local", "google", "outlook"]
# The heal and redraft paths are the core's but for the mailbox calls, which the campaign's story
# kills on every provider: CI kills them on the local world (tests/test_crash_campaign.py's heal
# and retry, tests/test_crash_redraft.py), the long profile on all three (the suite stays
# under its 20 minutes).
LOCAL_IN_CI = [
    p if p == "local" else pytest.param(p, marks=pytest.mark.skipif(
        os.environ.get("FOLLOWUPD_CAMPAIGN", "ci") == "ci",
        reason="the fake servers' heal/redraft kills run in FOLLOWUPD_CAMPAIGN=long",
    ))
    for p in PROVIDERS
]  # fmt: skip

# Figures the campaign measured (kills by phase, times), printed at the end of the pytest run.
FIGURES: list[str] = []
