"""Redaction: every form a secret takes in text is recognised, and harmless text is left alone.

What :func:`daemon.redaction.redact` must catch: the shapes OAuth libraries, HTTP clients and
provider error answers put tokens in (JSON, dict reprs, escaped JSON, form bodies, query
strings, headers, raw HTTP reprs, URLs with passwords), and exact values registered as secret
in any encoding; and that errors and skipped items, wherever they are printed or stored, only
ever show their text redacted (end to end: test_secrets_in_errors.py).
"""

from __future__ import annotations

import traceback

import pytest

from daemon import redaction
from daemon.errors import (
    AuthNeeded,
    BadItem,
    ConfigError,
    ConnectorError,
    FollowupdError,
    TransientError,
)
from daemon.protocols import Problem

pytestmark = pytest.mark.usefixtures("kept_secrets")


SECRET = "s3cr3t-V4LUE_9x"

# (form, text containing SECRET, what must still be there afterwards)
FORMS = [
    ("bearer", f"sending Bearer {SECRET} to graph", "Bearer [REDACTED] to graph"),
    ("header", f"Authorization: Bearer {SECRET}", "Authorization: [REDACTED]"),
    ("basic header", f"authorization: Basic {SECRET}==", "authorization: [REDACTED]"),
    ("proxy header", f"Proxy-Authorization: Basic {SECRET}", "Proxy-Authorization: [REDACTED]"),
    ("header dict", f"{{'Authorization': 'Bearer {SECRET}'}}", "{'Authorization': '[REDACTED]'}"),
    (
        "raw http",
        f"send: b'GET / HTTP/1.1\\r\\nAuthorization: Basic {SECRET}\\r\\nHost: x\\r\\n'",
        "\\r\\nAuthorization: [REDACTED]\\r\\nHost: x",
    ),
    ("json access", f'{{"access_token": "{SECRET}", "expires_in": 3599}}', '"expires_in": 3599'),
    ("json refresh", f'{{"refresh_token":"{SECRET}"}}', '{"refresh_token":"[REDACTED]"}'),
    ("json id", f'{{"id_token": "{SECRET}"}}', '{"id_token": "[REDACTED]"}'),
    ("json secret", f'{{"client_secret": "{SECRET}"}}', '{"client_secret": "[REDACTED]"}'),
    ("json device", f'{{"device_code": "{SECRET}", "user_code": "WDJB-MJHT"}}', '"WDJB-MJHT"'),
    ("json code", f'{{"code": "4/0A{SECRET}"}}', '{"code": "[REDACTED]"}'),
    ("json password", f'{{"password": "{SECRET}"}}', '{"password": "[REDACTED]"}'),
    ("google creds", f'{{"token": "{SECRET}", "token_uri": "x"}}', '"token_uri": "x"'),
    ("dict repr", f"{{'refresh_token': '{SECRET}'}}", "{'refresh_token': '[REDACTED]'}"),
    (
        "escaped json",
        f'"{{\\"refresh_token\\": \\"{SECRET}\\", \\"n\\": 1}}"',
        '\\"refresh_token\\": \\"[REDACTED]\\", \\"n\\": 1',
    ),
    (
        "form",
        f"grant_type=refresh_token&refresh_token={SECRET}&client_id=abc",
        "grant_type=refresh_token&refresh_token=[REDACTED]&client_id=abc",
    ),
    ("form secret", f"client_id=abc&client_secret={SECRET}", "client_secret=[REDACTED]"),
    ("query code", f"GET /cb?code={SECRET}&state=xyz", "/cb?code=[REDACTED]&state=xyz"),
    ("device form", f"device_code={SECRET}&grant_type=x", "device_code=[REDACTED]&grant_type=x"),
    ("access form", f"access_token={SECRET}", "access_token=[REDACTED]"),
    ("id form", f"id_token={SECRET}", "id_token=[REDACTED]"),
    ("repr", f"Creds(password='{SECRET}', user='bob')", "user='bob'"),
    ("cli flag", f"--password={SECRET}", "--password=[REDACTED]"),
    ("url", f"postgresql+psycopg://bob:{SECRET}@db/f", "postgresql+psycopg://bob:[REDACTED]@db/f"),
    # Cut short by a length bound before the closing quote (Graph's error detail: 300 chars).
    ("cut json", f'HTTP 400 X: {{"access_token": "{SECRET[:9]}…', 'HTTP 400 X: {"access_token": '),
    ("cut repr", f"{{'refresh_token': '{SECRET}", "{'refresh_token': [REDACTED]"),
    ("cut escaped", f'{{\\"id_token\\": \\"{SECRET}', '{\\"id_token\\": [REDACTED]'),
]


@pytest.mark.parametrize(("form", "text", "kept"), FORMS, ids=[f[0] for f in FORMS])
def test_redact_every_form(form: str, text: str, kept: str) -> None:
    result = redaction.redact(text)
    assert SECRET[:9] not in result
    assert "[REDACTED]" in result
    assert kept in result
    assert redaction.redact(result) == result  # idempotent


