"""Fault injection and rate limiting for the export endpoints (never for admin endpoints).

Faults are deterministic from the seed: request number ``n`` (counted over faultable requests) draws one uniform
number and the spec's shares pick at most one fault for it. ``burst429`` answers that request and the next
``length - 1`` requests to the same path with 429.

The rate limit is Zendesk's: a rolling 60-second window per endpoint path, measured on the simulator's clock;
a refused request is not counted; ``Retry-After`` is whole seconds until the oldest counted request leaves the
window (at least 1).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, fields
from email.utils import formatdate

from zd_pipeline.clock import Clock
from zd_pipeline.simulator.rand import draws

SALT_FAULTS = 41
_KEYS = {
    "500": "error_500",
    "503": "error_503",
    "truncate": "truncate",
    "slow": "slow",
    "burst429": "burst429",
    "reset": "reset",
}


@dataclass(frozen=True)
class FaultSpec:
    """Share of requests (0..1) per fault; ``slow_seconds`` of real delay; ``burst_length`` consecutive 429s."""

    error_500: float = 0.0
    error_503: float = 0.0
    truncate: float = 0.0
    slow: float = 0.0
    slow_seconds: float = 2.0
    burst429: float = 0.0
    burst_length: int = 3
    reset: float = 0.0

    def __post_init__(self) -> None:
        shares = [self.error_500, self.error_503, self.truncate, self.slow, self.burst429, self.reset]
        if any(s < 0 or s > 1 for s in shares) or sum(shares) > 1 + 1e-9:
            raise ValueError(f"fault shares must each be in [0, 1] and sum to at most 1, got {self}")
        if self.slow_seconds < 0 or self.burst_length < 1:
            raise ValueError("slow seconds must be >= 0 and a 429 burst at least 1 long")

    @classmethod
    def parse(cls, spec: str) -> FaultSpec:
        """Parse ``"500=0.05,503=0.05,truncate=0.02,slow=0.01:2.0,burst429=0.01:3,reset=0.01"``."""
        values: dict[str, float | int] = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            name, sep, raw = part.partition("=")
            if not sep or name.strip() not in _KEYS:
                raise ValueError(f"bad fault {part!r}: use NAME=SHARE with NAME one of {', '.join(_KEYS)}")
            share, _, arg = raw.partition(":")
            try:
                values[_KEYS[name.strip()]] = float(share)
                if arg and name.strip() == "slow":
                    values["slow_seconds"] = float(arg)
                elif arg and name.strip() == "burst429":
                    values["burst_length"] = int(arg)
                elif arg:
                    raise ValueError(f"{name} takes no ':' argument")
            except ValueError as exc:
                raise ValueError(f"bad fault {part!r}: {exc}") from None
        return cls(**values)  # type: ignore[arg-type]

    def __str__(self) -> str:
        parts = []
        for key, attr in _KEYS.items():
            share = getattr(self, attr)
            if share:
                arg = f":{self.slow_seconds}" if key == "slow" else f":{self.burst_length}" if key == "burst429" else ""
                parts.append(f"{key}={share}{arg}")
        return ",".join(parts)

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self) if f.name not in ("slow_seconds", "burst_length"))


def as_fault_spec(value: FaultSpec | str | None) -> FaultSpec:
    if value is None:
        return FaultSpec()
    return value if isinstance(value, FaultSpec) else FaultSpec.parse(value)


class FaultInjector:
    """Picks the fault (or None) for each faultable request, deterministically from the seed."""

    def __init__(self, seed: int, spec: FaultSpec) -> None:
        self.seed, self.spec = seed, spec
        self._n = 0
        self._bursts: dict[str, int] = {}
        self._lock = threading.Lock()

    def decide(self, path: str) -> str | None:
        with self._lock:
            if self._bursts.get(path):
                self._bursts[path] -= 1
                return "burst429"
            n, self._n = self._n, self._n + 1
            if not self.spec.active:
                return None
            u = int(draws(self.seed, SALT_FAULTS, [n], 1)[0, 0]) / 2**32
            s = self.spec
            for name, share in (
                ("500", s.error_500),
                ("503", s.error_503),
                ("truncate", s.truncate),
                ("slow", s.slow),
                ("burst429", s.burst429),
                ("reset", s.reset),
            ):
                if u < share:
                    if name == "burst429":
                        self._bursts[path] = s.burst_length - 1
                    return name
                u -= share
            return None


class RateLimiter:
    """``limit`` requests per rolling 60 s per path on ``clock``; ``limit`` None or 0 turns it off."""

    WINDOW = 60.0

    def __init__(self, limit: int | None, clock: Clock) -> None:
        self.limit = limit or 0
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, path: str) -> tuple[bool, int, int]:
        """(allowed, remaining after this request, retry_after seconds when refused)."""
        if not self.limit:
            return True, 0, 0
        now = self.clock.now()
        with self._lock:
            seen = self._seen.setdefault(path, deque())
            while seen and seen[0] <= now - self.WINDOW:
                seen.popleft()
            if len(seen) >= self.limit:
                return False, 0, max(1, math.ceil(seen[0] + self.WINDOW - now))
            seen.append(now)
            return True, self.limit - len(seen), 0


RETRY_AFTER_FORMS = ("seconds", "fractional", "http-date", "repeated", "joined")


@dataclass(frozen=True)
class Maintenance:
    """A maintenance window: from ``start`` to ``end`` (simulator clock) every export request is answered
    ``status`` (503 as Zendesk does; 429 for an overload) with ``Retry-After``, before authentication.

    ``Retry-After`` names the time left in the window, or ``step`` seconds when that is shorter (Zendesk says
    "try again in a minute" through a longer window), in the form ``retry_after``: ``seconds`` (whole, rounded
    up), ``fractional``, ``http-date``, ``repeated`` (a second, shorter header) or ``joined`` (``"1, 60"``).
    Every form is rounded up, so a client waiting what it is told never comes back early.
    """

    start: float
    end: float
    status: int = 503
    retry_after: str = "seconds"
    step: float | None = None

    def __post_init__(self) -> None:
        if self.retry_after not in RETRY_AFTER_FORMS:
            raise ValueError(f"retry_after must be one of {', '.join(RETRY_AFTER_FORMS)}, got {self.retry_after!r}")
        if self.status not in (429, 500, 502, 503, 504) or self.end < self.start:
            raise ValueError("a maintenance window needs start <= end and a status of 429 or 5xx")
        if self.step is not None and self.step <= 0:
            raise ValueError("step must be a positive number of seconds")

    def active(self, now: float) -> bool:
        return self.start <= now < self.end

    def wait(self, now: float) -> float:
        """The wait advertised at ``now``."""
        left = self.end - now
        return min(left, self.step) if self.step is not None else left

    def headers(self, now: float) -> list[tuple[bytes, bytes]]:
        wait = self.wait(now)
        whole = str(max(1, math.ceil(wait))).encode()
        if self.retry_after == "fractional":
            return [(b"retry-after", f"{math.ceil(wait * 1000) / 1000:.3f}".encode())]
        if self.retry_after == "http-date":
            return [(b"retry-after", formatdate(math.ceil(now + wait), usegmt=True).encode())]
        if self.retry_after == "repeated":
            return [(b"retry-after", b"1"), (b"retry-after", whole)]
        if self.retry_after == "joined":
            return [(b"retry-after", b"1, " + whole)]
        return [(b"retry-after", whole)]
