"""A fake Microsoft Graph v1.0 (calendar and mail) over HTTPS on 127.0.0.1.

Speaks the real wire protocol for what followupd uses and checks what the real service checks:

- ``calendarView/delta`` (default and named calendars) with ``odata.maxpagesize`` paging,
  ``@odata.nextLink``/``@odata.deltaLink``, ``@removed`` tombstones, and 410 ``syncStateNotFound``
  after :meth:`GraphState.expire_delta_tokens`; ``$select``/``$filter``/``$orderby`` are refused
  there like Graph does. Event times are UTC only when ``Prefer: outlook.timezone="UTC"`` was sent.
- messages: create (custom headers must start with ``x-``), get with ``$select`` (headers only
  when selected), PATCH (``internetMessageId`` only on drafts), list with ``$filter`` on
  ``receivedDateTime``, ``conversationId``, ``internetMessageId`` and the extended-property
  lambda, ``$expand`` of extended properties, paging, and ``InefficientFilter`` when an
  ``$orderby`` property does not lead the ``$filter``; ``createReply`` (to one's own message it
  addresses the user, like Outlook); ``mailFolders/{well-known name}`` and a folder's
  ``mailFolders/{name or id}/messages`` (the same list, filter and order rules, in that folder).
- Ids survive folder moves only with ``Prefer: IdType="ImmutableId"``.
- JSON batching (``POST /v1.0/$batch``): at most 20 requests with unique ids, each with its
  own ``method``, relative ``url`` and ``headers`` (only its own ``Prefer`` applies; a body
  needs a ``Content-Type``), ``dependsOn`` (424 when a dependency failed); the answer is 200
  with ``responses`` (``id``, ``status``, ``headers``, ``body``) in another order than asked,
  each request throttled (429 with ``Retry-After`` in its headers) or faulted on its own. The
  batch is one entry of the request log; its requests go to ``batch_log``.
- Throttling on demand (429/503 with ``Retry-After``), a latency knob and a count of the
  requests in flight, a request log for "how many requests did a poll cost".
- Faults from the outside, scripted or seeded at random (``GraphState.faults``, see
  ``tests/fakes/faults.py``): error answers, HTML pages, resets, held and truncated answers,
  non-JSON bodies, mutated JSON, paging that never ends.
- Any send call (``/sendMail``, ``/messages/{id}/send|reply|replyAll|forward``) is recorded as a
  violation; :func:`running_microsoft` fails the test on exit when there is one.

Start everything with :func:`running_microsoft` (or :func:`start_microsoft`): it returns the base
URLs, the CA bundle path and the two state objects to seed events and messages and to inspect
drafts.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from tests.fakes import odata_filter
from tests.fakes.faults import HTML_PAGE, Fault, FaultPlan, reset, spoil, write_truncated
from tests.fakes.graph_seed import GraphError, GraphSeed
from tests.fakes.ms_authority import (
    AuthorityState,
    JsonHandler,
    TestTLS,
    TLSServer,
    Tokens,
    start_authority,
)

SEND_ACTIONS = {"send", "reply", "replyall", "forward"}
FAULT_CODES = {
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}
MESSAGE_KEYS = {
    "subject",
    "body",
    "toRecipients",
    "ccRecipients",
    "bccRecipients",
    "replyTo",
    "singleValueExtendedProperties",
    "internetMessageHeaders",
    "internetMessageId",
    "importance",
    "categories",
    "isRead",
    "from",
}
BATCH_LIMIT = 20  # requests per JSON batch
PROPERTY_ID = re.compile(r"^String \{[0-9a-fA-F-]{36}\} Name \w+$")


@dataclass
class LoggedRequest:
    method: str
    path: str  # under /v1.0
    query: dict[str, str]
    prefer: str


@dataclass
class GraphState(GraphSeed):
    """Everything the fake knows; tests seed it and inspect it (see :class:`GraphSeed`)."""

    tokens: Tokens = field(default_factory=Tokens)
    log: list[LoggedRequest] = field(default_factory=list)
    batch_log: list[LoggedRequest] = field(default_factory=list)  # requests inside $batch
    violations: list[str] = field(default_factory=list)
    throttled: list[tuple[int, str | None]] = field(default_factory=list)
    latency: float = 0.0
    in_flight: int = 0
    max_in_flight: int = 0
    generation: int = 0
    expire_code: str = "syncStateNotFound"
    default_page: int = 10
    base_url: str = ""
    faults: FaultPlan = field(default_factory=FaultPlan)  # scripted and random faults
    _delta: dict[str, dict[str, Any]] = field(default_factory=dict)
    _skip: dict[str, dict[str, Any]] = field(default_factory=dict)

    def expire_delta_tokens(self, code: str = "syncStateNotFound") -> None:
        with self.lock:
            self.generation += 1
            self.expire_code = code

    def throttle(self, count: int = 1, status: int = 429, retry_after: str | None = "0.01") -> None:
        with self.lock:
            self.throttled.extend([(status, retry_after)] * count)

    def requests(self, method: str | None = None, contains: str = "") -> list[LoggedRequest]:
        return [
            r for r in self.log if (method is None or r.method == method) and contains in r.path
        ]

    def drafts(self) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if m["isDraft"] and m["_folder"] == "drafts"]


class GraphHandler(JsonHandler):
    def do_GET(self) -> None:  # noqa: N802
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PATCH(self) -> None:  # noqa: N802
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    # -- plumbing ----------------------------------------------------------------------------

    def _state(self) -> GraphState:
        """Whose Graph this request reads (many users behind one server: tests/fakes/tenants.py)."""
        return self.server.state

    def _dispatch(self, method: str) -> None:
        state = self._state()
        split = urlsplit(self.path)
        path = unquote(split.path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        body = self.body_bytes()
        prefer = ", ".join(self.headers.get_all("Prefer") or [])
        with state.lock:
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            if state.latency:
                time.sleep(state.latency)
            if not path.startswith("/v1.0/"):
                raise GraphError(400, "BadRequest", f"Invalid version in {path}")
            rel = path[len("/v1.0") :]
            with state.lock:
                state.log.append(LoggedRequest(method, rel, query, prefer))
            self._guard_send(state, method, rel)
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or not state.tokens.valid(auth[7:]):
                raise GraphError(
                    401,
                    "InvalidAuthenticationToken",
                    "Access token has expired or is not yet valid.",
                )
            batch = method == "POST" and rel == "/$batch"
            with state.lock:  # a batch's requests are throttled one by one, not the batch
                throttle = state.throttled.pop(0) if state.throttled and not batch else None
            if throttle:
                status, after = throttle
                headers = {"Retry-After": after} if after is not None else {}
                code = "TooManyRequests" if status == 429 else "ServiceUnavailable"
                raise GraphError(
                    status, code, "Application is over its MailboxConcurrency limit.", headers
                )
            fault = state.faults.pick(f"{method} {rel}")
            if fault is not None and self._fault_before(state, fault):
                return
            payload = json.loads(body) if body else None
            if batch:
                status, answer = self._batch(state, payload)
            else:
                status, answer = self._route(state, method, rel, query, payload, prefer)
            if fault is not None and fault.after:
                self._fault_after(state, fault, status, answer)
                return
            self.send_json(status, answer)
        except GraphError as err:
            self.send_json(
                err.status, {"error": {"code": err.code, "message": err.message}}, err.headers
            )
        except json.JSONDecodeError:
            self.send_json(400, {"error": {"code": "BadRequest", "message": "Unable to read JSON"}})
        finally:
            with state.lock:
                state.in_flight -= 1

    # -- faults (tests/fakes/faults.py) -------------------------------------------------------

    def _fault_before(self, state: GraphState, fault: Fault) -> bool:
        """Misbehave before the work; True when the request is answered (or dropped)."""
        if fault.kind == "status":
            code = fault.code or FAULT_CODES.get(fault.status, "UnknownError")
            message = fault.message or "The service is temporarily unavailable."
            raise GraphError(fault.status, code, message, fault.headers)
        if fault.kind == "html":
            self._send_raw(fault.status, HTML_PAGE, "text/html", fault.headers)
            return True
        if fault.kind == "reset":
            self.close_connection = True
            reset(self.connection)
            return True
        if fault.kind == "hold":
            state.faults.hold(fault)
        if fault.kind == "call" and fault.action is not None:
            fault.action()
        return False

    def _fault_after(self, state: GraphState, fault: Fault, status: int, answer: Any) -> None:
        """The work is done; spoil its answer."""
        if fault.kind == "reset_after":
            self.close_connection = True
            reset(self.connection)
            return
        if fault.kind == "hold_after":
            state.faults.hold(fault)
            self.send_json(status, answer)
            return
        data = b"" if answer is None else json.dumps(answer).encode("utf-8")
        url = f"{state.base_url}{self.path}"
        status, data, kind, truncated = spoil(fault, status, data, url)
        self._send_raw(status, data, kind, {}, truncated=truncated)

    def _send_raw(
        self,
        status: int,
        data: bytes,
        kind: str,
        headers: dict[str, str],
        truncated: bool = False,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        if truncated:
            self.close_connection = True
            write_truncated(self.wfile, b"".join(self._headers_buffer) + b"\r\n", data)
            self._headers_buffer = []
            self.connection.close()
            return
        self.end_headers()
        self.wfile.write(data)

    def _guard_send(self, state: GraphState, method: str, rel: str) -> None:
        parts = rel.strip("/").split("/")
        is_send = rel.rstrip("/").lower().endswith("/sendmail") or (
            len(parts) == 4 and parts[1] == "messages" and parts[3].lower() in SEND_ACTIONS
        )
        if is_send:
            with state.lock:
                state.violations.append(f"{method} {rel}")
            raise GraphError(
                403, "FollowupdTestForbidsSending", "followupd must never send mail (test guard)"
            )

    def _route(
        self,
        state: GraphState,
        method: str,
        rel: str,
        query: dict[str, str],
        body: Any,
        prefer: str,
    ) -> tuple[int, Any]:
        parts = rel.strip("/").split("/")
        if parts[0] != "me":
            raise GraphError(400, "BadRequest", f"Resource not found for the segment '{parts[0]}'")
        rest = parts[1:]
        immutable = 'idtype="immutableid"' in prefer.lower()
        utc = 'outlook.timezone="utc"' in prefer.lower()
        if method == "GET" and not rest:
            return 200, dict(state.user)
        if method == "GET" and rest == ["calendar"]:
            return 200, dict(state.calendars[state.default_calendar])
        if method == "GET" and rest == ["calendars"]:
            return 200, {"value": [dict(c) for c in state.calendars.values()]}
        if method == "GET" and rest == ["calendarView", "delta"]:
            return 200, self._delta(state, state.default_calendar, rel, query, prefer, utc)
        if (
            method == "GET"
            and len(rest) == 4
            and rest[0] == "calendars"
            and rest[2:]
            == [
                "calendarView",
                "delta",
            ]
        ):
            if rest[1] not in state.calendars:
                raise GraphError(404, "ErrorItemNotFound", "The specified object was not found.")
            return 200, self._delta(state, rest[1], rel, query, prefer, utc)
        if method == "GET" and len(rest) == 2 and rest[0] == "mailFolders":
            folder = state.folders.get(rest[1].lower())
            if folder is None:
                raise GraphError(404, "ErrorInvalidIdMalformed", "Id is malformed.")
            return 200, {"id": folder, "displayName": rest[1]}
        if method == "GET" and rest[:1] == ["mailFolders"] and rest[2:] == ["messages"]:
            # A folder's messages: by well-known name (sentitems, inbox, ...) or by folder id.
            name = next(
                (n for n, i in state.folders.items() if rest[1] in (i, n) or rest[1].lower() == n),
                None,
            )
            if name is None:
                raise GraphError(404, "ErrorInvalidIdMalformed", "Id is malformed.")
            with state.lock:
                return 200, self._list(state, query, immutable, folder=name, path=rel)
        if rest and rest[0] == "messages":
            # A message's body comes back as text only when asked so, else as HTML (the default).
            wanted = "text" if 'outlook.body-content-type="text"' in prefer.lower() else "html"
            return self._messages(state, method, rest[1:], query, body, immutable, wanted)
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{rel}'")

    # -- $batch ------------------------------------------------------------------------------

    def _batch(self, state: GraphState, payload: Any) -> tuple[int, Any]:
        requests = payload.get("requests") if isinstance(payload, dict) else None
        if not isinstance(requests, list) or not requests:
            raise GraphError(400, "BadRequest", "Invalid batch payload format.")
        if len(requests) > BATCH_LIMIT:
            raise GraphError(
                400,
                "BadRequest",
                f"Number of batch request steps exceeds the maximum of {BATCH_LIMIT}.",
            )
        ids = [str(r.get("id")) if isinstance(r, dict) else "" for r in requests]
        for request in requests:
            if not isinstance(request, dict) or not all(
                isinstance(request.get(k), str) and request.get(k) for k in ("id", "method", "url")
            ):
                raise GraphError(
                    400, "BadRequest", "Invalid request: id, method and url are required."
                )
        if len({i.lower() for i in ids}) != len(ids):
            raise GraphError(400, "BadRequest", "Batch should not have duplicate request ids.")
        statuses: dict[str, int] = {}
        responses = []
        for request in requests:
            status, headers, body = self._batch_step(state, request, statuses)
            statuses[request["id"].lower()] = status
            answer: dict[str, Any] = {"id": request["id"], "status": status, "headers": headers}
            if body is not None:
                answer["body"] = body
            responses.append(answer)
        # Graph answers in the order it finished: never rely on the order asked.
        return 200, {"responses": responses[::-1]}

    def _batch_step(
        self, state: GraphState, request: dict[str, Any], statuses: dict[str, int]
    ) -> tuple[int, dict[str, str], Any]:
        json_type = {"Content-Type": "application/json; charset=utf-8"}
        method = request["method"].upper()
        headers = request.get("headers") or {}
        if not isinstance(headers, dict):
            return 400, json_type, _error("BadRequest", "headers must be an object")
        named = {str(k).lower(): str(v) for k, v in headers.items()}
        depends = request.get("dependsOn") or []
        if any(statuses.get(str(d).lower(), 0) >= 400 for d in depends):
            return 424, json_type, _error("FailedDependency", "A dependency failed.")
        if "body" in request and "content-type" not in named:
            return (
                400,
                json_type,
                _error(
                    "BadRequest", "Content-Type header must be specified when a body is present."
                ),
            )
        url = request["url"]
        if url.lower().startswith(("http:", "https:")):
            return 400, json_type, _error("BadRequest", "Invalid URL: must be relative.")
        split = urlsplit("/" + url.lstrip("/"))
        rel = unquote(split.path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        prefer = named.get("prefer", "")
        with state.lock:
            state.batch_log.append(LoggedRequest(method, rel, query, prefer))
            throttle = state.throttled.pop(0) if state.throttled else None
        try:
            self._guard_send(state, method, rel)
            if throttle:
                status, after = throttle
                code = "TooManyRequests" if status == 429 else "ServiceUnavailable"
                extra = {"Retry-After": after} if after is not None else {}
                raise GraphError(
                    status, code, "Application is over its MailboxConcurrency limit.", extra
                )
            fault = state.faults.pick(f"{method} {rel}")
            if fault is not None and fault.kind == "call" and fault.action is not None:
                fault.action()
            elif fault is not None and fault.kind == "status":
                code = fault.code or FAULT_CODES.get(fault.status, "UnknownError")
                raise GraphError(
                    fault.status, code, fault.message or "The service failed.", fault.headers
                )
            elif fault is not None:  # a broken transfer cannot hit one step: a failed step
                raise GraphError(500, "InternalServerError", "The service failed.")
            status, body = self._route(state, method, rel, query, request.get("body"), prefer)
        except GraphError as err:
            return err.status, {**json_type, **err.headers}, _error(err.code, err.message)
        return status, (json_type if body is not None else {}), body

    # -- calendarView/delta ------------------------------------------------------------------

    def _delta(
        self, state: GraphState, cal: str, rel: str, query: dict[str, str], prefer: str, utc: bool
    ) -> dict[str, Any]:
        for refused in ("$select", "$filter", "$orderby", "$expand", "$search"):
            if refused in query:
                raise GraphError(
                    400,
                    "ErrorInvalidUrlQuery",
                    f"The query parameter '{refused}' is not supported with delta.",
                )
        size = state.default_page
        match = re.search(r"odata\.maxpagesize=(\d+)", prefer)
        if match:
            size = int(match.group(1))
        with state.lock:
            if "$skiptoken" in query:
                round_ = state._skip.pop(query["$skiptoken"], None)
                if round_ is None or round_["gen"] != state.generation:
                    raise self._expired(state)
            elif "$deltatoken" in query:
                token = state._delta.get(query["$deltatoken"])
                if token is None or token["gen"] != state.generation or token["cal"] != cal:
                    raise self._expired(state)
                round_ = self._changes(state, cal, token["start"], token["end"], token["seq"], utc)
            else:
                lower = {k.lower(): v for k, v in query.items()}
                if "startdatetime" not in lower or "enddatetime" not in lower:
                    raise GraphError(
                        400,
                        "ErrorInvalidParameter",
                        "This request requires a time window specified by the query "
                        "string parameters StartDateTime and EndDateTime.",
                    )
                start = odata_filter._datetime(lower["startdatetime"])
                end = odata_filter._datetime(lower["enddatetime"])
                round_ = self._changes(state, cal, start, end, None, utc)
            items, rest = round_["items"][:size], round_["items"][size:]
            link_base = f"{state.base_url}/v1.0{rel}"
            if rest:
                skip = secrets.token_urlsafe(12)
                state._skip[skip] = dict(round_, items=rest)
                return {"value": items, "@odata.nextLink": f"{link_base}?$skiptoken={skip}"}
            token = secrets.token_urlsafe(12)
            state._delta[token] = {
                "cal": cal,
                "start": round_["start"],
                "end": round_["end"],
                "seq": round_["seq"],
                "gen": state.generation,
            }
            return {"value": items, "@odata.deltaLink": f"{link_base}?$deltatoken={token}"}

    def _expired(self, state: GraphState) -> GraphError:
        return GraphError(
            410,
            state.expire_code,
            "The sync state generated by the client is not found or expired.",
        )

    def _changes(
        self,
        state: GraphState,
        cal: str,
        start: datetime,
        end: datetime,
        since: int | None,
        utc: bool,
    ) -> dict[str, Any]:
        events = state.events.get(cal, {})
        items: list[dict[str, Any]] = []
        if since is None:
            ids = [i for i, e in events.items() if state.overlaps(e, start, end)]
        else:
            ids = list(dict.fromkeys(i for seq, c, i in state.changes if c == cal and seq > since))
        for ident in ids:
            event = events.get(ident)
            if event is None or not state.overlaps(event, start, end):
                items.append({"id": ident, "@removed": {"reason": "deleted"}})
            else:
                items.append(state.render_event(event, utc))
        return {
            "items": items,
            "start": start,
            "end": end,
            "seq": state.seq,
            "gen": state.generation,
        }

    # -- messages ----------------------------------------------------------------------------

    def _messages(
        self,
        state: GraphState,
        method: str,
        rest: list[str],
        query: dict[str, str],
        body: Any,
        immutable: bool,
        body_type: str | None = None,
    ) -> tuple[int, Any]:
        with state.lock:
            if not rest and method == "GET":
                return 200, self._list(state, query, immutable)
            if not rest and method == "POST":
                message = state.create_draft(self._checked(body, create=True))
                return 201, state.render_message(message, None, immutable)
            message = state.lookup(rest[0], immutable)
            if message is None:
                raise GraphError(
                    404, "ErrorItemNotFound", "The specified object was not found in the store."
                )
            if len(rest) == 1 and method == "GET":
                return 200, state.render_message(message, query, immutable, body_type)
            if len(rest) == 1 and method == "PATCH":
                state.update(message, self._checked(body, create=False))
                return 200, state.render_message(message, None, immutable)
            if len(rest) == 1 and method == "DELETE":
                state.move(message, "deleteditems")
                return 204, None
            if len(rest) == 2 and rest[1] == "createReply" and method == "POST":
                body = body or {}
                if set(body) - {"message", "comment"}:
                    raise GraphError(400, "RequestBodyRead", f"Invalid parameters {sorted(body)}")
                inner = self._checked(body.get("message") or {}, create=True)
                if "comment" in body and "body" in inner:
                    raise GraphError(
                        400, "ErrorInvalidRequest", "Specify either a comment or a body, not both."
                    )
                reply = state.create_reply(message, inner, body.get("comment"))
                return 201, state.render_message(reply, None, immutable)
        raise GraphError(400, "BadRequest", f"Unsupported {method} on messages/{'/'.join(rest)}")

    def _checked(self, body: Any, *, create: bool) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise GraphError(400, "RequestBodyRead", "Expected a JSON object.")
        unknown = set(body) - MESSAGE_KEYS
        if unknown:
            raise GraphError(
                400,
                "RequestBodyRead",
                f"The property '{sorted(unknown)[0]}' does not exist on type "
                "'microsoft.graph.message'.",
            )
        if "internetMessageHeaders" in body:
            if not create:
                raise GraphError(
                    400,
                    "ErrorInvalidProperty",
                    "internetMessageHeaders can only be set when creating a message.",
                )
            for header in body["internetMessageHeaders"]:
                if not str(header.get("name", "")).lower().startswith("x-"):
                    raise GraphError(
                        400,
                        "InvalidInternetMessageHeader",
                        f"The internet message header name '{header.get('name')}' "
                        "should start with 'x-' or 'X-'.",
                    )
        for prop in body.get("singleValueExtendedProperties") or []:
            if not PROPERTY_ID.match(str(prop.get("id", ""))) or "value" not in prop:
                raise GraphError(
                    400, "ErrorInvalidExtendedPropertyValue", f"Invalid extended property {prop!r}"
                )
        for key in ("toRecipients", "ccRecipients", "bccRecipients"):
            for recipient in body.get(key) or []:
                address = ((recipient or {}).get("emailAddress") or {}).get("address")
                if not address or "@" not in address:
                    raise GraphError(
                        400, "ErrorInvalidRecipients", "At least one recipient isn't valid."
                    )
        return body

    def _list(
        self,
        state: GraphState,
        query: dict[str, str],
        immutable: bool,
        folder: str | None = None,
        path: str = "/me/messages",
    ) -> dict[str, Any]:
        items = [m for m in state.messages.values() if folder is None or m["_folder"] == folder]
        filter_properties: list[str] = []
        if "$filter" in query:
            try:
                predicate, filter_properties = odata_filter.parse(query["$filter"])
            except odata_filter.FilterError as err:
                raise GraphError(400, "BadRequest", str(err)) from None
            items = [m for m in items if predicate(state.filterable(m))]
        ordered = odata_filter.orderby(query.get("$orderby", ""))
        if (
            ordered
            and filter_properties
            and odata_filter.inefficient(filter_properties, [p for p, _ in ordered])
        ):
            raise GraphError(
                400,
                "InefficientFilter",
                "The restriction or sort order is too complex for this operation.",
            )
        for prop, descending in reversed(ordered or [("receivedDateTime", True)]):
            items.sort(
                key=lambda m, p=prop: str(odata_filter.resolve(m, p) or ""), reverse=descending
            )
        top = int(query.get("$top", state.default_page))
        skip = int(query.get("$skip", 0))
        page = items[skip : skip + top]
        answer: dict[str, Any] = {
            "value": [state.render_message(m, query, immutable) for m in page]
        }
        if skip + top < len(items):
            rest = {k: v for k, v in query.items() if k != "$skip"}
            rest["$skip"] = str(skip + top)
            link = "&".join(f"{k}={_quote(v)}" for k, v in rest.items())
            answer["@odata.nextLink"] = f"{state.base_url}/v1.0/{path.strip('/')}?{link}"
        return answer


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _quote(value: str) -> str:
    return quote(value, safe="$,'()/:@")


# ------------------------------------------------------------------------------------------
# Starting both fakes
# ------------------------------------------------------------------------------------------


@dataclass
class MicrosoftFakes:
    graph_root: str  # put in [accounts.outlook].graph_root
    authority_host: str  # put in [accounts.outlook].authority_host
    ca_bundle: Path  # put in [accounts.outlook].ca_bundle
    graph: GraphState
    authority: AuthorityState
    servers: tuple[TLSServer, TLSServer]

    def account_options(self, **extra: Any) -> dict[str, Any]:
        """A validated-looking [accounts.outlook] table pointing at the fakes."""
        options = {
            "client_id": self.authority.client_id,
            "authority": "common",
            "cloud": "global",
            "graph_root": self.graph_root,
            "authority_host": self.authority_host,
            "ca_bundle": self.ca_bundle,
            "token_cache": None,
        }
        options.update(extra)
        return options

    def sign_in(self) -> None:
        """Skip the device flow: approve the next device-code request at once."""
        self.authority.pending_polls = 0

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def start_microsoft(folder: Path) -> MicrosoftFakes:
    """Start the fake authority and the fake Graph on 127.0.0.1 (free ports) in threads."""
    tls = TestTLS.create(folder)
    tokens = Tokens()
    authority_server, authority_state = start_authority(tls, tokens)
    state = GraphState(tokens=tokens)
    graph_server = TLSServer(GraphHandler, tls, state).start()
    state.base_url = graph_server.base_url
    return MicrosoftFakes(
        graph_root=graph_server.base_url,
        authority_host=authority_server.base_url,
        ca_bundle=tls.ca_path,
        graph=state,
        authority=authority_state,
        servers=(authority_server, graph_server),
    )


@contextlib.contextmanager
def running_microsoft(folder: Path) -> Iterator[MicrosoftFakes]:
    """The fakes for one test; fails the test if anything called a send endpoint. The
    connector's per-process runtimes (MSAL apps, HTTP pools) point at these fakes, so they are
    forgotten with them: the next test's fakes have other addresses."""
    from connectors.outlook import forget_runtimes

    fakes = start_microsoft(folder)
    try:
        yield fakes
    finally:
        forget_runtimes()
        fakes.stop()
    if fakes.graph.violations:
        raise AssertionError(f"followupd called a send endpoint: {fakes.graph.violations}")


__all__ = ["GraphState", "MicrosoftFakes", "running_microsoft", "start_microsoft"]
