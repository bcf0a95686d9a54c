"""Build analytics tables in DuckDB and read back what the UI shows about them (counts, headlines, a preview).

Every function takes an open DuckDB connection and the two schema names; none knows about Dagster. A build is one
``CREATE OR REPLACE TABLE ... AS SELECT`` inside a transaction, so readers see the old table or the new one, never
a half-built one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import duckdb

from .model import AnalyticsTable, quote, render, validate_schema

PREVIEW_ROWS = 5


def qualified(schema: str, table: str) -> str:
    return f"{quote(validate_schema(schema))}.{quote(table)}"


def build_sql(table: AnalyticsTable, raw_schema: str, analytics_schema: str) -> str:
    """The full statement that (re)builds ``table``."""
    select = render(table.sql, raw_schema, analytics_schema).strip()
    return f"CREATE OR REPLACE TABLE {qualified(analytics_schema, table.name)} AS\n{select}"


def build_table(con: duckdb.DuckDBPyConnection, table: AnalyticsTable, raw_schema: str, analytics_schema: str) -> None:
    """Rebuild ``table`` from its inputs, atomically. Its inputs must exist (raw tables, upstream analytics)."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(validate_schema(analytics_schema))}")
        con.execute(build_sql(table, raw_schema, analytics_schema))
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def build_all(
    con: duckdb.DuckDBPyConnection, tables: Iterable[AnalyticsTable], raw_schema: str, analytics_schema: str
) -> None:
    """Rebuild ``tables`` in the given order (upstream tables first)."""
    for table in tables:
        build_table(con, table, raw_schema, analytics_schema)


def row_count(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {qualified(schema, table)}").fetchone()[0])


def headlines(
    con: duckdb.DuckDBPyConnection, table: AnalyticsTable, raw_schema: str, analytics_schema: str
) -> dict[str, float | None]:
    """Each headline's value (``None`` when there is nothing to measure, e.g. a median over no rows)."""
    values: dict[str, float | None] = {}
    for headline in table.headlines:
        value = con.execute(render(headline.sql, raw_schema, analytics_schema)).fetchone()[0]
        values[headline.name] = None if value is None else float(value)
    return values


def preview_rows(
    con: duckdb.DuckDBPyConnection, table: AnalyticsTable, analytics_schema: str, limit: int = PREVIEW_ROWS
) -> list[tuple[Any, ...]]:
    return con.execute(
        f"SELECT * FROM {qualified(analytics_schema, table.name)} ORDER BY {table.preview_order} LIMIT {int(limit)}"
    ).fetchall()


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured markdown table (what the Dagster UI renders for markdown metadata)."""
    header = "| " + " | ".join(columns) + " |"
    rule = "| " + " | ".join("---" for _ in columns) + " |"
    body = ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join([header, rule, *body])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")
