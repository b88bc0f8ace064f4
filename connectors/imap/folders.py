"""Which mailbox is Drafts, which are Sent, where replies arrive: asked once per connection.

RFC 6154 SPECIAL-USE flags (``\\Drafts``, ``\\Sent``) are what the server says, so they win;
servers without them (iCloud, older Exchange, many self-hosted ones) are read by the usual
names, in the order below; a configured name wins over both. Two mailboxes that could each be
Drafts are an error naming them and the option: a draft is never written to a guess (as the
Maildir provider does).

Only Drafts and Sent ever count for a draft (found, sent): mail is delivered everywhere else,
and anyone can write a message with our Message-ID (see :mod:`connectors.maildir.connector`).
"""

from __future__ import annotations

from dataclasses import dataclass

from imapclient import IMAPClient

from daemon.errors import ConnectorError

# Lower-cased leaf names, most common first ("Sent Messages": iCloud; "Sent Items": Exchange).
DRAFT_NAMES = ("drafts", "draft", "entwürfe", "brouillons", "borradores", "bozze")
SENT_NAMES = (
    "sent",
    "sent messages",
    "sent items",
    "sent mail",
    "gesendet",
    "gesendete objekte",
    "envoyés",
    "enviados",
    "inviata",
)
DEFAULT_DRAFTS = "Drafts"


@dataclass(frozen=True)
class Mailboxes:
    """The account's mailboxes as one LIST showed them."""

    drafts: str | None  # None: none yet (created by the first draft, as clients do)
    drafts_how: str  # "SPECIAL-USE \\Drafts", "by name", "configured"
    sent: tuple[str, ...]
    inbox: tuple[str, ...]
    all: tuple[str, ...]


def _leaf(name: str, delimiter: str | None) -> str:
    return (name.rsplit(delimiter, 1)[-1] if delimiter else name).casefold()


def discover(
    client: IMAPClient,
    where: str,
    drafts_option: str | None,
    sent_option: str | None,
    inbox_option: list[str] | None,
) -> Mailboxes:
    """One ``LIST "" "*"`` read into :class:`Mailboxes` (the SPECIAL-USE flags come with it
    on servers that announce the capability)."""
    listed = client.list_folders()
    names = [name for flags, _, name in listed if b"\\noselect" not in _lower(flags)]
    flagged = {name: _lower(flags) for flags, _, name in listed}
    leaves = {name: _leaf(name, _delim(d)) for _, d, name in listed}

    def named(wanted: str) -> str | None:
        return next((n for n in names if n.casefold() == wanted.casefold()), None)

    drafts: str | None
    if drafts_option:
        drafts, how = named(drafts_option) or drafts_option, "configured"
    else:
        special = [n for n in names if b"\\drafts" in flagged[n]]
        by_name = [n for n in names if leaves[n] in DRAFT_NAMES]
        found = special or by_name
        if len(found) > 1:
            shown = ", ".join(repr(n) for n in found)
            raise ConnectorError(
                f"{where}: several mailboxes could be the drafts mailbox ({shown}); "
                f"set drafts_folder to the one your mail client uses"
            )
        drafts = found[0] if found else None
        how = "SPECIAL-USE \\Drafts" if special else "by name"
    if sent_option:
        sent = (named(sent_option) or sent_option,)
    else:
        special = [n for n in names if b"\\sent" in flagged[n]]
        rank = {leaf: i for i, leaf in enumerate(SENT_NAMES)}
        by_name = sorted((n for n in names if leaves[n] in rank), key=lambda n: rank[leaves[n]])
        sent = tuple(special or by_name)
    inbox = tuple(named(n) or n for n in inbox_option) if inbox_option else ("INBOX",)
    return Mailboxes(drafts, how, sent, inbox, tuple(names))


def _lower(flags: tuple[bytes, ...]) -> set[bytes]:
    return {f.lower() for f in flags}


def _delim(delimiter: bytes | str | None) -> str | None:
    if isinstance(delimiter, bytes):
        return delimiter.decode("ascii", "replace")
    return delimiter
