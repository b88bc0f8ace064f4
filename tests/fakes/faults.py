"""Faults from the outside for the fake Google and Graph servers: scripted, or seeded at random.

Both fakes consult one :class:`FaultPlan` (``FakeGoogleState.faults``, ``GraphState.faults``)
for every request, after routing and authorization, so a fault hits exactly the request a real
front end or proxy would spoil. A request is named ``"<HTTP method> <what>"``: ``what`` is the
discovery method id for Google (``"GET calendar.events.list"``, ``"POST oauth.token"``) and the
path under ``/v1.0`` for Graph (``"POST /me/messages"``); scripts and storms match a substring
of that name.

Kinds (what the client sees):

============ ===================================================================================
status       an error answer in the provider's own JSON shape (``status``, ``code``,
             ``message``, ``Retry-After`` when ``retry_after`` is set); nothing was done
html         an error status with an HTML page (a proxy or gateway answering): not JSON
reset        the TCP connection is reset (RST) before the work is done
hold         the answer is held for ``seconds`` (or until :meth:`FaultPlan.release`), then the
             work is done and answered: a client timeout shorter than that sees a timeout
call         ``action()`` runs (e.g. revoke the tokens), then the request is served normally
reset_after  the work is done, then the connection is reset: the answer is lost
hold_after   the work is done, then the answer is held as with ``hold`` (an answer too late)
truncate     the work is done; the headers promise the whole body, half of it is sent, then
             the connection is closed
garbage      the work is done; the answer is 200 with a body that is not JSON
mutate       the work is done; the JSON answer goes through ``mutate(body, url)`` first
             (missing or wrongly typed fields, paging that never ends)
============ ===================================================================================

Scripted faults (:meth:`FaultPlan.script`) come first, in order; then a storm
(:meth:`FaultPlan.storm`) hits matching requests with probability ``rate``, chosen by a
``random.Random(seed)``: the daemon's requests come in a fixed order, so a seed replays the same
storm. A storm may be limited to its next ``requests`` matching requests, which keeps it
deterministic even when the test waits on a wall clock. :attr:`FaultPlan.served` records every
fault given, for the test's assertions and for counting.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import random
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

AFTER_KINDS = frozenset({"reset_after", "hold_after", "truncate", "garbage", "mutate"})
KINDS = frozenset({"status", "html", "reset", "hold", "call"}) | AFTER_KINDS
HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>Bad Gateway</h1><p>The proxy server received an invalid response.</p></body></html>"
)
GARBAGE = b"<html><body>Service temporarily rerouted</body></html>"

Mutator = Callable[[Any, str], Any]


@dataclass(frozen=True)
class Fault:
    kind: str
    status: int = 503
    code: str = ""  # Google's error reason / Graph's error code; the fake picks one when empty
    message: str = ""
    retry_after: str | None = None
    seconds: float = 0.0  # hold
    mutate: Mutator | None = None
    action: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")

    @property
    def after(self) -> bool:
        """True when the fake does the work first (the effect happens, the answer is spoiled)."""
        return self.kind in AFTER_KINDS

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": self.retry_after} if self.retry_after is not None else {}

    def label(self) -> str:
        if self.kind in ("status", "html"):
            return f"{self.kind} {self.status}"
        return self.kind


@dataclass
class _Script:
    match: str
    fault: Fault
    times: int
    skip: int


@dataclass
class _Storm:
    rng: random.Random
    rate: float
    faults: tuple[Fault, ...]
    match: str
    left: int | None  # matching requests still in the storm; None: until calm()


@dataclass
class FaultPlan:
    scripts: list[_Script] = field(default_factory=list)
    storm_: _Storm | None = None
    served: list[tuple[str, str]] = field(default_factory=list)  # (request name, fault label)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _released: threading.Event = field(default_factory=threading.Event)

    # -- the test's side ---------------------------------------------------------------------

    def script(self, match: str, fault: Fault, *, times: int = 1, skip: int = 0) -> None:
        """The next ``times`` requests matching ``match`` get ``fault``, after ``skip`` pass."""
        with self.lock:
            if fault.kind in ("hold", "hold_after"):
                self._released.clear()
            self.scripts.append(_Script(match, fault, times, skip))

    def storm(
        self,
        seed: int,
        rate: float,
        faults: Sequence[Fault],
        *,
        match: str = "",
        requests: int | None = None,
    ) -> None:
        """Hit each matching request with probability ``rate`` by one of ``faults``."""
        with self.lock:
            if any(f.kind in ("hold", "hold_after") for f in faults):
                self._released.clear()
            self.storm_ = _Storm(random.Random(seed), rate, tuple(faults), match, requests)

    def calm(self) -> None:
        """No more faults: scripts and storm dropped, held answers released."""
        with self.lock:
            self.scripts.clear()
            self.storm_ = None
        self._released.set()

    def release(self) -> None:
        """Held answers go out now."""
        self._released.set()

    def storm_over(self) -> bool:
        """True once a storm limited to its next ``requests`` has seen all of them."""
        with self.lock:
            return self.storm_ is not None and self.storm_.left == 0

    def count(self, label: str | None = None, match: str = "") -> int:
        with self.lock:
            return sum(
                1 for name, given in self.served if (label in (None, given)) and match in name
            )

    def summary(self) -> Counter[str]:
        with self.lock:
            return Counter(given for _, given in self.served)

    # -- the fake's side ---------------------------------------------------------------------

    def pick(self, name: str) -> Fault | None:
        """The fault for the request called ``name`` ("GET calendar.events.list"), if any."""
        with self.lock:
            for item in self.scripts:
                if item.times <= 0 or item.match not in name:
                    continue
                if item.skip > 0:
                    item.skip -= 1
                    continue
                item.times -= 1
                self.served.append((name, item.fault.label()))
                return item.fault
            storm = self.storm_
            if storm is None or storm.match not in name:
                return None
            if storm.left is not None:
                if storm.left <= 0:
                    return None
                storm.left -= 1
            if storm.rng.random() >= storm.rate:
                return None
            fault = storm.rng.choice(storm.faults)
            self.served.append((name, fault.label()))
            return fault

    def hold(self, fault: Fault) -> None:
        """Wait as a hung server would (until released, or ``fault.seconds`` at most)."""
        self._released.wait(fault.seconds)


# --------------------------------------------------------------------------------------------
# Misbehaving on the wire (shared by both fakes' request handlers)
# --------------------------------------------------------------------------------------------


def reset(connection: socket.socket) -> None:
    """Close with RST, as a crashed proxy or a dropped NAT entry does.

    SO_LINGER 0 turns the close into a reset; the descriptor is closed at once (detached from
    the handler's socket object), since the server's own cleanup would first send a FIN.
    """
    with contextlib.suppress(OSError):
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        os.close(connection.detach())


def spoil(fault: Fault, status: int, body: bytes, url: str) -> tuple[int, bytes, str, bool]:
    """An answer after the work was done: (status, body, content type, truncated?)."""
    if fault.kind == "garbage":
        return 200, GARBAGE, "text/html", False
    if fault.kind == "truncate":
        return status, body, "application/json; charset=UTF-8", True
    if fault.kind == "mutate" and fault.mutate is not None and body:
        data = fault.mutate(json.loads(body), url)
        return status, json.dumps(data).encode("utf-8"), "application/json; charset=UTF-8", False
    return status, body, "application/json; charset=UTF-8", False


def write_truncated(wfile: Any, head: bytes, body: bytes) -> None:
    """Headers promising ``len(body)`` bytes, then only half of them."""
    wfile.write(head)
    wfile.write(body[: max(1, len(body) // 2)])
    wfile.flush()


# --------------------------------------------------------------------------------------------
# Mutators: valid JSON the client did not expect
# --------------------------------------------------------------------------------------------

WRONG_VALUES: tuple[Any, ...] = (None, 7, "x", [], {}, [1, "two"], {"odd": True}, True, -1.5)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            found.append((*prefix, key))
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.append((*prefix, index))
            found.extend(_paths(value, (*prefix, index)))
    return found


def shape_mutation(rng: random.Random, delete: bool = True) -> Mutator:
    """Give one random field of the answer a value of a wrong type, or delete it.

    Deleting a list field makes an answer that a client cannot tell from "the list is empty"
    (Google leaves empty lists out): ``delete=False`` keeps to faults a client can detect.
    """

    def mutate(body: Any, _url: str) -> Any:
        paths = _paths(body)
        if not paths:
            return rng.choice(WRONG_VALUES[1:])  # the whole answer is something else
        path = rng.choice(paths)
        parent = body
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        if delete and isinstance(parent, dict) and rng.random() < 0.4:
            del parent[last]
        else:
            current = parent[last]
            choices = [v for v in WRONG_VALUES if type(v) is not type(current)]
            parent[last] = rng.choice(choices)
        return body

    return mutate


def google_endless() -> Mutator:
    """Pages that always promise another one: a fresh page token each time, no sync token."""
    counter = itertools.count(1)

    def mutate(body: Any, url: str) -> Any:
        if not isinstance(body, dict):
            return body
        body.pop("nextSyncToken", None)
        n = next(counter)
        if "/calendar/" in urlsplit(url).path:  # the Calendar fake's tokens are base64 JSON
            token = json.dumps({"offset": 0, "snap": 10**9, "loop": n}).encode()
            body["nextPageToken"] = base64.urlsafe_b64encode(token).decode()
        else:  # Gmail's are offsets: a fresh spelling of 0
            body["nextPageToken"] = "0" * n
        return body

    return mutate


def graph_endless(base_url: str) -> Mutator:
    """Pages that always link to another page (a fresh link each time, no deltaLink)."""
    counter = itertools.count(1)

    def mutate(body: Any, url: str) -> Any:
        if not isinstance(body, dict):
            return body
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if "$skiptoken" in query:
            return body  # a real next page (the fake forgets a skip token once used)
        body.pop("@odata.deltaLink", None)
        query["page"] = str(next(counter))
        body["@odata.nextLink"] = f"{base_url}{parts.path}?{urlencode(query, safe='$:')}"
        return body

    return mutate
