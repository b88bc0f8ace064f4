"""Several Graph requests in one HTTP request: JSON batching (``POST /$batch``).

Graph takes up to 20 requests per batch and answers ``{"responses": [{"id", "status",
"headers", "body"}]}``, in any order (matched here by id). The batch itself succeeds when it
could be read; each request inside has its own status (learn.microsoft.com/graph/json-batching).
So, per request:

- 429 and 503 (and 500/502/504 of a GET) are sent again in a later batch, after the longest
  ``Retry-After`` among them (else the HTTP layer's backoff), within the same bounds as a
  single request (:class:`.http.Graph`'s ``max_attempts`` and ``max_wait``);
- anything else, success or failure, is the request's :class:`Answer`: a caller skips and
  records a failed one and carries on with the others.

The batch POST goes through :meth:`.http.Graph.request`: token refresh on 401, throttling of
the batch as a whole, timeouts and error text are the same as for any request. Its requests
carry the same ``Prefer`` header as single ones (a batch's own headers do not reach them).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.outlook.http import PREFER, Graph, seconds_after
from connectors.outlook.shapes import obj, text
from daemon.errors import InvalidResponse
from daemon.message import one_line

log = logging.getLogger(__name__)

MAX_REQUESTS = 20  # Graph's limit per batch
AGAIN = frozenset({429, 503})
AGAIN_IF_GET = frozenset({500, 502, 504})


@dataclass(frozen=True)
class Request:
    """One request of a batch; ``path`` is under the API root, with its query string."""

    path: str
    method: str = "GET"
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def detail(self) -> str:
        """``HTTP 500 ErrorInternalServerError: message``, as :func:`.http.error_detail`."""
        error = obj(obj(self.body).get("error"))
        words = f"HTTP {self.status}"
        if text(error.get("code")):
            words += f" {error['code']}"
        if text(error.get("message")):
            words += f": {error['message']}"
        return one_line(words, 300)


def send(graph: Graph, requests: Sequence[Request]) -> list[Answer]:
    """The answer to each of ``requests``, in their order; batches of 20, throttled ones again."""
    answers: dict[int, Answer] = {}
    waiting = list(range(len(requests)))
    attempt, waited = 1, 0.0
    while waiting:
        again: dict[int, Answer] = {}
        for start in range(0, len(waiting), MAX_REQUESTS):
            chunk = waiting[start : start + MAX_REQUESTS]
            for number, answer in _one_batch(graph, requests, chunk).items():
                method = requests[number].method
                if answer.status in AGAIN or (answer.status in AGAIN_IF_GET and method == "GET"):
                    again[number] = answer
                else:
                    answers[number] = answer
        if not again:
            break
        delay = max(graph.delay(attempt, _retry_after(a)) for a in again.values())
        if attempt >= graph.max_attempts or waited + delay > graph.max_wait:
            log.info("Microsoft Graph kept refusing %d request(s) of a batch; gave up", len(again))
            answers.update(again)
            break
        graph.sleep(delay)
        waited += delay
        attempt += 1
        waiting = sorted(again)
    return [answers[n] for n in range(len(requests))]


def _one_batch(graph: Graph, requests: Sequence[Request], chunk: list[int]) -> dict[int, Answer]:
    payload = {
        "requests": [
            {
                "id": str(number),
                "method": requests[number].method,
                "url": requests[number].path,
                "headers": {"Prefer": PREFER, **requests[number].headers}
                | ({"Content-Type": "application/json"} if requests[number].body else {}),
                **({"body": requests[number].body} if requests[number].body is not None else {}),
            }
            for number in chunk
        ]
    }
    only_reads = all(requests[n].method == "GET" for n in chunk)
    page = graph.request("POST", "/$batch", body=payload, idempotent=only_reads)
    found: dict[int, Answer] = {}
    for entry in obj(page).get("responses") or []:
        entry = obj(entry)
        ident, status = str(entry.get("id")), entry.get("status")
        if not ident.isdigit() or int(ident) not in chunk or not isinstance(status, int):
            continue
        headers = {str(k): str(v) for k, v in obj(entry.get("headers")).items()}
        found[int(ident)] = Answer(status, entry.get("body"), headers)
    missing = [n for n in chunk if n not in found]
    if missing:
        raise InvalidResponse(
            f"Microsoft Graph answered a batch of {len(chunk)} requests without an answer to "
            f"{len(missing)} of them (expected a 'responses' list naming each request's id)"
        )
    return found


def _retry_after(answer: Answer) -> float | None:
    value = next((v for k, v in answer.headers.items() if k.lower() == "retry-after"), None)
    return seconds_after(value, lambda: datetime.now(UTC))
