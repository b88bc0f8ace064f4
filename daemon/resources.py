"""What an account serves: its calendar and its mailbox, as each provider names them.

The config's account name is a label the user may change; the identity of what the account
serves is not. The store keys an account's history by it (:mod:`daemon.running.identity`), draft
KEYs carry a digest of it (:mod:`daemon.planning.followups`), and the lock that keeps two
instances off one mailbox is placed by it (:mod:`daemon.running.sharing`). Nothing here connects
anywhere: providers answer from their options alone.
"""

from __future__ import annotations

import hashlib
import json

from daemon.config import Account, ProviderSection
from daemon.protocols import Resource
from daemon.registry import UnknownProvider, provider


def resource(account: Account, side: str) -> Resource:
    """The calendar or mailbox of ``account``, as its provider names it (without connecting)."""
    section: ProviderSection = getattr(account, side)
    try:
        found = provider(section.provider)
    except UnknownProvider:
        found = None
    describe = getattr(found, "resource", None)
    if describe is not None:
        resource: Resource = describe(
            side, section.options, account.options_for(section.provider), account.addresses
        )
        return resource
    options = json.dumps(section.options, sort_keys=True, default=str)
    return Resource(f"{section.provider}:{options}")


def identity(account: Account) -> str:
    """The account's calendar and mailbox, as one string (stored in ``accounts.identity``)."""
    calendar, mailbox = resource(account, "calendar"), resource(account, "mailbox")
    return f"calendar {calendar.identity}; mailbox {mailbox.identity}"


def tag(account: Account) -> str:
    """A short digest of the identity, for draft KEYs: stable across renames, opaque."""
    return hashlib.sha256(identity(account).encode("utf-8")).hexdigest()[:12]
