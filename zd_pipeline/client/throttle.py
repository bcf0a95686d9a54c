"""Proactive per-endpoint rate limiting, so a healthy sync never receives a 429.

Zendesk allows 10 requests per minute per incremental export endpoint (30 with the High Volume add-on); read as
a limit per endpoint (docs/zendesk-api.md), so different streams may be paged at the same time, each within its
own budget. Reacting to 429s alone wastes a request and a ``Retry-After`` wait each minute;
a sliding window spends the budget exactly.

Zendesk counts a request when it arrives, which we cannot observe; we only know it arrived after we sent it and
before we got the answer. So each request is stamped when its answer (or failure) comes back, and a new request
is sent only once the stamp ``requests_per_minute`` requests ago is more than a minute old: then even the slowest
earlier request had arrived over a minute before this one can. (Stamping at send time instead would let a
first request that arrived late share the server's window with the eleventh.) The cost is one request's
latency per window, about 1 % of the budget for a 0.5 s page.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from zd_pipeline.clock import Clock

WINDOW_SECONDS = 60.0
# Extra wait beyond the minute, so a server counting its window inclusively ([now - 60, now]) or rounding
# differently still sees room. 0.05 s a minute: under 0.1 % of the budget.
SAFETY_MARGIN_SECONDS = 0.05


class SlidingWindowThrottle:
    """At most ``requests_per_minute`` requests per endpoint in any rolling minute, timed by the injected clock.

    ``with throttle.slot(endpoint): send()`` waits (via ``clock.sleep``) until a request is allowed, and stamps it
    when the block exits. Thread-safe: each endpoint has its own lock, held from the wait to the stamp, so
    requests to one endpoint go one at a time in order while other endpoints proceed in parallel.
    ``requests_per_minute == 0`` turns throttling off.
    """

    def __init__(self, requests_per_minute: int, clock: Clock) -> None:
        if requests_per_minute < 0:
            raise ValueError(f"requests_per_minute must be >= 0, got {requests_per_minute}")
        self._limit = requests_per_minute
        self._clock = clock
        self._stamps: dict[str, deque[float]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._registry_lock = threading.Lock()

    @property
    def requests_per_minute(self) -> int:
        return self._limit

    @contextmanager
    def slot(self, endpoint: str) -> Iterator[float]:
        """Wait for room on ``endpoint``; yields the clock time the request may go; stamps it on exit."""
        if self._limit == 0:
            yield self._clock.now()
            return
        lock, stamps = self._state(endpoint)
        with lock:
            allowed_at = self._wait_for_room(stamps)
            try:
                yield allowed_at
            finally:
                stamps.append(self._clock.now())

    def stamps(self, endpoint: str) -> list[float]:
        """The completion stamps still inside the window (for tests and diagnostics)."""
        _, stamps = self._state(endpoint)
        return list(stamps)

    def _wait_for_room(self, stamps: deque[float]) -> float:
        while True:
            now = self._clock.now()
            # One expression decides both expiry and the wait, so rounding can never yield a zero sleep.
            while stamps and _expiry(stamps[0]) <= now:
                stamps.popleft()
            if len(stamps) < self._limit:
                return now
            self._clock.sleep(_expiry(stamps[0]) - now)

    def _state(self, endpoint: str) -> tuple[threading.Lock, deque[float]]:
        with self._registry_lock:
            if endpoint not in self._locks:
                self._locks[endpoint] = threading.Lock()
                self._stamps[endpoint] = deque()
            return self._locks[endpoint], self._stamps[endpoint]


def _expiry(stamp: float) -> float:
    """When a request stamped at ``stamp`` stops counting against the window."""
    return stamp + WINDOW_SECONDS + SAFETY_MARGIN_SECONDS
