from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb

from zd_pipeline.analytics import build_table, get_table
from zd_pipeline.warehouse import Warehouse

from . import scenario
from .conftest import rows


def test_one_row_per_field_value_set_with_previous_value_time_and_author(con: duckdb.DuckDBPyConnection) -> None:
    expected = Counter(
        (
            c["ticket"],
            c["field"],
            None if c["value"] is None else str(c["value"]),
            None if c["previous"] is None else str(c["previous"]),
            c["when"],
            c["by"],
            c["event_type"],
        )
        for c in scenario.replay().changes
    )
    actual = Counter(
        (
            r["ticket_id"],
            r["field_name"],
            r["value"],
            r["previous_value"],
            r["changed_at"],
            r["changed_by"],
            r["event_type"],
        )
        for r in rows(con, "SELECT * FROM analytics.ticket_field_history")
    )
    assert actual == expected


def test_comments_are_not_field_changes(con: duckdb.DuckDBPyConnection) -> None:
    comments = sum(update.comment for update in scenario.UPDATES)
    assert comments > 0
    changes = con.execute("SELECT count(*) FROM analytics.ticket_field_history").fetchone()[0]
    assert changes == sum(len(update.changes) for update in scenario.UPDATES)


def test_changes_in_one_audit_keep_their_order(con: duckdb.DuckDBPyConnection) -> None:
    audit = rows(
        con,
        "SELECT field_name, event_index FROM analytics.ticket_field_history "
        "WHERE ticket_id = 2 AND changed_by = 102 ORDER BY event_index",
    )
    assert [r["field_name"] for r in audit] == ["assignee_id", "group_id"]
    assert [r["event_index"] for r in audit] == [0, 1]


def test_odd_child_events_are_skipped_not_fatal(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "odd.duckdb")
    data = scenario.records()
    epoch = int(scenario.at(4, 0).timestamp())
    data["ticket_events"] += [
        {"id": 901, "ticket_id": 1, "timestamp": epoch, "child_events": None},
        {"id": 902, "ticket_id": 1, "timestamp": epoch, "child_events": [1, "x", None, {"event_type": "Comment"}]},
        {"id": 903, "ticket_id": 1, "timestamp": epoch, "child_events": {"not": "a list"}},
        {"id": 904, "ticket_id": 1, "timestamp": epoch, "child_events": [{"event_type": "Change", "value": "x"}]},
        {
            "id": 905,
            "ticket_id": 1,
            "timestamp": epoch,
            "updater_id": 100,
            "child_events": [{"event_type": "Change", "field_name": "tags", "value": ["a", "b"], "previous_value": []}],
        },
    ]
    scenario.load(warehouse, data)
    with warehouse.write() as con:
        build_table(con, get_table("ticket_field_history"), "main", "analytics")
        odd = rows(
            con,
            "SELECT audit_id, field_name, value, previous_value FROM analytics.ticket_field_history "
            "WHERE audit_id > 900",
        )
    assert odd == [{"audit_id": 905, "field_name": "tags", "value": '["a","b"]', "previous_value": "[]"}]
