"""Injected latency per request, and how many requests a fake served at once.

A real API answers in tens to hundreds of milliseconds; the fakes answer in one. Without the
latency, a client that makes its requests one after the other looks as fast as one that
overlaps them, so the benchmark (bench/many.py) could not tell them apart. The sleep happens
outside every lock, so requests in flight overlap as they would at Google or Microsoft, and
the most requests in flight at once is the "request concurrency reached" the issue asks for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Pace:
    """A fake's latency knob and its in-flight counters.

    ``parent``: a pace that counts these requests too (one for all fakes of a process), so the
    concurrency reached across Google and Microsoft together can be read; only this pace's own
    latency is slept.
    """

    latency: float = 0.0
    parent: Pace | None = None
    in_flight: int = 0
    max_in_flight: int = 0
    served: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.served += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self.parent is not None:
            self.parent.enter()

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1
        if self.parent is not None:
            self.parent.leave()

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Around the handling of one request: counted, and delayed by ``latency`` first."""
        self.enter()
        try:
            if self.latency:
                time.sleep(self.latency)
            yield
        finally:
            self.leave()

    def reset(self) -> None:
        """Start a new measurement: the maximum falls back to what is in flight now."""
        with self._lock:
            self.max_in_flight = self.in_flight
            self.served = 0

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {
                "served": self.served,
                "in_flight": self.in_flight,
                "max_in_flight": self.max_in_flight,
            }
