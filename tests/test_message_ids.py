"""The Message-ID a draft carries: found again from the KEY alone, naming neither followupd nor
the interviewer (issue 10, "The machine shows")."""

from __future__ import annotations

import re

from daemon.message import (
    is_message_id_of,
    legacy_message_id,
    message_id_for,
    message_ids_for,
)

KEY = "followupd:0a1b2c3d4e5f:6a7b8c9d0e1f2a3b:jane.doe@acme.example:thank_you:1"
UUID_AT = re.compile(r"<[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}@([^>]+)>")


def test_the_message_id_is_a_hash_at_the_users_own_domain() -> None:
    mid = message_id_for(KEY, "Alex@Example.ORG")
    found = UUID_AT.fullmatch(mid)
    assert found and found.group(1) == "example.org"  # reads like Thunderbird's own
    assert mid == message_id_for(KEY, "alex@example.org")  # deterministic
    assert mid != message_id_for(KEY + "x", "alex@example.org")
    for part in ("followupd", "jane", "acme", "0a1b2c3d4e5f", "thank"):
        assert part not in mid.lower()


def test_a_non_ascii_or_missing_domain() -> None:
    assert message_id_for(KEY, "me@bücher.example").endswith("@xn--bcher-kva.example>")
    assert message_id_for(KEY, "not an address").endswith("@localhost>")


def test_a_draft_is_ours_at_any_domain_and_by_the_legacy_id() -> None:
    """The user may change the first address of an account between a crash and the restart."""
    assert is_message_id_of(message_id_for(KEY, "me@new.example"), KEY)
    assert is_message_id_of(legacy_message_id(KEY), KEY)
    assert legacy_message_id(KEY).endswith("@followupd.invalid>")  # what older drafts carry
    assert not is_message_id_of(message_id_for(KEY + "x", "me@new.example"), KEY)
    assert not is_message_id_of("<CAF0x@mail.gmail.com>", KEY)
    assert not is_message_id_of(None, KEY) and not is_message_id_of("", KEY)


def test_every_id_a_draft_may_carry() -> None:
    ids = message_ids_for(KEY, ("me@a.example", "me2@a.example", "me@b.example"))
    assert ids == [
        message_id_for(KEY, "me@a.example"),
        message_id_for(KEY, "me@b.example"),
        legacy_message_id(KEY),
    ]
