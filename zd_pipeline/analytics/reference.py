"""Analytics that name what the other tables show as ids, from the reference tables (``catalogue.lists``).

Each table reads a built analytics table or a raw table and joins the account's own names: group names onto the
workload, SLA policy titles onto the breaches, field titles and option labels onto tickets' custom field values,
and groups onto the satisfaction ratings dated by when they were given. Names are today's (a renamed group shows
its new name for past days); an item deleted in Zendesk keeps its last name (its row is a tombstone, not gone).
An id no reference row names (a list not synced yet) shows a NULL name rather than dropping the row.
"""

from __future__ import annotations

from pathlib import Path

from zd_pipeline.catalogue import Column

from .model import AnalyticsTable, Headline

WORKLOAD_SQL = """
SELECT
    w.day,
    w.group_id,
    CAST(any_value(g.name) AS VARCHAR) AS group_name,
    CAST(sum(w.tickets_solved) AS BIGINT) AS tickets_solved,
    CAST(sum(w.tickets_touched) AS BIGINT) AS tickets_touched,
    CAST(sum(w.agent_comments) AS BIGINT) AS agent_comments
FROM {analytics}.workload_daily w
LEFT JOIN {raw}.groups g ON g.id = w.group_id
GROUP BY w.day, w.group_id
"""

SLA_SQL = """
SELECT
    t.policy_id,
    CAST(coalesce(any_value(p.title), any_value(t.policy_title)) AS VARCHAR) AS policy_title,
    CAST(any_value(p.position) AS INTEGER) AS policy_position,
    t.metric,
    CAST(count(*) AS BIGINT) AS targets,
    CAST(count(*) FILTER (t.is_breached) AS BIGINT) AS targets_breached,
    CAST(count(DISTINCT t.ticket_id) AS BIGINT) AS tickets,
    CAST(count(DISTINCT t.ticket_id) FILTER (t.is_breached) AS BIGINT) AS tickets_breached,
    CAST(count(DISTINCT t.ticket_id) FILTER (t.is_breached) AS DOUBLE) / count(DISTINCT t.ticket_id) AS breach_rate
FROM {analytics}.ticket_sla_targets t
LEFT JOIN {raw}.sla_policies p ON p.id = t.policy_id
GROUP BY t.policy_id, t.metric
"""

FIELD_VALUES_SQL = """
WITH set_values AS (
    SELECT t.id AS ticket_id, TRY_CAST(f ->> '$.id' AS BIGINT) AS field_id, f -> '$.value' AS value
    FROM {raw}.tickets t, unnest(TRY_CAST(t.custom_fields AS JSON[])) u(f)
    WHERE NOT coalesce(t._deleted, false) AND json_type(f -> '$.value') NOT IN ('NULL')
),
flat AS (
    SELECT ticket_id, field_id, v AS value
    FROM set_values, unnest(
        CASE WHEN json_type(value) = 'ARRAY' THEN CAST(value AS VARCHAR[]) ELSE [value ->> '$'] END
    ) u(v)
),
options AS (
    SELECT f.id AS field_id, o ->> '$.value' AS value, o ->> '$.name' AS label
    FROM {raw}.ticket_fields f, unnest(TRY_CAST(f.custom_field_options AS JSON[])) u(o)
)
SELECT
    CAST(v.ticket_id AS BIGINT) AS ticket_id,
    CAST(v.field_id AS BIGINT) AS field_id,
    CAST(f.title AS VARCHAR) AS field_title,
    CAST(f."type" AS VARCHAR) AS field_type,
    CAST(v.value AS VARCHAR) AS value,
    CAST(o.label AS VARCHAR) AS option_label
FROM flat v
LEFT JOIN {raw}.ticket_fields f ON f.id = v.field_id
LEFT JOIN options o ON o.field_id = v.field_id AND o.value = v.value
"""

RATINGS_SQL = """
SELECT
    CAST(timezone('UTC', r.created_at) AS DATE) AS day,
    r.group_id,
    CAST(any_value(g.name) AS VARCHAR) AS group_name,
    CAST(count(*) FILTER (r.score = 'good') AS BIGINT) AS good,
    CAST(count(*) FILTER (r.score = 'bad') AS BIGINT) AS bad,
    CAST(count(*) FILTER (r.score IN ('good', 'bad') AND coalesce(r.comment, '') <> '') AS BIGINT) AS with_comment,
    CAST(count(*) FILTER (r.score = 'good') AS DOUBLE) / nullif(count(*) FILTER (r.score IN ('good', 'bad')), 0)
        AS satisfaction_score
FROM {raw}.satisfaction_ratings r
LEFT JOIN {raw}.groups g ON g.id = r.group_id
WHERE NOT coalesce(r._deleted, false) AND r.created_at IS NOT NULL
GROUP BY ALL
"""

