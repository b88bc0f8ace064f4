"""The ``google`` provider: Google Calendar (read-only) and Gmail (drafts, reply detection).

Configuration (see docs/google.md)::

    [[accounts]]
    name = "personal"
    addresses = ["me@gmail.com"]
    calendar = { provider = "google", calendars = ["primary", "Job hunt"] }
    mailbox = { provider = "google" }

    [accounts.google]
    client_secrets = "~/.config/followupd/google-client.json"

Calendar source and mailbox each get their own session (httplib2 is not thread-safe), both
reading the same token file.
"""

from __future__ import annotations

from typing import Any

from daemon import options as o
from daemon.protocols import AccountContext, Resource

ACCOUNT_OPTIONS: o.Schema = {
    "client_secrets": o.Option(
        o.path, help="the path of your OAuth client JSON ('Desktop app' client, see docs/google.md)"
    ),
    "token_file": o.Option(o.path, None, "where the token is stored; default: state dir"),
    "api_root": o.Option(o.url, "https://www.googleapis.com/", "the Google API root URL"),
    "auth_uri": o.Option(
        o.url, None, "the OAuth authorization endpoint; default: the client file's"
    ),
    "token_uri": o.Option(o.url, None, "the OAuth token endpoint; default: the client file's"),
    "ca_bundle": o.Option(o.path, None, "a PEM file of CA certificates (corporate TLS proxies)"),
}
CALENDAR_OPTIONS: o.Schema = {
    "calendars": o.Option(
        o.list_of(o.non_empty_string, "calendar ids or names"),
        ["primary"],
        "calendars to read, by id ('primary', 'x@group.calendar.google.com') or by name",
    ),
}
MAILBOX_OPTIONS: o.Schema = {}


class GoogleProvider:
    name = "google"
    account_options = ACCOUNT_OPTIONS
    calendar_options = CALENDAR_OPTIONS
    mailbox_options = MAILBOX_OPTIONS

    def calendar(
        self, ctx: AccountContext, options: dict[str, Any], account_options: dict[str, Any]
    ) -> Any:
        from connectors.google.calendar import GoogleCalendar
        from connectors.google.http import GoogleSession

        return GoogleCalendar(GoogleSession(ctx, account_options), ctx, options)

    def mailbox(
        self, ctx: AccountContext, options: dict[str, Any], account_options: dict[str, Any]
    ) -> Any:
        from connectors.google.gmail import GoogleMailbox
        from connectors.google.http import GoogleSession

        return GoogleMailbox(GoogleSession(ctx, account_options), ctx, options)

    def authorize(self, ctx: AccountContext, account_options: dict[str, Any], echo: Any) -> None:
        from connectors.google.auth import authorize

        authorize(ctx, account_options, echo)

    def resource(
        self,
        side: str,
        options: dict[str, Any],
        account_options: dict[str, Any],
        addresses: tuple[str, ...],
    ) -> Resource:
        # One Google user's calendar and Gmail (whichever calendars are picked), at one API root.
        root = (account_options.get("api_root") or ACCOUNT_OPTIONS["api_root"].default).rstrip("/")
        return Resource(f"google:{addresses[0] if addresses else ''} at {root}")


PROVIDER = GoogleProvider()
