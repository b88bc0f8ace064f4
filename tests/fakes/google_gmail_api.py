"""Fake Gmail: profile, drafts, messages, threads and history, with the real scope rules.

With ``gmail.metadata`` among the token's scopes Gmail refuses ``q`` and the ``full``/``raw``
formats (even when other scopes are granted too); the fake does the same. A draft joins the
thread named by ``threadId`` only if its Subject matches and its In-Reply-To/References name a
message of that thread, as Gmail documents; otherwise it starts a new thread.
"""

from __future__ import annotations

import base64
import email.policy
import json
import re
from email.parser import BytesParser
from typing import Any

from tests.fakes.google_http import Request, Response, google_error, json_response
from tests.fakes.google_state import METADATA_SCOPE, FakeGoogleState, Msg


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def _subject_key(subject: str | None) -> str:
    return re.sub(r"^(\s*(re|fwd?)\s*:\s*)+", "", subject or "", flags=re.I).strip().lower()


def metadata_only(scopes: set[str]) -> bool:
    return METADATA_SCOPE in scopes


def _format_refused(req: Request, scopes: set[str], default: str = "full") -> Response | None:
    fmt = req.one("format", default)
    if metadata_only(scopes) and fmt in ("full", "raw"):
        return google_error(403, f"Metadata scope doesn't allow format {fmt.upper()}", "forbidden")
    return None


def _q_refused(req: Request, scopes: set[str]) -> Response | None:
    if "q" in req.query and metadata_only(scopes):
        return google_error(403, "Metadata scope does not support 'q' parameter", "forbidden")
    return None


def resource(msg: Msg, fmt: str, wanted: list[str] | None = None) -> dict[str, Any]:
    text = BytesParser(policy=email.policy.default).parsebytes(msg.raw)
    body = text.get_body(("plain",))
    snippet = " ".join((body.get_content() if body else "").split())[:100]
    out: dict[str, Any] = {
        "id": msg.id,
        "threadId": msg.thread_id,
        "labelIds": sorted(msg.labels),
        "snippet": snippet,
        "historyId": str(msg.history_id),
        "internalDate": str(int(msg.internal.timestamp() * 1000)),
        "sizeEstimate": len(msg.raw),
    }
    if fmt == "raw":
        out["raw"] = _b64(msg.raw)
    elif fmt in ("metadata", "full"):
        names = {w.lower() for w in wanted or []}
        headers = [
            {"name": k, "value": v} for k, v in msg.headers() if not names or k.lower() in names
        ]
        out["payload"] = {
            "partId": "",
            "mimeType": text.get_content_type(),
            "filename": "",
            "headers": headers,
            "body": {"size": 0},
        }
        if fmt == "full":
            out["payload"]["body"] = {"size": len(snippet), "data": _b64(snippet.encode())}
    return out


def _page(items: list[Any], req: Request, default: int) -> tuple[list[Any], str | None]:
    size = int(req.one("maxResults") or default)
    offset = int(req.one("pageToken") or 0)
    more = offset + size < len(items)
    return items[offset : offset + size], (str(offset + size) if more else None)


# -- handlers (state, request, path params, token scopes) -----------------------------------


def profile(state: FakeGoogleState, req: Request, p: dict[str, str], scopes: set[str]) -> Response:
    return json_response(
        {
            "emailAddress": state.email,
            "messagesTotal": len(state.messages),
            "threadsTotal": len({m.thread_id for m in state.messages.values()}),
            "historyId": str(state.history_id),
        }
    )


def drafts_create(
    state: FakeGoogleState, req: Request, p: dict[str, str], scopes: set[str]
) -> Response:
    body = json.loads(req.body)
    message = body.get("message") or {}
    if "raw" not in message:
        return google_error(400, "Missing draft message", "invalidArgument")
    raw = base64.urlsafe_b64decode(message["raw"] + "=" * (-len(message["raw"]) % 4))
    parsed = BytesParser(policy=email.policy.default).parsebytes(raw)
    if not parsed["To"] and not parsed["From"]:
        return google_error(400, "Invalid draft message", "invalidArgument")
    if state.rewrite_message_ids or not parsed["Message-ID"]:
        del parsed["Message-ID"]
        parsed["Message-ID"] = f"<{state.new_id('gm')}@mail.gmail.com>"
        raw = bytes(parsed)
    thread_id = message.get("threadId")
    if thread_id:
        members = state.thread_messages(thread_id)
        if not members:
            return google_error(404, "Requested entity was not found.", "notFound")
        ids = {m.header("Message-ID") for m in members}
        refs = set(
            re.findall(r"<[^>]+>", f"{parsed['In-Reply-To'] or ''} {parsed['References'] or ''}")
        )
        joined = _subject_key(parsed["Subject"]) == _subject_key(members[0].header("Subject"))
        if not (joined and refs & ids):
            thread_id = None  # Gmail's documented rule: otherwise a new conversation
    with state.lock:
        msg = state.store_message(raw, {"DRAFT"}, thread_id)
        draft_id = "r" + state.new_id("d")
        state.drafts[draft_id] = msg.id
    return json_response(
        {
            "id": draft_id,
            "message": {"id": msg.id, "threadId": msg.thread_id, "labelIds": ["DRAFT"]},
        }
    )


