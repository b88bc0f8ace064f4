"""The one HTTP layer for Graph: throttling, retries, concurrency, timeouts, error text."""

from __future__ import annotations

import select
import socket
import socketserver
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from connectors.outlook import PROVIDER, runtime
from connectors.outlook.http import Graph, PinnedSession, retry_after
from daemon.clock import SystemClock
from daemon.errors import InvalidResponse, TransientError
from daemon.protocols import AccountContext, Address, DraftRequest
from tests.fakes.graph_server import MicrosoftFakes, running_microsoft

THROTTLED = "Application is over its MailboxConcurrency limit."


@pytest.fixture
def ms(tmp_path: Path):
    with running_microsoft(tmp_path / "fakes") as fakes:
        yield fakes


@pytest.fixture
def ctx(ms: MicrosoftFakes, tmp_path: Path) -> AccountContext:
    context = AccountContext(
        "work", ("casey@contoso.example",), tmp_path / "state", SystemClock(), "UTC"
    )
    PROVIDER.authorize(context, ms.account_options(), lambda line: None)
    return context


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def graph(ms: MicrosoftFakes, ctx: AccountContext, slept: list[float]) -> Graph:
    found = runtime(ctx, ms.account_options()).graph
    found.sleep = slept.append  # no real waiting in tests
    return found


def test_429_honours_a_fractional_retry_after(
    ms: MicrosoftFakes, graph: Graph, slept: list[float]
) -> None:
    ms.graph.throttle(2, 429, "0.5")
    assert graph.get("/me")["mail"] == "casey@contoso.example"
    assert slept == [0.5, 0.5]


def test_503_without_retry_after_backs_off_exponentially_with_jitter(
    ms: MicrosoftFakes, graph: Graph, slept: list[float]
) -> None:
    ms.graph.throttle(3, 503, None)
    assert graph.get("/me")["displayName"] == "Casey Candidate"
    assert len(slept) == 3
    assert 0.5 <= slept[0] <= 1.0 and 1.0 <= slept[1] <= 1.5 and 2.0 <= slept[2] <= 2.5


def test_retrying_is_bounded(ms: MicrosoftFakes, graph: Graph, slept: list[float]) -> None:
    ms.graph.throttle(10, 429, "0.2")
    with pytest.raises(TransientError) as err:
        graph.get("/me")
    assert str(err.value) == (
        f"Microsoft Graph GET /me failed: HTTP 429 TooManyRequests: {THROTTLED} (gave up retrying)"
    )
    assert err.value.retry_after == 0.2
    assert len(slept) == graph.max_attempts - 1


def test_a_long_retry_after_goes_back_to_the_core(
    ms: MicrosoftFakes, graph: Graph, slept: list[float]
) -> None:
    ms.graph.throttle(1, 429, "120")
    with pytest.raises(TransientError) as err:
        graph.get("/me")
    assert err.value.retry_after == 120 and slept == []


def test_draft_creation_is_never_retried_after_a_server_error(
    ms: MicrosoftFakes, ctx: AccountContext, graph: Graph, slept: list[float]
) -> None:
    mailbox = PROVIDER.mailbox(ctx, {}, ms.account_options())
    request = DraftRequest(
        key="followupd:work:1:ian@acme.example:thanks",
        sender=Address("casey@contoso.example"),
        to=(Address("ian@acme.example"),),
        subject="Thank you",
        text="Thanks!",
    )
    ms.graph.throttle(1, 500, None)
    with pytest.raises(TransientError) as err:
        mailbox.create_draft(request)
    assert str(err.value) == (
        f"Microsoft Graph POST /me/messages failed: HTTP 500 ServiceUnavailable: {THROTTLED}"
    )
    assert len(ms.graph.requests("POST", "/me/messages")) == 1 and slept == []
    ms.graph.throttle(1, 429, "0.1")  # refused outright: safe to send again
    mailbox.create_draft(request)
    assert len(ms.graph.drafts()) == 1 and slept == [0.1]


