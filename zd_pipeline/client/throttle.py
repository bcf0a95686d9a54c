"""Proactive per-endpoint rate limiting, so a healthy sync never receives a 429.

Zendesk allows 10 requests per minute per incremental export endpoint (30 with the High Volume add-on);
NOTES.md's assumption, kept here: the limit applies per endpoint, so different streams may be paged at the same
time, each within its own budget. Reacting to 429s alone wastes a request and a ``Retry-After`` wait each minute;
a sliding window spends the budget exactly.
"""

from __future__ import annotations

import threading
from collections import deque

from zd_pipeline.clock import Clock

WINDOW_SECONDS = 60.0
# Sent this much after the oldest request leaves the window, so that a server counting a window inclusively
# ([now - 60, now]) or receiving the request a hair earlier than we stamped it still sees room. It costs
# 0.05 s a minute: under 0.1 % of the budget.
SAFETY_MARGIN_SECONDS = 0.05


class SlidingWindowThrottle:
    """At most ``requests_per_minute`` sends per endpoint in any rolling 60 s, timed by the injected clock.

    ``acquire(endpoint)`` blocks (via ``clock.sleep``) until a send is allowed and records it. Thread-safe:
    each endpoint has its own lock, held while waiting, so threads on one endpoint queue in order while threads
    on other endpoints proceed. ``requests_per_minute == 0`` turns throttling off.
    """

    def __init__(self, requests_per_minute: int, clock: Clock) -> None:
        if requests_per_minute < 0:
            raise ValueError(f"requests_per_minute must be >= 0, got {requests_per_minute}")
        self._limit = requests_per_minute
        self._clock = clock
        self._sent: dict[str, deque[float]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._registry_lock = threading.Lock()

    @property
    def requests_per_minute(self) -> int:
        return self._limit

    def acquire(self, endpoint: str) -> float:
        """Wait until ``endpoint`` may be called, record the send, and return the clock time recorded for it."""
        if self._limit == 0:
            return self._clock.now()
        lock, sent = self._state(endpoint)
        with lock:
            while True:
                now = self._clock.now()
                # One expression decides both expiry and the wait, so rounding can never yield a zero sleep.
                while sent and _expiry(sent[0]) <= now:
                    sent.popleft()
                if len(sent) < self._limit:
                    sent.append(now)
                    return now
                self._clock.sleep(_expiry(sent[0]) - now)

    def _state(self, endpoint: str) -> tuple[threading.Lock, deque[float]]:
        with self._registry_lock:
            if endpoint not in self._locks:
                self._locks[endpoint] = threading.Lock()
                self._sent[endpoint] = deque()
            return self._locks[endpoint], self._sent[endpoint]


def _expiry(sent_at: float) -> float:
    """When a send made at ``sent_at`` stops counting against the window."""
    return sent_at + WINDOW_SECONDS + SAFETY_MARGIN_SECONDS
