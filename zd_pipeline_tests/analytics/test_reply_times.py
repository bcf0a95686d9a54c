from __future__ import annotations

from datetime import datetime
from itertools import pairwise

import duckdb

from . import scenario
from .conftest import rows


def _events(ticket: int, metric: str, kind: str, instance: int | None = None) -> list[scenario.MetricEvent]:
    return sorted(
        (
            e
            for e in scenario.METRIC_EVENTS
            if e.ticket == ticket
            and e.metric == metric
            and e.type == kind
            and (instance is None or e.instance == instance)
        ),
        key=lambda e: e.when,
    )


def _minutes(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60


def _reported(ticket: int, metric: str, pick: int, instance: int | None = None) -> tuple[float, float] | None:
    """Zendesk's own figure (update_status), calendar and business; ``pick`` 0 = first, -1 = latest."""
    updates = _events(ticket, metric, "update_status", instance)
    if not updates:
        return None
    status = updates[pick].status or {}
    return float(status["calendar"]), float(status["business"])


def _running_minutes(ticket: int, metric: str) -> float | None:
    """Minutes the metric's clock ran (activate → pause / fulfill), once fulfilled."""
    clock = sorted(
        (
            e
            for e in scenario.METRIC_EVENTS
            if e.ticket == ticket and e.metric == metric and e.type in ("activate", "pause", "fulfill")
        ),
        key=lambda e: e.when,
    )
    if not any(e.type == "fulfill" for e in clock):
        return None
    return sum(_minutes(a.when, b.when) for a, b in pairwise(clock) if a.type == "activate")


def _expected(ticket: int) -> dict[str, float | None]:
    expected: dict[str, float | None] = {}

    def put(name: str, reported: tuple[float, float] | None, measured: float | None) -> None:
        expected[f"{name}_minutes"] = reported[0] if reported else measured
        expected[f"{name}_business_minutes"] = reported[1] if reported else None

    starts = _events(ticket, "reply_time", "activate", 1)
    replies = _events(ticket, "reply_time", "fulfill", 1)
    put(
        "first_reply",
        _reported(ticket, "reply_time", 0, 1),
        _minutes(starts[0].when, replies[0].when) if starts and replies else None,
    )
    started = _events(ticket, "resolution_time", "activate")
    solved = _events(ticket, "resolution_time", "fulfill")
    put(
        "first_resolution",
        _reported(ticket, "resolution_time", 0),
        _minutes(started[0].when, solved[0].when) if started and solved else None,
    )
    put(
        "full_resolution",
        _reported(ticket, "resolution_time", -1),
        _minutes(started[0].when, solved[-1].when) if started and solved else None,
    )
    put("requester_wait", _reported(ticket, "requester_wait_time", -1), _running_minutes(ticket, "requester_wait_time"))
    put("agent_work", _reported(ticket, "agent_work_time", -1), _running_minutes(ticket, "agent_work_time"))
    return expected


def test_times_per_ticket_follow_the_metric_events(con: duckdb.DuckDBPyConnection) -> None:
    table = {r["ticket_id"]: r for r in rows(con, "SELECT * FROM analytics.ticket_reply_times")}
    live_tickets = {*scenario.replay().state, *scenario.UNAUDITED_TICKETS} - set(scenario.DELETED_AT)
    assert set(table) == live_tickets  # the deleted ticket is left out
    for ticket in live_tickets:
        expected = _expected(ticket)
        assert {name: table[ticket][name] for name in expected} == expected, ticket


def test_times_are_measured_from_clock_events_when_zendesk_reports_none(con: duckdb.DuckDBPyConnection) -> None:
    row = rows(con, "SELECT * FROM analytics.ticket_reply_times WHERE ticket_id = 6")[0]
    assert row["first_reply_minutes"] == 45.0
    assert row["full_resolution_minutes"] == 300.0
    assert row["agent_work_minutes"] == row["requester_wait_minutes"] == 180.0  # 2 h pending left out
    assert row["first_reply_business_minutes"] is None  # needs the account's schedule: only Zendesk knows


def test_a_reopened_ticket_has_distinct_first_and_full_resolution(con: duckdb.DuckDBPyConnection) -> None:
    row = rows(con, "SELECT * FROM analytics.ticket_reply_times WHERE ticket_id = 2")[0]
    assert row["first_resolved_at"] == scenario.at(2, 12)
    assert row["full_resolved_at"] == scenario.at(3, 15)
    assert row["first_resolution_minutes"] < row["full_resolution_minutes"]
    assert row["first_reply_business_minutes"] < row["first_reply_minutes"]  # business hours differ from calendar


def test_the_next_reply_is_not_taken_for_the_first(con: duckdb.DuckDBPyConnection) -> None:
    row = rows(con, "SELECT first_reply_at, first_reply_minutes FROM analytics.ticket_reply_times WHERE ticket_id = 1")
    assert row == [{"first_reply_at": scenario.at(0, 9, 30), "first_reply_minutes": 30.0}]
