"""A bigger smoke: the simulator's small account (thousands of tickets, audits and metric events) through the real
warehouse, every analytics table built, and each table's totals checked against the simulator's ground truth."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from zd_pipeline.analytics import TABLES, build_all
from zd_pipeline.catalogue import STREAMS
from zd_pipeline.checkpoint import Checkpoint, ResumePoint
from zd_pipeline.clock import ManualClock
from zd_pipeline.simulator import Simulator
from zd_pipeline.warehouse import Warehouse

from . import recompute

NOW = 1_790_000_000  # a fixed simulator clock: the account is the same on every run
READ = ("tickets", "ticket_events", "ticket_metric_events", "users")


@pytest.fixture(scope="module")
def truth() -> dict[str, list[dict[str, Any]]]:
    simulator = Simulator(scale="small", seed=3, clock=ManualClock(NOW))
    return {name: simulator.truth(name) for name in READ}


@pytest.fixture(scope="module")
def con(
    truth: dict[str, list[dict[str, Any]]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[duckdb.DuckDBPyConnection]:
    warehouse = Warehouse(Path(tmp_path_factory.mktemp("sim")) / "sim.duckdb")
    warehouse.ensure_tables()
    for name, records in truth.items():
        checkpoint = Checkpoint(name, 0, NOW, ResumePoint(start_time=NOW), complete=True)
        warehouse.apply_page(STREAMS[name], records, checkpoint)
    with warehouse.write() as connection:
        build_all(connection, TABLES, "main", "analytics")
    connection = duckdb.connect(str(warehouse.path), read_only=True)
    yield connection
    connection.close()


def _live(truth: dict[str, list[dict[str, Any]]]) -> dict[int, dict[str, Any]]:
    return {t["id"]: t for t in truth["tickets"] if t["status"] != "deleted"}


def test_the_backlog_ends_on_every_tickets_current_status(con, truth) -> None:
    latest = dict(
        con.execute(
            "SELECT status, tickets FROM analytics.ticket_backlog_daily WHERE tickets > 0 "
            "AND day = (SELECT max(day) FROM analytics.ticket_backlog_daily)"
        ).fetchall()
    )
    assert latest == Counter(t["status"] for t in truth["tickets"])
    assert len(truth["tickets"]) > 1000


def test_field_history_holds_every_create_and_change(con, truth) -> None:
    expected = Counter(
        child["field_name"]
        for audit in truth["ticket_events"]
        for child in audit.get("child_events") or []
        if child.get("event_type") in ("Create", "Change") and child.get("field_name")
    )
    actual = dict(con.execute("SELECT field_name, count(*) FROM analytics.ticket_field_history GROUP BY 1").fetchall())
    assert actual == expected


def test_reply_times_cover_every_replied_live_ticket(con, truth) -> None:
    live = _live(truth)
    replied = {
        e["ticket_id"]
        for e in truth["ticket_metric_events"]
        if e["metric"] == "reply_time" and e["instance_id"] == 1 and e["type"] in ("fulfill", "update_status")
    }
    measured = {
        r[0]
        for r in con.execute(
            "SELECT ticket_id FROM analytics.ticket_reply_times WHERE first_reply_minutes IS NOT NULL"
        ).fetchall()
    }
    assert measured == replied & set(live)
    negative = con.execute(
        "SELECT count(*) FROM analytics.ticket_reply_times WHERE first_reply_minutes < 0 OR full_resolution_minutes < 0"
    ).fetchone()[0]
    assert negative == 0


def test_sla_targets_and_breaches_match_the_metric_events(con, truth) -> None:
    live = _live(truth)
    applied = {
        (e["ticket_id"], e["metric"])
        for e in truth["ticket_metric_events"]
        if e["type"] == "apply_sla" and e["ticket_id"] in live
    }
    breached = {
        (e["ticket_id"], e["metric"])
        for e in truth["ticket_metric_events"]
        if e["type"] == "breach" and not e.get("deleted") and e["ticket_id"] in live
    }
    totals = con.execute("SELECT sum(targets), sum(targets_breached) FROM analytics.sla_breaches_daily").fetchone()
    assert totals == (len(applied), len(breached & applied))


def test_workload_counts_each_solve_once_per_ticket_and_day(con, truth) -> None:
    solves = {
        (audit["ticket_id"], datetime.fromtimestamp(audit["timestamp"], UTC).date())
        for audit in truth["ticket_events"]
        for child in audit.get("child_events") or []
        if child.get("field_name") == "status" and child.get("value") == "solved"
    }
    per_day = Counter(day for _, day in solves)
    actual = dict(
        con.execute(
            "SELECT day, sum(tickets_solved) FROM analytics.workload_daily GROUP BY day HAVING sum(tickets_solved) > 0"
        ).fetchall()
    )
    assert actual == per_day  # no ticket's assignee is split within a day in the simulator's lifecycles


def test_satisfaction_counts_every_live_rating(con, truth) -> None:
    scores = Counter((t.get("satisfaction_rating") or {}).get("score") for t in _live(truth).values())
    totals = con.execute(
        "SELECT sum(good), sum(bad), sum(offered), sum(unoffered) FROM analytics.satisfaction_daily"
    ).fetchone()
    assert totals == (scores["good"], scores["bad"], scores["offered"], scores["unoffered"])


def _table(con, sql: str, key: int) -> dict[Any, dict[str, Any]]:
    """Rows keyed by their first ``key`` columns; timestamps as epoch seconds."""
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    out = {}
    for row in cursor.fetchall():
        values = [int(v.timestamp()) if isinstance(v, datetime) else v for v in row]
        out[values[0] if key == 1 else tuple(values[:key])] = dict(zip(names[key:], values[key:], strict=True))
    return out


def test_reply_times_equal_a_plain_python_recomputation(con, truth) -> None:
    expected = recompute.reply_times(truth)
    columns = ", ".join(next(iter(expected.values())))
    actual = _table(con, f"SELECT ticket_id, {columns} FROM analytics.ticket_reply_times", 1)
    assert actual == expected
    assert sum(r["first_reply_business_minutes"] is not None for r in actual.values()) > 1000


def test_sla_tables_equal_a_plain_python_recomputation(con, truth) -> None:
    expected = recompute.sla_targets(truth, now=int(time.time()))
    columns = ", ".join(next(iter(expected.values())))
    actual = _table(con, f"SELECT ticket_id, metric, instance_id, {columns} FROM analytics.ticket_sla_targets", 3)
    assert actual == expected
    daily = _table(con, "SELECT * EXCLUDE (policy_title) FROM analytics.sla_breaches_daily", 3)
    assert daily == recompute.sla_daily(expected)
    breached = sum(t["is_breached"] for t in expected.values())
    assert 0 < breached < len(expected)


def test_workload_equals_a_plain_python_recomputation(con, truth) -> None:
    actual = _table(con, "SELECT * FROM analytics.workload_daily", 3)
    assert actual == recompute.workload(truth)


def test_field_history_and_backlog_equal_a_plain_python_recomputation(con, truth) -> None:
    history = _table(
        con, "SELECT audit_id, event_index, * EXCLUDE (audit_id, event_index) FROM analytics.ticket_field_history", 2
    )
    assert history == recompute.field_history(truth)
    backlog = _table(con, "SELECT * FROM analytics.ticket_backlog_daily", 2)
    assert backlog == recompute.backlog(truth)
