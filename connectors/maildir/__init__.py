"""Provider ``maildir``: drafts and replies in a local Maildir tree (mutt, aerc, mbsync users).

Offers only the mailbox side; there is no calendar and nothing to authorize. The account's own
mail tools sync the tree with the server; followupd only writes drafts into it and reads it.

Example::

    [accounts.personal.mailbox]
    provider = "maildir"
    path = "~/Mail/personal"
    drafts_folder = "Drafts"
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.maildir.folders import LAYOUTS
from daemon import options as o
from daemon.protocols import AccountContext, Resource

if TYPE_CHECKING:
    from connectors.maildir.connector import MaildirMailbox

MAILBOX_OPTIONS: o.Schema = {
    "path": o.Option(o.path, help="the Maildir root, e.g. '~/Mail/personal'"),
    "layout": o.Option(
        o.choice(*LAYOUTS),
        "auto",
        "'maildir++' (folders are .Name inside the root, the root is INBOX), 'folders' (one "
        "Maildir per folder: INBOX/, Drafts/, as mbsync writes) or 'auto' to detect it",
    ),
    "drafts_folder": o.Option(
        o.non_empty_string,
        None,
        "where drafts are written, as your mail client names the folder (e.g. '[Gmail]/Drafts'); "
        "default: the one folder named Drafts (or Draft, Entwürfe, ...) at any level, "
        "'Drafts' when there is none; with two such folders, set this",
    ),
    "sent_folder": o.Option(o.non_empty_string, "Sent", "where your mail client keeps sent mail"),
    "inbox_folders": o.Option(
        o.list_of(o.non_empty_string, "folder names"),
        None,
        "folders searched for replies; default: all but Drafts, Sent, Trash and Junk/Spam",
    ),
}


class MaildirProvider:
    name = "maildir"
    calendar_options = None
    mailbox_options = MAILBOX_OPTIONS
    account_options: o.Schema = {}

    def calendar(
        self, ctx: AccountContext, options: dict[str, Any], account_options: dict[str, Any]
    ) -> None:
        return None

    def mailbox(
        self, ctx: AccountContext, options: dict[str, Any], account_options: dict[str, Any]
    ) -> MaildirMailbox:
        # The mailbox code (MIME, reading mail) only when a mailbox is opened: a config that
        # names this provider is loaded by every command, status and check too.
        from connectors.maildir.connector import MaildirMailbox

        return MaildirMailbox(ctx, options)

    def authorize(self, ctx: AccountContext, account_options: dict[str, Any], echo: Any) -> None:
        echo("The maildir provider reads and writes local files: no authorization is needed.")

    def resource(
        self,
        side: str,
        options: dict[str, Any],
        account_options: dict[str, Any],
        addresses: tuple[str, ...],
    ) -> Resource:
        root = Path(options["path"]).resolve()
        return Resource(f"maildir:{root}", local_dir=root)


PROVIDER = MaildirProvider()
