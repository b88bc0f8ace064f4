"""Where a server password comes from: a command, the system keyring, or (if the user insists)
the config file. Shared by every provider that signs in with a username and password (CalDAV,
IMAP), so that all of them take the same options and fail the same clear way.

The password is fetched when a connection needs it, never at config load: a password manager
that asks to be unlocked must not block ``followupd check`` of an unrelated account, and a
changed password in the manager is used at the next connection without a restart. Every
password fetched is registered with :mod:`daemon.redaction`, so that no log line, stored
problem or error message can show it, whatever quotes it (a server's error, a traceback).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from daemon import options as o
from daemon.errors import AuthNeeded
from daemon.redaction import register_secret

COMMAND_TIMEOUT = 60.0  # seconds: long enough to unlock a password manager by hand

# The options a provider adds to its account (or side) table to say where the password is.
# Exactly one of them must be set: checked by :func:`validate_source`.
SOURCE_OPTIONS: o.Schema = {
    "password_command": o.Option(
        o.non_empty(o.list_of(o.non_empty_string, "words of a command"), "a command"),
        None,
        "a command printing the password on its first line, as a list of words, e.g. "
        "['pass', 'show', 'fastmail/app'] (run without a shell)",
    ),
    "keyring": o.Option(
        o.non_empty_string,
        None,
        "the service name under which the system keyring holds the password for `username` "
        "(needs followupd[keyring]; store it with: keyring set SERVICE USERNAME)",
    ),
    "password": o.Option(
        o.non_empty_string,
        None,
        "the password itself, in clear: prefer password_command or keyring",
        secret=True,
    ),
}


def validate_source(table: Mapping[str, Any], where: str, problems: list[str]) -> None:
    """Exactly one password source: none means every connection would fail, two would make
    the one used a guess."""
    given = [key for key in SOURCE_OPTIONS if table.get(key) is not None]
    if not given:
        problems.append(
            f"{where}: expected one of password_command, keyring or password, found none"
        )
    elif len(given) > 1:
        problems.append(f"{where}: expected one password source, found {' and '.join(given)}")


@dataclass(frozen=True)
class PasswordSource:
    """How to get the password of ``username``; :meth:`get` fetches it afresh each time."""

    username: str
    where: str  # the config table, for messages: "config.toml: [accounts.work.mailbox]"
    command: tuple[str, ...] | None = None
    keyring_service: str | None = None
    password: str | None = None
    # The command to run once the source is fixed (``status`` shows it as the account's fix).
    fix: str = "followupd check"

    @classmethod
    def from_options(cls, options: Mapping[str, Any], where: str) -> PasswordSource:
        command = options.get("password_command")
        return cls(
            username=options["username"],
            where=where,
            command=tuple(command) if command else None,
            keyring_service=options.get("keyring"),
            password=options.get("password"),
        )

    def get(self) -> str:
        """The password, or :class:`AuthNeeded` naming the source and what to do."""
        if self.password is not None:
            password = self.password
        elif self.command is not None:
            password = self._from_command(self.command)
        elif self.keyring_service is not None:
            password = self._from_keyring(self.keyring_service)
        else:  # validate_source makes this unreachable from a valid config
            raise AuthNeeded(f"{self.where}: no password source is set", self.fix)
        register_secret(password)
        return password

    def _from_command(self, command: tuple[str, ...]) -> str:
        shown = " ".join(command)
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except FileNotFoundError:
            raise AuthNeeded(
                f"{self.where}: password_command: {command[0]!r} is not an installed command",
                self.fix,
            ) from None
        except subprocess.TimeoutExpired:
            raise AuthNeeded(
                f"{self.where}: password_command '{shown}' gave no password within "
                f"{COMMAND_TIMEOUT:.0f} s (is the password manager locked?)",
                self.fix,
            ) from None
        except OSError as err:
            raise AuthNeeded(
                f"{self.where}: password_command '{shown}' could not run: {err.strerror}",
                self.fix,
            ) from None
        # Never quote stdout: it may hold the password; stderr is the command's own message.
        first = done.stdout.splitlines()[0] if done.stdout.strip() else ""
        if done.returncode != 0:
            detail = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
            raise AuthNeeded(
                f"{self.where}: password_command '{shown}' failed: {detail[0][:200]}",
                self.fix,
            )
        if not first:
            raise AuthNeeded(
                f"{self.where}: password_command '{shown}' printed no password", self.fix
            )
        return first

    def _from_keyring(self, service: str) -> str:
        try:
            import keyring
            import keyring.errors
        except ImportError:
            raise AuthNeeded(
                f"{self.where}: keyring: the keyring library is not installed "
                "(pip install 'followupd[keyring]'), or use password_command",
                self.fix,
            ) from None
        try:
            password = keyring.get_password(service, self.username)
        except keyring.errors.KeyringError as err:
            raise AuthNeeded(
                f"{self.where}: keyring: the system keyring failed: {err}", self.fix
            ) from None
        if not password:
            raise AuthNeeded(
                f"{self.where}: keyring: no password for {self.username!r} under "
                f"{service!r}; store it with: keyring set {service} {self.username}",
                self.fix,
            )
        return password
