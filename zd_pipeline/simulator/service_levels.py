"""The simulated account's service levels: its SLA policies and its business-hours schedule.

One definition serves every part of the simulator that needs it: the ticket metric events (targets by priority,
business time) and the list endpoints that show the policies and the schedule as Zendesk's API does
(``/api/v2/slas/policies``, ``/api/v2/business_hours/schedules`` and a schedule's ``holidays``). Shapes follow
Zendesk's reference objects: a policy's ``filter`` and ``policy_metrics`` (targets in minutes), a schedule's
``intervals`` in minutes from Sunday 00:00 in its time zone, holidays as inclusive ``start_date``/``end_date``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")


@dataclass(frozen=True)
class SlaPolicy:
    """A policy applies to tickets of ``priorities``; targets are minutes per priority (None: no target)."""

    id: int
    title: str
    description: str
    position: int
    priorities: tuple[str, ...]
    reply_minutes: dict[str, int]
    resolution_minutes: dict[str, int]
    business_hours: bool = False


SLA_POLICIES: tuple[SlaPolicy, ...] = (
    SlaPolicy(
        id=25_001,
        title="Enterprise SLA",
        description="Enterprise SLA targets",
        position=1,
        priorities=("high", "urgent"),
        reply_minutes={"high": 60, "urgent": 30},
        resolution_minutes={"high": 1440, "urgent": 480},
    ),
    SlaPolicy(
        id=25_002,
        title="Standard SLA",
        description="Standard SLA targets",
        position=2,
        priorities=("low", "normal"),
        reply_minutes={"low": 480, "normal": 240},
        resolution_minutes={"normal": 2880},
    ),
)


def policy_for(priority: str) -> SlaPolicy:
    """The policy Zendesk would apply to a ticket of this priority (the first by position whose filter matches)."""
    for policy in sorted(SLA_POLICIES, key=lambda p: p.position):
        if priority in policy.priorities:
            return policy
    raise KeyError(priority)


@dataclass(frozen=True)
class Holiday:
    id: int
    name: str
    month: int
    day: int


@dataclass(frozen=True)
class Schedule:
    """Weekly business hours: ``intervals`` are ``(start, end)`` minutes from Sunday 00:00 in ``time_zone``."""

    id: int
    name: str
    time_zone: str
    intervals: tuple[tuple[int, int], ...]
    holidays: tuple[Holiday, ...]


_DAY = 24 * 60
SCHEDULE = Schedule(
    id=26_001,
    name="Support hours",
    time_zone="UTC",
    # Monday to Friday, 09:00-17:00.
    intervals=tuple((day * _DAY + 9 * 60, day * _DAY + 17 * 60) for day in range(1, 6)),
    holidays=(
        Holiday(27_001, "New Year's Day", 1, 1),
        Holiday(27_002, "Christmas Day", 12, 25),
        Holiday(27_003, "Boxing Day", 12, 26),
    ),
)


_WEEK = 7 * _DAY * 60  # seconds
_SUNDAY_BEFORE_EPOCH = -4 * _DAY * 60  # 1969-12-28 00:00 UTC, a Sunday
_HOLIDAY_YEARS = range(1970, 2101)


def _holiday_spans(schedule: Schedule) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The business-hour spans holidays remove, as sorted (starts, ends) epochs and the seconds removed before each."""
    spans = []
    for year in _HOLIDAY_YEARS:
        for holiday in schedule.holidays:
            midnight = int(datetime(year, holiday.month, holiday.day, tzinfo=UTC).timestamp())
            week_start = midnight - (midnight - _SUNDAY_BEFORE_EPOCH) % _WEEK
            for start, end in schedule.intervals:
                lo, hi = max(week_start + start * 60, midnight), min(week_start + end * 60, midnight + _DAY * 60)
                if lo < hi:
                    spans.append((lo, hi))
    spans.sort()
    starts = np.array([s for s, _ in spans], dtype=np.int64)
    ends = np.array([e for _, e in spans], dtype=np.int64)
    before = np.concatenate(([0], np.cumsum(ends - starts)))
    return starts, ends, before


_SPANS = _holiday_spans(SCHEDULE)


def business_seconds_before(t: np.ndarray | int, schedule: Schedule = SCHEDULE) -> np.ndarray:
    """Business seconds of ``schedule`` from 1969-12-28 up to each epoch in ``t`` (vectorised; holidays removed).

    Differences of this give business time between two moments: weekly intervals minus the holidays' hours, in the
    schedule's time zone (only UTC schedules are supported: the simulated account has one).
    """
    if schedule.time_zone != "UTC":
        raise ValueError(f"schedule {schedule.name!r}: only UTC schedules are supported, not {schedule.time_zone}")
    starts, ends, before = _SPANS if schedule is SCHEDULE else _holiday_spans(schedule)
    t = np.asarray(t, dtype=np.int64)
    weeks, within = np.divmod(t - _SUNDAY_BEFORE_EPOCH, _WEEK)
    total = np.zeros_like(t)
    weekly = 0
    for start, end in schedule.intervals:
        total += np.clip(within - start * 60, 0, (end - start) * 60)
        weekly += (end - start) * 60
    k = np.searchsorted(ends, t, side="right")  # spans wholly before t
    partial = np.clip(t - starts[np.minimum(k, starts.shape[0] - 1)], 0, None)
    partial = np.where(k < starts.shape[0], np.minimum(partial, (ends - starts)[np.minimum(k, starts.shape[0] - 1)]), 0)
    return weeks * weekly + total - before[k] - partial


def business_minutes(start: np.ndarray | int, end: np.ndarray | int, schedule: Schedule = SCHEDULE) -> np.ndarray:
    """Whole business minutes of ``schedule`` between ``start`` and ``end`` (epochs, vectorised)."""
    return (business_seconds_before(end, schedule) - business_seconds_before(start, schedule)) // 60
