"""The named analytics on the scenario: names from the reference tables, exactly as the scenario's lists give them."""

from __future__ import annotations

import duckdb

from . import reference_scenario as ref
from .conftest import rows


def test_workload_by_group_carries_each_groups_name_and_sums_its_assignees(con: duckdb.DuckDBPyConnection) -> None:
    named = rows(con, "SELECT * FROM analytics.workload_by_group_daily")
    per_assignee = rows(
        con,
        "SELECT day, group_id, sum(tickets_touched) AS touched FROM analytics.workload_daily GROUP BY ALL",
    )
    assert {(r["day"], r["group_id"]): r["touched"] for r in per_assignee} == {
        (r["day"], r["group_id"]): r["tickets_touched"] for r in named
    }
    assert {r["group_id"]: r["group_name"] for r in named} == {
        g: ref.GROUPS.get(g) for g in {r["group_id"] for r in named}
    }
    assert {10, 20} <= {r["group_id"] for r in named}


def test_sla_breaches_name_the_policy_as_its_list_does_now(con: duckdb.DuckDBPyConnection) -> None:
    named = rows(con, "SELECT * FROM analytics.sla_breaches_by_policy")
    targets = rows(con, "SELECT policy_id, metric, count(*) AS n FROM analytics.ticket_sla_targets GROUP BY ALL")
    assert {(r["policy_id"], r["metric"]): r["targets"] for r in named} == {
        (r["policy_id"], r["metric"]): r["n"] for r in targets
    }
    assert {r["policy_id"]: r["policy_title"] for r in named} == {
        p: ref.POLICY_TITLES[p] for p in {r["policy_id"] for r in named}
    }  # "Standard (renamed)", not the events' "Standard"


def test_custom_field_values_in_long_format_with_titles_and_labels(con: duckdb.DuckDBPyConnection) -> None:
    got = {
        (r["ticket_id"], r["field_id"], r["value"], r["field_title"], r["option_label"])
        for r in rows(con, "SELECT * FROM analytics.ticket_custom_field_values")
    }
    titles = {ref.REGION: "Region", ref.TAGS: "Tags"}
    expected = {
        (ticket, f["id"], value, titles[f["id"]], ref.OPTION_LABELS[f["id"]].get(value))
        for ticket, fields in ref.CUSTOM_FIELDS.items()
        for f in fields
        if f["value"] is not None
        for value in (f["value"] if isinstance(f["value"], list) else [f["value"]])
    }
    assert got == expected and (6, ref.REGION, "nowhere", "Region", None) in got


def test_satisfaction_by_the_day_each_rating_was_given(con: duckdb.DuckDBPyConnection) -> None:
    got = rows(con, "SELECT * FROM analytics.satisfaction_ratings_daily ORDER BY day, group_id")
    assert [(str(r["day"]), r["group_name"], r["good"], r["bad"], r["with_comment"]) for r in got] == [
        ("2024-03-05", "Tier 1", 1, 0, 1),
        ("2024-03-06", "Escalations", 1, 1, 0),
    ]
    assert got[1]["satisfaction_score"] == 0.5
