from __future__ import annotations

from collections import defaultdict
from datetime import date

import duckdb

from . import scenario
from .conftest import rows


def _expected() -> dict[tuple[date, int | None, int | None], dict[str, int]]:
    """Replay the story: each agent's commented update and each solve credited to the assignee and group right after
    it; deleted tickets left out."""
    state: dict[int, dict[str, object]] = {}
    touched: dict[tuple, set[int]] = defaultdict(set)
    updates: dict[tuple, int] = defaultdict(int)
    solved: dict[tuple, set[int]] = defaultdict(set)
    for update in sorted(scenario.UPDATES, key=lambda u: u.when):
        ticket = state.setdefault(update.ticket, {})
        ticket.update(update.changes)
        key = (update.when.date(), ticket.get("assignee_id"), ticket.get("group_id"))
        if update.ticket in scenario.DELETED_AT:
            continue
        if update.by in scenario.AGENTS and update.comment:
            touched[key].add(update.ticket)
            updates[key] += 1
        if update.changes.get("status") == "solved":
            solved[key].add(update.ticket)
    return {
        key: {
            "tickets_solved": len(solved.get(key, ())),
            "tickets_touched": len(touched.get(key, ())),
            "agent_comments": updates.get(key, 0),
        }
        for key in set(touched) | set(solved)
    }


def test_solved_and_touched_per_assignee_group_and_day(con: duckdb.DuckDBPyConnection) -> None:
    table = {
        (r.pop("day"), r.pop("assignee_id"), r.pop("group_id")): r
        for r in rows(con, "SELECT * FROM analytics.workload_daily")
    }
    assert table == _expected()


def test_credit_goes_to_the_assignment_at_the_time_not_today(con: duckdb.DuckDBPyConnection) -> None:
    # T2 was touched by agent 101 in group 10 on D1, and belongs to agent 100 in group 20 today.
    d1 = rows(
        con,
        f"SELECT assignee_id, group_id FROM analytics.workload_daily WHERE day = DATE '{scenario.at(1, 0).date()}' "
        "AND assignee_id = 101",
    )
    assert {"assignee_id": 101, "group_id": 10} in d1


def test_system_end_user_and_field_only_updates_are_not_touches(con: duckdb.DuckDBPyConnection) -> None:
    total = con.execute("SELECT sum(agent_comments) FROM analytics.workload_daily").fetchone()[0]
    assert total == sum(update.by in scenario.AGENTS and update.comment for update in scenario.UPDATES)
    # T2's reassignment by admin 102 (no comment) credits nobody; T3's hold is a field-only update too.
    assert total < sum(update.by in scenario.AGENTS for update in scenario.UPDATES)


def test_merged_ticket_is_touched_but_never_solved(con: duckdb.DuckDBPyConnection) -> None:
    # T8 was closed by a merge by agent 101 on D3: a touch, not a solve.
    d3 = rows(
        con,
        "SELECT tickets_solved, tickets_touched FROM analytics.workload_daily "
        f"WHERE day = DATE '{scenario.at(3, 0).date()}' AND assignee_id = 101",
    )
    assert d3 == [{"tickets_solved": 0, "tickets_touched": 2}]  # T8 and T9
