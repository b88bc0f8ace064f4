"""A ready test environment for the Google connector: fake server, token, account context."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.google.calendar import GoogleCalendar
from connectors.google.gmail import GoogleMailbox
from connectors.google.http import GoogleSession
from connectors.google.retry import RetryPolicy
from daemon.clock import FrozenClock
from daemon.message import message_id_for
from daemon.protocols import AccountContext, Address, DraftRequest
from tests.fakes.google_server import GoogleFake, start_google_server
from tests.fakes.google_state import FakeGoogleState


@dataclass
class GoogleEnv:
    fake: GoogleFake
    ctx: AccountContext
    options: dict[str, Any]
    slept: list[float] = field(default_factory=list)

    @property
    def state(self) -> FakeGoogleState:
        return self.fake.state

    def policy(self) -> RetryPolicy:
        """The real retry policy with sleeps recorded instead of slept."""
        return RetryPolicy(sleep=self.slept.append, jitter=lambda: 0.0)

    def session(self) -> GoogleSession:
        return GoogleSession(self.ctx, self.options, policy=self.policy())

    def calendar(self, calendars: list[str] | None = None) -> GoogleCalendar:
        return GoogleCalendar(self.session(), self.ctx, {"calendars": calendars or ["primary"]})

    def mailbox(self) -> GoogleMailbox:
        return GoogleMailbox(self.session(), self.ctx, {})


@contextmanager
def google_env(
    tmp_path: Path, *, authorized: bool = True, check: bool = True
) -> Iterator[GoogleEnv]:
    fake = start_google_server(tmp_path)
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700, exist_ok=True)
    ctx = AccountContext(
        name="personal",
        addresses=(fake.state.email,),
        state_dir=state_dir,
        clock=FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)),
        timezone="Europe/Berlin",
    )
    options = fake.account_options(tmp_path)
    options["token_file"] = state_dir / "google-token.json"
    if authorized:
        fake.authorize_token(options["token_file"])
    try:
        yield GoogleEnv(fake, ctx, options)
        if check:
            fake.check()
    finally:
        fake.stop()


def thank_you_drafts(mailbox: GoogleMailbox, count: int) -> list[tuple[Any, str]]:
    """``count`` thank-you drafts to jane@acme.com made in ``mailbox``: (ref, key) each."""
    made = []
    for n in range(count):
        key = f"followupd:personal:{n}:jane@acme.com:thank-you"
        request = DraftRequest(
            key,
            Address("me@example.com"),
            (Address("jane@acme.com"),),
            f"Thanks {n}",
            "Hi",
            message_id=message_id_for(key, "me@example.com"),
        )
        made.append((mailbox.create_draft(request), key))
    return made