def test_at_most_four_requests_in_flight(ms: MicrosoftFakes, graph: Graph) -> None:
    ms.graph.latency = 0.05
    errors: list[BaseException] = []

    def call() -> None:
        try:
            graph.get("/me")
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=call) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == []
    assert ms.graph.max_in_flight == 4


def test_every_call_has_a_timeout(
    ms: MicrosoftFakes, ctx: AccountContext, slept: list[float]
) -> None:
    tokens = runtime(ctx, ms.account_options()).tokens
    session = PinnedSession(ms.ca_bundle, timeout=(2.0, 0.1))
    graph = Graph(
        f"{ms.graph_root}/v1.0",
        tokens,
        session,
        fix="followupd auth work",
        sleep=slept.append,
        max_attempts=2,
    )
    ms.graph.latency = 0.4
    with pytest.raises(TransientError) as err:
        graph.get("/me")
    assert str(err.value).startswith("Microsoft Graph GET /me failed: network error: ")
    assert len(slept) == 1
    session.close()


def test_links_to_other_hosts_are_refused(graph: Graph, ms: MicrosoftFakes) -> None:
    with pytest.raises(InvalidResponse) as err:
        graph.get("https://evil.example/v1.0/me")
    assert str(err.value) == (
        f"Microsoft Graph returned a link to https://evil.example, expected one on {ms.graph_root}"
    )


def test_retry_after_as_an_http_date() -> None:
    response = requests.Response()
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    response.headers["Retry-After"] = "Mon, 02 Mar 2026 12:00:30 GMT"
    assert retry_after(response, lambda: now) == 30
    response.headers["Retry-After"] = "2.75"
    assert retry_after(response, lambda: now) == 2.75
    response.headers["Retry-After"] = "soon"
    assert retry_after(response, lambda: now + timedelta(hours=1)) is None


class ConnectProxy:
    """A forward proxy that speaks HTTP CONNECT, as corporate proxies do: it records the
    hosts it tunnels to and passes the (still encrypted) bytes both ways."""

    def __init__(self) -> None:
        self.tunnels: list[str] = []
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = self.request.recv(4096)
                    if not chunk:
                        return
                    head += chunk
                method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
                assert method == "CONNECT", method
                proxy.tunnels.append(target)
                host, port = target.rsplit(":", 1)
                with socket.create_connection((host, int(port))) as upstream:
                    self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    ends = [self.request, upstream]
                    while True:
                        ready, _, _ = select.select(ends, [], [], 5)
                        if not ready:
                            return
                        for end in ready:
                            data = end.recv(65536)
                            if not data:
                                return
                            (upstream if end is self.request else self.request).sendall(data)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_environment_s_proxy_is_used_and_a_netrc_password_never_replaces_the_token(
    ms: MicrosoftFakes,
    ctx: AccountContext,
    tmp_path: Path,
    slept: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # requests is told not to read the environment at each request (its proxy lookup cost a
    # tenth of an unchanged poll): the session reads it once per host, and a .netrc entry
    # for the Graph host (requests would send it as Basic auth) is never read.
    proxy = ConnectProxy()
    host = urlsplit(ms.graph_root).netloc
    (tmp_path / "home").mkdir()
    netrc = tmp_path / "home" / ".netrc"
    netrc.write_text(f"machine {host.split(':')[0]} login casey password hunter2\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NETRC", str(netrc))
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    tokens = runtime(ctx, ms.account_options()).tokens
    try:

        def me(session: PinnedSession) -> dict[str, object]:
            graph = Graph(f"{ms.graph_root}/v1.0", tokens, session, fix="-", sleep=slept.append)
            try:
                return graph.get("/me")
            finally:
                session.close()

        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        assert me(PinnedSession(ms.ca_bundle))["mail"]
        assert proxy.tunnels == [host]

        monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # the host is exempt: straight there
        assert me(PinnedSession(ms.ca_bundle))["mail"]
        assert proxy.tunnels == [host]
    finally:
        proxy.close()
