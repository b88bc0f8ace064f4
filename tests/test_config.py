"""Config loading: every problem is reported at once, each naming file, key and expectation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from daemon import config
from daemon.errors import ConfigError
from tests.conftest import ROOT

MINIMAL = """
[candidate]
name = "Alex"

[[accounts]]
name = "home"
addresses = ["alex@example.org"]
calendar = { provider = "ics", path = "cal" }
mailbox = { provider = "maildir", path = "mail" }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        config.load(write(tmp_path, text))
    return info.value.problems


def test_example_config_validates_as_is() -> None:
    loaded = config.load(ROOT / "config.example.toml")
    assert loaded.candidate.name == "Alex Candidate"
    assert loaded.thank_you.delay == timedelta(hours=1)
    assert loaded.status_inquiry.after_business_days == 5
    assert loaded.contacts["jane.smith@acme.example"].honorific == "Dr."
    assert loaded.accounts[0].salutation == "first_name"


def test_minimal_config_gets_defaults(tmp_path: Path) -> None:
    loaded = config.load(write(tmp_path, MINIMAL))
    assert loaded.daemon.poll_interval == timedelta(minutes=5)
    assert loaded.thank_you.max_lateness == timedelta(hours=12)
    assert loaded.status_inquiry.max_per_process == 2
    account = loaded.accounts[0]
    assert account.calendar.provider == "ics"
    # relative paths are relative to the config file
    assert account.calendar.options["path"] == tmp_path / "cal"
    assert loaded.daemon.database.startswith("sqlite:///")


def test_bad_duration_names_file_key_and_expectation(tmp_path: Path) -> None:
    found = problems(tmp_path, MINIMAL + '\n[thank_you]\ndelay = "soon"\n')
    assert found == [
        "config.toml: [thank_you].delay: expected a duration like '90m' or '2h', got 'soon'"
    ]


def test_thank_you_delay_may_not_exceed_24h(tmp_path: Path) -> None:
    found = problems(tmp_path, MINIMAL + '\n[thank_you]\ndelay = "25h"\n')
    assert found == [
        "config.toml: [thank_you].delay: expected a duration of at most 24h, got '25h'"
    ]


def test_unknown_key_and_section_are_errors(tmp_path: Path) -> None:
    found = problems(tmp_path, MINIMAL + '\n[thank_you]\ndelai = "1h"\n[extra]\nx = 1\n')
    assert "config.toml: [extra]: unknown section" in found[0]
    assert found[1].startswith(
        "config.toml: [thank_you].delai: unknown key (known keys: delay, enabled,"
    )


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    text = MINIMAL + (
        '\n[daemon]\ntimezone = "Mars/Olympus"\npoll_interval = 5\n'
        "[status_inquiry]\nafter_business_days = 0\n"
        '[days]\nholidays = ["24.12.2026"]\n'
    )
    found = problems(tmp_path, text)
    assert (
        "config.toml: [daemon].poll_interval: expected a duration like '90m' or '2h', got 5"
        in found
    )
    assert (
        "config.toml: [daemon].timezone: expected an IANA time zone like 'Europe/Berlin' or "
        "'America/New_York', got 'Mars/Olympus'" in found
    )
    assert (
        "config.toml: [status_inquiry].after_business_days: expected a whole number from 1 to 60, got 0"
        in found
    )
    assert any(
        p.startswith("config.toml: [days].holidays: expected a list of dates like 2026-12-24")
        for p in found
    )
    assert len(found) == 4


def test_missing_candidate_and_accounts(tmp_path: Path) -> None:
    found = problems(tmp_path, "")
    assert (
        'config.toml: [candidate]: missing; expected a table with at least name = "Your Name"'
        in found
    )
    assert "config.toml: [[accounts]]: missing; expected at least one account" in found


def test_unknown_provider(tmp_path: Path) -> None:
    found = problems(tmp_path, MINIMAL.replace('provider = "ics"', 'provider = "icloud"'))
    assert found[0].startswith(
        "config.toml: [[accounts]] 'home'.calendar.provider: unknown provider 'icloud' (known: "
    )


def test_provider_options_are_validated_by_the_provider(tmp_path: Path) -> None:
    found = problems(tmp_path, MINIMAL.replace('path = "cal"', 'path = "cal", colour = "red"'))
    assert found[0].startswith("config.toml: [[accounts]] 'home'.calendar.colour: unknown key")


def test_bad_account_address_and_duplicate_name(tmp_path: Path) -> None:
    text = MINIMAL + MINIMAL.split("[[accounts]]")[1].join(["[[accounts]]", ""]).replace(
        '"alex@example.org"', '"not-an-address"'
    )
    found = problems(tmp_path, text)
    assert any("'home'.name: duplicate account name 'home'" in p for p in found)
    assert any(
        "'home'.addresses: expected a list of e-mail addresses ('not-an-address' is not an e-mail "
        "address like 'name@example.com')" in p
        for p in found
    )


def test_salutation_style_per_account(tmp_path: Path) -> None:
    assert config.load(write(tmp_path, MINIMAL)).accounts[0].salutation == "first_name"
    formal = MINIMAL.replace("addresses = [", 'salutation = "formal"\naddresses = [')
    assert config.load(write(tmp_path, formal)).accounts[0].salutation == "formal"
    found = problems(
        tmp_path, MINIMAL.replace("addresses = [", 'salutation = "Dr."\naddresses = [')
    )
    assert found == [
        "config.toml: [[accounts]] 'home'.salutation: expected one of 'first_name', 'formal', "
        "got 'Dr.'"
    ]


