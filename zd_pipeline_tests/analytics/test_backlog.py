from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from zd_pipeline.analytics import build_all, get_table
from zd_pipeline.analytics.backlog import UNSOLVED
from zd_pipeline.warehouse import Warehouse

from . import scenario
from .conftest import rows


def _status_timelines() -> dict[int, list[tuple[datetime, str]]]:
    """Each ticket's (when, status) steps, straight from the story and the facts no audit carries."""
    timelines: dict[int, list[tuple[datetime, str]]] = {}
    for change in scenario.replay().changes:
        if change["field"] == "status":
            timelines.setdefault(change["ticket"], []).append((change["when"], change["value"]))
    for ticket, when in scenario.DELETED_AT.items():
        timelines[ticket].append((when, "deleted"))
    for ticket, facts in scenario.UNAUDITED_TICKETS.items():
        timelines[ticket] = [(facts["created_at"], facts["status"])]
    return timelines


def _expected_end_of_day_counts() -> dict[tuple[date, str], int]:
    timelines = _status_timelines()
    days = sorted({when.date() for steps in timelines.values() for when, _ in steps})
    counts: Counter[tuple[date, str]] = Counter()
    day = days[0]
    while day <= days[-1]:
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=scenario.D0.tzinfo)
        for steps in timelines.values():
            before = [status for when, status in steps if when < end]
            if before:
                counts[(day, before[-1])] += 1
        day += timedelta(days=1)
    return dict(counts)


def test_tickets_per_status_at_each_days_end_match_a_replay_of_the_story(con: duckdb.DuckDBPyConnection) -> None:
    expected = _expected_end_of_day_counts()
    actual = {
        (r["day"], r["status"]): r["tickets"]
        for r in rows(con, "SELECT day, status, tickets FROM analytics.ticket_backlog_daily WHERE tickets > 0")
    }
    assert actual == expected
    # The scenario exercises what a snapshot cannot show: a reopened ticket, a deletion, a ticket without audits.
    assert expected[(scenario.at(1, 0).date(), "open")] == 2
    assert expected[(scenario.at(3, 0).date(), "deleted")] == 1


def test_entered_and_exited_count_status_moves_per_day(con: duckdb.DuckDBPyConnection) -> None:
    entered: Counter[tuple[date, str]] = Counter()
    exited: Counter[tuple[date, str]] = Counter()
    for steps in _status_timelines().values():
        for (when, status), following in zip(steps, [*steps[1:], None], strict=True):
            entered[(when.date(), status)] += 1
            if following is not None:
                exited[(following[0].date(), status)] += 1
    table = rows(con, "SELECT day, status, entered, exited FROM analytics.ticket_backlog_daily")
    assert {(r["day"], r["status"]): r["entered"] for r in table if r["entered"]} == dict(entered)
    assert {(r["day"], r["status"]): r["exited"] for r in table if r["exited"]} == dict(exited)


def test_the_latest_day_agrees_with_the_tickets_current_status(con: duckdb.DuckDBPyConnection) -> None:
    latest = {
        r["status"]: r["tickets"]
        for r in rows(
            con,
            "SELECT status, tickets FROM analytics.ticket_backlog_daily "
            "WHERE day = (SELECT max(day) FROM analytics.ticket_backlog_daily) AND tickets > 0",
        )
    }
    current = dict(con.execute("SELECT status, count(*) FROM tickets GROUP BY status").fetchall())
    assert latest == current


def test_the_calendar_is_dense_so_quiet_days_still_have_rows(con: duckdb.DuckDBPyConnection) -> None:
    per_day = con.execute(
        "SELECT count(DISTINCT day), min(day), max(day), count(*) FROM analytics.ticket_backlog_daily"
    ).fetchone()
    days, first, last, total = per_day
    assert days == (last - first).days + 1
    statuses = con.execute("SELECT count(DISTINCT status) FROM analytics.ticket_backlog_daily").fetchone()[0]
    assert total == days * statuses
    present = con.execute("SELECT DISTINCT status FROM analytics.ticket_backlog_daily").fetchall()
    assert set(UNSOLVED) <= {status for (status,) in present}


def test_history_that_starts_mid_life_still_counts_the_ticket_from_its_creation(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    data = scenario.records()
    creates = [
        a for a in data["ticket_events"] if a["ticket_id"] == 2 and a["child_events"][0]["event_type"] == "Create"
    ]
    assert creates and creates[0]["timestamp"] < scenario.at(1, 0).timestamp()  # T2 was new for all of D0
    data["ticket_events"] = [a for a in data["ticket_events"] if a not in creates]
    warehouse = Warehouse(tmp_path / "partial.duckdb")
    scenario.load(warehouse, data)
    with warehouse.write() as partial:
        build_all(partial, [get_table("ticket_field_history"), get_table("ticket_backlog_daily")], "main", "analytics")
        cut = partial.execute("SELECT day, status, tickets FROM analytics.ticket_backlog_daily ORDER BY ALL").fetchall()
    full = con.execute("SELECT day, status, tickets FROM analytics.ticket_backlog_daily ORDER BY ALL").fetchall()
    assert cut == full
