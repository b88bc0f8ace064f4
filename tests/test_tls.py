"""One TLS context per CA bundle for the process (daemon/tls.py), and it still verifies.

A context holds its own copy of the certificates loaded into it (about 850 KB with a system
bundle): the connections of every worker thread, and every IMAP account, now share one per
bundle. Real requests/urllib3 against the Graph fake's real TLS server; the IMAP connector's
own context, as its sessions get it.
"""

from __future__ import annotations

import os
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from connectors.imap.session import Session
from connectors.outlook.http import PinnedSession
from daemon import tls
from tests.fakes.graph_server import MicrosoftFakes, start_microsoft


@pytest.fixture
def ms(tmp_path: Path) -> Iterator[MicrosoftFakes]:
    fakes = start_microsoft(tmp_path)
    yield fakes
    fakes.stop()


def _sockets(session: requests.Session) -> list[ssl.SSLSocket]:
    """The TLS sockets of the connections ``session`` keeps open."""
    pools = session.adapters["https://"].poolmanager.pools
    return [
        conn.sock
        for key in pools.keys()  # noqa: SIM118 (the container has no iterator)
        for conn in list(pools[key].pool.queue)
        if conn is not None and conn.sock is not None
    ]


def test_graph_connections_of_every_thread_verify_with_one_context(ms: MicrosoftFakes) -> None:
    session = PinnedSession(ms.ca_bundle)
    barrier = threading.Barrier(4)

    answers: list[int] = []

    def worker() -> None:  # four at once: the pool opens four connections
        barrier.wait()
        answers.append(session.get(ms.graph_root + "/v1.0/me").status_code)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == 4  # each got an answer over TLS (without a token: 401)
    sockets = _sockets(session)
    assert len(sockets) >= 2
    assert {id(s.context) for s in sockets} == {id(tls.urllib3_context(str(ms.ca_bundle)))}


def test_the_shared_context_still_refuses_what_its_bundle_does_not_trust(
    ms: MicrosoftFakes,
) -> None:
    system = PinnedSession(None)  # the system's certificates: the fake's CA is not one of them
    with pytest.raises(requests.exceptions.SSLError):
        system.get(ms.graph_root + "/v1.0/me")
    PinnedSession(ms.ca_bundle).get(ms.graph_root + "/v1.0/me")  # another bundle's works
    with pytest.raises(requests.exceptions.SSLError):
        PinnedSession(None).get(ms.graph_root + "/v1.0/me")  # and did not change that


def test_a_replaced_bundle_gives_a_new_context_and_an_unreadable_one_is_not_kept(
    tmp_path: Path, ms: MicrosoftFakes
) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(ms.ca_bundle.read_bytes())
    first = tls.urllib3_context(str(bundle))
    assert tls.urllib3_context(str(bundle)) is first
    bundle.write_bytes(ms.ca_bundle.read_bytes() + b"\n")  # rotated: the file changed
    os.utime(bundle, ns=(1, 1))
    assert tls.urllib3_context(str(bundle)) is not first

    broken = tmp_path / "broken.pem"
    broken.write_text("not a certificate")
    for _ in range(2):  # raised each time: a failure is never kept as the answer
        with pytest.raises(ssl.SSLError):
            tls.urllib3_context(str(broken))


def test_imap_accounts_share_one_context_per_bundle(tmp_path: Path, ms: MicrosoftFakes) -> None:
    class Server:  # what Session reads of its account's server settings to build a context
        def __init__(self, ca: Path | None) -> None:
            self.ca_bundle = ca
            self.password = None

    ours = [Session(Server(ms.ca_bundle))._context() for _ in range(3)]  # type: ignore[arg-type]
    system = Session(Server(None))._context()  # type: ignore[arg-type]
    assert ours[0] is ours[1] is ours[2]
    assert system is not ours[0]
    assert ours[0].verify_mode == ssl.CERT_REQUIRED and ours[0].check_hostname
