"""SLA targets per ticket and breaches per policy, metric and day, from ticket metric events.

Zendesk assumptions (its ticket metric event reference): an ``apply_sla`` event starts an SLA target on one metric
instance (``ticket_id, metric, instance_id``) with ``sla: {target, business_hours, policy: {id, title}}``
(``target`` in minutes); a policy change re-applies it, so the latest ``apply_sla`` names the policy in force,
while the target counts from the first one. Zendesk schedules a ``breach`` event ahead, at the moment the target
will pass, and flags one it withdrew with ``deleted: true`` (read from the raw record). So a breach event is only a
scheduled deadline: the target counts as breached when a breach event not withdrawn is dated before the metric's
fulfilment (``breached_at < coalesce(fulfilled_at, now)``), where ``fulfilled_at`` is the time of the instance's
latest clock event (activate, pause, fulfill) if that is a ``fulfill`` (a reopened ticket's resolution is judged by
its final fulfilment) and "now" is the build's ``current_timestamp``, so a breach still in the future, or one
dated after the target was met, is not a breach. Targets of
tickets the tickets table marks deleted are left out (as Zendesk's own reports do); targets of tickets not synced
yet are kept.

``sla_breaches_daily`` dates each target by the UTC day it was first applied, so ``breach_rate`` reads as "of the
tickets whose target started that day, the share that breached it". Full rebuild each time.
"""

from __future__ import annotations

from pathlib import Path

from zd_pipeline.catalogue import Column

from .model import AnalyticsTable, Headline

TARGETS_NAME = "ticket_sla_targets"
DAILY_NAME = "sla_breaches_daily"

TARGETS_SQL = """
WITH applied AS (
    SELECT
        ticket_id,
        metric,
        instance_id,
        sla,
        min("time") OVER (PARTITION BY ticket_id, metric, instance_id) AS applied_at
    FROM {raw}.ticket_metric_events
    WHERE "type" = 'apply_sla' AND sla IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY ticket_id, metric, instance_id ORDER BY "time" DESC, id DESC) = 1
),
scheduled AS (
    SELECT ticket_id, metric, instance_id, min("time") AS breach_due_at
    FROM {raw}.ticket_metric_events
    WHERE "type" = 'breach' AND NOT coalesce(TRY_CAST(_raw ->> 'deleted' AS BOOLEAN), false)
    GROUP BY ticket_id, metric, instance_id
),
fulfilled AS (
    SELECT ticket_id, metric, instance_id, "time" AS fulfilled_at
    FROM {raw}.ticket_metric_events
    WHERE "type" IN ('activate', 'pause', 'fulfill')
    QUALIFY row_number() OVER (PARTITION BY ticket_id, metric, instance_id ORDER BY "time" DESC, id DESC) = 1
        AND "type" = 'fulfill'
),
judged AS (
    SELECT
        a.*,
        f.fulfilled_at,
        CASE WHEN s.breach_due_at < coalesce(f.fulfilled_at, current_timestamp) THEN s.breach_due_at END
            AS breached_at
    FROM applied a
    LEFT JOIN scheduled s USING (ticket_id, metric, instance_id)
    LEFT JOIN fulfilled f USING (ticket_id, metric, instance_id)
)
SELECT
    CAST(j.ticket_id AS BIGINT) AS ticket_id,
    CAST(j.metric AS VARCHAR) AS metric,
    CAST(j.instance_id AS BIGINT) AS instance_id,
    TRY_CAST(j.sla -> 'policy' ->> 'id' AS BIGINT) AS policy_id,
    CAST(j.sla -> 'policy' ->> 'title' AS VARCHAR) AS policy_title,
    TRY_CAST(j.sla ->> 'target' AS DOUBLE) AS target_minutes,
    TRY_CAST(j.sla ->> 'business_hours' AS BOOLEAN) AS business_hours,
    CAST(j.applied_at AS TIMESTAMPTZ) AS applied_at,
    CAST(j.fulfilled_at AS TIMESTAMPTZ) AS fulfilled_at,
    CAST(j.breached_at AS TIMESTAMPTZ) AS breached_at,
    j.breached_at IS NOT NULL AS is_breached
FROM judged j
ANTI JOIN (SELECT id FROM {raw}.tickets WHERE _deleted) d ON d.id = j.ticket_id
"""