def drafts_get(
    state: FakeGoogleState, req: Request, p: dict[str, str], scopes: set[str]
) -> Response:
    refused = _format_refused(req, scopes)
    if refused:
        return refused
    if p["id"] not in state.drafts:
        return google_error(404, "Requested entity was not found.", "notFound")
    msg = state.draft_message(p["id"])
    return json_response({"id": p["id"], "message": resource(msg, req.one("format", "full"))})


def drafts_delete(
    state: FakeGoogleState, req: Request, p: dict[str, str], scopes: set[str]
) -> Response:
    """Gmail deletes the draft at once (not to Trash) and answers 204 with an empty body."""
    if p["id"] not in state.drafts:
        return google_error(404, "Requested entity was not found.", "notFound")
    state.delete_draft(p["id"])
    return Response(204, b"", {})


def drafts_list(
    state: FakeGoogleState, req: Request, p: dict[str, str], scopes: set[str]
) -> Response:
    refused = _q_refused(req, scopes)
    if refused:
        return refused
    items = [
        {"id": d, "message": {"id": m, "threadId": state.messages[m].thread_id}}
        for d, m in state.drafts.items()
    ]
    chunk, token = _page(items, req, 100)
    body: dict[str, Any] = {"resultSizeEstimate": len(items)}
    if chunk:
        body["drafts"] = chunk
    if token:
        body["nextPageToken"] = token
    return json_response(body)


def messages_list(
    state: FakeGoogleState, req: Request, p: dict[str, str], scopes: set[str]
) -> Response:
    refused = _q_refused(req, scopes)
    if refused:
        return refused
    wanted = set(req.query.get("labelIds", []))
    spam = req.one("includeSpamTrash") == "true"
    found = sorted(
        (
            m
            for m in state.messages.values()
            if wanted <= m.labels and (spam or not m.labels & {"SPAM", "TRASH"})
        ),
        key=lambda m: m.internal,
        reverse=True,
    )
    chunk, token = _page([{"id": m.id, "threadId": m.thread_id} for m in found], req, 100)
    body: dict[str, Any] = {"resultSizeEstimate": len(found)}
    if chunk:
        body["messages"] = chunk
    if token:
        body["nextPageToken"] = token
    return json_response(body)


def messages_get(
    state: FakeGoogleState, req: Request, p: dict[str, str], scopes: set[str]
) -> Response:
    refused = _format_refused(req, scopes)
    if refused:
        return refused
    msg = state.messages.get(p["id"])
    if msg is None:
        return google_error(404, "Requested entity was not found.", "notFound")
    return json_response(resource(msg, req.one("format", "full"), req.query.get("metadataHeaders")))


def threads_get(
    state: FakeGoogleState, req: Request, p: dict[str, str], scopes: set[str]
) -> Response:
    refused = _format_refused(req, scopes)
    if refused:
        return refused
    members = state.thread_messages(p["id"])
    if not members:
        return google_error(404, "Requested entity was not found.", "notFound")
    fmt, wanted = req.one("format", "full"), req.query.get("metadataHeaders")
    return json_response(
        {
            "id": p["id"],
            "historyId": str(max(m.history_id for m in members)),
            "messages": [resource(m, fmt, wanted) for m in members],
        }
    )


def history_list(
    state: FakeGoogleState, req: Request, p: dict[str, str], scopes: set[str]
) -> Response:
    start = req.one("startHistoryId")
    if start is None:
        return google_error(400, "Missing startHistoryId", "invalidArgument")
    if int(start) < state.min_history_id:
        return google_error(404, "Requested entity was not found.", "notFound")
    types = {
        "messageAdded": "messagesAdded",
        "messageDeleted": "messagesDeleted",
        "labelAdded": "labelsAdded",
        "labelRemoved": "labelsRemoved",
    }
    asked = req.query.get("historyTypes", [])
    if any(t not in types for t in asked):
        state.invalid.append(f"history.list: unknown historyTypes {asked}")
        return google_error(400, "Invalid value for historyTypes", "invalidArgument")
    kinds = {types[t] for t in asked}
    records = []
    for record in state.history:
        if int(record["id"]) <= int(start):
            continue
        kept = {k: v for k, v in record.items() if k == "id" or not kinds or k in kinds}
        if len(kept) > 1:
            kept["messages"] = [e["message"] for k, v in kept.items() if k != "id" for e in v]
            records.append(kept)
    chunk, token = _page(records, req, 100)
    body: dict[str, Any] = {"historyId": str(state.history_id)}
    if chunk:
        body["history"] = chunk
    if token:
        body["nextPageToken"] = token
    return json_response(body)


def send_refused(
    state: FakeGoogleState, req: Request, p: dict[str, str], scopes: set[str]
) -> Response:
    state.violations.append(f"a send endpoint was called: {req.method} {req.path}")
    return google_error(403, "followupd must never send mail", "forbidden")


HANDLERS = {
    "gmail.users.getProfile": profile,
    "gmail.users.drafts.create": drafts_create,
    "gmail.users.drafts.get": drafts_get,
    "gmail.users.drafts.list": drafts_list,
    "gmail.users.drafts.delete": drafts_delete,
    "gmail.users.drafts.send": send_refused,
    "gmail.users.messages.send": send_refused,
    "gmail.users.messages.list": messages_list,
    "gmail.users.messages.get": messages_get,
    "gmail.users.threads.get": threads_get,
    "gmail.users.history.list": history_list,
}
