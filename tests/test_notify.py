"""The user is told when their input is wanted (issue 11, point 1).

Through the real CLI, at simulated times, on the demo's ics calendar and Maildir: the Acme
onsite (interview 3) ends at 11:00 and its thank-yous are due at 12:00. At 11:05 the user hears
"add notes before 12:00", once, whatever runs and restarts follow; at 12:00 that the drafts are
waiting. Each notifier is the real thing against a local stand-in: a notification server on a
private D-Bus (jeepney), an HTTP receiver for an Apprise ``json://`` URL, a hook script. A
notifier that fails or is missing never costs a draft.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from daemon import config as config_mod
from daemon import demo
from daemon.cli import main
from daemon.clock import FrozenClock
from daemon.errors import AuthNeeded
from daemon.output.times import zoned
from daemon.running.engine import Connection
from daemon.running.reload import build_engine
from daemon.store.models import FollowUp, State
from daemon.store.repository import transition

CREATED = datetime.fromisoformat("2026-03-03T12:00+00:00")  # the demo's "now"
BEFORE = "2026-03-03T10:30+00:00"  # Acme's onsite still running
ENDED = "2026-03-03T11:05+00:00"  # it ended at 11:00; the thank-yous are due at 12:00
LATER = "2026-03-03T11:10+00:00"
DUE = "2026-03-03T12:00+00:00"
ACME_ENDED = (
    "Interview with Acme Corp (Jane Smith, Raj Patel) ended — add notes before 12:00 UTC: "
    "followupd note 3"
)
TWO_DRAFTS = "2 thank-you drafts are waiting in Drafts"

HOOK = """#!/bin/sh
# Writes the event it is told about, one block per call (the variables of an event only: the
# environment it inherits may hold others, such as CI's FOLLOWUPD_TEST_POSTGRES_URL).
env | grep -E '^FOLLOWUPD_(EVENT|TITLE|MESSAGE|INTERVIEW|ACCOUNT)=' | sort >> "{out}"
echo --- >> "{out}"
exit {code}
"""


def home(root: Path, notify: str) -> Path:
    """The demo, with ``notify`` as its [notify] section; returns its config file."""
    config = demo.create(root / "demo", now=CREATED)
    with config.open("a") as file:
        file.write(f"\n[notify]\n{notify}\n")
    return config


def run(config: Path, at: str) -> str:
    result = CliRunner().invoke(main, ["--config", str(config), "run", "--once", "--now", at])
    assert result.exit_code == 0, result.output
    return result.output


def hook(root: Path, code: int = 0) -> tuple[Path, Path]:
    """A hook script and the file it writes to."""
    out, script = root / "told.txt", root / "hook.sh"
    script.write_text(HOOK.format(out=out, code=code))
    script.chmod(0o755)
    return script, out


def told(out: Path) -> list[dict[str, str]]:
    """What the hook was told, one dict of FOLLOWUPD_* variables per call."""
    if not out.exists():
        return []
    calls = out.read_text().split("---\n")[:-1]
    return [dict(line.split("=", 1) for line in call.splitlines()) for call in calls]


def drafts(config: Path) -> int:
    return len(list((config.parent / "Maildir" / ".Drafts" / "cur").iterdir()))


@pytest.fixture(autouse=True)
def no_session_bus(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never the desktop of whoever runs the tests."""
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)


# -- the command hook ---------------------------------------------------------------------


