"""Workload per assignee, group and UTC day: tickets solved and tickets touched by agents.

Attribution: each event counts for the ticket's assignee and group *at that moment*, reconstructed from the field
history with an ``ASOF`` join (the latest ``assignee_id`` / ``group_id`` value set at or before the event), not
from today's assignment. Before a ticket's first recorded change the value is that change's ``previous_value``;
a ticket with no recorded change of the field uses its current value.

- solved: a status set to ``solved`` (a ticket solved twice in a day counts once that day; a ticket closed by a
  merge was never solved);
- touched: an audit in which an agent or admin (``users.role``) commented, publicly or privately (a ``Comment``
  child event, or ``comment_present`` on the children when comments were not side-loaded). Field-only updates are
  not work on the ticket: an admin's bulk update (tags, say) would otherwise be credited to every assignee it
  touched. ``agent_comments`` counts those audits.
Tickets deleted since are left out. ``tickets_touched`` / ``tickets_solved`` are distinct tickets *per day*: a
ticket touched on three days counts on each of them, so summing the column over days counts ticket-days, not
tickets. :data:`ATTRIBUTED` (one row per touch or solve, with its credited assignee and group) is what to count
distinct tickets over a longer period from.

Full rebuild each time (ASOF joins are one sort-merge pass; seconds at millions of audits).
"""

from __future__ import annotations

from pathlib import Path

from zd_pipeline.catalogue import Column

from .model import AnalyticsTable, Headline

NAME = "workload_daily"

SQL = """
WITH history AS (
    SELECT ticket_id, field_name, value, previous_value, changed_at, audit_id, event_index
    FROM {analytics}.ticket_field_history
    WHERE field_name IN ('assignee_id', 'group_id', 'status')
),
settled AS (
    SELECT ticket_id, field_name, value, changed_at
    FROM history
    QUALIFY row_number() OVER (
        PARTITION BY ticket_id, field_name, changed_at ORDER BY audit_id DESC, event_index DESC
    ) = 1
),
before_history AS (
    SELECT ticket_id, field_name, previous_value AS value
    FROM history
    WHERE field_name IN ('assignee_id', 'group_id')
    QUALIFY row_number() OVER (PARTITION BY ticket_id, field_name ORDER BY changed_at, audit_id, event_index) = 1
),
current_values AS (
    SELECT t.id AS ticket_id, f.field_name,
           CAST(CASE f.field_name WHEN 'assignee_id' THEN t.assignee_id ELSE t.group_id END AS VARCHAR) AS value
    FROM {raw}.tickets t
    CROSS JOIN (VALUES ('assignee_id'), ('group_id')) f(field_name)
    ANTI JOIN before_history b ON b.ticket_id = t.id AND b.field_name = f.field_name
),
timeline AS (
    SELECT ticket_id, field_name, TRY_CAST(value AS BIGINT) AS value, changed_at AS since
    FROM settled WHERE field_name IN ('assignee_id', 'group_id')
    UNION ALL
    SELECT ticket_id, field_name, TRY_CAST(value AS BIGINT), TIMESTAMPTZ '-infinity' FROM before_history
    UNION ALL
    SELECT ticket_id, field_name, TRY_CAST(value AS BIGINT), TIMESTAMPTZ '-infinity' FROM current_values
),
assignees AS (SELECT ticket_id, since, value AS assignee_id FROM timeline WHERE field_name = 'assignee_id'),
groups AS (SELECT ticket_id, since, value AS group_id FROM timeline WHERE field_name = 'group_id'),
agents AS (SELECT id FROM {raw}.users WHERE role IN ('agent', 'admin')),
activity AS (
    SELECT e.ticket_id, coalesce(e.created_at, to_timestamp(e."timestamp")) AS happened_at, 'touch' AS kind
    FROM {raw}.ticket_events e
    SEMI JOIN agents a ON a.id = e.updater_id
    WHERE json_type(e.child_events) = 'ARRAY'
        AND list_bool_or(list_transform(
            from_json(e.child_events, '[{"event_type": "VARCHAR", "comment_present": "BOOLEAN"}]'),
            lambda c: c.event_type = 'Comment' OR coalesce(c.comment_present, false)
        ))
    UNION ALL
    SELECT ticket_id, changed_at AS happened_at, 'solve' AS kind
    FROM settled
    WHERE field_name = 'status' AND value = 'solved'
),
attributed AS (
    SELECT a.ticket_id, a.happened_at, a.kind, s.assignee_id, g.group_id
    FROM activity a
    ASOF LEFT JOIN assignees s ON s.ticket_id = a.ticket_id AND a.happened_at >= s.since
    ASOF LEFT JOIN groups g ON g.ticket_id = a.ticket_id AND a.happened_at >= g.since
    ANTI JOIN (SELECT id FROM {raw}.tickets WHERE _deleted) d ON d.id = a.ticket_id
)
SELECT
    CAST(timezone('UTC', happened_at) AS DATE) AS day,
    CAST(assignee_id AS BIGINT) AS assignee_id,
    CAST(group_id AS BIGINT) AS group_id,
    CAST(count(DISTINCT ticket_id) FILTER (kind = 'solve') AS BIGINT) AS tickets_solved,
    CAST(count(DISTINCT ticket_id) FILTER (kind = 'touch') AS BIGINT) AS tickets_touched,
    CAST(count(*) FILTER (kind = 'touch') AS BIGINT) AS agent_comments
FROM attributed
GROUP BY ALL
"""

ATTRIBUTED = SQL[: SQL.index("\nSELECT\n    CAST(timezone('UTC', happened_at) AS DATE) AS day")]
"""The CTEs of :data:`SQL` up to ``attributed`` (one row per touch or solve with its credited assignee and group),
for counting distinct tickets over a period."""

TABLE = AnalyticsTable(
    name=NAME,
    description=(
        "Workload per assignee, group and UTC day: tickets solved and tickets touched (commented on by an agent), "
        "each credited to the ticket's assignee and group at the moment it happened (from the field history), "
        "not to today's assignment. NULL assignee or group = unassigned at that moment. Deleted tickets are left out."
    ),
    columns=(
        Column("day", "DATE", "UTC day."),
        Column("assignee_id", "BIGINT", "The ticket's assignee at the time (NULL: unassigned)."),
        Column("group_id", "BIGINT", "The ticket's group at the time (NULL: none)."),
        Column("tickets_solved", "BIGINT", "Distinct tickets set to solved that day."),
        Column(
            "tickets_touched",
            "BIGINT",
            "Distinct tickets an agent or admin commented on that day (a sum over days counts ticket-days).",
        ),
        Column("agent_comments", "BIGINT", "Audits with an agent's or admin's comment that day."),
    ),
    sql=SQL,
    source_file=Path(__file__),
    raw_streams=("tickets", "ticket_events", "users"),
    upstream=("ticket_field_history",),
    headlines=(
        Headline(
            "tickets_solved_latest_day",
            "Tickets solved on the latest day with activity.",
            "SELECT coalesce(sum(tickets_solved), 0) FROM {analytics}.workload_daily "
            "WHERE day = (SELECT max(day) FROM {analytics}.workload_daily)",
        ),
        Headline(
            "tickets_solved",
            "Tickets solved (all time, a ticket counted once per day it was solved).",
            "SELECT coalesce(sum(tickets_solved), 0) FROM {analytics}.workload_daily",
        ),
    ),
    preview_order="day DESC, tickets_touched DESC, assignee_id",
)
