"""Many Gmail reads in one HTTP request: Google's batch endpoint, through googleapiclient.

The first reply scan reads up to a hundred messages' headers; one ``messages.get`` each was a
hundred round trips. A batch carries :data:`BATCH_SIZE` of them in one ``multipart/mixed``
POST (Gmail accepts 100; fewer keeps each batch's parts under Gmail's per-user concurrency
limit, which counts every part). The batch as a whole is retried like any read; a part that
fails alone is that message's failure only: a message gone since it was listed is skipped,
any other failure is returned for the caller to record, and the other parts go on.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from google_auth_httplib2 import Request as AuthRequest
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from connectors.google import services
from connectors.google.errors import Gone, NotFound, failure_of, translate
from connectors.google.http import GoogleSession
from daemon.errors import FollowupdError, InvalidResponse

BATCH_SIZE = 50


class _Batch(BatchHttpRequest):  # type: ignore[misc]
    """The library's batch, refreshing an expired token over the account's own connection
    (the library would open a fresh ``httplib2.Http`` without the configured CA bundle)."""

    def _refresh_and_apply_credentials(self, request: Any, http: Any) -> None:
        creds = getattr(http, "credentials", None)
        if creds is not None and id(creds) not in self._refreshed_credentials:
            creds.refresh(AuthRequest(http.http))
            self._refreshed_credentials[id(creds)] = 1


class _Run:
    """One batch as :meth:`GoogleSession.execute` runs a request (its error mapping, retries
    and token bookkeeping); the answer is ``{id: answer or HttpError}``."""

    def __init__(self, uri: str, requests: dict[str, Any]) -> None:
        self.uri = uri
        self.requests = requests

    def add_response_callback(self, callback: Any) -> None:
        pass  # the batch's own answer is multipart; its parts are judged one by one below

    def execute(self, http: Any = None, num_retries: int = 0) -> dict[str, Any]:
        answers: dict[str, Any] = {}

        def keep(request_id: str, response: Any, exception: Any) -> None:
            answers[request_id] = exception if exception is not None else response

        creds = getattr(http, "credentials", None)
        if creds is not None and not creds.valid:
            creds.refresh(AuthRequest(http.http))
        batch = _Batch(callback=keep, batch_uri=self.uri)
        for request_id, request in self.requests.items():
            batch.add(request, request_id=request_id)
        batch.execute(http=http)
        return answers


def get_many(
    session: GoogleSession, requests: dict[str, Any], what: str
) -> Iterable[tuple[str, dict[str, Any] | None, FollowupdError | None]]:
    """Run ``requests`` (id -> a googleapiclient request) in batches, in order.

    Yields ``(id, answer, None)`` for each part that worked, ``(id, None, None)`` for one
    that is gone (404/410), ``(id, None, failure)`` for any other failure of that part alone.
    A failure of a whole batch is raised, as :meth:`GoogleSession.execute` raises it.
    """
    uri = services.batch_uri("gmail", session.api_root)
    ids = list(requests)
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = {i: requests[i] for i in ids[start : start + BATCH_SIZE]}
        answers = session.execute(_Run(uri, chunk), f"{what} (batch of {len(chunk)})")
        for request_id in chunk:
            yield (request_id, *_judge(answers.get(request_id), what, session))


def _judge(
    answer: Any, what: str, session: GoogleSession
) -> tuple[dict[str, Any] | None, FollowupdError | None]:
    if isinstance(answer, dict):
        return answer, None
    if isinstance(answer, HttpError):
        try:
            failure = translate(failure_of(answer), what, session.ctx.name, datetime.now(UTC))
        except (AttributeError, TypeError, ValueError):
            failure = InvalidResponse(f"{what}: a batch part answered {answer.resp.status}")
        if isinstance(failure, (NotFound, Gone)):
            return None, None
        return None, failure
    return None, InvalidResponse(f"{what}: the batch answer has no JSON object for this part")
