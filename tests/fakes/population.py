"""Many users on the multi-user fakes, and the followupd config that serves them all.

:class:`Population` builds the world of bench/many.py (through tests/fakes/serve.py): N
accounts, Google and Outlook alternating (or one provider), each with its own seeded calendar
and mailbox (tests/fakes/world.py) and the token file or MSAL cache ``followupd auth`` would
have left. Then it answers what the benchmark asks: requests served, concurrency reached, the
drafts made and when, and it moves the "during the run" interviews so drafts come due.

The config names no state folder: each instance of followupd gets its own through
``XDG_STATE_HOME`` (or ``[daemon].database`` points all of them at one PostgreSQL), so one
config file can be shared by several instances. Tokens live in the world folder, beside it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from tests.fakes import world
from tests.fakes.pacing import Pace
from tests.fakes.tenants import GoogleTenants, GoogleUser, MicrosoftTenants

THANK_YOU_DELAY = timedelta(hours=1)  # [thank_you].delay as written in the config


@dataclass
class Account:
    name: str
    provider: str  # "google" or "outlook"
    address: str
    during: str = ""  # the id of the interview arrange() moves
    mark: int = 0  # the length of its request log at the last reset


class Population:
    def __init__(
        self,
        folder: Path,
        users: int,
        provider: str = "mixed",
        events: int = 50,
        seed: int = 1,
    ) -> None:
        self.folder = folder
        self.pace = Pace()  # both fakes' requests, counted together
        kinds = {"mixed": ("google", "outlook"), "google": ("google",), "outlook": ("outlook",)}
        order = kinds[provider]
        self.accounts = [Account(f"u{i + 1:04d}", order[i % len(order)], "") for i in range(users)]
        for account in self.accounts:
            domain = "gmail.example" if account.provider == "google" else "contoso.example"
            account.address = f"{account.name}@{domain}"
        (folder / "fakes").mkdir(parents=True, exist_ok=True)
        self.google = (
            GoogleTenants(folder / "fakes", parent=self.pace) if "google" in order else None
        )
        self.microsoft = (
            MicrosoftTenants(folder / "fakes", parent=self.pace) if "outlook" in order else None
        )
        self._authority_mark = 0  # the sign-in service's log length at the last reset
        now = datetime.now(UTC)
        for index, account in enumerate(self.accounts):
            plan = world.plan(index, events, now, seed, account.provider == "outlook")
            tokens = self.token_path(account)
            if account.provider == "google":
                assert self.google is not None
                user = self.google.add_user(account.address)
                account.during = world.seed_google(user, plan)["during"]
                self.google.write_token(user, tokens)
            else:
                assert self.microsoft is not None
                state = self.microsoft.add_user(account.address, f"User {account.name}")
                account.during = world.seed_graph(state, plan)["during"]
                self.microsoft.sign_in(account.address, tokens)
        self.reset()

    # -- files -------------------------------------------------------------------------------

    def token_path(self, account: Account) -> Path:
        leaf = "google-token.json" if account.provider == "google" else "msal-cache.bin"
        return self.folder / "tokens" / account.name / leaf

    def config_text(
        self,
        poll_interval: str = "2m",
        database: str | None = None,
        lease_period: str | None = None,
        concurrency: int | None = None,
    ) -> str:
        """One config for every instance: no state folder (see the module docstring).
        ``lease_period``: shorter than the default 60 s, a takeover fits in a benchmark run.
        ``concurrency``: ``[daemon].concurrency`` (docs/many-users.md), else the default."""
        daemon = [
            "[daemon]",
            'timezone = "UTC"',
            f'poll_interval = "{poll_interval}"',
            'log_level = "info"',
        ]
        if database:
            daemon.append(f"database = {json.dumps(database)}")
        if lease_period:
            daemon.append(f"lease_period = {json.dumps(lease_period)}")
        if concurrency:
            daemon.append(f"concurrency = {int(concurrency)}")
        parts = [
            "\n".join(daemon),
            '[candidate]\nname = "Bench Candidate"\nhighlights = ["building data pipelines"]',
            '[thank_you]\ndelay = "1h"\nwait_for_notes = "0m"',
            "[days]\nholidays = []",
        ]
        for account in self.accounts:
            parts.append(self._account_toml(account))
        return "\n\n".join(parts) + "\n"

    def _account_toml(self, account: Account) -> str:
        # Each account is a job seeker of their own, who signs their drafts (two of them in one
        # group interview each thank the interviewers: daemon/drafting/rules.py, same_person).
        head = (
            f'[[accounts]]\nname = "{account.name}"\naddresses = ["{account.address}"]\n'
            f'sender_name = "Seeker {account.name.upper()}"\n'
            f'calendar = {{ provider = "{account.provider}" }}\n'
            f'mailbox = {{ provider = "{account.provider}" }}\n'
        )
        tokens = self.token_path(account)
        if account.provider == "google":
            assert self.google is not None
            options = self.google.fake.account_options(self.folder)
            options["token_file"] = tokens
            table = "google"
        else:
            assert self.microsoft is not None
            options = self.microsoft.account_options(tokens)
            table = "outlook"
        lines = "".join(f"{k} = {json.dumps(str(v))}\n" for k, v in options.items())
        return f"{head}\n[accounts.{table}]\n{lines}"

    # -- what the benchmark asks -------------------------------------------------------------

    def set_latency(self, seconds: float) -> None:
        for tenants in (self.google, self.microsoft):
            if tenants is not None:
                tenants.pace.latency = seconds

    def _log(self, account: Account) -> list[Any]:
        """The account's requests at its fake, in order."""
        if account.provider == "google":
            assert self.google is not None
            return self.google.users[account.address].requests
        assert self.microsoft is not None
        return self.microsoft.users[account.address.lower()].log

    def reset(self) -> None:
        """Start a measurement: request counts and the concurrency reached start again."""
        for pace in self._paces().values():
            pace.reset()
        for account in self.accounts:
            account.mark = len(self._log(account))
        if self.microsoft is not None:
            self._authority_mark = len(self.microsoft.authority.requests)

    def _paces(self) -> dict[str, Pace]:
        paces = {"all": self.pace}
        if self.google is not None:
            paces["google"] = self.google.pace
        if self.microsoft is not None:
            paces["microsoft"] = self.microsoft.pace
        return paces

    def stats(self) -> dict[str, Any]:
        """Requests since the last reset: served and most in flight, per fake and in all;
        how many of each kind; problems (send calls, requests the real API would reject)."""
        kinds: Counter[str] = Counter()
        for account in self.accounts:
            for item in self._log(account)[account.mark :]:
                kinds[_kind(account.provider, item)] += 1
        if self.microsoft is not None:
            for line in self.microsoft.authority.requests[self._authority_mark :]:
                kinds["sign-in " + line] += 1
        problems = [*(self.google.problems() if self.google else [])]
        problems += self.microsoft.problems() if self.microsoft else []
        return {
            "paces": {name: pace.snapshot() for name, pace in self._paces().items()},
            "kinds": dict(kinds.most_common()),
            "problems": problems[:20],
            "problem_count": len(problems),
        }

    def drafts(self) -> list[dict[str, Any]]:
        """Every draft in every mailbox: its account, recipients, creation time, subject,
        Message-ID and thread (Gmail's threadId, Graph's conversationId): enough to tell two
        drafts of one follow-up apart from two follow-ups (the multi-instance benchmark)."""
        found: list[dict[str, Any]] = []
        for account in self.accounts:
            if account.provider == "google":
                assert self.google is not None
                user: GoogleUser = self.google.users[account.address]
                with user.lock:
                    messages = [user.messages[m] for m in user.drafts.values()]
                for msg in messages:
                    head = {k.lower(): v for k, v in reversed(msg.headers())}  # the first wins
                    to = [address for _, address in getaddresses([head.get("to", "")])]
                    found.append(
                        _draft(account, to, msg.internal.timestamp())
                        | {
                            "subject": head.get("subject", ""),
                            "message_id": head.get("message-id", ""),
                            "thread": msg.thread_id,
                        }
                    )
            else:
                assert self.microsoft is not None
                state = self.microsoft.users[account.address.lower()]
                with state.lock:
                    drafts = state.drafts()
                for message in drafts:
                    to = [r["emailAddress"]["address"] for r in message["toRecipients"]]
                    created = datetime.fromisoformat(message["createdDateTime"]).timestamp()
                    found.append(
                        _draft(account, to, created)
                        | {
                            "subject": message.get("subject") or "",
                            "message_id": message.get("internetMessageId") or "",
                            "thread": message.get("conversationId") or "",
                        }
                    )
        return found

    def arrange(self, first: float, last: float) -> list[dict[str, Any]]:
        """Move each account's "during" interview so its thank-yous come due between ``first``
        and ``last`` (epoch seconds), spread evenly; returns what is due when, to whom."""
        due: list[dict[str, Any]] = []
        count = len(self.accounts)
        for n, account in enumerate(self.accounts):
            # Whole seconds: Google's event times have no fractions.
            when = float(round(first + (last - first) * (n / (count - 1) if count > 1 else 0.0)))
            end = datetime.fromtimestamp(when, UTC) - THANK_YOU_DELAY
            if account.provider == "google":
                assert self.google is not None
                user = self.google.users[account.address]
                people = world.arrange_google(user, account.during, end)
            else:
                assert self.microsoft is not None
                state = self.microsoft.users[account.address.lower()]
                people = world.arrange_graph(state, account.during, end)
            due.append({"account": account.name, "due": when, "to": people})
        return due

    def problems(self) -> list[str]:
        found = self.google.problems() if self.google else []
        return found + (self.microsoft.problems() if self.microsoft else [])

    def stop(self) -> None:
        for tenants in (self.google, self.microsoft):
            if tenants is not None:
                tenants.stop()


def _draft(account: Account, to: list[str], created: float) -> dict[str, Any]:
    return {"account": account.name, "to": [a.lower() for a in to], "created": created}


def _kind(provider: str, item: Any) -> str:
    """A request's kind for the counts: Google's method id; Graph's method and path with the
    ids left out."""
    if provider == "google":
        return item.method
    parts = [p if len(p) < 24 and not p.startswith(("AAMk", "EVT-", "MSG")) else "{id}"
             for p in item.path.strip("/").split("/")]  # fmt: skip
    return f"graph {item.method} /{'/'.join(parts)}"
