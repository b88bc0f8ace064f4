"""The ``outlook`` provider: Microsoft 365 and Outlook.com calendar and mail over Graph v1.0.

Modules, one job each: :mod:`.settings` (options as data), :mod:`.clouds` (national clouds),
:mod:`.auth` (MSAL device flow and token cache), :mod:`.http` (the one HTTP layer),
:mod:`.calendar` + :mod:`.events` (calendarView/delta), :mod:`.mail` (drafts) and
:mod:`.inbound` (replies). User documentation: ``docs/outlook.md``.

Calendar and mailbox of one account share one :class:`Runtime`: one MSAL application, one
token cache, one record of lookups (:mod:`.lookups`) and one HTTP layer, whose semaphore is
what keeps an account at Outlook's limit of 4 concurrent requests per mailbox. What does not
belong to an account is shared by all of them in the process: the connection pools
(:func:`.http.shared_session`) and the sign-in service's endpoints (:mod:`.discovery`).

Importing this package (which the config does, for the option schemas) loads only
:mod:`.settings`: MSAL and requests are loaded when an account is actually set up.
"""

from __future__ import annotations

import sys
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
    from connectors.outlook.lookups import Lookups
    from connectors.outlook.mail import OutlookMailbox


@dataclass
class Runtime:
    settings: Settings
    tokens: MsalTokens
    graph: Graph
    lookups: Lookups


_runtimes: dict[tuple[Any, ...], Runtime] = {}
_runtimes_lock = threading.Lock()


def runtime(ctx: AccountContext, account_options: dict[str, Any]) -> Runtime:
    """The shared runtime of an account (same settings -> same object)."""
    from connectors.outlook.auth import MsalTokens
    from connectors.outlook.http import Graph, shared_session
    from connectors.outlook.lookups import Lookups

    settings = resolve(ctx, account_options)
    key = (settings, ctx.addresses)
    with _runtimes_lock:
        found = _runtimes.get(key)
        if found is None:
            session = shared_session(settings.ca_bundle)
            lookups = Lookups(ctx.state_dir)
            tokens = MsalTokens(settings, session, ctx.addresses, lookups)
            graph = Graph(settings.graph_base, tokens, session, fix=settings.fix)
            found = _runtimes[key] = Runtime(settings, tokens, graph, lookups)
        return found


def forget_runtimes() -> None:
    """Drop all shared runtimes, connections and discovery answers (tests playing a new
    process; a config reload)."""
    with _runtimes_lock:
        _runtimes.clear()
        # Only what was loaded: a process without an Outlook account never loads requests.
        http, discovery = (sys.modules.get(f"{__name__}.{m}") for m in ("http", "discovery"))
        if http is not None:
            http.close_shared_sessions()
        if discovery is not None:
            discovery.forget_discovery()


class OutlookProvider:
    name = "outlook"
    calendar_options = CALENDAR_OPTIONS
    mailbox_options = MAILBOX_OPTIONS
    account_options = ACCOUNT_OPTIONS

    def calendar(
        self, ctx: AccountContext, options: dict[str, Any], account_options: dict[str, Any]
    ) -> OutlookCalendar:
        from connectors.outlook.calendar import OutlookCalendar

        found = runtime(ctx, account_options)
        calendars = list((options or {}).get("calendars") or [])
        return OutlookCalendar(found.graph, ctx, calendars, found.lookups)

    def mailbox(
        self, ctx: AccountContext, options: dict[str, Any], account_options: dict[str, Any]
    ) -> OutlookMailbox:
        from connectors.outlook.mail import OutlookMailbox

        found = runtime(ctx, account_options)
        return OutlookMailbox(found.graph, ctx, found.lookups)

    def authorize(
        self, ctx: AccountContext, account_options: dict[str, Any], echo: Callable[[str], Any]
    ) -> None:
        """``followupd auth ACCOUNT``: the device-code sign-in, then one Graph call to prove it."""
        from connectors.outlook.inbound import Inbound

        found = runtime(ctx, account_options)
        found.tokens.authorize(echo)
        me = Inbound(found.graph, ctx, found.lookups).me(fresh=True)  # kept for the polls
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
