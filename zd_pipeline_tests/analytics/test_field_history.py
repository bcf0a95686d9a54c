from __future__ import annotations

from collections import Counter

import duckdb

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
