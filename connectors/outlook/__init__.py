"""The ``outlook`` provider: Microsoft 365 and Outlook.com calendar and mail over Graph v1.0.

Modules, one job each: :mod:`.settings` (options as data), :mod:`.clouds` (national clouds),
:mod:`.auth` (MSAL device flow and token cache), :mod:`.http` (the one HTTP layer),
:mod:`.calendar` + :mod:`.events` (calendarView/delta), :mod:`.mail` (drafts) and
:mod:`.inbound` (replies). User documentation: ``docs/outlook.md``.

Calendar and mailbox of one account share one :class:`Runtime`: one MSAL application (its
discovery request is made once), one token cache and one HTTP layer, whose semaphore is what
keeps an account at Outlook's limit of 4 concurrent requests per mailbox.

Importing this package (which the config does, for the option schemas) loads only
:mod:`.settings`: MSAL and requests are loaded when an account is actually set up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.outlook.settings import (
    ACCOUNT_OPTIONS,
    CALENDAR_OPTIONS,
    MAILBOX_OPTIONS,
    Settings,
    resolve,
)
from daemon.protocols import AccountContext, Resource

if TYPE_CHECKING:
    from connectors.outlook.auth import MsalTokens
    from connectors.outlook.calendar import OutlookCalendar
    from connectors.outlook.http import Graph
    from connectors.outlook.mail import OutlookMailbox


@dataclass
class Runtime:
    settings: Settings
    tokens: MsalTokens
    graph: Graph


_runtimes: dict[tuple[Any, ...], Runtime] = {}
_runtimes_lock = threading.Lock()


def runtime(ctx: AccountContext, account_options: dict[str, Any]) -> Runtime:
    """The shared runtime of an account (same settings -> same object)."""
    from connectors.outlook.auth import MsalTokens
    from connectors.outlook.http import Graph, PinnedSession

    settings = resolve(ctx, account_options)
    key = (settings, ctx.addresses)
    with _runtimes_lock:
        found = _runtimes.get(key)
        if found is None:
            session = PinnedSession(settings.ca_bundle)
            tokens = MsalTokens(settings, session, ctx.addresses)
            graph = Graph(settings.graph_base, tokens, session, fix=settings.fix)
            found = _runtimes[key] = Runtime(settings, tokens, graph)
        return found


def forget_runtimes() -> None:
    """Drop all shared runtimes (tests; a config reload)."""
    with _runtimes_lock:
        for found in _runtimes.values():
            found.graph.close()
        _runtimes.clear()


class OutlookProvider:
    name = "outlook"
    calendar_options = CALENDAR_OPTIONS
    mailbox_options = MAILBOX_OPTIONS
    account_options = ACCOUNT_OPTIONS

    def calendar(
        self, ctx: AccountContext, options: dict[str, Any], account_options: dict[str, Any]
    ) -> OutlookCalendar:
        from connectors.outlook.calendar import OutlookCalendar

        graph = runtime(ctx, account_options).graph
        return OutlookCalendar(graph, ctx, list((options or {}).get("calendars") or []))

    def mailbox(
        self, ctx: AccountContext, options: dict[str, Any], account_options: dict[str, Any]
    ) -> OutlookMailbox:
        from connectors.outlook.mail import OutlookMailbox

        return OutlookMailbox(runtime(ctx, account_options).graph, ctx)

    def authorize(
        self, ctx: AccountContext, account_options: dict[str, Any], echo: Callable[[str], Any]
    ) -> None:
        """``followupd auth ACCOUNT``: the device-code sign-in, then one Graph call to prove it."""
        found = runtime(ctx, account_options)
        found.tokens.authorize(echo)
        me = found.graph.get("/me", {"$select": "displayName,mail,userPrincipalName"}) or {}
        address = me.get("mail") or me.get("userPrincipalName") or "?"
        echo(f"Microsoft Graph answers for {me.get('displayName') or address} <{address}>.")

    def resource(
        self,
        side: str,
        options: dict[str, Any],
        account_options: dict[str, Any],
        addresses: tuple[str, ...],
    ) -> Resource:
        # One Microsoft user's calendar and mailbox, in one cloud (or behind one Graph root).
        where = account_options.get("graph_root") or account_options.get("cloud") or "global"
        return Resource(f"outlook:{addresses[0] if addresses else ''} at {where}")


PROVIDER = OutlookProvider()

__all__ = ["PROVIDER", "OutlookProvider", "Runtime", "forget_runtimes", "runtime"]
