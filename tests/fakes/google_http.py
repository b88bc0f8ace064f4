"""Request/response values and Google-shaped error bodies shared by the fake's handlers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""

    def one(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    truncated: bool = False  # a fault: send only half of the body, then close


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status,
        json.dumps(data).encode("utf-8"),
        {"Content-Type": "application/json; charset=UTF-8", **(headers or {})},
    )


STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    410: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def google_error(
    status: int, message: str, reason: str = "", headers: dict[str, str] | None = None
) -> Response:
    """The error body Google APIs send: ``{"error": {"code", "message", "errors", "status"}}``."""
    error: dict[str, Any] = {
        "code": status,
        "message": message,
        "status": STATUS_NAMES.get(status, "UNKNOWN"),
    }
    if reason:
        error["errors"] = [{"message": message, "domain": "global", "reason": reason}]
    if status == 401:
        headers = {
            "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"',
            **(headers or {}),
        }
    return json_response({"error": error}, status, headers)


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    return json_response({"error": error, "error_description": description}, status)