def test_the_hook_hears_that_the_interview_ended_once_then_that_drafts_wait(
    tmp_path: Path,
) -> None:
    script, out = hook(tmp_path)
    config = home(tmp_path, f'command = ["{script}", "--from-followupd"]')
    run(config, BEFORE)  # the interviews of last week: marked, not told about
    assert told(out) == []
    run(config, ENDED)
    run(config, LATER)  # a restart: told already
    # (The demo's status inquiry to Globex comes due meanwhile: told as a draft waiting.)
    assert [c for c in told(out) if c["FOLLOWUPD_EVENT"] == "interview_ended"] == [
        {
            "FOLLOWUPD_ACCOUNT": "demo",
            "FOLLOWUPD_EVENT": "interview_ended",
            "FOLLOWUPD_INTERVIEW": "3",
            "FOLLOWUPD_MESSAGE": ACME_ENDED,
            "FOLLOWUPD_TITLE": "Interview ended: notes wanted",
        }
    ]
    run(config, DUE)
    last = told(out)[-1]
    assert last["FOLLOWUPD_EVENT"] == "drafts_created"
    assert last["FOLLOWUPD_MESSAGE"] == TWO_DRAFTS and last["FOLLOWUPD_INTERVIEW"] == "3"
    assert [c["FOLLOWUPD_EVENT"] for c in told(out)].count("interview_ended") == 1


def test_nothing_is_said_for_an_interview_whose_notes_window_closed(tmp_path: Path) -> None:
    """Down from before the end until the thank-yous were due: no 'add notes before 12:00'
    at 12:00, only the drafts; and nothing about the interviews of last week."""
    script, out = hook(tmp_path)
    config = home(tmp_path, f'command = ["{script}"]')
    run(config, DUE)
    events = [call["FOLLOWUPD_EVENT"] for call in told(out)]
    assert "interview_ended" not in events and "drafts_created" in events
    run(config, "2026-03-03T12:30+00:00")
    assert [call["FOLLOWUPD_EVENT"] for call in told(out)] == events


def test_the_service_wakes_up_when_an_interview_ends(tmp_path: Path) -> None:
    """The due job is scheduled at the next end of an interview with notes wanted (11:00),
    before the next follow-up due (12:00): that is when the running daemon tells the user."""
    script, _ = hook(tmp_path)
    # Without status inquiries: the demo's inquiry to Globex happens to be due at 11:00 too.
    config = home(tmp_path, f'command = ["{script}"]\n[status_inquiry]\nenabled = false')
    run(config, BEFORE)
    clock = FrozenClock(datetime.fromisoformat(BEFORE))
    engine = build_engine(config_mod.load(config), clock)
    assert engine.next_due() == datetime.fromisoformat("2026-03-03T11:00+00:00")
    clock.set(datetime.fromisoformat(ENDED))
    engine.run_due()  # the due job: no poll, only the round
    assert engine.next_due() == datetime.fromisoformat(DUE)


def test_an_account_that_needs_auth_is_told_once(tmp_path: Path) -> None:
    script, out = hook(tmp_path)
    config = home(tmp_path, f'command = ["{script}"]')
    clock = FrozenClock(datetime.fromisoformat(BEFORE))
    loaded = config_mod.load(config)
    engine = build_engine(loaded, clock)
    expired = AuthNeeded("the refresh token was revoked", "followupd auth demo")
    engine.connections["demo"] = Connection(loaded.accounts[0], None, None, error=expired)
    engine.poll()
    engine.poll()
    assert [(c["FOLLOWUPD_EVENT"], c["FOLLOWUPD_MESSAGE"]) for c in told(out)] == [
        ("needs_auth", "Account demo needs re-authorization — run: followupd auth demo")
    ]


def test_a_failed_follow_up_is_told_with_its_reason(tmp_path: Path) -> None:
    """Failures are read from the transitions of the round, whoever recorded them."""
    script, out = hook(tmp_path)
    config = home(tmp_path, f'command = ["{script}"]')
    run(config, LATER)
    clock = FrozenClock(datetime.fromisoformat(DUE))
    engine = build_engine(config_mod.load(config), clock)
    mark = engine.teller.round_begins(clock.now())
    with engine.sessions() as session:
        fu = session.get(FollowUp, 1)
        assert fu is not None
        transition(session, fu, State.FAILED, "template line 3: 'fit' is undefined", clock.now())
        session.commit()
        who = fu.interviewer.name
    engine.teller.round_ends(mark)
    last = told(out)[-1]
    assert last["FOLLOWUPD_EVENT"] == "followup_failed"
    assert f"to {who} " in last["FOLLOWUPD_MESSAGE"]
    assert last["FOLLOWUPD_MESSAGE"].endswith(
        "could not be drafted: template line 3: 'fit' is undefined — see: followupd status"
    )


