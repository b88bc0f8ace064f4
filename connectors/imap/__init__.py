"""Provider ``imap``: drafts and replies on any IMAP server (iCloud, Fastmail, Yahoo, Zoho,
Proton Bridge, mailbox.org, Posteo, Dovecot, university and company servers).

Offers only the mailbox side (the calendar comes from ``caldav`` or ``ics``). Signs in with a
username and a password from a command, the system keyring or (if the user insists) the config
(:mod:`daemon.passwords`); ``followupd check`` proves it. XOAUTH2 is not offered yet: the
providers that require OAuth for IMAP (Gmail, Microsoft 365) have their own providers here.

Example::

    [accounts.personal.mailbox]
    provider = "imap"
    host = "imap.fastmail.com"
    username = "alex@fastmail.com"
    password_command = ["pass", "show", "fastmail/app-password"]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from daemon import options as o
from daemon.passwords import SOURCE_OPTIONS, PasswordSource, validate_source
from daemon.protocols import AccountContext, Resource

if TYPE_CHECKING:
    from connectors.imap.connector import ImapMailbox
    from connectors.imap.session import Server

DEFAULT_PORTS = {"implicit": 993, "starttls": 143, "none": 143}
LOOPBACK = {"127.0.0.1", "::1", "localhost"}

MAILBOX_OPTIONS: o.Schema = {
    "host": o.Option(o.non_empty_string, help="the IMAP server, e.g. 'imap.fastmail.com'"),
    "port": o.Option(
        o.integer_between(1, 65535),
        None,
        "the server's port; default 993 with tls = 'implicit', 143 with 'starttls'",
    ),
    "tls": o.Option(
        o.choice("implicit", "starttls", "none"),
        "implicit",
        "'implicit' (TLS from the start, port 993), 'starttls' (port 143, upgraded; refused "
        "if the server does not offer it) or 'none' (only for a server on this machine, such "
        "as Proton Mail Bridge)",
    ),
    "ca_bundle": o.Option(
        o.path, None, "a PEM file of CA certificates to trust instead of the system's"
    ),
    "username": o.Option(
        o.non_empty_string, None, "the IMAP login; default: the account's first address"
    ),
    **SOURCE_OPTIONS,
    "drafts_folder": o.Option(
        o.non_empty_string,
        None,
        "the mailbox drafts are saved to; default: the one the server marks \\Drafts "
        "(SPECIAL-USE), else the one named Drafts (or Draft, Entwürfe, ...)",
    ),
    "sent_folder": o.Option(
        o.non_empty_string,
        None,
        "where your mail client keeps sent mail; default: the \\Sent mailbox(es), else "
        "'Sent', 'Sent Messages' (iCloud), 'Sent Items' (Exchange), ...",
    ),
    "inbox_folders": o.Option(
        o.list_of(o.non_empty_string, "mailbox names"),
        None,
        "mailboxes searched for replies; default: ['INBOX'] (each costs one STATUS per poll)",
    ),
}


class ImapProvider:
    name = "imap"
    calendar_options = None
    mailbox_options = MAILBOX_OPTIONS
    account_options: o.Schema = {}

    def calendar(
        self, ctx: AccountContext, options: dict[str, Any], account_options: dict[str, Any]
    ) -> None:
        return None

    def mailbox(
        self, ctx: AccountContext, options: dict[str, Any], account_options: dict[str, Any]
    ) -> ImapMailbox:
        # The IMAP client (imapclient) only when a mailbox is opened: a config that names this
        # provider is loaded by every command, status and check too.
        from connectors.imap.connector import ImapMailbox

        return ImapMailbox(ctx, options, server(ctx, options))

    def authorize(self, ctx: AccountContext, account_options: dict[str, Any], echo: Any) -> None:
        echo(
            "The imap provider signs in with a password (password_command, keyring or "
            "password in the config): nothing to authorize. `followupd check` tries it."
        )

    def resource(
        self,
        side: str,
        options: dict[str, Any],
        account_options: dict[str, Any],
        addresses: tuple[str, ...],
    ) -> Resource:
        user = options.get("username") or (addresses[0] if addresses else "")
        where = options["host"].lower()
        # Another port is another server (two Dovecots on one host): named only when it is not
        # the usual one, so the common identity stays "imap:user@host".
        port = options.get("port")
        if port and port != DEFAULT_PORTS[options.get("tls") or "implicit"]:
            where = f"{where}:{port}"
        return Resource(f"imap:{user.lower()}@{where}")

    def validate_options(
        self, side: str, options: dict[str, Any], where: str, problems: list[str]
    ) -> None:
        validate_source(options, where, problems)
        if options.get("tls") == "none" and options.get("host", "").lower() not in LOOPBACK:
            problems.append(
                f"{where}.tls: 'none' sends the password in clear and is accepted only for a "
                f"server on this machine (127.0.0.1, ::1, localhost), got host "
                f"{options.get('host')!r}; use 'implicit' or 'starttls'"
            )


def server(ctx: AccountContext, options: dict[str, Any]) -> Server:
    """Where to connect, from the validated options (the username defaults to the address)."""
    from connectors.imap.session import Server

    tls = options.get("tls") or "implicit"
    where = f"config.toml: [accounts.{ctx.name}.mailbox]"
    username = options.get("username") or (ctx.addresses[0] if ctx.addresses else "")
    password = PasswordSource.from_options({**options, "username": username}, where)
    return Server(
        host=options["host"],
        port=options.get("port") or DEFAULT_PORTS[tls],
        tls=tls,
        ca_bundle=options.get("ca_bundle"),
        password=password,
    )


PROVIDER = ImapProvider()
