"""Reply and resolution times per ticket, in calendar and business minutes, from ticket metric events.

Zendesk assumptions (its ticket metric event reference): an ``update_status`` event carries the metric's value
so far as ``status: {calendar, business}`` in minutes, the business figure counting only the account's business
hours. Hence, per ticket:
- first reply: the first ``update_status`` of ``reply_time`` instance 1 (Zendesk fulfils it on the first *public*
  agent comment: private notes and the requester's comments do not count; a ticket never answered publicly has none);
- first resolution: the first ``update_status`` of ``resolution_time``; full resolution: its latest one (a
  reopened and re-solved ticket has several);
- requester wait and agent work: the latest ``update_status`` of ``requester_wait_time`` / ``agent_work_time``
  (cumulative over the ticket's life, as of its latest fulfilment: Zendesk counts agent work only while the ticket
  is new or open, requester wait while it is new, open or on-hold).
When a metric has no ``update_status`` (not every export carries one for every metric), calendar minutes are
measured from its clock events instead: first reply = first ``fulfill`` − first ``activate`` of reply_time
instance 1; first / full resolution = first / last ``fulfill`` − first ``activate`` of resolution_time (Zendesk's
resolution clocks do not pause); requester wait and agent work = the summed ``activate`` → ``pause``/``fulfill``
spans, once fulfilled. Business minutes need the account's schedule, so they come only from ``update_status``.
A metric never fulfilled is NULL. Deleted tickets are left out.

Full rebuild each time (metric events can arrive for any ticket; one grouped pass is seconds at millions).
"""

from __future__ import annotations

from pathlib import Path

from zd_pipeline.catalogue import Column

from .model import AnalyticsTable, Headline

NAME = "ticket_reply_times"

