"""Daily ticket backlog: tickets per status at the end of each UTC day, rebuilt from the status history.

How: every status value in ``ticket_field_history`` opens an interval that the ticket's next status value closes.
An interval adds one to its status on the day it opens and removes one on the day it closes; a running sum per
status over a dense calendar gives the count at each day's end. This is O(status changes + days × statuses), not
O(tickets × days), so a million tickets over years stays a few seconds.

Assumptions, for tickets whose audits we do not hold (synced from a later start date, or events not yet synced):
a ticket with no status in its history counts in its current status from its ``created_at``; a ticket whose
history starts with a ``Change`` (its ``Create`` audit predates the sync) counts in that change's
``previous_value`` from its ``created_at``; a ticket the tickets
table says is deleted but whose history does not end in ``deleted`` moves to ``deleted`` at its ``updated_at``
(Zendesk does not always audit deletions). The calendar runs from the first to the last day with a status change.
"""

from __future__ import annotations

from pathlib import Path

from zd_pipeline.catalogue import Column

from .model import AnalyticsTable, Headline

NAME = "ticket_backlog_daily"
UNSOLVED = ("new", "open", "pending", "hold")

SQL = """
WITH history AS (
    SELECT ticket_id, value AS status, previous_value, event_type, changed_at, audit_id, event_index
    FROM {analytics}.ticket_field_history
    WHERE field_name = 'status' AND value IS NOT NULL
),
tickets AS (
    SELECT id AS ticket_id, status, created_at, updated_at FROM {raw}.tickets
),
before_history AS (
    SELECT f.ticket_id, f.previous_value AS status, t.created_at AS changed_at, -2 AS audit_id, 0 AS event_index
    FROM (
        SELECT * FROM history
        QUALIFY row_number() OVER (PARTITION BY ticket_id ORDER BY changed_at, audit_id, event_index) = 1
    ) f
    JOIN tickets t ON t.ticket_id = f.ticket_id
    WHERE f.event_type = 'Change' AND f.previous_value IS NOT NULL AND t.created_at < f.changed_at
),
without_history AS (
    SELECT t.ticket_id, t.status, coalesce(t.created_at, t.updated_at) AS changed_at,
           -1 AS audit_id, 0 AS event_index
    FROM tickets t
    ANTI JOIN history h ON h.ticket_id = t.ticket_id
    WHERE t.status IS NOT NULL AND coalesce(t.created_at, t.updated_at) IS NOT NULL
),
known AS (
    SELECT ticket_id, status, changed_at, audit_id, event_index FROM history
    UNION ALL
    SELECT ticket_id, status, changed_at, audit_id, event_index FROM before_history
    UNION ALL
    SELECT ticket_id, status, changed_at, audit_id, event_index FROM without_history
),
last_known AS (
    SELECT ticket_id, status, changed_at
    FROM known
    QUALIFY row_number() OVER (
        PARTITION BY ticket_id ORDER BY changed_at DESC, audit_id DESC, event_index DESC
    ) = 1
),
unaudited_deletions AS (
    SELECT t.ticket_id, 'deleted' AS status, greatest(t.updated_at, l.changed_at) AS changed_at,
           9223372036854775807 AS audit_id, 0 AS event_index
    FROM tickets t
    JOIN last_known l ON l.ticket_id = t.ticket_id
    WHERE t.status = 'deleted' AND l.status <> 'deleted'
),
changes AS (
    SELECT * FROM known
    UNION ALL
    SELECT * FROM unaudited_deletions
),
intervals AS (
    SELECT
        status,
        timezone('UTC', changed_at)::DATE AS opened_on,
        timezone('UTC', lead(changed_at) OVER (
            PARTITION BY ticket_id ORDER BY changed_at, audit_id, event_index
        ))::DATE AS closed_on
    FROM changes
),
deltas AS (
    SELECT opened_on AS day, status, 1 AS delta, 1 AS entered, 0 AS exited FROM intervals
    UNION ALL
    SELECT closed_on AS day, status, -1 AS delta, 0 AS entered, 1 AS exited FROM intervals WHERE closed_on IS NOT NULL
),
daily AS (
    SELECT day, status, sum(delta) AS delta, sum(entered) AS entered, sum(exited) AS exited
    FROM deltas
    GROUP BY day, status
),
calendar AS (
    SELECT unnest(range(min(day), max(day) + 1, INTERVAL 1 DAY))::DATE AS day FROM daily
),
grid AS (
    SELECT c.day, s.status FROM calendar c CROSS JOIN (SELECT DISTINCT status FROM daily) s
)
SELECT
    CAST(g.day AS DATE) AS day,
    CAST(g.status AS VARCHAR) AS status,
    CAST(sum(coalesce(d.delta, 0)) OVER (PARTITION BY g.status ORDER BY g.day) AS BIGINT) AS tickets,
    CAST(coalesce(d.entered, 0) AS BIGINT) AS entered,
    CAST(coalesce(d.exited, 0) AS BIGINT) AS exited
FROM grid g
LEFT JOIN daily d ON d.day = g.day AND d.status = g.status
"""

_UNSOLVED_SQL = ", ".join(f"'{s}'" for s in UNSOLVED)

TABLE = AnalyticsTable(
    name=NAME,
    description=(
        "Daily ticket backlog: for each UTC day and status, how many tickets were in that status at the end of "
        "the day, reconstructed from every status change in the ticket audits (so past days stay right even for "
        "tickets that changed many times), plus how many entered and left the status that day. Unsolved = "
        "new + open + pending + hold."
    ),
    columns=(
        Column("day", "DATE", "UTC calendar day."),
        Column("status", "VARCHAR", "Ticket status (new, open, pending, hold, solved, closed, deleted)."),
        Column("tickets", "BIGINT", "Tickets in this status at the end of the day."),
        Column("entered", "BIGINT", "Times a ticket entered this status during the day."),
        Column("exited", "BIGINT", "Times a ticket left this status during the day."),
    ),
    sql=SQL,
    source_file=Path(__file__),
    raw_streams=("tickets", "ticket_events"),
    upstream=("ticket_field_history",),
    headlines=(
        Headline(
            "open_backlog",
            "Unsolved tickets (new, open, pending, hold) at the end of the latest day.",
            f"SELECT coalesce(sum(tickets), 0) FROM {{analytics}}.ticket_backlog_daily "
            f"WHERE status IN ({_UNSOLVED_SQL}) "
            f"AND day = (SELECT max(day) FROM {{analytics}}.ticket_backlog_daily)",
        ),
        Headline(
            "days",
            "Days covered.",
            "SELECT count(DISTINCT day) FROM {analytics}.ticket_backlog_daily",
        ),
    ),
    preview_order="day DESC, tickets DESC, status",
)