DAILY_SQL = """
SELECT
    CAST(timezone('UTC', applied_at) AS DATE) AS day,
    policy_id,
    any_value(policy_title) AS policy_title,
    metric,
    CAST(count(*) AS BIGINT) AS targets,
    CAST(count(*) FILTER (is_breached) AS BIGINT) AS targets_breached,
    CAST(count(DISTINCT ticket_id) AS BIGINT) AS tickets,
    CAST(count(DISTINCT ticket_id) FILTER (is_breached) AS BIGINT) AS tickets_breached,
    CAST(count(DISTINCT ticket_id) FILTER (is_breached) AS DOUBLE) / count(DISTINCT ticket_id) AS breach_rate
FROM {analytics}.ticket_sla_targets
GROUP BY ALL
"""

TARGETS = AnalyticsTable(
    name=TARGETS_NAME,
    description=(
        "SLA targets per ticket: one row per ticket metric instance an SLA policy measured (first reply, next "
        "reply, resolution, ...), with the policy in force, the target, whether it counts business hours, when it "
        "was applied and whether (and when) it was breached."
    ),
    columns=(
        Column("ticket_id", "BIGINT", "The ticket."),
        Column("metric", "VARCHAR", "reply_time, resolution_time, agent_work_time, requester_wait_time, ..."),
        Column("instance_id", "BIGINT", "Which instance of the metric (reply_time 1 = first reply)."),
        Column("policy_id", "BIGINT", "The SLA policy in force (latest apply_sla)."),
        Column("policy_title", "VARCHAR", "The policy's title."),
        Column("target_minutes", "DOUBLE", "The target, in minutes."),
        Column("business_hours", "BOOLEAN", "True when the target counts business hours only."),
        Column("applied_at", "TIMESTAMPTZ", "When the target was first applied."),
        Column(
            "fulfilled_at",
            "TIMESTAMPTZ",
            "When the metric was fulfilled, if it is now (its latest clock event is a fulfill); NULL while it runs.",
        ),
        Column(
            "breached_at",
            "TIMESTAMPTZ",
            "When the target was breached: the earliest breach event not withdrawn, if it fell before the "
            "fulfilment (or before the build, for a metric still running); NULL when not breached.",
        ),
        Column("is_breached", "BOOLEAN", "True when the target was breached (breached_at is set)."),
    ),
    sql=TARGETS_SQL,
    source_file=Path(__file__),
    raw_streams=("ticket_metric_events", "tickets"),
    headlines=(
        Headline("sla_targets", "SLA targets applied.", "SELECT count(*) FROM {analytics}.ticket_sla_targets"),
        Headline(
            "targets_breached",
            "SLA targets breached.",
            "SELECT count(*) FILTER (is_breached) FROM {analytics}.ticket_sla_targets",
        ),
    ),
    preview_order="applied_at DESC, ticket_id DESC, metric",
)

DAILY = AnalyticsTable(
    name=DAILY_NAME,
    description=(
        "SLA breaches per policy, metric and UTC day (the day the target was applied): targets and tickets "
        "measured, how many breached, and the share of tickets breached."
    ),
    columns=(
        Column("day", "DATE", "UTC day the targets were applied."),
        Column("policy_id", "BIGINT", "SLA policy."),
        Column("policy_title", "VARCHAR", "The policy's title."),
        Column("metric", "VARCHAR", "The measured metric."),
        Column("targets", "BIGINT", "Targets applied (ticket metric instances)."),
        Column("targets_breached", "BIGINT", "Of those, breached."),
        Column("tickets", "BIGINT", "Distinct tickets measured."),
        Column("tickets_breached", "BIGINT", "Distinct tickets with at least one breached target."),
        Column("breach_rate", "DOUBLE", "tickets_breached / tickets."),
    ),
    sql=DAILY_SQL,
    source_file=Path(__file__),
    raw_streams=(),
    upstream=(TARGETS_NAME,),
    headlines=(
        Headline(
            "breach_rate",
            "Share of tickets with an SLA that breached at least one target (all time).",
            "SELECT CAST(count(DISTINCT ticket_id) FILTER (is_breached) AS DOUBLE) / "
            "nullif(count(DISTINCT ticket_id), 0) FROM {analytics}.ticket_sla_targets",
        ),
        Headline(
            "breaches",
            "Breached targets (all time).",
            "SELECT coalesce(sum(targets_breached), 0) FROM {analytics}.sla_breaches_daily",
        ),
    ),
    preview_order="day DESC, policy_id, metric",
)
