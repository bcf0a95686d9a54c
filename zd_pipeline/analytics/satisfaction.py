"""Customer satisfaction per UTC day, from each ticket's current satisfaction rating.

Zendesk assumptions: a ticket's ``satisfaction_rating`` is ``{score, ...}`` with ``score`` one of ``good``, ``bad``,
``offered`` (survey sent, not answered) or ``unoffered``; the rating object carries no reliable timestamp, so a
rating is dated by, in order: its own ``updated_at``/``created_at`` when present, the latest audit that changed
``satisfaction_score`` (field history), else the ticket's ``updated_at``. Each ticket counts once, on that day,
with its current score. ``satisfaction_score`` = good / (good + bad), as Zendesk reports it. Deleted tickets are
left out. Full rebuild each time.
"""

from __future__ import annotations

from pathlib import Path

from zd_pipeline.catalogue import Column

from .model import AnalyticsTable, Headline

NAME = "satisfaction_daily"

SQL = """
WITH ratings AS (
    SELECT
        id AS ticket_id,
        satisfaction_rating ->> 'score' AS score,
        coalesce(
            TRY_CAST(satisfaction_rating ->> 'updated_at' AS TIMESTAMPTZ),
            TRY_CAST(satisfaction_rating ->> 'created_at' AS TIMESTAMPTZ)
        ) AS rated_at,
        updated_at
    FROM {raw}.tickets
    WHERE NOT coalesce(_deleted, false) AND satisfaction_rating ->> 'score' IS NOT NULL
),
score_changes AS (
    SELECT ticket_id, max(changed_at) AS changed_at
    FROM {analytics}.ticket_field_history
    WHERE field_name = 'satisfaction_score'
    GROUP BY ticket_id
),
dated AS (
    SELECT r.score, timezone('UTC', coalesce(r.rated_at, c.changed_at, r.updated_at))::DATE AS day
    FROM ratings r
    LEFT JOIN score_changes c USING (ticket_id)
)
SELECT
    CAST(day AS DATE) AS day,
    CAST(count(*) FILTER (score = 'good') AS BIGINT) AS good,
    CAST(count(*) FILTER (score = 'bad') AS BIGINT) AS bad,
    CAST(count(*) FILTER (score = 'offered') AS BIGINT) AS offered,
    CAST(count(*) FILTER (score = 'unoffered') AS BIGINT) AS unoffered,
    CAST(count(*) FILTER (score = 'good') AS DOUBLE) / nullif(count(*) FILTER (score IN ('good', 'bad')), 0)
        AS satisfaction_score
FROM dated
WHERE day IS NOT NULL
GROUP BY day
"""

TABLE = AnalyticsTable(
    name=NAME,
    description=(
        "Customer satisfaction per UTC day: tickets rated good and bad, surveys offered but unanswered, and the "
        "satisfaction score good / (good + bad), each ticket counted once with its current rating."
    ),
    columns=(
        Column("day", "DATE", "UTC day the rating was given (see the SQL module for how it is dated)."),
        Column("good", "BIGINT", "Tickets rated good."),
        Column("bad", "BIGINT", "Tickets rated bad."),
        Column("offered", "BIGINT", "Surveys offered, not answered."),
        Column("unoffered", "BIGINT", "Tickets marked unoffered."),
        Column("satisfaction_score", "DOUBLE", "good / (good + bad); NULL when nobody rated."),
    ),
    sql=SQL,
    source_file=Path(__file__),
    raw_streams=("tickets",),
    upstream=("ticket_field_history",),
    headlines=(
        Headline(
            "satisfaction_score",
            "good / (good + bad), all time.",
            "SELECT CAST(sum(good) AS DOUBLE) / nullif(sum(good) + sum(bad), 0) FROM {analytics}.satisfaction_daily",
        ),
        Headline(
            "ratings",
            "Tickets rated good or bad.",
            "SELECT coalesce(sum(good + bad), 0) FROM {analytics}.satisfaction_daily",
        ),
    ),
    preview_order="day DESC",
)
