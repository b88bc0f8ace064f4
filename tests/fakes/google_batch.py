"""Google's batch HTTP endpoint (``POST /batch/gmail/v1``), as the real one speaks it.

The body is ``multipart/mixed``: each part has ``Content-Type: application/http`` and a
``Content-ID``, and holds one whole HTTP request (request line, headers, blank line, body). The
answer is ``multipart/mixed`` too, one ``application/http`` part per request, in order, each
with ``Content-ID: <response-ID>`` and a whole HTTP response. Each inner request is served by
the fake's own dispatch (routed, validated, authorized, recorded with ``batch`` set), with the
outer request's Authorization unless the part brings its own. Gmail refuses more than 100
parts, a nested batch, and anything that is not ``application/http``.
"""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from http.client import responses

from tests.fakes.google_http import Request, Response, google_error
from tests.fakes.google_state import FakeGoogleState

BATCH_PATH = "/batch/gmail/v1"
MAX_PARTS = 100


def serve(
    state: FakeGoogleState, req: Request, dispatch: Callable[[FakeGoogleState, Request], Response]
) -> Response:
    kind = req.headers.get("content-type", "")
    if not kind.startswith("multipart/mixed") or "boundary=" not in kind:
        state.invalid.append(f"batch: expected a multipart/mixed body, got {kind!r}")
        return google_error(400, "Invalid batch request: not multipart/mixed", "badRequest")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + kind.encode() + b"\r\n\r\n" + req.body
    )
    parts = list(message.iter_parts()) if message.is_multipart() else []
    if not parts or len(parts) > MAX_PARTS:
        state.invalid.append(f"batch: {len(parts)} parts (1 to {MAX_PARTS} allowed)")
        return google_error(400, f"A batch holds 1 to {MAX_PARTS} requests", "badRequest")
    answers: list[tuple[str, bytes]] = []
    for part in parts:
        content_id = str(part.get("Content-ID") or "").strip()
        if part.get_content_type() != "application/http" or not content_id:
            state.invalid.append("batch: a part without application/http or a Content-ID")
            return google_error(400, "Invalid batch part", "badRequest")
        inner = _request(part.get_payload(decode=True) or b"", req)
        if inner is None or inner.path.startswith("/batch"):
            state.invalid.append("batch: a part that is not one HTTP request")
            return google_error(400, "Invalid batch part", "badRequest")
        count = len(state.requests)
        try:
            answer = dispatch(state, inner)
        except ConnectionAbortedError:  # a scripted drop of one part: Google answers 503
            answer = google_error(503, "Backend Error", "backendError")
        for record in state.requests[count:]:
            record.batch = True
            record.status = answer.status
        answers.append((content_id, _response(answer)))
    boundary = f"batch_{uuid.uuid4().hex}"
    body = b"".join(
        f"--{boundary}\r\nContent-Type: application/http\r\n"
        f"Content-ID: <response-{cid.strip('<>')}>\r\n\r\n".encode()
        + http
        + b"\r\n"
        for cid, http in answers
    )
    body += f"--{boundary}--\r\n".encode()
    return Response(200, body, {"Content-Type": f"multipart/mixed; boundary={boundary}"})


def _request(raw: bytes, outer: Request) -> Request | None:
    head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    lines = head.decode("utf-8", "replace").split("\n")
    words = lines[0].split(" ")
    if len(words) != 3 or not words[2].startswith("HTTP/"):
        return None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip():
            headers[name.strip().lower()] = value.strip()
    if "authorization" not in headers and "authorization" in outer.headers:
        headers["authorization"] = outer.headers["authorization"]
    url = urllib.parse.urlsplit(words[1])
    return Request(
        method=words[0],
        path=url.path,
        query=urllib.parse.parse_qs(url.query, keep_blank_values=True),
        headers=headers,
        body=body,
    )


def _response(answer: Response) -> bytes:
    reason = responses.get(answer.status, "")
    lines = [f"HTTP/1.1 {answer.status} {reason}"]
    lines += [f"{k}: {v}" for k, v in answer.headers.items()]
    lines.append(f"Content-Length: {len(answer.body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + answer.body
