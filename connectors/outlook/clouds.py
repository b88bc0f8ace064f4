"""Microsoft's national clouds as data: one row per cloud, nothing else.

A cloud fixes three things that must change together, or sign-in works and every Graph call
fails: the Graph root, the identity (authority) host, and the resource prefix of the scopes.
Scopes are always written resource-qualified (``https://graph.microsoft.us/Mail.ReadWrite``):
Microsoft documents the short names as equivalent, but the qualified form makes a mismatched
cloud fail at sign-in with a clear message instead of at the first API call.

Source: "Microsoft Graph national cloud deployments" (learn.microsoft.com/graph/deployments).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cloud:
    name: str
    label: str
    graph_root: str  # without the API version
    authority_host: str
    scope_resource: str  # what qualifies the scopes; not changed by a graph_root override
    personal_accounts: bool  # whether Outlook.com accounts ("consumers") exist there


CLOUDS: dict[str, Cloud] = {
    cloud.name: cloud
    for cloud in (
        Cloud("global", "Microsoft global service", "https://graph.microsoft.com",
              "https://login.microsoftonline.com", "https://graph.microsoft.com", True),
        Cloud("usgov", "US Government L4 (GCC High)", "https://graph.microsoft.us",
              "https://login.microsoftonline.us", "https://graph.microsoft.us", False),
        Cloud("usgov-dod", "US Government L5 (DoD)", "https://dod-graph.microsoft.us",
              "https://login.microsoftonline.us", "https://dod-graph.microsoft.us", False),
        Cloud("china", "China operated by 21Vianet", "https://microsoftgraph.chinacloudapi.cn",
              "https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn", False),
    )
}  # fmt: skip

API_VERSION = "v1.0"

# Delegated permissions, least privilege. Never Mail.Send: followupd only writes drafts.
# MSAL adds openid, profile and offline_access itself (and refuses them if passed).
PERMISSIONS = ("Calendars.Read", "Mail.ReadWrite", "User.Read")
FORBIDDEN_PERMISSIONS = frozenset({"Mail.Send", "Mail.Send.Shared"})


def scopes_for(cloud: Cloud) -> list[str]:
    """The exact scope list requested at sign-in and on every silent token refresh."""
    return [f"{cloud.scope_resource}/{permission}" for permission in PERMISSIONS]
