from __future__ import annotations

import duckdb

from . import scenario
from .conftest import rows


def _status_updates(ticket: int, metric: str, instance: int | None = None) -> list[scenario.MetricEvent]:
    return sorted(
        (
            e
            for e in scenario.METRIC_EVENTS
            if e.ticket == ticket
            and e.metric == metric
            and e.type == "update_status"
            and (instance is None or e.instance == instance)
        ),
        key=lambda e: e.when,
    )


def _minutes(events: list[scenario.MetricEvent], pick: int) -> tuple[float | None, float | None]:
    if not events:
        return None, None
    status = events[pick].status or {}
    return float(status["calendar"]), float(status["business"])


def test_times_per_ticket_follow_the_metric_events(con: duckdb.DuckDBPyConnection) -> None:
    table = {r["ticket_id"]: r for r in rows(con, "SELECT * FROM analytics.ticket_reply_times")}
    live_tickets = {1, 2, 3, *scenario.UNAUDITED_TICKETS}
    assert set(table) == live_tickets  # the deleted ticket is left out
    for ticket in live_tickets:
        row = table[ticket]
        checks = {
            ("first_reply_minutes", "first_reply_business_minutes"): _minutes(
                _status_updates(ticket, "reply_time", 1), 0
            ),
            ("first_resolution_minutes", "first_resolution_business_minutes"): _minutes(
                _status_updates(ticket, "resolution_time"), 0
            ),
            ("full_resolution_minutes", "full_resolution_business_minutes"): _minutes(
                _status_updates(ticket, "resolution_time"), -1
            ),
            ("requester_wait_minutes", "requester_wait_business_minutes"): _minutes(
                _status_updates(ticket, "requester_wait_time"), -1
            ),
            ("agent_work_minutes", "agent_work_business_minutes"): _minutes(
                _status_updates(ticket, "agent_work_time"), -1
            ),
        }
        for (calendar, business), (want_calendar, want_business) in checks.items():
            assert (row[calendar], row[business]) == (want_calendar, want_business), (ticket, calendar)


def test_a_reopened_ticket_has_distinct_first_and_full_resolution(con: duckdb.DuckDBPyConnection) -> None:
    row = rows(con, "SELECT * FROM analytics.ticket_reply_times WHERE ticket_id = 2")[0]
    assert row["first_resolved_at"] == scenario.at(2, 12)
    assert row["full_resolved_at"] == scenario.at(3, 15)
    assert row["first_resolution_minutes"] < row["full_resolution_minutes"]
    assert row["first_reply_business_minutes"] < row["first_reply_minutes"]  # business hours differ from calendar


def test_the_next_reply_is_not_taken_for_the_first(con: duckdb.DuckDBPyConnection) -> None:
    row = rows(con, "SELECT first_reply_at, first_reply_minutes FROM analytics.ticket_reply_times WHERE ticket_id = 1")
    assert row == [{"first_reply_at": scenario.at(0, 9, 30), "first_reply_minutes": 30.0}]
