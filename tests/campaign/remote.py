"""The Google and Microsoft worlds: the fake servers of tests/fakes, seeded and played by the test.

The daemon subprocess reaches the fakes over HTTPS on 127.0.0.1 through the endpoint and CA
options of its config, exactly as ``tests/test_cli_google.py`` and ``tests/test_cli_outlook.py``
do. A world's fake lives as long as the world; :meth:`close` fails the test on any send call
(and, for Google, on any request the real API would reject).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from tests.campaign.worlds import (
    ACCOUNT,
    Interview,
    Item,
    World,
    _addresses,
    end_of,
    google_time,
    key_of,
    known_keys,
)
from tests.fakes.google_server import GoogleFake, start_google_server
from tests.fakes.graph_server import MicrosoftFakes, start_microsoft

# connectors.outlook keeps its runtimes per process, and the Microsoft fakes' sign-in runs in
# this process: worlds built in parallel threads take turns there.
_starting = threading.Lock()


class GoogleWorld(World):
    provider = "google"
    me = "me@example.com"  # the fake Google account

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        with _starting:
            self.fake: GoogleFake = start_google_server(root)
        self.sent: dict[str, Any] = {}  # key -> the message Gmail made when the user sent it
        self.own: list[Any] = []  # messages the user wrote themselves
        super().__init__(root)
        token = root / "state" / "accounts" / ACCOUNT / "google-token.json"
        token.parent.mkdir(parents=True, mode=0o700)
        self.fake.authorize_token(token)
        self.signed_in()

    def account_text(self) -> str:
        return (
            'calendar = { provider = "google", calendars = ["primary"] }\n'
            'mailbox = { provider = "google" }\n\n'
            f"[accounts.google]\n{self.fake.account_toml(self.root)}"
        )

    def put(self, interview: Interview) -> None:
        people = [
            {"email": a, "displayName": n, "responseStatus": "accepted"}
            for a, n in interview.people
        ]
        people[0]["organizer"] = True
        self.fake.state.put_event(
            {
                "id": interview.ident,
                "summary": interview.title,
                "status": "cancelled" if interview.cancelled else "confirmed",
                "start": google_time(interview.start),
                "end": google_time(end_of(interview)),
                "organizer": {"email": people[0]["email"], "displayName": people[0]["displayName"]},
                "attendees": [
                    *people,
                    {"email": self.me, "self": True, "responseStatus": "accepted"},
                ],
            }
        )

    def at(self, when: datetime) -> None:
        super().at(when)
        self.fake.state.clock = when

    def _draft(self, key: str) -> str:
        (found,) = self.fake.state.drafts_with_key(key)
        return found

    def send(self, key: str, when: datetime) -> None:
        self.sent[key] = self.fake.state.send_draft_as_user(self._draft(key), at=when)

    def delete(self, key: str) -> None:
        self.fake.state.delete_draft(self._draft(key))

    def receive(self, sender: str, name: str, subject: str, when: datetime) -> None:
        self.fake.state.receive(f"{name} <{sender}>", subject, at=when)

    def write_own(self, to: str, name: str, subject: str, when: datetime) -> None:
        self.own.append(self.fake.state.user_sends(f"{name} <{to}>", subject, at=when))

    def view(self) -> list[Item]:
        state = self.fake.state
        threads = {m.thread_id for m in [*self.sent.values(), *self.own]}
        keys = known_keys(self.db_url)
        items = []
        for draft_id in list(state.drafts):
            msg = state.draft_message(draft_id)
            mime = message_from_bytes(msg.raw, policy=policy.default)
            reply = msg.thread_id in threads and bool(mime["In-Reply-To"])
            key = key_of(mime["Message-ID"], keys)
            items.append(Item(key, "draft", _addresses(mime["To"]), reply))
        for key, msg in self.sent.items():
            mime = message_from_bytes(msg.raw, policy=policy.default)
            items.append(Item(key, "sent", _addresses(mime["To"]), False))
        return items

    def draft_ids(self) -> set[str]:
        return set(self.fake.state.drafts)

    def close(self) -> None:
        try:
            self.fake.check()
        finally:
            self.fake.stop()


class OutlookWorld(World):
    provider = "outlook"
    me = "casey@contoso.example"  # the fake Microsoft account

    def __init__(self, root: Path) -> None:
        with _starting:
            self.ms: MicrosoftFakes = start_microsoft(root / "fakes")
        self.own: list[str] = []  # ids of the messages the user wrote themselves
        super().__init__(root)
        self._sign_in()
        self.signed_in()

    def _sign_in(self) -> None:
        """What ``followupd auth`` leaves behind (the token cache), made in-process."""
        from connectors.outlook import PROVIDER, forget_runtimes
        from daemon.clock import SystemClock
        from daemon.protocols import AccountContext

        folder = self.root / "state" / "accounts" / ACCOUNT
        folder.mkdir(parents=True, mode=0o700)
        ctx = AccountContext(ACCOUNT, (self.me,), folder, SystemClock(), "UTC")
        with _starting:
            try:
                PROVIDER.authorize(ctx, self.ms.account_options(), lambda _line: None)
            finally:
                forget_runtimes()

    def account_text(self) -> str:
        ms = self.ms
        return (
            'calendar = { provider = "outlook" }\nmailbox = { provider = "outlook" }\n\n'
            f'[accounts.outlook]\nclient_id = "{ms.authority.client_id}"\nauthority = "common"\n'
            f'graph_root = "{ms.graph_root}"\nauthority_host = "{ms.authority_host}"\n'
            f'ca_bundle = "{ms.ca_bundle}"\n'
        )

    def put(self, interview: Interview) -> None:
        graph = self.ms.graph
        if interview.ident not in graph.events.get(graph.default_calendar, {}):
            graph.add_event(
                interview.title,
                interview.start,
                end_of(interview),
                attendees=(
                    *((a, n, "required", "accepted") for a, n in interview.people),
                    (self.me, "Casey Candidate", "required", "accepted"),
                ),
                organizer=interview.people[0],
                ident=interview.ident,
            )
        elif interview.cancelled:
            graph.cancel_event(interview.ident)
        else:
            graph.update_event(interview.ident, start=interview.start, end=end_of(interview))

    def at(self, when: datetime) -> None:
        super().at(when)
        self.ms.graph.clock = lambda: when

    def _ours(self) -> list[tuple[str, dict[str, Any]]]:
        from connectors.outlook.mail import KEY_PROPERTY

        found = []
        with self.ms.graph.lock:
            for message in self.ms.graph.messages.values():
                props = {p["id"]: p["value"] for p in message["_props"]}
                if KEY_PROPERTY in props:
                    found.append((props[KEY_PROPERTY], message))
        return found

    def _draft(self, key: str) -> str:
        (found,) = [m["id"] for k, m in self._ours() if k == key and m["_folder"] == "drafts"]
        return found

    def send(self, key: str, when: datetime) -> None:
        self.ms.graph.user_sends(self._draft(key), when)

    def delete(self, key: str) -> None:
        self.ms.graph.user_deletes(self._draft(key))

    def receive(self, sender: str, name: str, subject: str, when: datetime) -> None:
        self.ms.graph.deliver(sender, subject, received=when, name=name, preview="Thanks!")

    def write_own(self, to: str, name: str, subject: str, when: datetime) -> None:
        self.own.append(self.ms.graph.user_writes(to, subject, name=name, at=when))

    def view(self) -> list[Item]:
        ours = self._ours()
        with self.ms.graph.lock:
            drafts = [m["id"] for m in self.ms.graph.messages.values() if m["_folder"] == "drafts"]
        strays = set(drafts) - {m["id"] for _, m in ours}
        assert not strays, f"drafts without a followupd key in the fake Outlook: {strays}"
        sent = {m["conversationId"] for _, m in ours if m["_folder"] == "sentitems"}
        with self.ms.graph.lock:
            sent |= {self.ms.graph.messages[i]["conversationId"] for i in self.own}
        where = {"drafts": "draft", "sentitems": "sent"}
        return [
            Item(
                key.partition("#r")[0],  # a redraft's KEY names its follow-up's
                where[m["_folder"]],
                tuple(sorted(r["emailAddress"]["address"].lower() for r in m["toRecipients"])),
                m["_folder"] == "drafts" and m["conversationId"] in sent,
            )
            for key, m in ours
            if m["_folder"] in where  # a draft the user deleted is in deleteditems
        ]

    def draft_ids(self) -> set[str]:
        return {m["id"] for _, m in self._ours() if m["_folder"] == "drafts"}

    def close(self) -> None:
        self.ms.stop()
        assert not self.ms.graph.violations, (
            f"a send endpoint was called: {self.ms.graph.violations}"
        )


def make_world(provider: str, root: Path) -> World:
    from tests.campaign.caldav_world import CaldavWorld
    from tests.campaign.worlds import LocalWorld

    if provider == "imap":  # a real Dovecot (tests/servers/dovecot.py)
        from tests.campaign.imap import ImapWorld

        return ImapWorld(root)
    if provider == "caldav+imap":  # Radicale and Dovecot: a Fastmail or iCloud user's account
        from tests.campaign.caldav_imap import CaldavImapWorld

        return CaldavImapWorld(root)
    worlds: dict[str, type[World]] = {
        "local": LocalWorld,
        "google": GoogleWorld,
        "outlook": OutlookWorld,
        "caldav": CaldavWorld,
    }
    return worlds[provider](root)


__all__ = ["GoogleWorld", "OutlookWorld", "make_world", "UTC"]
