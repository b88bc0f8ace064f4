"""Every real-world e-mail of the shared corpus through the maildir connector's parsing path.

Each file ends as a parsed message (with its auto-reply classification) or a Problem with a
clear message; never an exception. Known auto-replies and bounces must be classified as
automated, the ordinary human replies as human.
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from connectors.maildir.connector import MaildirMailbox
from connectors.maildir.reading import parse_inbound
from daemon.autoreply import return_date
from daemon.clock import FrozenClock
from daemon.errors import BadItem
from daemon.protocols import AccountContext, InboundMessage
from tests.conftest import corpus_files

FILES = corpus_files("eml")

# From SOURCES.md: RFC 3834 auto-replies, Exchange OOF, DSNs and other bounces.
AUTOMATED = [
    "discourse-discourse__auto_reply.eml",
    "discourse-discourse__bounced_email.eml",
    "discourse-discourse__bounced_email_multiple_status_codes.eml",
    "SpamScope-mail-parser__mail_malformed_2.eml",
    "sisimai-set-of-emails__bsd-lhost-exchange2007-01.eml",
    "sisimai-set-of-emails__bsd-lhost-exim-01.eml",
    "sisimai-set-of-emails__bsd-lhost-gmail-01.eml",
    "sisimai-set-of-emails__bsd-lhost-googlegroups-01.eml",
    "sisimai-set-of-emails__bsd-lhost-office365-01.eml",
    "sisimai-set-of-emails__bsd-lhost-outlook-01.eml",
    "sisimai-set-of-emails__bsd-lhost-postfix-01.eml",
    "sisimai-set-of-emails__bsd-lhost-postfix-02.eml",
    "sisimai-set-of-emails__bsd-lhost-qmail-01.eml",
    "sisimai-set-of-emails__bsd-lhost-sendmail-01.eml",
    "sisimai-set-of-emails__bsd-rfc3834-01.eml",
    "sisimai-set-of-emails__bsd-rfc3834-02.eml",
    "sisimai-set-of-emails__bsd-rfc3834-05.eml",
    "sisimai-set-of-emails__bsd-rhost-mimecast-01.eml",
    "sisimai-set-of-emails__dos-rfc3834-01.eml",
    "sisimai-set-of-emails__mac-lhost-exchange2007-01.eml",
    "sisimai-set-of-emails__not-rb-issue-368-bug.eml",
]
HUMAN = [
    "mailgun-talon__reply-quotations-share-block.eml",
    "mailgun-talon__standard_replies-android.eml",
    "mailgun-talon__standard_replies-comcast.eml",
    "mailgun-talon__standard_replies-gmail.eml",
    "mailgun-talon__standard_replies-iphone.eml",
    "mailgun-talon__standard_replies-outlook.eml",
    "mailgun-talon__standard_replies-sparrow.eml",
    "mailgun-talon__standard_replies-thunderbird.eml",
    "mailgun-talon__standard_replies-yahoo.eml",
    "sisimai-set-of-emails__not-is-not-bounce-01.eml",
    "SpamScope-mail-parser__mail_test_18.eml",
    "SpamScope-mail-parser__mail_test_19.eml",
]
EXPECTED = "expected an RFC 5322 e-mail message: "


def parse_all() -> tuple[dict[str, InboundMessage], dict[str, str]]:
    parsed: dict[str, InboundMessage] = {}
    problems: dict[str, str] = {}
    for path in FILES:
        try:
            parsed[path.name] = parse_inbound(path)
        except BadItem as err:
            assert err.item == str(path)
            problems[path.name] = err.message
    return parsed, problems


def test_every_corpus_file_parses_or_is_a_clear_problem(corpus_dir: Path) -> None:
    parsed, problems = parse_all()
    assert len(parsed) + len(problems) == len(FILES) > 0
    assert all(message.startswith(EXPECTED) for message in problems.values())
    automated = sorted(n for n, m in parsed.items() if m.auto_reply)
    print(
        f"\neml corpus: {len(FILES)} files, {len(parsed)} parsed "
        f"({len(automated)} automated, {len(parsed) - len(automated)} human), "
        f"{len(problems)} problems: {problems}"
    )
    # The only unusable file: the 1992 'Barbershop MIME' message, From without a domain.
    assert problems == {
        "nylas-sync-engine__first-message.eml": EXPECTED
        + "its From header 'Nathaniel Borenstein <nsb>' holds no address like name@example.com"
    }


@pytest.mark.parametrize("name", AUTOMATED)
def test_known_auto_replies_and_bounces_are_automated(corpus_dir: Path, name: str) -> None:
    assert parse_inbound(corpus_dir / "eml" / name).auto_reply


@pytest.mark.parametrize("name", HUMAN)
def test_human_replies_are_human(corpus_dir: Path, name: str) -> None:
    message = parse_inbound(corpus_dir / "eml" / name)
    assert not message.auto_reply
    assert message.excerpt == ""  # bodies are read for auto-replies only


def test_real_out_of_office_text_yields_its_return_date(corpus_dir: Path) -> None:
    """'I am currently away returning to the office on May 5th' (RFC 3834 sample, 2005)."""
    for name in (
        "sisimai-set-of-emails__bsd-rfc3834-01.eml",
        "sisimai-set-of-emails__dos-rfc3834-01.eml",
    ):
        message = parse_inbound(corpus_dir / "eml" / name)
        assert message.received_at == datetime(2005, 4, 29, 14, 34, 45, tzinfo=UTC)
        assert return_date(message.excerpt, message.received_at) == date(2005, 5, 5)


def test_corpus_through_a_maildir_scan(corpus_dir: Path, tmp_path: Path) -> None:
    """The same files delivered into an INBOX and found by messages_since, sender domains."""
    parsed, problems = parse_all()
    root = tmp_path / "Mail"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    for index, path in enumerate(FILES):
        shutil.copy2(
            path,  # keeps the mtime: the delivery time of files without Date
            root / "new" / f"{1700000000 + index}.M{index}P1.corpus",
        )
    ctx = AccountContext(
        name="corpus",
        addresses=("nobody@followupd.invalid",),
        state_dir=tmp_path,
        clock=FrozenClock(datetime(2026, 1, 1, tzinfo=UTC)),
        timezone="UTC",
    )
    box = MaildirMailbox(ctx, {"path": root})
    domains = sorted({m.sender.rpartition("@")[2] for m in parsed.values()})
    result = box.messages_since(datetime(1970, 1, 1, tzinfo=UTC), ["nsb"], domains)

    # Files without a Message-ID get the Maildir key as id, and copies of one message (the
    # bsd/dos/mac variants) count once, so compare what a reader would see.
    def seen(messages: list[InboundMessage]) -> set[tuple[str, str, bool, datetime]]:
        return {(m.sender, m.subject, m.auto_reply, m.received_at) for m in messages}

    assert seen(result.messages) == seen(list(parsed.values()))
    assert sorted(p.message for p in result.problems) == sorted(problems.values())
