"""One retry policy for every read the Google connector makes.

googleapiclient's own ``num_retries`` ignores ``Retry-After`` and would repeat a POST blindly, so
it stays at 0 and this policy (built on tenacity) decides instead:

* only :class:`~daemon.errors.TransientError` is retried (429, 403 rate limits, 5xx, connection
  failures: see :mod:`connectors.google.errors`);
* the wait is exponential with jitter, but never shorter than what ``Retry-After`` asks;
* the total time slept is bounded (60 s by default); when the server asks for a longer wait than
  the budget has left, we give up at once and hand the wait to the core as ``retry_after``;
* writes (draft creation) are never retried here: the core's idempotency key makes the next
  attempt safe (``find_draft`` first), a blind retry would not be.

``sleep`` and ``jitter`` are injectable so tests run in milliseconds and can assert the waits.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type

from daemon.errors import TransientError

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class RetryPolicy:
    attempts: int = 6  # tries in all, the first included
    budget: float = 60.0  # seconds of sleep, at most, across the retries of one call
    base: float = 1.0  # first backoff step, doubled per retry
    cap: float = 20.0  # longest single backoff step (Retry-After may ask for more)
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = getattr(exc, "retry_after", None) or 0.0
        step = min(self.cap, self.base * 2 ** (state.attempt_number - 1))
        # "Equal jitter": half the step fixed, half random; spreads retries, keeps a floor.
        backoff = step * (0.5 + 0.5 * self.jitter())
        return max(float(asked), backoff)

    def _stop(self, state: RetryCallState) -> bool:
        if state.attempt_number >= self.attempts:
            return True
        return state.idle_for + state.upcoming_sleep > self.budget

    def call(self, attempt: Callable[[], T], what: str) -> T:
        """Run ``attempt`` until it succeeds, raises a non-transient error, or the budget ends."""
        retrying = Retrying(
            retry=retry_if_exception_type(TransientError),
            wait=self._wait,
            stop=self._stop,
            sleep=self.sleep,
            before_sleep=lambda s: log.info(
                "%s: %s; retrying in %.1f s", what, s.outcome.exception(), s.upcoming_sleep
            ),
            reraise=True,
        )
        try:
            return retrying(attempt)
        except TransientError as err:
            tries = retrying.statistics.get("attempt_number", 1)
            slept = retrying.statistics.get("idle_for", 0.0)
            raise TransientError(
                f"{err} (gave up after {tries} attempt(s) and {slept:.0f} s of waiting)",
                retry_after=err.retry_after,
            ) from err