@pytest.mark.parametrize(
    "text",
    [
        '{"error": {"code": 401, "message": "Request had invalid credentials"}}',
        '{"error": {"code": "InvalidAuthenticationToken"}}',
        "status_code=200 error_code=E42 token_type=Bearer",
        '{"user_code": "WDJB-MJHT", "verification_uri": "https://microsoft.com/devicelogin"}',
        "config.toml: [[accounts]] 'work'.google.client_secret: expected a string, got a value",
        "account 'work' needs re-authorization: run 'followupd auth work'",
        "https://calendar.example:8443/feed.ics",
    ],
)
def test_redact_leaves_harmless_text_alone(text: str) -> None:
    assert redaction.redact(text) == text


def test_registered_secret_is_scrubbed_in_every_encoding() -> None:
    token = "1//0gAbc+def/ghi"
    redaction.register_secret(token)
    text = f"a {token} b 1%2F%2F0gAbc%2Bdef%2Fghi c 1\\/\\/0gAbc+def\\/ghi d"
    assert redaction.redact(text) == "a [REDACTED] b [REDACTED] c [REDACTED] d"


def test_register_secret_accepts_bytes_and_ignores_short_values() -> None:
    redaction.register_secret(b"bytes-secret-123")
    redaction.register_secret("abc")
    redaction.register_secret("")
    redaction.register_secret(None)
    assert redaction.redact("bytes-secret-123 abc") == "[REDACTED] abc"


def test_registered_secret_containing_another_is_removed_whole() -> None:
    redaction.register_secret("ABCDEFGH")
    redaction.register_secret("xxABCDEFGHyy")
    assert redaction.redact("xxABCDEFGHyy") == "[REDACTED]"


def test_secrets_sharing_an_opening_are_each_found() -> None:
    redaction.register_secret("1//0gAAAA-one")
    redaction.register_secret("1//0gAAAA-two-longer")
    redaction.register_secret("1//0gBBBB")
    text = "x 1//0gAAAA-two-longer y 1//0gAAAA-one z 1//0gBBBB w 1//0gCCCC"
    assert redaction.redact(text) == "x [REDACTED] y [REDACTED] z [REDACTED] w 1//0gCCCC"


def test_a_secret_is_found_anywhere_in_a_long_text() -> None:
    """A long text is looked at in pieces: a secret at its very start, across the border of two
    pieces, and at its very end is still found, among many registered ones."""
    for n in range(2000):  # a thousand accounts' tokens
        redaction.register_secret(f"ya29.token-{n:05d}-value")
    secret = "ya29.token-01234-value"
    border = redaction._SPAN - 3
    text = secret + "a" * (border - len(secret)) + secret + "b" * 100 + secret
    assert secret in text[border - 5 : border + 30]
    assert redaction.redact(text) == (
        REDACTED_ + "a" * (border - len(secret)) + REDACTED_ + "b" * 100 + REDACTED_
    )
    assert redaction.redact("ya29.token-99999-value ya29.token") == (
        "ya29.token-99999-value ya29.token"
    )


REDACTED_ = redaction.REDACTED


# --- where errors and skipped items become text -------------------------------------------

ECHO = f'HTTP 400 BadRequest: {{"access_token": "{SECRET}"}} Bearer {SECRET}'
SHOWN = 'HTTP 400 BadRequest: {"access_token": "[REDACTED]"} Bearer [REDACTED]'


@pytest.mark.parametrize(
    "error",
    [
        FollowupdError(ECHO),
        ConnectorError(ECHO),
        TransientError(ECHO, retry_after=3),
        AuthNeeded(ECHO, fix="followupd auth work"),
        BadItem("event 1", ECHO),
    ],
    ids=lambda e: type(e).__name__,
)
def test_an_error_never_shows_a_secret_as_text(error: FollowupdError) -> None:
    logged = "%s" % error  # noqa: UP031 - what a log call does with its argument
    for text in (str(error), f"{error}", logged, traceback.format_exception_only(error)[-1]):
        assert SECRET not in text
        assert SHOWN in text


def test_a_secret_registered_after_the_error_was_made_is_caught() -> None:
    """Redacted when read: a token loaded while the error travelled up is still caught."""
    plain = "plain-" + SECRET
    error = ConnectorError(f"refused {plain}")
    redaction.register_secret(plain)
    assert str(error) == "refused [REDACTED]"


def test_config_problems_are_redacted_one_by_one() -> None:
    error = ConfigError(["a: fine", f"b: password={SECRET}"])
    assert error.problems == ["a: fine", "b: password=[REDACTED]"]
    assert SECRET not in str(error)


def test_a_problem_message_never_holds_a_secret() -> None:
    problem = Problem(item="event 1", message=f"expected a time, got 'Bearer {SECRET}'")
    assert problem.message == "expected a time, got 'Bearer [REDACTED]'"