def test_an_account_name_too_long_for_the_store_is_a_config_error(tmp_path: Path) -> None:
    """PostgreSQL would refuse it at the first poll (accounts.name is 100 characters)."""
    long = "h" * 101
    found = problems(tmp_path, MINIMAL.replace('name = "home"', f'name = "{long}"'))
    assert found == [
        f"config.toml: [[accounts]] '{long}'.name: expected at most 100 characters, got 101"
    ]
    fits = config.load(write(tmp_path, MINIMAL.replace('name = "home"', f'name = "{long[1:]}"')))
    assert [a.name for a in fits.accounts] == [long[1:]]


def test_contact_key_must_be_an_address(tmp_path: Path) -> None:
    found = problems(tmp_path, MINIMAL + '\n[contacts.jane]\nname = "Jane"\n')
    assert found == [
        "config.toml: [contacts.\"jane\"]: expected an e-mail address like 'name@example.com' as the key"
    ]


def test_invalid_toml_is_reported_with_position(tmp_path: Path) -> None:
    found = problems(tmp_path, "[candidate\nname = 1")
    assert found[0].startswith(f"{tmp_path / 'config.toml'}: not valid TOML: ")
    assert "line 1" in found[0]


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        config.load(tmp_path / "nope.toml")
    assert info.value.problems == [
        f"{tmp_path / 'nope.toml'}: no such file; create one with 'followupd init' or pass --config"
    ]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'[candidate]\nname = "\xff"\n')
    with pytest.raises(ConfigError) as info:
        config.load(path)
    assert info.value.problems == [f"{path}: expected UTF-8 text"]


def test_bad_regex_names_the_error(tmp_path: Path) -> None:
    found = problems(tmp_path, MINIMAL + '\n[detection]\npatterns = ["(unclosed"]\n')
    assert found[0].startswith(
        "config.toml: [detection].patterns: expected a list of regular expressions"
    )
    assert "missing )" in found[0]


def test_weekend_and_holidays(tmp_path: Path) -> None:
    loaded = config.load(
        write(tmp_path, MINIMAL + '\n[days]\nweekend = ["fri", "sat"]\nholidays = [2026-12-24]\n')
    )
    assert loaded.days.weekend == frozenset({5, 6})
    assert len(loaded.days.holidays) == 1


def _every_option() -> list[tuple[str, str]]:
    return [(section, key) for section, schema in config.SECTIONS.items() for key in schema]


@pytest.mark.parametrize(("section", "key"), _every_option())
@pytest.mark.parametrize("wrong", ["{ wrong = 1 }", "[[1], [2]]", "1979-05-27T07:32:00"])
def test_every_option_of_the_wrong_type_names_file_key_and_expectation(
    tmp_path: Path, section: str, key: str, wrong: str
) -> None:
    """No option takes a list of lists or a date-time, and only TABLE_OPTIONS a table: each
    gives one message that names the file, the key, what was expected and what was found."""
    if section == "candidate":  # the table is there already: the key goes in (or replaces name)
        line = f"{key} = {wrong}"
        text = MINIMAL.replace('name = "Alex"', line if key == "name" else f'name = "Alex"\n{line}')
    else:
        text = MINIMAL + f"\n[{section}]\n{key} = {wrong}\n"
    found = problems(tmp_path, text)
    assert len(found) == 1, found
    (message,) = found
    assert message.startswith(f"config.toml: [{section}].{key}: expected "), message
    endings = (", got a table", ", got a list", ", got 1979-05-27T07:32:00")
    if (section, key) in TABLE_OPTIONS:  # it takes a table: the entry is what is wrong
        endings += (", got wrong = 1",)
    assert message.endswith(endings), message


# The options whose value is a table (of names to values), named in their message's "got".
TABLE_OPTIONS = {("daemon", "provider_concurrency")}


def test_an_unreadable_config_says_why(tmp_path: Path) -> None:
    folder = tmp_path / "config.toml"
    folder.mkdir()  # root reads any file, so a directory stands for what cannot be read
    with pytest.raises(ConfigError) as info:
        config.load(folder)
    assert info.value.problems == [f"{folder}: cannot read (Is a directory)"]


@pytest.mark.parametrize(
    ("key", "value", "limit"),
    [
        ("poll_interval", "100000000d", "24h"),
        ("poll_interval", "25h", "24h"),
        ("sync_ahead", "99999999999999999999999w", "3650d"),  # timedelta() itself overflowed
        ("sync_past", "3651d", "3650d"),
    ],
)
def test_durations_have_a_sane_maximum(tmp_path: Path, key: str, value: str, limit: str) -> None:
    """Issue 9: a huge poll_interval passed the loader and overflowed the scheduler at start."""
    found = problems(tmp_path, MINIMAL + f'\n[daemon]\n{key} = "{value}"\n')
    assert found == [
        f"config.toml: [daemon].{key}: expected a duration of at most {limit}, got '{value}'"
    ]


def test_an_account_needs_at_least_one_address(tmp_path: Path) -> None:
    found = problems(tmp_path, MINIMAL.replace('["alex@example.org"]', "[]"))
    assert found == [
        "config.toml: [[accounts]] 'home'.addresses: expected at least one e-mail address of "
        "yours, got an empty list"
    ]


def test_a_weekend_must_leave_a_business_day(tmp_path: Path) -> None:
    every = '["mon", "tue", "wed", "thu", "fri", "sat", "sun", "sun"]'
    found = problems(tmp_path, MINIMAL + f"\n[days]\nweekend = {every}\n")
    assert found == [
        "config.toml: [days].weekend: expected weekday names that leave at least one business "
        "day, got all seven days"
    ]
    six = '["mon", "tue", "wed", "thu", "sat", "sun"]'
    assert config.load(write(tmp_path, MINIMAL + f"\n[days]\nweekend = {six}\n")).days.weekend
