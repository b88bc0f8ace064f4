"""Password sources for the providers that sign in with a password (CalDAV, IMAP): a real
command run without a shell, the keyring library's own backend API, and the clear-text option.
"""

from __future__ import annotations

import sys

import pytest

from daemon import options as o
from daemon.errors import AuthNeeded
from daemon.passwords import SOURCE_OPTIONS, PasswordSource, validate_source
from daemon.redaction import redact

WHERE = "config.toml: [accounts.work.mailbox]"


def source(**options: object) -> PasswordSource:
    problems: list[str] = []
    table = o.validate(options, {**SOURCE_OPTIONS, "username": o.Option(o.string)}, WHERE, problems)
    assert problems == []
    return PasswordSource.from_options(table, WHERE)


def test_a_command_gives_the_first_line_of_its_output_and_the_password_is_redacted() -> None:
    script = "print('s3cret-app-password'); print('second line is metadata')"
    got = source(username="me", password_command=[sys.executable, "-c", script]).get()
    assert got == "s3cret-app-password"
    assert "s3cret-app-password" not in redact(f"NO [AUTHENTICATIONFAILED] LOGIN me {got}")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["/nonexistent/pass-helper"], "'/nonexistent/pass-helper' is not an installed command"),
        (
            ["sh", "-c", "echo leaked?; echo 'vault is locked' >&2; exit 1"],
            "failed: vault is locked",
        ),
        ([sys.executable, "-c", "pass"], "printed no password"),
    ],
)
def test_a_failing_command_is_one_clear_line_naming_the_table_and_never_its_output(
    command: list[str], expected: str
) -> None:
    with pytest.raises(AuthNeeded) as err:
        source(username="me", password_command=command).get()
    text = str(err.value)
    assert text.startswith(WHERE) and expected in text
    assert "leaked?" not in text.replace("echo leaked?", "")  # the command, not its output
    assert err.value.fix == "followupd check"


def test_the_keyring_holds_the_password_under_the_service_and_username() -> None:
    keyring = pytest.importorskip("keyring")
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):  # a real backend of the library, held in memory
        priority = 1  # type: ignore[assignment]
        stored: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.stored.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.stored[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.stored.pop((service, username), None)

    previous = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        with pytest.raises(AuthNeeded, match="keyring set fastmail me@fastmail.example"):
            source(username="me@fastmail.example", keyring="fastmail").get()
        keyring.set_password("fastmail", "me@fastmail.example", "from-the-keyring-1")
        assert source(username="me@fastmail.example", keyring="fastmail").get() == (
            "from-the-keyring-1"
        )
    finally:
        keyring.set_keyring(previous)


def test_exactly_one_source_is_required() -> None:
    problems: list[str] = []
    validate_source({}, WHERE, problems)
    validate_source({"password": "x", "keyring": "svc"}, WHERE, problems)
    validate_source({"password_command": ["pass", "show", "x"]}, WHERE, problems)
    assert problems == [
        f"{WHERE}: expected one of password_command, keyring or password, found none",
        f"{WHERE}: expected one password source, found keyring and password",
    ]


def test_a_clear_text_password_in_the_config_is_never_quoted_by_a_config_error() -> None:
    problems: list[str] = []
    o.validate({"password": 12345678}, SOURCE_OPTIONS, WHERE, problems)
    assert problems and "12345678" not in problems[0]
