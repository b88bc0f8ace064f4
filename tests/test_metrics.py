"""Prometheus metrics, scraped from the real HTTP endpoint and parsed by prometheus_client's
own parser: polls, requests, drafts, lateness, failures, accounts by state, cycle time."""

from __future__ import annotations

import socket
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from daemon import metrics
from tests.harness import Event, Person, World

_served: list[int] = []  # start_http_server once per process: it cannot be stopped


def sqlite(tmp_path: Path) -> str:
    """SQLite only: what is tested here is no store's business (and CI time is short)."""
    return f"sqlite:///{tmp_path / 'state.db'}"


def scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, by name and labels."""
    if not _served:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        metrics.serve(port, "127.0.0.1")
        _served.append(port)
    with urllib.request.urlopen(f"http://127.0.0.1:{_served[0]}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def delta(before: dict, after: dict, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_a_poll_cycle_and_its_drafts_are_counted(tmp_path: Path) -> None:
    from daemon.running.service import Service

    world = World(tmp_path, sqlite(tmp_path))
    start = datetime(2026, 3, 2, 10, tzinfo=UTC)
    people = [Person("Jane Smith", "jane@acme.example"), Person("Raj Rao", "raj@acme.example")]
    world.add(Event("acme-1", start, 60, "Interview: Acme", people))
    service = Service(world.engine, timedelta(minutes=5))
    service.watch = None
    before = scrape()
    # 30 minutes after the thank-yous were due (1 h after the end): one poll job of the service
    world.clock.set(start + timedelta(hours=2, minutes=30))
    service._job(True, world.engine)
    after = scrape()
    assert len(world.drafts()) == 2
    for provider in ("ics", "maildir"):
        assert delta(before, after, "followupd_polls_total", provider=provider, outcome="ok") == 1
    kind = {"provider": "maildir", "kind": "thank_you"}
    assert delta(before, after, "followupd_drafts_total", **kind) == 2
    late = "followupd_draft_lateness_seconds"
    assert delta(before, after, f"{late}_count", provider="maildir") == 2
    assert delta(before, after, f"{late}_sum", provider="maildir") == pytest.approx(3600, abs=5)
    assert delta(before, after, f"{late}_bucket", provider="maildir", le="1800.0") == 2
    assert delta(before, after, f"{late}_bucket", provider="maildir", le="600.0") == 0
    assert after[("followupd_accounts", (("state", "ok"),))] == 1
    assert after[("followupd_accounts", (("state", "error"),))] == 0
    assert delta(before, after, "followupd_poll_cycle_seconds_count") == 1

    # A broken account: its failure and its poll's outcome, per provider, never per account.
    world.config_path.write_text(
        world.config_path.read_text().replace('path = "mail"', 'path = "gone"')
    )
    world.restart()
    service = Service(world.engine, timedelta(minutes=5))
    service.watch = None
    service._job(True, world.engine)
    again = scrape()
    assert delta(after, again, "followupd_failures_total", provider="maildir", kind="error") == 1
    assert delta(after, again, "followupd_polls_total", provider="maildir", outcome="error") == 1
    assert again[("followupd_accounts", (("state", "error"),))] == 1
    assert not any("account" in dict(labels) for _, labels in again)


def test_every_google_request_on_the_wire_is_counted(tmp_path: Path) -> None:
    from tests.fakes.google_env import google_env

    with google_env(tmp_path) as env:
        calendar, mailbox = env.calendar(), env.mailbox()
        before, sent = scrape(), len(env.state.requests)
        window = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
        calendar.changes(None, window)
        mailbox.messages_since(datetime(2026, 3, 1, tzinfo=UTC), ["jane@acme.com"], [], None)
        after = scrape()
        assert len(env.state.requests) - sent >= 2
        assert delta(before, after, "followupd_requests_total", provider="google") == (
            len(env.state.requests) - sent
        )


def test_a_port_taken_is_said_plainly() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(metrics.MetricsUnavailable) as info:
            metrics.serve(port, "127.0.0.1")
    assert f"cannot listen on 127.0.0.1:{port}" in str(info.value)
    assert "expected a free port" in str(info.value)


def test_every_graph_request_is_counted_retries_included(tmp_path: Path) -> None:
    from connectors.outlook import PROVIDER, forget_runtimes, runtime
    from daemon.clock import SystemClock
    from daemon.protocols import AccountContext
    from tests.fakes.graph_server import running_microsoft

    with running_microsoft(tmp_path / "fakes") as ms:
        try:
            ctx = AccountContext(
                "work", ("casey@contoso.example",), tmp_path / "state", SystemClock(), "UTC"
            )
            PROVIDER.authorize(ctx, ms.account_options(), lambda line: None)
            graph = runtime(ctx, ms.account_options()).graph
            graph.sleep = lambda seconds: None  # no real waiting for the Retry-After
            ms.graph.throttle(2, 429, "0.5")
            before, sent = scrape(), len(ms.graph.requests())
            assert graph.get("/me")["mail"] == "casey@contoso.example"
            after = scrape()
        finally:
            forget_runtimes()
    assert len(ms.graph.requests()) - sent == 3  # two throttled, one answered
    assert delta(before, after, "followupd_requests_total", provider="outlook") == 3
