"""Plain-language answers from the built analytics tables, for the CLI (``make demo``) to print.

Each answer is one question and a short sentence of figures, read from the analytics schema with a few small
aggregate queries. The tables must have been built (:func:`zd_pipeline.analytics.build_all` or the Dagster
assets); a missing table raises ``duckdb.CatalogException``.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from . import workload
from .backlog import UNSOLVED
from .model import quote, validate_schema


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str


def answers(
    con: duckdb.DuckDBPyConnection, analytics_schema: str = "analytics", raw_schema: str = "main"
) -> list[Answer]:
    """How big is the backlog, how fast do we reply and resolve, where do we breach SLAs, who carries the load.

    ``raw_schema`` is read only for agents' names (``users``)."""
    schema = quote(validate_schema(analytics_schema))
    raw = quote(validate_schema(raw_schema))
    return [_backlog(con, schema), _speed(con, schema), _sla(con, schema), _load(con, schema, raw)]


def _backlog(con: duckdb.DuckDBPyConnection, schema: str) -> Answer:
    unsolved = ", ".join(f"'{s}'" for s in UNSOLVED)
    day, total, week_ago = con.execute(
        f"""
        WITH unsolved AS (
            SELECT day, sum(tickets) AS tickets FROM {schema}.ticket_backlog_daily
            WHERE status IN ({unsolved}) GROUP BY day
        )
        SELECT max(day), arg_max(tickets, day),
               (SELECT tickets FROM unsolved WHERE day = (SELECT max(day) - 7 FROM unsolved))
        FROM unsolved
        """
    ).fetchone()
    if day is None:
        return Answer("How big is the backlog?", "no tickets yet")
    trend = "" if week_ago is None else f" ({int(total) - int(week_ago):+d} in a week)"
    noun = "ticket" if int(total) == 1 else "tickets"
    return Answer("How big is the backlog?", f"{int(total):,} unsolved {noun} at the end of {day}{trend}")


def _speed(con: duckdb.DuckDBPyConnection, schema: str) -> Answer:
    reply, reply_business, resolution = con.execute(
        f"SELECT median(first_reply_minutes), median(first_reply_business_minutes), median(full_resolution_minutes) "
        f"FROM {schema}.ticket_reply_times"
    ).fetchone()
    parts = []
    if reply is not None:
        business = "" if reply_business is None else f" ({_duration(reply_business)} in business hours)"
        parts.append(f"median first reply {_duration(reply)}{business}")
    if resolution is not None:
        parts.append(f"median full resolution {_duration(resolution)}")
    return Answer("How fast do we reply and resolve?", ", ".join(parts) or "no replies measured yet")


def _sla(con: duckdb.DuckDBPyConnection, schema: str) -> Answer:
    rows = con.execute(
        f"""
        SELECT coalesce(policy_title, 'policy ' || policy_id) AS policy, metric,
               sum(tickets_breached) AS breached, sum(tickets) AS tickets
        FROM {schema}.sla_breaches_daily GROUP BY ALL ORDER BY breached DESC, tickets DESC LIMIT 1
        """
    ).fetchall()
    overall = con.execute(
        f"SELECT count(DISTINCT ticket_id) FILTER (is_breached), count(DISTINCT ticket_id) "
        f"FROM {schema}.ticket_sla_targets"
    ).fetchone()
    if not rows or not overall[1]:
        return Answer("Where do we breach SLAs?", "no SLA targets applied yet")
    policy, metric, breached, tickets = rows[0]
    return Answer(
        "Where do we breach SLAs?",
        f"{overall[0] / overall[1]:.0%} of tickets with an SLA breached one; most breaches: {policy} / {metric} "
        f"({int(breached):,} of {int(tickets):,} tickets)",
    )


def _load(con: duckdb.DuckDBPyConnection, schema: str, raw: str) -> Answer:
    """Distinct tickets over the last 7 days (not the sum of per-day counts), from the workload's attribution."""
    attributed = workload.ATTRIBUTED.strip().replace("{raw}", raw).replace("{analytics}", schema)
    rows = con.execute(
        f"""
        {attributed},
        busiest AS (
            SELECT assignee_id,
                   count(DISTINCT ticket_id) FILTER (kind = 'solve') AS solved,
                   count(DISTINCT ticket_id) FILTER (kind = 'touch') AS touched
            FROM attributed
            WHERE assignee_id IS NOT NULL
                AND CAST(timezone('UTC', happened_at) AS DATE) > (SELECT max(day) - 7 FROM {schema}.workload_daily)
            GROUP BY assignee_id ORDER BY solved DESC, touched DESC, assignee_id LIMIT 1
        )
        SELECT coalesce(u.name, 'agent ' || b.assignee_id), b.solved, b.touched
        FROM busiest b LEFT JOIN {raw}.users u ON u.id = b.assignee_id
        """
    ).fetchall()
    if not rows:
        return Answer("Who carries the load?", "no agent activity yet")
    who, solved, touched = rows[0]
    return Answer(
        "Who carries the load?",
        f"{who} over the last 7 days: {int(solved):,} tickets solved, {int(touched):,} touched",
    )


def _duration(minutes: float) -> str:
    total = round(minutes)
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {mins:02d}m" if hours else f"{mins}m"
