"""The ``[accounts.outlook]`` options as data, and what they resolve to.

Cloud, authority host, Graph root and scope prefix are picked together from
:mod:`connectors.outlook.clouds`; ``graph_root`` and ``authority_host`` only override where
requests go (tests, corporate proxies), never which resource the scopes name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.outlook.clouds import API_VERSION, CLOUDS, Cloud, scopes_for
from daemon import options as o
from daemon.errors import ConfigError
from daemon.protocols import AccountContext

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
AUDIENCES = ("common", "organizations", "consumers")


def client_id(value: Any) -> str:
    if not isinstance(value, str) or not _GUID.match(value.strip()):
        raise o.Invalid(
            "the Application (client) ID of your app registration, "
            "like '00000000-0000-0000-0000-000000000000'"
        )
    return value.strip().lower()


def authority(value: Any) -> str:
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in AUDIENCES:
            return text.lower()
        if _GUID.match(text) or _DOMAIN.match(text):
            return text.lower()
    raise o.Invalid(
        "'common', 'organizations', 'consumers', a tenant id (a GUID) "
        "or a tenant domain like 'contoso.onmicrosoft.com'"
    )


def https_url(value: Any) -> str:
    if not isinstance(value, str) or not re.match(r"^https://[^\s/]+", value):
        raise o.Invalid(
            "an https URL like 'https://login.microsoftonline.com' (MSAL accepts only https)"
        )
    return value.rstrip("/")


ACCOUNT_OPTIONS: o.Schema = {
    "client_id": o.Option(client_id, help="the Application (client) ID of your app registration"),
    "authority": o.Option(authority, "common", "common, organizations, consumers or your tenant"),
    "cloud": o.Option(o.choice(*CLOUDS), "global", "global, usgov, usgov-dod or china"),
    "graph_root": o.Option(o.url, None, "override the Graph root URL (proxies, tests)"),
    "authority_host": o.Option(https_url, None, "override the sign-in host (proxies, tests)"),
    "ca_bundle": o.Option(o.path, None, "a PEM file of CA certificates (corporate TLS proxies)"),
    "token_cache": o.Option(
        o.path,
        None,
        "where tokens are kept; default: <state_dir>/accounts/<account>/msal-cache.bin",
    ),
}

CALENDAR_OPTIONS: o.Schema = {
    "calendars": o.Option(
        o.list_of(o.non_empty_string, "calendar names or ids"),
        [],
        "Outlook calendars to watch by name or id; default: your default calendar",
    ),
}

MAILBOX_OPTIONS: o.Schema = {}


@dataclass(frozen=True)
class Settings:
    account: str
    client_id: str
    tenant: str
    cloud: Cloud
    graph_base: str  # e.g. https://graph.microsoft.com/v1.0
    authority_url: str  # e.g. https://login.microsoftonline.com/common
    ca_bundle: Path | None
    token_cache: Path
    scopes: tuple[str, ...]

    @property
    def fix(self) -> str:
        """The command that repairs a lost or revoked sign-in."""
        return f"followupd auth {self.account}"


def resolve(ctx: AccountContext, account_options: dict[str, Any]) -> Settings:
    """Settings from already-validated options (defaults filled for absent keys)."""
    opts = dict(account_options or {})
    if not opts.get("client_id"):
        raise ConfigError(
            [
                f"account {ctx.name!r}: [accounts.outlook].client_id: missing; expected the "
                "Application (client) ID of your app registration (see docs/outlook.md)"
            ]
        )
    cloud = CLOUDS[opts.get("cloud") or "global"]
    tenant = opts.get("authority") or "common"
    if tenant == "consumers" and not cloud.personal_accounts:
        raise ConfigError(
            [
                f"account {ctx.name!r}: [accounts.outlook].authority: 'consumers' (Outlook.com "
                f"accounts) does not exist in the {cloud.label} cloud; "
                "use 'organizations' or your tenant"
            ]
        )
    graph_root = (opts.get("graph_root") or cloud.graph_root).rstrip("/")
    host = (opts.get("authority_host") or cloud.authority_host).rstrip("/")
    cache = opts.get("token_cache") or ctx.state_dir / "msal-cache.bin"
    ca = opts.get("ca_bundle")
    return Settings(
        account=ctx.name,
        client_id=opts["client_id"],
        tenant=tenant,
        cloud=cloud,
        graph_base=f"{graph_root}/{API_VERSION}",
        authority_url=f"{host}/{tenant}",
        ca_bundle=Path(ca) if ca else None,
        token_cache=Path(cache),
        scopes=tuple(scopes_for(cloud)),
    )
