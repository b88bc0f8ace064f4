"""The error taxonomy, named by what the daemon does next.

Every error a user can see is one of these, carries a message a person can act on, and never
shows a secret: its text is redacted here, the one place an error becomes text (``str(err)``,
``f"{err}"``, ``%s`` in a log call, a traceback's last line). Providers' error answers are
quoted into messages on purpose (their code and message say what went wrong), and some echo the
request's credentials; whatever prints or stores the error gets the redacted text.

Connectors raise them (wrapping library errors with ``raise ... from err``); the engine decides
from the class alone whether to retry, back off, ask for re-authorization, resynchronise, or
skip one item and go on.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from daemon.redaction import redact


class FollowupdError(Exception):
    """Base class: something the user may need to read.

    The text is redacted when it is read, not when the error is made: a secret registered after
    the error was raised (a token loaded while the error travelled up) is still caught, and the
    CLI's printer, ``check``, the engine's ``accounts.last_error`` and the log all read it here.
    """

    def __str__(self) -> str:
        return redact(super().__str__())


class ConfigError(FollowupdError):
    """The configuration is invalid. Fatal before anything starts.

    Holds *all* problems found, so the user fixes them in one go rather than one per run.
    Each problem already names the file, the key, what was expected and what was found.
    """

    def __init__(self, problems: Iterable[str]) -> None:
        # Printed one by one (not through __str__), so redacted one by one.
        self.problems = [redact(problem) for problem in problems]
        super().__init__("\n".join(self.problems))


class TemplateError(FollowupdError):
    """A draft template does not load or does not render (names the template and the cause)."""


class ConfigValueError(FollowupdError):
    """A value of the config makes a draft impossible (the sender address the mailbox cannot
    write, ...): names the file and key. Not fatal like :class:`ConfigError`, since the config
    loaded and the rest is served; the follow-up fails as "config" and is retried once the
    config changes (:mod:`daemon.drafting.failures`)."""


class BadItem(FollowupdError):
    """One input item (event, .ics file, e-mail, API object) is unusable: skip it and record why.

    ``item`` names the thing (a path, an event id, a message id) so the record says what to look at.
    """

    def __init__(self, item: str, message: str) -> None:
        self.item = item
        self.message = message
        super().__init__(f"{item}: {message}")


class ConnectorError(FollowupdError):
    """A provider call failed; this poll of this account failed, the next one may work."""


class TransientError(ConnectorError):
    """Temporary failure (rate limit, 5xx, network). Retry after ``retry_after`` seconds if given."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class QuotaExceeded(ConnectorError):
    """The provider's quota for the day (or similar long period) is used up: back off until ``until``."""

    def __init__(self, message: str, until: datetime | None = None) -> None:
        self.until = until
        super().__init__(message)


class AuthNeeded(ConnectorError):
    """Credentials are missing, expired or revoked. The user must run ``fix`` (a command line)."""

    def __init__(self, message: str, fix: str) -> None:
        self.fix = fix
        super().__init__(f"{message} (fix: {fix})")


class NotSignedIn(AuthNeeded):
    """No sign-in was ever stored for the account: known from local files alone, so
    ``followupd check`` says so without asking the provider anything."""

    def __init__(self, fix: str, detail: str) -> None:
        self.fix = fix
        ConnectorError.__init__(self, f"not signed in: run {fix} ({detail})")


class CursorExpired(ConnectorError):
    """A stored sync cursor is no longer valid: drop it and do a full resync."""


class InvalidResponse(ConnectorError):
    """A provider answered with something that is not what its API documents."""