_SOURCE = Path(__file__)

WORKLOAD_BY_GROUP = AnalyticsTable(
    name="workload_by_group_daily",
    description="Workload per group (by name) and UTC day: workload_daily summed over assignees, with group names.",
    columns=(
        Column("day", "DATE", "UTC day."),
        Column("group_id", "BIGINT", "The ticket's group at the time (NULL: none)."),
        Column("group_name", "VARCHAR", "The group's name (groups.name)."),
        Column("tickets_solved", "BIGINT", "Tickets solved, summed over the group's assignees."),
        Column("tickets_touched", "BIGINT", "Tickets touched, summed over the group's assignees."),
        Column("agent_comments", "BIGINT", "Audits with an agent's or admin's comment."),
    ),
    sql=WORKLOAD_SQL,
    source_file=_SOURCE,
    raw_streams=("groups",),
    upstream=("workload_daily",),
    preview_order="day DESC, tickets_touched DESC, group_id",
)

SLA_BY_POLICY = AnalyticsTable(
    name="sla_breaches_by_policy",
    description="SLA targets and breaches per policy (by its current title) and metric, all time.",
    columns=(
        Column("policy_id", "BIGINT", "SLA policy."),
        Column("policy_title", "VARCHAR", "Its title (sla_policies, else as the metric events named it)."),
        Column("policy_position", "INTEGER", "Its match order (NULL when the policy is not listed)."),
        Column("metric", "VARCHAR", "The measured metric."),
        Column("targets", "BIGINT", "Targets applied."),
        Column("targets_breached", "BIGINT", "Of those, breached."),
        Column("tickets", "BIGINT", "Distinct tickets measured."),
        Column("tickets_breached", "BIGINT", "Distinct tickets with a breached target."),
        Column("breach_rate", "DOUBLE", "tickets_breached / tickets."),
    ),
    sql=SLA_SQL,
    source_file=_SOURCE,
    raw_streams=("sla_policies",),
    upstream=("ticket_sla_targets",),
    preview_order="policy_position, policy_id, metric",
)

FIELD_VALUES = AnalyticsTable(
    name="ticket_custom_field_values",
    description=(
        "Tickets' custom field values in long format, one row per ticket, field and value (a multi-select gives "
        "one row per option), with the field's title and type and the option's label; unset values are left out."
    ),
    columns=(
        Column("ticket_id", "BIGINT", "The ticket."),
        Column("field_id", "BIGINT", "The field (ticket_fields.id)."),
        Column("field_title", "VARCHAR", "The field's title."),
        Column("field_type", "VARCHAR", "tagger, multiselect, text, integer, ..."),
        Column("value", "VARCHAR", "The value as Zendesk stores it (an option's tag value for drop-downs)."),
        Column("option_label", "VARCHAR", "The drop-down option's label (NULL for free-form fields)."),
    ),
    sql=FIELD_VALUES_SQL,
    source_file=_SOURCE,
    raw_streams=("tickets", "ticket_fields"),
    headlines=(
        Headline(
            "labelled_share",
            "Share of drop-down values that have an option label.",
            "SELECT CAST(count(option_label) AS DOUBLE) / nullif(count(*), 0) "
            "FROM {analytics}.ticket_custom_field_values WHERE field_type IN ('tagger', 'multiselect')",
        ),
    ),
    preview_order="ticket_id DESC, field_id",
)

RATINGS_DAILY = AnalyticsTable(
    name="satisfaction_ratings_daily",
    description=(
        "Satisfaction per UTC day the rating was given (satisfaction_ratings.created_at) and group (by name): "
        "good and bad ratings, how many came with a comment, and good / (good + bad)."
    ),
    columns=(
        Column("day", "DATE", "UTC day the rating was given."),
        Column("group_id", "BIGINT", "The group assigned when rated."),
        Column("group_name", "VARCHAR", "The group's name."),
        Column("good", "BIGINT", "Ratings good."),
        Column("bad", "BIGINT", "Ratings bad."),
        Column("with_comment", "BIGINT", "Good or bad ratings with a comment."),
        Column("satisfaction_score", "DOUBLE", "good / (good + bad); NULL when none."),
    ),
    sql=RATINGS_SQL,
    source_file=_SOURCE,
    raw_streams=("satisfaction_ratings", "groups"),
    headlines=(
        Headline(
            "satisfaction_score",
            "good / (good + bad) over every rating given.",
            "SELECT CAST(sum(good) AS DOUBLE) / nullif(sum(good) + sum(bad), 0) "
            "FROM {analytics}.satisfaction_ratings_daily",
        ),
    ),
    preview_order="day DESC, group_id",
)

TABLES = (WORKLOAD_BY_GROUP, SLA_BY_POLICY, FIELD_VALUES, RATINGS_DAILY)