def test_a_reload_picks_up_a_changed_notify_section(tmp_path: Path) -> None:
    """SIGHUP builds the engine again from the file: its notifiers are the new [notify]."""
    from daemon.running.reload import Reloader

    config = home(tmp_path, "")
    clock = FrozenClock(datetime.fromisoformat(BEFORE))
    reloader = Reloader(config, config_mod.load(config), clock)
    assert not reloader.load().teller.active
    script, _ = hook(tmp_path)
    with config.open("a") as file:
        file.write(f'command = ["{script}"]\n')
    assert [n.name for n in reloader.load().teller.notifier.notifiers] == ["command"]


# -- failing notifiers --------------------------------------------------------------------


def test_failing_notifiers_are_logged_and_the_drafts_are_made(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("apprise")
    script, out = hook(tmp_path, code=1)
    down = "json://127.0.0.1:9/nobody-listens"  # the discard port: refused
    config = home(
        tmp_path,
        f'command = ["{script}"]\napprise = ["{down}"]\ndesktop = true\ntimeout = "3s"',
    )
    with caplog.at_level(logging.WARNING):
        run(config, ENDED)
        run(config, DUE)
    assert drafts(config) >= 2  # both thank-yous (and the demo's inquiry)
    assert "interview_ended" in [c["FOLLOWUPD_EVENT"] for c in told(out)]  # ran, and failed
    assert f"[notify].command could not tell you {ACME_ENDED!r}" in caplog.text
    assert "hook.sh exited with status 1" in caplog.text
    assert "[notify].apprise could not tell you" in caplog.text
    assert "[notify].desktop is not available: no desktop session bus here" in caplog.text
    assert "nobody-listens" not in caplog.text  # an Apprise URL may hold a token


def test_a_hook_that_hangs_is_stopped_at_the_timeout(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The hook and what it started are killed at [notify].timeout; the drafting goes on."""
    script, pids = tmp_path / "slow.sh", tmp_path / "pids"
    script.write_text(f"#!/bin/sh\nsleep 30 &\necho $! > {pids}\nwait\n")
    script.chmod(0o755)
    config = home(tmp_path, f'command = ["{script}"]\ntimeout = "1s"')
    with caplog.at_level(logging.WARNING):
        run(config, ENDED)
        run(config, DUE)
    assert "slow.sh did not finish within 1s; stopped" in caplog.text
    assert drafts(config) >= 2
    stat = Path(f"/proc/{int(pids.read_text())}/stat")  # the hook's child went with it
    assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


# -- the desktop, over D-Bus ----------------------------------------------------------------


@pytest.fixture
def desktop(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    from tests.fakes.notifications import FakeNotificationServer, PrivateBus, dbus_daemon

    if dbus_daemon() is None:
        pytest.skip("dbus-daemon is not installed (Debian package dbus)")
    bus = PrivateBus()
    server = FakeNotificationServer(bus.address, capabilities=("body", "body-markup"))
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
    yield server
    server.close()
    bus.close()


def test_the_desktop_shows_the_interview_end_once(tmp_path: Path, desktop) -> None:  # noqa: ANN001
    config = home(tmp_path, "desktop = true")
    run(config, BEFORE)
    assert desktop.shown == []
    run(config, ENDED)
    run(config, LATER)
    ended = [s for s in desktop.shown if s.summary.startswith("Interview ended")]
    assert [(s.app_name, s.summary, s.body) for s in ended] == [
        ("followupd", "Interview ended: notes wanted", ACME_ENDED)
    ]
    run(config, DUE)
    assert desktop.shown[-1].body == TWO_DRAFTS
    checked = CliRunner().invoke(main, ["--config", str(config), "check"]).output
    assert "notify desktop: OK (notification server: fake" in checked


def test_notify_test_sends_through_each_notifier(tmp_path: Path, desktop) -> None:  # noqa: ANN001
    config = home(tmp_path, "desktop = true")
    result = CliRunner().invoke(main, ["--config", str(config), "notify", "--test"])
    assert result.exit_code == 0, result.output
    assert "test via desktop: sent" in result.output
    assert desktop.shown[0].summary == "followupd test notification"


# -- Apprise ------------------------------------------------------------------------------


def test_an_apprise_url_receives_the_interview_end(tmp_path: Path) -> None:
    pytest.importorskip("apprise")
    from tests.fakes.notifications import PushReceiver

    receiver = PushReceiver()
    try:
        config = home(tmp_path, f'apprise = ["{receiver.url}"]')
        run(config, ENDED)
        run(config, LATER)
        assert [
            (r["title"], r["message"])
            for r in receiver.received
            if r["title"].startswith("Interview ended")
        ] == [("Interview ended: notes wanted", ACME_ENDED)]
    finally:
        receiver.close()


def test_without_apprise_check_says_how_to_install_it_and_the_daemon_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "apprise", None)  # import apprise -> ImportError
    script, out = hook(tmp_path)
    config = home(tmp_path, f'apprise = ["ntfy://my-secret-topic"]\ncommand = ["{script}"]')
    with caplog.at_level(logging.WARNING):
        run(config, ENDED)
        run(config, DUE)
    assert "install it with: pip install 'followupd[apprise]'" in caplog.text
    assert drafts(config) >= 2
    assert {c["FOLLOWUPD_EVENT"] for c in told(out)} == {"interview_ended", "drafts_created"}
    checked = CliRunner(env={"COLUMNS": "250"}).invoke(main, ["--config", str(config), "check"])
    assert (
        "warning: notify apprise: not available: the apprise package is not installed; "
        "install it with: pip install 'followupd[apprise]'" in checked.output
    )
    assert "my-secret-topic" not in checked.output + caplog.text


def test_notify_settings_are_checked_like_every_other_option(tmp_path: Path) -> None:
    config = home(tmp_path, 'apprise = ["not a url"]\ncommand = []\ntimeout = "5m"\nsound = 1')
    result = CliRunner().invoke(main, ["--config", str(config), "check"])
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert (
        "[notify].apprise: expected a list of Apprise URLs like 'ntfy://my-topic' or "
        "'tgram://bot-token/chat-id', got item 1, which is not one" in said
    )
    assert "not a url" not in said  # secret: never shown
    assert "[notify].timeout: expected a duration of at most 60s, got '5m'" in said
    assert "[notify].sound: unknown key" in said
    assert os.path.exists(config)


def test_markup_in_a_name_reaches_the_desktop_as_text(desktop) -> None:  # noqa: ANN001
    """A server that speaks body markup gets 'AT&T' escaped, so it shows 'AT&T'."""
    from datetime import timedelta

    from daemon.notify import events
    from daemon.notify.desktop import DesktopNotifier

    event = events.Event("test", "t", "Interview with AT&T <Labs> ended")
    DesktopNotifier().send(event, timedelta(seconds=3))
    assert desktop.shown[-1].body == "Interview with AT&amp;T &lt;Labs&gt; ended"


def test_notify_test_fails_visibly_when_a_notifier_fails(tmp_path: Path) -> None:
    script, out = hook(tmp_path, code=1)
    config = home(tmp_path, f'command = ["{script}"]')
    result = CliRunner().invoke(main, ["--config", str(config), "notify", "--test"])
    assert result.exit_code == 1
    assert "test via command: failed: " in result.output and "exited with status 1" in result.output
    assert told(out)[0]["FOLLOWUPD_EVENT"] == "test"


# -- the wording --------------------------------------------------------------------------


def test_the_wording_of_what_is_told() -> None:
    from daemon.notify import events

    end = datetime.fromisoformat("2026-03-03T16:00+00:00")
    said = events.interview_ended(
        7, "work", None, "Phone screen", ["A", "B", "C", "D", "E"],
        datetime.fromisoformat("2026-03-04T08:30+00:00"), end, "Europe/Berlin",
    )  # fmt: skip
    assert said.message == (
        "Interview “Phone screen” (A, B, C and 2 more) ended — add notes before "
        "Wed 04 Mar 09:30 CET: "
        "followupd note 7"
    )
    assert events.drafts_created(1, 0, ["work"], [7]).message == (
        "1 thank-you draft is waiting in Drafts"
    )
    assert events.drafts_created(2, 1, ["home", "work"], [7, 8], named=True).message == (
        "2 thank-you drafts and 1 status inquiry are waiting in Drafts (accounts home, work)"
    )
    failures = [
        events.Failure("status_inquiry", "Jane Smith", "Acme", "x" * 400, 3, "work"),
        events.Failure("thank_you", "Raj Patel", "Acme", "bad", 3, "work"),
    ]
    message = events.followups_failed(failures).message
    assert message.startswith("2 follow-ups could not be drafted; the status inquiry to Jane ")
    assert message.endswith("x… — see: followupd status") and len(message) <= 260


# -- the running daemon -------------------------------------------------------------------


def test_the_running_daemon_wakes_up_when_an_interview_ends(tmp_path: Path) -> None:
    """`followupd run` polls once an hour here, yet tells about an interview the moment it
    ends: the end is a wake-up of its own, like a follow-up's due time."""
    from datetime import UTC, timedelta

    from daemon.demo import _event
    from tests.test_reload import Daemon, wait_for

    script, out = hook(tmp_path)
    config = demo.create(tmp_path / "demo", now=datetime.now(UTC))
    ends = (datetime.now(UTC) + timedelta(seconds=6)).replace(microsecond=0)
    hooli = _event("hooli@test", ends - timedelta(minutes=45), 45, "Interview: Hooli", "",
                   [("Gavin Belson", "gavin@hooli.example", "INDIVIDUAL")])  # fmt: skip
    (config.parent / "calendar" / "hooli.ics").write_text(
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n{hooli}\r\nEND:VCALENDAR\r\n",
        newline="",
    )
    text = config.read_text().replace('timezone = "UTC"', 'timezone = "UTC"\npoll_interval = "1h"')
    config.write_text(text + f'\n[notify]\ncommand = ["{script}"]\n')

    def ended() -> list[dict[str, str]]:
        return [c for c in told(out) if c["FOLLOWUPD_EVENT"] == "interview_ended"]

    daemon = Daemon(config, tmp_path)
    try:
        wait_for(lambda: daemon.said("READY=1") > 0, 30, "the daemon to start")
        wait_for(lambda: bool(ended()), 30, "the interview end to be told")
        ended_at = datetime.now(UTC)
        assert ended_at >= ends
        due = ends + timedelta(hours=1)
        assert [c["FOLLOWUPD_MESSAGE"] for c in ended()] == [
            # "00:47 UTC", or "Mon 07 Dec 00:47 UTC" when the hour crosses midnight
            f"Interview with Hooli (Gavin Belson) ended — add notes before "
            f"{zoned(due, 'UTC', ended_at)}: "
            f"followupd note {ended()[0]['FOLLOWUPD_INTERVIEW']}"
        ]
    finally:
        daemon.close()


def test_check_points_to_the_notify_section_when_nothing_is_configured(tmp_path: Path) -> None:
    """The hint names the section as written in the file ("[notify]" is no console markup)."""
    config = demo.create(tmp_path / "demo", now=datetime.fromisoformat(ENDED))
    checked = CliRunner().invoke(main, ["--config", str(config), "check"]).output
    assert "notify: nothing configured (see [notify] in config.example.toml)" in checked
