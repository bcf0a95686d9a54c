from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest

from . import scenario
from .conftest import rows


def _expected_targets() -> dict[tuple[int, str, int], dict[str, Any]]:
    """Per metric instance: the latest policy applied, the first apply time, and a breach only when the first breach
    not withdrawn came before the fulfilment (the latest clock event, if a fulfill) or, still running, before now."""
    applied: dict[tuple[int, str, int], list[scenario.MetricEvent]] = defaultdict(list)
    breaches: dict[tuple[int, str, int], list[datetime]] = defaultdict(list)
    clock: dict[tuple[int, str, int], list[scenario.MetricEvent]] = defaultdict(list)
    for event in scenario.METRIC_EVENTS:
        key = (event.ticket, event.metric, event.instance)
        if event.type == "apply_sla":
            applied[key].append(event)
        elif event.type == "breach" and not event.deleted:
            breaches[key].append(event.when)
        elif event.type in ("activate", "pause", "fulfill"):
            clock[key].append(event)
    now = datetime.now(UTC)
    fulfilled: dict[tuple[int, str, int], datetime | None] = {}
    for key in applied:
        latest = max(clock[key], key=lambda e: e.when) if clock[key] else None
        fulfilled[key] = latest.when if latest is not None and latest.type == "fulfill" else None
    for key, times in breaches.items():
        first = min(times)
        breaches[key] = [first] if first < (fulfilled.get(key) or now) else []
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
            "fulfilled_at": fulfilled[key],
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
            "applied_at, fulfilled_at, breached_at, is_breached FROM analytics.ticket_sla_targets",
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


def test_a_breach_counts_only_before_the_fulfilment_or_now(con: duckdb.DuckDBPyConnection) -> None:
    # T2: reply due D0 11:00, replied D1 08:00: breached at 11:00. T7: breach event at 10:30 not flagged withdrawn,
    # but the public reply came at 10:00: not breached. T9: breach scheduled in 2099: not breached (yet).
    table = {
        (r["ticket_id"], r["metric"]): (r["breached_at"], r["is_breached"])
        for r in rows(con, "SELECT ticket_id, metric, breached_at, is_breached FROM analytics.ticket_sla_targets")
    }
    assert table[(2, "reply_time")] == (scenario.at(0, 11), True)
    assert table[(7, "reply_time")] == (None, False)
    assert table[(9, "resolution_time")] == (None, False)
