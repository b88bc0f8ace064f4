"""Google's HTTPS connections share one TLS context per CA bundle, and still verify.

httplib2 builds a context per connection object, loading the whole CA bundle into it (about
850 KB with the system's); followupd keeps connections per worker thread and host, so each
thread's connections used to carry their own copy (connectors/google/http.py). Real httplib2
against the fake's real TLS server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httplib2
import pytest

from connectors.google.http import NoResendHttp
from tests.fakes.google_server import GoogleFake, start_google_server


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[GoogleFake]:
    fake = start_google_server(tmp_path)
    yield fake
    fake.stop()


def _contexts(https: list[NoResendHttp]) -> list[object]:
    return [conn._context for http in https for conn in http.connections.values()]


def test_connections_of_every_thread_share_one_context_per_bundle(fake: GoogleFake) -> None:
    made: list[NoResendHttp] = []

    def worker() -> None:  # each worker thread has its own Http (shared_http), as in the engine
        http = NoResendHttp(timeout=10, ca_certs=str(fake.ca_file))
        response, _ = http.request(fake.base_url + "discovery/v1/apis")
        assert response.status < 500
        made.append(http)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    contexts = _contexts(made)
    assert len(contexts) == 4
    assert len({id(c) for c in contexts}) == 1


def test_the_shared_contexts_still_verify_and_are_kept_apart_by_bundle(fake: GoogleFake) -> None:
    system = NoResendHttp(timeout=10)  # the system's bundle: the fake's CA is not in it
    with pytest.raises(httplib2.ssl.SSLCertVerificationError):
        system.request(fake.base_url + "discovery/v1/apis")

    ours = NoResendHttp(timeout=10, ca_certs=str(fake.ca_file))
    response, _ = ours.request(fake.base_url + "discovery/v1/apis")
    assert response.status < 500

    again = NoResendHttp(timeout=10)  # a context shared with the first: still refuses
    with pytest.raises(httplib2.ssl.SSLCertVerificationError):
        again.request(fake.base_url + "discovery/v1/apis")
    assert _contexts([system])[0] is _contexts([again])[0]
    assert _contexts([ours])[0] is not _contexts([system])[0]
