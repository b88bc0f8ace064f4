"""Prometheus metrics: what the service did, per provider, on an optional local port.

Why: someone running followupd for a thousand job seekers needs to see, without reading logs,
whether polls keep up, which provider fails or throttles, and whether drafts come on time. So
the service counts polls, requests, drafts and failures, measures how late drafts come and how
long a poll cycle takes, and serves them through the well-kept ``prometheus_client``
(``[daemon].metrics_port``; ``pip install 'followupd[metrics]'``).

Labels are providers and kinds only, never an account: a label per account would make
thousands of series per metric (Prometheus' cardinality rule). Per account, ``followupd status
--account NAME`` says it.

Every function here is a no-op until :func:`serve` (and so without ``prometheus_client``,
which only a service serving metrics imports): the connectors call :func:`request` at the one
place each sends a request (HTTP or IMAP) and need not care.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

from daemon.errors import FollowupdError

log = logging.getLogger(__name__)

# Seconds between a follow-up's due time and its draft: the promise is within a
# minute; the long buckets show a daemon that was down or an account that was stuck.
LATENESS_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600)
CYCLE_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)
ACCOUNT_STATES = ("ok", "new", "error", "needs_reauth", "backoff", "never_polled")

# Empty until :func:`serve`: prometheus_client is imported only by a service that serves the
# metrics (its import costs a CLI command ~0.1 s), and nothing is counted before.
_metrics: dict[str, Any] = {}
_enabling = threading.Lock()


def enabled() -> bool:
    return bool(_metrics)


def enable() -> None:
    """Create the metrics (once). Raises :class:`MetricsUnavailable` without the library."""
    with _enabling:
        if _metrics:
            return
        try:
            import prometheus_client as prom
        except ImportError:
            raise MetricsUnavailable(
                "[daemon].metrics_port is set, but prometheus_client is not installed; expected "
                "python3 -m pip install 'followupd[metrics]' (or remove metrics_port)"
            ) from None
        _metrics.update(
            polls=prom.Counter(
                "followupd_polls", "Account polls, by provider and outcome", ["provider", "outcome"]
            ),
            requests=prom.Counter(
                "followupd_requests", "Requests sent to servers (HTTP or IMAP)", ["provider"]
            ),
            drafts=prom.Counter(
                "followupd_drafts",
                "Drafts created, by mailbox provider and kind",
                ["provider", "kind"],
            ),
            failures=prom.Counter(
                "followupd_failures",
                "Failures: an account's (needs_reauth, quota, transient, busy, error) or a "
                "draft's (draft_template, draft_config, draft_item)",
                ["provider", "kind"],
            ),
            lateness=prom.Histogram(
                "followupd_draft_lateness_seconds",
                "Seconds from a follow-up's due time to its draft",
                ["provider"],
                buckets=LATENESS_BUCKETS,
            ),
            accounts=prom.Gauge("followupd_accounts", "Accounts configured, by state", ["state"]),
            cycle=prom.Histogram(
                "followupd_poll_cycle_seconds",
                "Seconds one poll cycle of every account took",
                buckets=CYCLE_BUCKETS,
            ),
        )


def request(provider: str) -> None:
    """One request (HTTP or an IMAP command) is being sent to ``provider``'s server."""
    if _metrics:
        _metrics["requests"].labels(provider).inc()


def poll(providers: Iterable[str], outcome: str) -> None:
    """One account's poll ended with ``outcome`` (ok, error, needs_reauth, backoff, busy)."""
    if _metrics:
        for name in sorted(set(providers)):
            _metrics["polls"].labels(name, outcome).inc()


def draft(provider: str, kind: str, lateness: float) -> None:
    """A draft was created (``kind``: thank_you, status_inquiry) ``lateness`` s after due."""
    if _metrics:
        _metrics["drafts"].labels(provider, kind).inc()
        _metrics["lateness"].labels(provider).observe(max(lateness, 0.0))


def failure(providers: Iterable[str], kind: str) -> None:
    if _metrics:
        for name in sorted(set(providers)):
            _metrics["failures"].labels(name, kind).inc()


def accounts(by_state: dict[str, int]) -> None:
    """How many accounts are in each state now (every known state set, 0 included)."""
    if _metrics:
        for state in {*ACCOUNT_STATES, *by_state}:
            _metrics["accounts"].labels(state).set(by_state.get(state, 0))


def cycle(seconds: float) -> None:
    if _metrics:
        _metrics["cycle"].observe(seconds)


def serve(port: int, address: str) -> None:
    """Serve ``/metrics`` on ``address:port`` in a thread of its own (the process' default
    registry: the process' CPU, memory and open files come with it). Raises
    :class:`MetricsUnavailable` naming what is missing or what failed."""
    enable()
    import prometheus_client

    try:
        prometheus_client.start_http_server(port, addr=address)
    except OSError as err:
        raise MetricsUnavailable(
            f"[daemon].metrics_port: cannot listen on {address}:{port} ({err.strerror or err}); "
            "expected a free port (or another metrics_port / metrics_address)"
        ) from None
    log.info("metrics on http://%s:%d/metrics", address, port)


class MetricsUnavailable(FollowupdError):
    """The metrics port cannot be served (no prometheus_client, the port taken)."""
