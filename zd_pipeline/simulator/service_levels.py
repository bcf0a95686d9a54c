"""The simulated account's service levels: its SLA policies and its business-hours schedule.

One definition serves every part of the simulator that needs it: the ticket metric events (targets by priority,
business time) and the list endpoints that show the policies and the schedule as Zendesk's API does
(``/api/v2/slas/policies``, ``/api/v2/business_hours/schedules`` and a schedule's ``holidays``). Shapes follow
Zendesk's reference objects: a policy's ``filter`` and ``policy_metrics`` (targets in minutes), a schedule's
``intervals`` in minutes from Sunday 00:00 in its time zone, holidays as inclusive ``start_date``/``end_date``.
"""

from __future__ import annotations

from dataclasses import dataclass

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
