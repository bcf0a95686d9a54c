from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import duckdb
import pytest

from . import scenario
from .conftest import rows


def _expected_targets() -> dict[tuple[int, str, int], dict[str, Any]]:
    """Per metric instance: the latest policy applied, the first apply time, the first breach not withdrawn."""
    applied: dict[tuple[int, str, int], list[scenario.MetricEvent]] = defaultdict(list)
    breaches: dict[tuple[int, str, int], list[datetime]] = defaultdict(list)
    for event in scenario.METRIC_EVENTS:
        key = (event.ticket, event.metric, event.instance)
        if event.type == "apply_sla":
            applied[key].append(event)
        elif event.type == "breach" and not event.deleted:
            breaches[key].append(event.when)
    expected = {}
    for key, events in applied.items():
        if key[0] in scenario.DELETED_AT:
            continue
        latest = max(events, key=lambda e: e.when).sla or {}
        expected[key] = {
            "policy_id": latest["policy"]["id"],
            "policy_title": latest["policy"]["title"],
            "target_minutes": float(latest["target"]),
            "business_hours": latest["business_hours"],
            "applied_at": min(e.when for e in events),
            "breached_at": min(breaches[key]) if breaches[key] else None,
            "is_breached": bool(breaches[key]),
        }
    return expected


def test_one_row_per_sla_target_with_policy_in_force_and_breach(con: duckdb.DuckDBPyConnection) -> None:
    table = {
        (r.pop("ticket_id"), r.pop("metric"), r.pop("instance_id")): r
        for r in rows(
            con,
            "SELECT ticket_id, metric, instance_id, policy_id, policy_title, target_minutes, business_hours, "
            "applied_at, breached_at, is_breached FROM analytics.ticket_sla_targets",
        )
    }
    assert table == _expected_targets()


def test_breaches_per_policy_metric_and_day_with_share_of_tickets(con: duckdb.DuckDBPyConnection) -> None:
    groups: dict[tuple[Any, ...], list[tuple[int, bool]]] = defaultdict(list)
    for (ticket, metric, _), target in _expected_targets().items():
        groups[(target["applied_at"].date(), target["policy_id"], metric)].append((ticket, target["is_breached"]))
    expected = {}
    for key, members in groups.items():
        tickets = {t for t, _ in members}
        breached = {t for t, b in members if b}
        expected[key] = {
            "targets": len(members),
            "targets_breached": sum(b for _, b in members),
            "tickets": len(tickets),
            "tickets_breached": len(breached),
            "breach_rate": pytest.approx(len(breached) / len(tickets)),
        }
    table = {
        (r.pop("day"), r.pop("policy_id"), r.pop("metric")): r
        for r in rows(
            con,
            "SELECT day, policy_id, metric, targets, targets_breached, tickets, tickets_breached, breach_rate "
            "FROM analytics.sla_breaches_daily",
        )
    }
    assert table == expected


def test_withdrawn_breaches_and_deleted_tickets_do_not_count(con: duckdb.DuckDBPyConnection) -> None:
    t3 = rows(con, "SELECT is_breached, policy_title FROM analytics.ticket_sla_targets WHERE ticket_id = 3")
    assert t3 == [{"is_breached": False, "policy_title": "VIP Plus"}]
    assert con.execute("SELECT count(*) FROM analytics.ticket_sla_targets WHERE ticket_id = 4").fetchone()[0] == 0