SQL = """
WITH updates AS (
    SELECT
        ticket_id,
        metric,
        instance_id,
        "time",
        TRY_CAST(status ->> 'calendar' AS DOUBLE) AS calendar_minutes,
        TRY_CAST(status ->> 'business' AS DOUBLE) AS business_minutes,
        row_number() OVER (PARTITION BY ticket_id, metric ORDER BY "time", id) AS nth,
        row_number() OVER (PARTITION BY ticket_id, metric ORDER BY "time" DESC, id DESC) AS nth_from_last,
        row_number() OVER (PARTITION BY ticket_id, metric, instance_id ORDER BY "time", id) AS nth_in_instance
    FROM {raw}.ticket_metric_events
    WHERE "type" = 'update_status' AND status IS NOT NULL
),
per_ticket AS (
    SELECT
        ticket_id,
        any_value("time") FILTER (metric = 'reply_time' AND instance_id = 1 AND nth_in_instance = 1) AS first_reply_at,
        any_value(calendar_minutes) FILTER (metric = 'reply_time' AND instance_id = 1 AND nth_in_instance = 1)
            AS first_reply_minutes,
        any_value(business_minutes) FILTER (metric = 'reply_time' AND instance_id = 1 AND nth_in_instance = 1)
            AS first_reply_business_minutes,
        any_value("time") FILTER (metric = 'resolution_time' AND nth = 1) AS first_resolved_at,
        any_value(calendar_minutes) FILTER (metric = 'resolution_time' AND nth = 1) AS first_resolution_minutes,
        any_value(business_minutes) FILTER (metric = 'resolution_time' AND nth = 1)
            AS first_resolution_business_minutes,
        any_value("time") FILTER (metric = 'resolution_time' AND nth_from_last = 1) AS full_resolved_at,
        any_value(calendar_minutes) FILTER (metric = 'resolution_time' AND nth_from_last = 1)
            AS full_resolution_minutes,
        any_value(business_minutes) FILTER (metric = 'resolution_time' AND nth_from_last = 1)
            AS full_resolution_business_minutes,
        any_value(calendar_minutes) FILTER (metric = 'requester_wait_time' AND nth_from_last = 1)
            AS requester_wait_minutes,
        any_value(business_minutes) FILTER (metric = 'requester_wait_time' AND nth_from_last = 1)
            AS requester_wait_business_minutes,
        any_value(calendar_minutes) FILTER (metric = 'agent_work_time' AND nth_from_last = 1) AS agent_work_minutes,
        any_value(business_minutes) FILTER (metric = 'agent_work_time' AND nth_from_last = 1)
            AS agent_work_business_minutes
    FROM updates
    GROUP BY ticket_id
),
clock_events AS (
    SELECT
        ticket_id,
        metric,
        instance_id,
        "type",
        "time",
        lead("time") OVER (PARTITION BY ticket_id, metric, instance_id ORDER BY "time", id) AS next_time,
        lead("type") OVER (PARTITION BY ticket_id, metric, instance_id ORDER BY "time", id) AS next_type
    FROM {raw}.ticket_metric_events
    WHERE "type" IN ('activate', 'pause', 'fulfill')
        AND metric IN ('reply_time', 'resolution_time', 'requester_wait_time', 'agent_work_time')
),
clocks AS (
    SELECT
        ticket_id,
        min("time") FILTER (metric = 'reply_time' AND instance_id = 1 AND "type" = 'activate') AS reply_started_at,
        min("time") FILTER (metric = 'reply_time' AND instance_id = 1 AND "type" = 'fulfill') AS replied_at,
        min("time") FILTER (metric = 'resolution_time' AND "type" = 'activate') AS resolution_started_at,
        min("time") FILTER (metric = 'resolution_time' AND "type" = 'fulfill') AS first_solved_at,
        max("time") FILTER (metric = 'resolution_time' AND "type" = 'fulfill') AS last_solved_at,
        sum(epoch(next_time) - epoch("time")) FILTER (
            metric = 'requester_wait_time' AND "type" = 'activate' AND next_type IN ('pause', 'fulfill')
        ) / 60.0 AS requester_wait_run,
        bool_or("type" = 'fulfill') FILTER (metric = 'requester_wait_time') AS requester_wait_fulfilled,
        sum(epoch(next_time) - epoch("time")) FILTER (
            metric = 'agent_work_time' AND "type" = 'activate' AND next_type IN ('pause', 'fulfill')
        ) / 60.0 AS agent_work_run,
        bool_or("type" = 'fulfill') FILTER (metric = 'agent_work_time') AS agent_work_fulfilled
    FROM clock_events
    GROUP BY ticket_id
)
SELECT
    CAST(t.id AS BIGINT) AS ticket_id,
    CAST(t.created_at AS TIMESTAMPTZ) AS created_at,
    CAST(t.status AS VARCHAR) AS status,
    CAST(t.priority AS VARCHAR) AS priority,
    CAST(t.assignee_id AS BIGINT) AS assignee_id,
    CAST(t.group_id AS BIGINT) AS group_id,
    CAST(coalesce(p.first_reply_at, c.replied_at) AS TIMESTAMPTZ) AS first_reply_at,
    CAST(coalesce(p.first_reply_minutes, (epoch(c.replied_at) - epoch(c.reply_started_at)) / 60.0) AS DOUBLE)
        AS first_reply_minutes,
    CAST(p.first_reply_business_minutes AS DOUBLE) AS first_reply_business_minutes,
    CAST(coalesce(p.first_resolved_at, c.first_solved_at) AS TIMESTAMPTZ) AS first_resolved_at,
    CAST(
        coalesce(p.first_resolution_minutes, (epoch(c.first_solved_at) - epoch(c.resolution_started_at)) / 60.0)
        AS DOUBLE
    ) AS first_resolution_minutes,
    CAST(p.first_resolution_business_minutes AS DOUBLE) AS first_resolution_business_minutes,
    CAST(coalesce(p.full_resolved_at, c.last_solved_at) AS TIMESTAMPTZ) AS full_resolved_at,
    CAST(
        coalesce(p.full_resolution_minutes, (epoch(c.last_solved_at) - epoch(c.resolution_started_at)) / 60.0)
        AS DOUBLE
    ) AS full_resolution_minutes,
    CAST(p.full_resolution_business_minutes AS DOUBLE) AS full_resolution_business_minutes,
    CAST(
        coalesce(p.requester_wait_minutes, CASE WHEN c.requester_wait_fulfilled THEN c.requester_wait_run END)
        AS DOUBLE
    ) AS requester_wait_minutes,
    CAST(p.requester_wait_business_minutes AS DOUBLE) AS requester_wait_business_minutes,
    CAST(
        coalesce(p.agent_work_minutes, CASE WHEN c.agent_work_fulfilled THEN c.agent_work_run END) AS DOUBLE
    ) AS agent_work_minutes,
    CAST(p.agent_work_business_minutes AS DOUBLE) AS agent_work_business_minutes
FROM {raw}.tickets t
LEFT JOIN per_ticket p ON p.ticket_id = t.id
LEFT JOIN clocks c ON c.ticket_id = t.id
WHERE NOT coalesce(t._deleted, false)
"""


