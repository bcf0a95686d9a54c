"""Keeping the reference lists off the exports' share of the account-wide API limit.

Zendesk counts every API request against one account-wide limit per minute (by plan) and reports what is left in
``X-Rate-Limit-Remaining`` (newer responses also ``ratelimit-remaining`` with ``ratelimit-reset``, seconds to the
window's reset). :class:`BudgetTransport` wraps the list client's HTTP transport: it reads those headers from every
response, and before each request waits (on the injected clock) while the last response said ``reserve`` or
fewer requests remain, until the reset it named (or a minute later when it named none). The wait happens below
the fetcher, so its retry path (429 and ``Retry-After``) is unchanged and still the only one.
"""

from __future__ import annotations

import threading

import httpx

from zd_pipeline.clock import Clock

DEFAULT_RESERVE = 20  # requests left to the exports: two minutes of one export endpoint's 10 a minute
WINDOW_SECONDS = 60.0
_REMAINING = ("ratelimit-remaining", "x-rate-limit-remaining")


class AccountBudget:
    """What the account has left, as the last response said; thread-safe."""

    def __init__(self, reserve: int, clock: Clock) -> None:
        if isinstance(reserve, bool) or not isinstance(reserve, int) or reserve < 0:
            raise ValueError(f"reserve must be a whole number >= 0, got {reserve!r}")
        self.reserve = reserve
        self._clock = clock
        self._lock = threading.Lock()
        self._paused_until: float | None = None
        self.remaining: int | None = None
        self.waits = 0

    def observe(self, headers: httpx.Headers) -> None:
        """Read a response's remaining count; at or below the reserve, pause until its window resets."""
        remaining = _first_int(headers, _REMAINING)
        if remaining is None:
            return
        reset = _first_int(headers, ("ratelimit-reset",))
        with self._lock:
            self.remaining = remaining
            if remaining <= self.reserve:
                self._paused_until = self._clock.now() + (reset if reset is not None else WINDOW_SECONDS)
            else:
                self._paused_until = None

    def wait(self) -> None:
        """Before a request: sleep out a pause the last response asked for."""
        with self._lock:
            until, self._paused_until = self._paused_until, None
        if until is not None and until > self._clock.now():
            self.waits += 1
            self._clock.sleep(until - self._clock.now())


class BudgetTransport(httpx.BaseTransport):
    """An httpx transport that consults an :class:`AccountBudget` around every request of ``inner``."""

    def __init__(self, inner: httpx.BaseTransport, budget: AccountBudget) -> None:
        self._inner = inner
        self._budget = budget

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._budget.wait()
        response = self._inner.handle_request(request)
        self._budget.observe(response.headers)
        return response

    def close(self) -> None:
        self._inner.close()


def _first_int(headers: httpx.Headers, names: tuple[str, ...]) -> int | None:
    for name in names:
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            return max(0, int(float(raw.split(",")[0].strip())))
        except ValueError:
            continue
    return None
