"""A TCP relay in front of a fake server that can make it slow: requests hang until released.

The daemon's config points its API root at the relay; TLS passes through untouched (the fake's
certificate names 127.0.0.1, which the relay also is). While stalled, nothing the client sends
is forwarded, so every request in flight waits as on an overloaded server or a stuck network
path, and the client sees nothing but its own timeout. :attr:`StallingRelay.held` tells the test
that a request is hanging right now.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class StallingRelay:
    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held = 0  # chunks from clients held back right now
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, name="stalling-relay", daemon=True).start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def stall(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def close(self) -> None:
        self._open.set()
        with contextlib.suppress(OSError):
            self.listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
                upstream = socket.create_connection(self.target)
            except OSError:
                return
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink, hold in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pump, args=(source, sink, hold), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, hold: bool) -> None:
        try:
            while data := source.recv(65536):
                if hold and not self._open.is_set():
                    with self._lock:
                        self.held += 1
                    self._open.wait()
                    with self._lock:
                        self.held -= 1
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
