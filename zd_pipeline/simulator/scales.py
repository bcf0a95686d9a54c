"""How big each simulated account is, and where its history sits in time.

``small`` is for tests (builds well under a second, yet holds a bulk update of more than 1000 tickets in one
second so a time-based page can be one whole same-second group); ``demo`` is tens of thousands of tickets over
the last 90 days; ``bench`` is a million tickets, laid out as numpy arrays of timestamps and rendered page by
page, never as a million dicts.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY = 86_400
HISTORY_DAYS = 89  # inside the client's default 90-day start date, so a default sync sees all of it
HISTORY_END_LAG = 300  # the history ends a few minutes before the simulator starts


@dataclass(frozen=True)
class Scale:
    """Record counts for one scale; ``ticket_bulk_sizes`` are same-second bulk updates (one per entry)."""

    name: str
    tickets: int
    users: int
    agents: int
    admins: int
    organizations: int
    ticket_bulk_sizes: tuple[int, ...]
    user_bulk_size: int
    routing_ticket_share: int  # one ticket in this many gets a skill (associate_ticket event)


SCALES: dict[str, Scale] = {
    "small": Scale("small", 2_500, 240, 24, 3, 30, (1_100,), 40, 8),
    "demo": Scale("demo", 30_000, 6_000, 120, 6, 500, (1_500, 2_200, 1_200), 800, 8),
    "bench": Scale("bench", 1_000_000, 100_000, 1_500, 20, 8_000, (1_500,) * 20, 1_500, 10),
}


def scale_help(default: str) -> str:
    """An option's help naming each scale's size, for ``zd-pipeline simulator`` and ``zd-pipeline demo``."""
    sizes = ", ".join(f"{name} ({scale.tickets:,} tickets)" for name, scale in SCALES.items())
    return f"the simulated account's size: {sizes} (default {default})"


def get_scale(name: str) -> Scale:
    """The named scale; raises ``ValueError`` naming the choices."""
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown scale {name!r}: choose one of {', '.join(SCALES)}") from None


@dataclass(frozen=True)
class Window:
    """The simulated history: ``[start, end]`` epoch seconds, ``end`` a few minutes before the simulator's start."""

    start: int
    end: int

    @classmethod
    def ending_before(cls, now: float) -> Window:
        end = int(now) - HISTORY_END_LAG
        return cls(end - HISTORY_DAYS * DAY, end)

    @property
    def span(self) -> int:
        return self.end - self.start