def _minutes(name: str, what: str, business: bool) -> Column:
    if business:
        return Column(
            name,
            "DOUBLE",
            f"{what}, in business-hours minutes as Zendesk reported them (update_status); NULL until fulfilled, "
            "and NULL when the events carry no update_status (clock events alone do not give business time).",
        )
    return Column(name, "DOUBLE", f"{what}, in calendar minutes (NULL until fulfilled).")


TABLE = AnalyticsTable(
    name=NAME,
    description=(
        "Reply and resolution times per ticket (deleted tickets left out): first reply, first and full "
        "resolution, requester wait and agent work, each in calendar minutes and in business-hours minutes as "
        "Zendesk's ticket metric events report them (update_status events)."
    ),
    columns=(
        Column("ticket_id", "BIGINT", "The ticket."),
        Column("created_at", "TIMESTAMPTZ", "When the ticket was created."),
        Column("status", "VARCHAR", "Current status."),
        Column("priority", "VARCHAR", "Current priority."),
        Column("assignee_id", "BIGINT", "Current assignee."),
        Column("group_id", "BIGINT", "Current group."),
        Column("first_reply_at", "TIMESTAMPTZ", "When the first agent reply was measured."),
        _minutes("first_reply_minutes", "Time to first reply", business=False),
        _minutes("first_reply_business_minutes", "Time to first reply", business=True),
        Column("first_resolved_at", "TIMESTAMPTZ", "When the ticket was first solved."),
        _minutes("first_resolution_minutes", "Time to first resolution", business=False),
        _minutes("first_resolution_business_minutes", "Time to first resolution", business=True),
        Column("full_resolved_at", "TIMESTAMPTZ", "When the ticket was last solved."),
        _minutes("full_resolution_minutes", "Time to full (latest) resolution", business=False),
        _minutes("full_resolution_business_minutes", "Time to full (latest) resolution", business=True),
        _minutes("requester_wait_minutes", "Time the requester waited (new, open, on-hold)", business=False),
        _minutes("requester_wait_business_minutes", "Time the requester waited", business=True),
        _minutes("agent_work_minutes", "Time the ticket needed agent work (new, open)", business=False),
        _minutes("agent_work_business_minutes", "Time the ticket needed agent work", business=True),
    ),
    sql=SQL,
    source_file=Path(__file__),
    raw_streams=("tickets", "ticket_metric_events"),
    headlines=(
        Headline(
            "median_first_reply_minutes",
            "Median time to first reply, calendar minutes.",
            "SELECT median(first_reply_minutes) FROM {analytics}.ticket_reply_times",
        ),
        Headline(
            "median_first_reply_business_minutes",
            "Median time to first reply, business minutes.",
            "SELECT median(first_reply_business_minutes) FROM {analytics}.ticket_reply_times",
        ),
        Headline(
            "median_full_resolution_minutes",
            "Median time to full resolution, calendar minutes.",
            "SELECT median(full_resolution_minutes) FROM {analytics}.ticket_reply_times",
        ),
        Headline(
            "tickets_replied",
            "Tickets with a first reply.",
            "SELECT count(first_reply_minutes) FROM {analytics}.ticket_reply_times",
        ),
    ),
    preview_order="ticket_id DESC",
)
