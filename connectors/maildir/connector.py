"""The Maildir mailbox: drafts written into the Drafts folder, replies read from the others.

There is nothing to send with here, so "sent" can only be learnt from what the user's mail
client leaves behind in Sent. A draft names no KEY (a recipient would see it; issue 10): it is
found by its Message-ID, derived from the KEY (:func:`daemon.message.message_id_for`). mutt keeps
the Message-ID of a recalled postponed message (postpone.c drops it only when resending), aerc's
composer makes one only when the recalled header has none; a copy in Sent with that Message-ID
is the draft sent. For clients that make a new Message-ID (on send, or on every save of a
draft), the copy is recognised by the recipients, subject, parent and time recorded when the
draft was written (:mod:`connectors.maildir.records`): in Drafts as the draft saved again, in
Sent, once the draft has left Drafts, as the draft sent. Drafts written before
issue 10 carry the ``X-Followupd-Key`` header and are still recognised by it. Nothing found
means the user deleted the draft, and the core will never recreate it.

Only Sent folders count, never INBOX or the other folders mail is delivered or filed into: the
Message-ID is derived from the calendar event, so anyone who can send the user mail could write
it into a message of their own. Counted as "sent", such a message would close the thank-you and
become the parent of the later status inquiry. Nobody but the user's own client (or server, on
submission) writes into Sent. The From of a copy found there is not checked: it proves nothing a
stranger could not forge, and a draft sent from another of the user's aliases would be taken
for a deleted one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from connectors.maildir.folders import (
    DRAFT_NAMES,
    JUNK_NAMES,
    SENT_NAMES,
    TRASH_NAMES,
    Entry,
    Folder,
    Tree,
    entries,
    split_name,
)
from connectors.maildir.reading import Head, draft_content, mentions, read_head, to_inbound
from connectors.maildir.records import FILE_NAME, DraftRecords, Record
from connectors.maildir.sent import sent_since
from connectors.maildir.special import DEFAULT_DRAFTS, DRAFTS_LEAVES, drafts_folder, probe
from connectors.maildir.writing import deliver, remove_stale_tmp
from daemon.errors import BadItem, ConnectorError
from daemon.filewatch import DELETED, FileWatch
from daemon.message import (
    POLICY,
    build_message,
    is_message_id_of,
    legacy_message_id,
    message_token,
    names_key,
)
from daemon.protocols import (
    KEY_HEADER,
    AccountContext,
    CannotWatch,
    DraftContent,
    DraftRef,
    DraftRequest,
    DraftState,
    DraftStatus,
    InboundMessage,
    InboundMessages,
    Problem,
    ReplyTarget,
    SentMessages,
    Watch,
)
from daemon.worlderrors import explain

log = logging.getLogger(__name__)

DRAFT_FLAGS = "DS"  # Draft, and Seen: the user's own draft is not unread mail
_KEY_NEEDLE = KEY_HEADER.lower().encode()
# build_message's policy (its header values are checked to survive its folding); "none"
# writes a raw (set_raw) header as given.
_DRAFT_POLICY = POLICY.clone(refold_source="none", linesep="\n")


def serialize(msg: EmailMessage) -> bytes:
    """The message as bytes with LF line endings, as Maildir files are stored."""
    return msg.as_bytes(policy=_DRAFT_POLICY)


# A copy in Sent may be dated a little before the draft was written (clock skew between the
# machine that sent and this one); a send earlier than this cannot be the draft's.
SENT_SLACK_SECONDS = 600


def _same_subject(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _mtime(path: Path) -> datetime | None:
    """When the file was delivered (written), for messages without a usable Date header."""
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return None


class MaildirMailbox:
    """:class:`daemon.protocols.Mailbox` over a local Maildir tree."""

    def __init__(self, ctx: AccountContext, options: dict[str, Any]) -> None:
        self.ctx = ctx
        self.tree = Tree(Path(options["path"]), options.get("layout", "auto"))
        # None: the one folder named like a drafts folder (see connectors.maildir.special)
        self.drafts_name: str | None = options.get("drafts_folder")
        self.sent_name: str = options.get("sent_folder", "Sent")
        self.inbox_names: list[str] | None = options.get("inbox_folders")
        self.own = {a.lower() for a in ctx.addresses}
        self.records = DraftRecords(ctx.state_dir / FILE_NAME)

    # -- folders ---------------------------------------------------------------------------

    def _drafts(self) -> Folder | None:
        """The drafts folder, None while it does not exist; AmbiguousDrafts (an account
        error) when two folders could be it: a draft is never written to a guess."""
        return drafts_folder(self.tree, self.drafts_name)

    def _drafts_or_create(self) -> Folder:
        return self._drafts() or self.tree.create(self.drafts_name or DEFAULT_DRAFTS)

    def _is_drafts(self, folder: Folder) -> bool:
        if self.drafts_name is None:
            return bool(folder.leaves & DRAFTS_LEAVES)
        return folder.name.lower() == self.drafts_name.lower()

    def _is_sent(self, folder: Folder) -> bool:
        return folder.name.lower() == self.sent_name.lower() or bool(folder.leaves & SENT_NAMES)

    def inbox_folders(self) -> list[Folder]:
        """The folders where replies are looked for (see the ``inbox_folders`` option)."""
        folders = self.tree.folders()
        if self.inbox_names is not None:
            wanted = {n.lower() for n in self.inbox_names}
            return [f for f in folders if f.name.lower() in wanted]
        skip = TRASH_NAMES | JUNK_NAMES | SENT_NAMES | DRAFT_NAMES
        return [
            f
            for f in folders
            if not f.leaves & skip and not self._is_drafts(f) and not self._is_sent(f)
        ]

    def _sent_folders(self) -> list[Folder]:
        """The Sent folders (the configured one first): the only places a sent copy counts.

        The ``sent_folder`` option and the usual names (``Sent``, ``Sent Items``, ``[Gmail]/Sent
        Mail``, ``INBOX/Sent``, ...) in either layout; never folders where mail is delivered,
        which a stranger can fill with our KEY (see the module docstring).
        """
        folders = [f for f in self.tree.folders() if self._is_sent(f) and not self._is_drafts(f)]
        return sorted(folders, key=lambda f: f.name.lower() != self.sent_name.lower())

    # -- scanning --------------------------------------------------------------------------

    def _heads(self, folder: Folder, needles: list[bytes]) -> Iterator[tuple[Entry, Head]]:
        """Parsed header blocks of the files in ``folder`` that mention one of ``needles``.

        Files that vanish mid-scan (a client moved them) are skipped; unparsable ones too,
        since here we only look for our own messages.
        """
        for entry in entries(folder):
            try:
                data = read_head(entry.path)
                if mentions(data, needles):
                    yield entry, Head.parse(entry.path, data)
            except FileNotFoundError:
                continue
            except (OSError, BadItem) as err:
                log.debug("skipped %s: %s", entry.path, err)

    @staticmethod
    def _ours(head: Head, key: str) -> bool:
        """Our draft of ``key`` (or a copy that kept its Message-ID), or a pre-issue-10 draft
        that names ``key`` in the legacy header."""
        return is_message_id_of(head.message_id(), key) or names_key(head.key(), key)

    def _find(
        self, folders: Sequence[Folder], key: str, message_id: str | None, sent_only: bool
    ) -> tuple[Entry, Head] | None:
        """The first file of ``folders`` with the Message-ID of ``key`` (or its legacy header),
        or else with ``message_id`` (the one recorded for the draft).

        ``sent_only``: we are looking for a sent copy. A file that is ours counts whatever its
        flags: a draft the user moved from Drafts to Sent by hand keeps its ``D`` flag in the
        file name (``:2,D``, ``:2,DS``) and is the user saying "this went out" (issue 9, point
        16a). Only a file matched by a recorded Message-ID that is not derived from ``key`` is
        still refused when it carries ``D``: that is a client's copy of a draft, not a sent one.
        """
        needles = [
            _KEY_NEEDLE,
            message_token(key).encode(),
            legacy_message_id(key).lower().encode(),
        ] + ([message_id.lower().encode()] if message_id else [])
        for folder in folders:
            for entry, head in self._heads(folder, needles):
                if self._ours(head, key):
                    return entry, head
                if message_id and head.message_id() == message_id:
                    if sent_only and "D" in entry.flags:
                        continue
                    return entry, head
        return None

    def _renewed(self, key: str) -> tuple[Entry, Head] | None:
        """The copy in Sent of ``key``'s draft sent by a client that gave it a new Message-ID:
        the earliest message in a Sent folder, sent after the draft was written, to the same
        recipients with the same subject (and, for a reply, the same parent). None without a
        record of the draft (see :mod:`connectors.maildir.records`)."""
        record = self.records.get(key)
        if record is None or not record.to:
            return None
        taken = self.records.others(key)
        best: tuple[datetime, Entry, Head] | None = None
        for folder in self._sent_folders():
            for entry, head in self._heads(folder, [a.encode() for a in record.to]):
                when = self._renewal_time(entry, head, record, key, taken)
                if when is not None and (best is None or when < best[0]):
                    best = (when, entry, head)
        if best is None:
            return None
        self.records.claim(key, best[2].message_id() or "")
        return best[1], best[2]

    def _resaved(self, drafts: Folder, key: str) -> tuple[Entry, Head] | None:
        """``key``'s draft saved again by a client that gives a draft a new Message-ID when it
        saves it: the latest file in Drafts to the same recipients with the same subject (and
        parent), written after ours and not another recorded draft's. Without this, the user
        opening our draft in such a client and saving it would read as deleting it."""
        record = self.records.get(key)
        if record is None or not record.to:
            return None
        taken = self.records.others(key)
        best: tuple[datetime, Entry, Head] | None = None
        for entry, head in self._heads(drafts, [a.encode() for a in record.to]):
            when = self._renewal_time(entry, head, record, key, taken, draft=True)
            if when is not None and (best is None or when > best[0]):
                best = (when, entry, head)
        return (best[1], best[2]) if best else None

    @staticmethod
    def _renewal_time(
        entry: Entry, head: Head, record: Record, key: str, taken: set[str], draft: bool = False
    ) -> datetime | None:
        """When ``head`` was written, if it can be ``record``'s draft under a new Message-ID:
        its copy in Sent, or (``draft``) a new save of it in Drafts; else None."""
        if ("D" in entry.flags and not draft) or head.message_id() in taken:
            return None
        legacy = head.key()
        if legacy and not names_key(legacy, key):
            return None  # another draft's (pre-issue-10) copy
        if not _same_subject(head.text("subject"), record.subject):
            return None
        if not set(record.to) <= set(head.recipients()):
            return None
        if record.in_reply_to and record.in_reply_to not in head.in_reply_to():
            return None
        when = head.date() or _mtime(entry.path)
        if when is None or when.timestamp() < record.written - SENT_SLACK_SECONDS:
            return None
        return when

    def _remember(self, key: str, entry: Entry, head: Head) -> None:
        """Record the draft as it is now in Drafts, for :meth:`_renewed`."""
        written = head.date() or _mtime(entry.path)
        parents = head.in_reply_to()
        self.records.remember(
            key,
            Record(
                message_id=head.message_id() or "",
                to=tuple(head.recipients()),
                subject=head.text("subject"),
                in_reply_to=parents[0] if parents else None,
                written=written.timestamp() if written else 0.0,
            ),
        )

    @staticmethod
    def _ref(entry: Entry, head: Head) -> DraftRef:
        return DraftRef(id=entry.key, thread_id=head.thread_id(), message_id=head.message_id())

    # -- Mailbox protocol ------------------------------------------------------------------

    def find_draft(self, key: str) -> DraftRef | None:
        """The draft (in Drafts) or its sent copy (in a Sent folder) of ``key``."""
        drafts = self._drafts()
        if drafts is not None:
            found = self._find([drafts], key, None, sent_only=False)
            if found:
                self._remember(key, *found)
                return self._ref(*found)
        found = self._find(self._sent_folders(), key, None, sent_only=False) or self._renewed(key)
        return self._ref(*found) if found else None

    def create_draft(self, request: DraftRequest) -> DraftRef:
        """Write the draft into Drafts/cur with the Draft flag; tmp/ -> cur/ is atomic.

        First our own files left in Drafts/tmp for 36 hours by a write that was killed are
        removed (see :func:`connectors.maildir.writing.remove_stale_tmp`): this is the one
        place we write, so the one place our leftovers can be.
        """
        drafts = self._drafts_or_create()
        remove_stale_tmp(drafts.path)
        existing = self._find([drafts], request.key, None, sent_only=False)
        if existing:  # never a second draft for one key, even if the caller retries blindly
            log.info("draft for %s already in %s", request.key, drafts.path)
            return self._ref(*existing)
        msg = build_message(request, date=self.ctx.clock.now())
        data = serialize(msg)
        try:
            key, path = deliver(drafts.path, data, DRAFT_FLAGS)  # 0600, fsynced, no tmp/ left
        except OSError as err:
            raise ConnectorError(
                explain(
                    err, f"maildir {drafts.path}", "cannot write the draft", root=self.tree.root
                )
            ) from err
        head = Head.parse(path, data)
        entry = Entry(key, path, DRAFT_FLAGS, drafts)
        self._remember(request.key, entry, head)
        log.info("draft %s written to %s", key, path)
        return self._ref(entry, head)

    def draft_state(self, ref: DraftRef, key: str) -> DraftState:
        drafts = self._drafts()
        if drafts is not None and self._still_a_draft(drafts, ref, key):
            return DraftState(DraftStatus.DRAFT)
        found = self._find(self._sent_folders(), key, ref.message_id, sent_only=True)
        found = found or self._renewed(key)
        if found is None:
            return DraftState(DraftStatus.GONE)
        entry, head = found
        sent_at = head.date() or _mtime(entry.path)  # None: the core takes "now"
        sent = ReplyTarget(
            message_id=head.message_id() or ref.message_id or "",
            thread_id=head.thread_id(),
            subject=head.text("subject"),
            references=head.references(),
        )
        return DraftState(DraftStatus.SENT, sent_at=sent_at, sent=sent)

    def _locate(self, drafts: Folder, ref: DraftRef, key: str) -> tuple[Entry, Head | None] | None:
        """The draft's file in Drafts: by its Maildir key (``ref.id``), else by its Message-ID
        (or the one recorded), else the copy a client saved again under a new Message-ID."""
        entry = next((e for e in entries(drafts) if e.key == ref.id), None)
        if entry is not None:
            return entry, None
        found = self._find([drafts], key, ref.message_id, sent_only=False)
        return found or self._resaved(drafts, key)

    def _current(self, drafts: Folder, ref: DraftRef, key: str) -> Entry | None:
        """The file that holds the draft as the user last saved it, for ``followupd redraft``.

        As :meth:`_locate`, except that a later save under a new Message-ID wins over our own
        file still there (a client that writes the edit beside the draft instead of replacing
        it): taking our untouched file for the draft would let redraft replace it and leave the
        user's edit behind as a second draft."""
        found = self._locate(drafts, ref, key)
        if found is None:
            return None
        resaved = self._resaved(drafts, key)
        return resaved[0] if resaved is not None else found[0]

    def _still_a_draft(self, drafts: Folder, ref: DraftRef, key: str) -> bool:
        """Whether the draft is still in Drafts (by its file, or by its Message-ID); its record
        is kept as the draft is now, since the user may edit it there."""
        found = self._locate(drafts, ref, key)
        if found is None:
            return False
        entry, head = found
        try:
            self._remember(key, entry, head or Head.parse(entry.path, read_head(entry.path)))
        except (OSError, BadItem) as err:
            log.debug("could not read draft %s: %s", entry.path, err)
        return True

    def read_draft(self, ref: DraftRef, key: str) -> DraftContent | None:
        """The draft in Drafts as it is now (see :meth:`_current`); None when it left Drafts
        (sent, deleted, moved to another folder): only a file in Drafts is a draft."""
        for _ in range(3):  # a client may move the file between our listing and our read
            drafts = self._drafts()
            entry = self._current(drafts, ref, key) if drafts is not None else None
            if entry is None:
                return None
            try:
                return draft_content(entry.path)
            except FileNotFoundError:
                continue
            except OSError as err:
                raise ConnectorError(
                    f"maildir {entry.path}: cannot read the draft: {err.strerror or err}"
                ) from err
            except BadItem as err:
                raise ConnectorError(f"maildir {err.item}: {err.message}") from err
        raise ConnectorError(
            f"maildir {self.tree.root}: the draft for {key} keeps moving in "
            f"the drafts folder; is a mail client saving it right now? Try again."
        )

    def delete_draft(self, ref: DraftRef, key: str) -> None:
        """Remove the draft's file from Drafts, the file :meth:`read_draft` just read.

        Unlinked rather than moved to Trash: the draft is being replaced by a new one at the
        user's request and read_draft has just shown it to be what followupd wrote, so nothing
        of the user's is lost; a copy in Trash would only be a duplicate to clean up (and mail
        clients delete a draft from Drafts the same way when it is replaced or sent). Its
        record goes too, so that no later copy in Drafts or Sent is taken for it.
        """
        for _ in range(3):  # a client may rename the file (a flag, new/ -> cur/) meanwhile
            drafts = self._drafts()
            entry = self._current(drafts, ref, key) if drafts is not None else None
            if entry is None:
                break  # gone already: what was asked
            try:
                entry.path.unlink()
            except FileNotFoundError:
                continue
            except OSError as err:
                raise ConnectorError(
                    f"maildir {entry.path}: cannot delete the draft: {err.strerror or err}"
                ) from err
            log.info("draft %s deleted from %s at the user's request", entry.key, entry.path)
            break
        else:
            raise ConnectorError(
                f"maildir {self.tree.root}: the draft for {key} keeps moving in "
                f"the drafts folder; is a mail client saving it right now? Try again."
            )
        self.records.forget(key)

    def messages_since(
        self,
        since: datetime,
        senders: Sequence[str],
        domains: Sequence[str],
        cursor: str | None = None,
    ) -> InboundMessages:
        """Matching messages of the inbox folders. ``cursor`` is ignored and None returned: a
        header-only scan with a byte pre-filter is fast enough to repeat on every poll, and a
        file fingerprint cursor would miss messages a client moves between folders."""
        wanted = {s.strip().lower() for s in senders if s.strip()}
        zones = {d.strip().lower().lstrip("@.") for d in domains if d.strip()}
        needles = [n.encode() for n in wanted | zones]
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
        result = InboundMessages(messages=[], cursor=None)
        if not needles:
            return result
        seen: set[str] = set()
        for folder in self.inbox_folders():
            for entry in entries(folder, result.problems):
                message = self._inbound(entry, needles, wanted, zones, since, result.problems)
                if message is not None and message.id not in seen:
                    seen.add(message.id)
                    result.messages.append(message)
        return result

    def _inbound(
        self,
        entry: Entry,
        needles: list[bytes],
        wanted: set[str],
        zones: set[str],
        since: datetime,
        problems: list[Problem],
    ) -> InboundMessage | None:
        try:
            data = read_head(entry.path)
            if not mentions(data, needles):
                return None
            head = Head.parse(entry.path, data)
            sender = head.sender()
            if sender in self.own:
                return None
            domain = sender.rpartition("@")[2]
            if sender not in wanted and not any(
                domain == z or domain.endswith("." + z) for z in zones
            ):
                return None
            received = head.date() or _mtime(entry.path)
            if received is None or received < since:
                return None
            return to_inbound(head, entry.key, sender, received)
        except FileNotFoundError:
            return None  # moved or deleted by a mail client while we scanned
        except OSError as err:
            problems.append(
                Problem(str(entry.path), f"cannot read the file: {err.strerror or err}")
            )
        except BadItem as err:
            problems.append(Problem(err.item, err.message))
        return None

    def sent_since(
        self, since: datetime, recipients: Sequence[str], domains: Sequence[str]
    ) -> SentMessages:
        """The user's messages in the Sent folders to those people or domains (headers only):
        what a status inquiry waiting for something the user sent replies to."""
        return sent_since(self._sent_folders(), since, recipients, domains)

    # -- being told of changes ---------------------------------------------------------------

    def watch(self, wake: Callable[[], None]) -> Watch:
        """A message delivered or filed into any folder but Drafts wakes the core (inotify
        through :mod:`daemon.filewatch`): a reply that arrives cancels its status inquiry
        within seconds, a draft the user sent is seen in Sent. Only ``new/`` and ``cur/``
        count (``tmp/`` is a writer's scratch space, the rest an index); Drafts not at all, or
        every draft followupd writes would wake it again; nor a message removed, or one whose
        flags changed (renamed within its folder: read, answered), which a poll has nothing to
        learn from, and which a mail client or mbsync does all day."""
        root = self.tree.root
        try:
            layout = self.tree.layout
        except ConnectorError as err:
            raise CannotWatch(f"{self.ctx.name}: {err}") from None

        def folder_of(changed: Path) -> Folder | None:
            if changed.parent.name not in ("new", "cur"):
                return None
            path = changed.parent.parent
            try:
                relative = path.relative_to(root)
            except ValueError:
                return None
            if not relative.parts:
                name = "INBOX"
            elif layout == "maildir++":
                name = relative.parts[0][1:].replace(".", "/")
            else:
                name = relative.as_posix()
            return Folder(name, path)

        def wanted(batch: list[tuple[int, Path]]) -> bool:
            gone = {
                (p.parent.parent, split_name(p.name)[0])
                for c, p in batch
                if c == DELETED and p.parent.name in ("new", "cur")
            }
            for change, path in batch:
                if change == DELETED or (path.parent.parent, split_name(path.name)[0]) in gone:
                    continue  # removed, or only its flags changed
                folder = folder_of(path)
                if folder is not None and not self._is_drafts(folder):
                    return True
            return False

        return FileWatch([root], wanted, wake, f"{self.ctx.name}: maildir {root}")

    def check(self) -> str:
        """What ``run`` will need, writing nothing to the mailbox: the tree is readable, one
        drafts folder is known (two candidates are an error naming them and the option), and
        a draft can be written there (a probe file created and removed in its ``tmp/``; a
        missing drafts folder is created by the first draft, so its parent is probed).

        Our own stale files in Drafts/tmp are still tidied (``tmp/`` is the writer's own
        scratch space, not mail), so that ``check`` clears what an interrupted write left
        behind even when no draft is due.
        """
        drafts = self._drafts()
        folders = self.tree.folders()
        watched = ", ".join(f.name for f in self.inbox_folders()) or "no folder"
        if drafts is None:
            name = self.drafts_name or DEFAULT_DRAFTS
            probe(self.tree.root, self.tree.root, parent=True)
            where = f"to {name!r} (created by the first draft, as mail clients do)"
        else:
            remove_stale_tmp(drafts.path)
            probe(drafts.path, self.tree.root)
            where = f"to {drafts.name!r}"
        return (
            f"Maildir ({self.tree.layout}) at {self.tree.root}: {len(folders)} folders; drafts go "
            f"{where}; replies are looked for in {watched}"
        )
