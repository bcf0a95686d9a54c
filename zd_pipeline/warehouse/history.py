"""Change history of change-log streams (``Stream.history_key``: the routing exports), from the catalogue alone.

The stream's own table keeps each id's newest state (the ordinary upsert merge); ``<table>_history`` keeps every
change received, one row per distinct ``history_key`` value (for routing: ``(id, time, type)``), with the same
columns as the table. :func:`history_statements` writes a staged page's changes inside the page's transaction, so
history and newest state are always committed together; re-reading a page (a resume, the daily re-read) adds
nothing twice. Like the table, the history has no index: the insert is an anti-join on the key columns, and
change-log exports are small (skills and their assignments).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from zd_pipeline.catalogue import Stream

from .arrow_page import POSITION, sql_expression
from .ddl import qualified, quote, table_columns

HISTORY_STAGED = "_zd_staged_history"


def create_history_sql(schema: str, stream: Stream) -> str | None:
    """``CREATE TABLE IF NOT EXISTS`` for the stream's history (its table's columns), or ``None`` without one."""
    if stream.history_table is None:
        return None
    columns = ",\n  ".join(
        f"{quote(c.name)} {c.type}" + (" NOT NULL" if c.name in stream.history_key else "")
        for c in table_columns(stream)
    )
    return f"CREATE TABLE IF NOT EXISTS {qualified(schema, stream.history_table)} (\n  {columns}\n)"


def apply_history(
    con: duckdb.DuckDBPyConnection, schema: str, stream: Stream, page: pa.Table, synced_at: float
) -> None:
    """Insert the page's changes not in the history yet (inside the caller's transaction); no-op without one."""
    if stream.history_table is None or page.num_rows == 0:
        return
    con.register(HISTORY_STAGED, page)
    try:
        con.execute(history_statements(schema, stream, synced_at)).fetchall()
    finally:
        con.unregister(HISTORY_STAGED)


def history_statements(schema: str, stream: Stream, synced_at: float) -> str:
    """The ``INSERT`` of the staged page's changes whose key is not stored yet (the first of a repeated key)."""
    assert stream.history_table is not None
    columns = table_columns(stream)
    names = ", ".join(quote(c.name) for c in columns)
    stamp = f"to_timestamp({float(synced_at)!r})"
    selected = ", ".join(
        f"{stamp if c.name == '_synced_at' else sql_expression(c)} AS {quote(c.name)}" for c in columns
    )
    key = ", ".join(quote(k) for k in stream.history_key)
    matches = " AND ".join(f"h.{quote(k)} = s.{quote(k)}" for k in stream.history_key)
    history = qualified(schema, stream.history_table)
    return (
        f"INSERT INTO {history} ({names}) "
        f"SELECT {names} FROM (SELECT {selected}, {quote(POSITION)} FROM {HISTORY_STAGED}) s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {history} h WHERE {matches}) "
        f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY {quote(POSITION)}) = 1"
    )
