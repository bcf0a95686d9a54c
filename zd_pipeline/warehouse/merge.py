"""Apply one staged page (an Arrow table registered in DuckDB) to its stream's table, in set-based SQL.

- Duplicates inside the page are resolved first: per id the newest ``_ordering_ts`` is kept, ties → the last one
  in the page (``_pos``).
- UPSERT streams, newest wins: ``INSERT ... ON CONFLICT (id) DO UPDATE ... WHERE`` replaces a stored row only when
  the incoming ordering timestamp is newer, or equal with a different record (Zendesk timestamps have one-second
  granularity, so two changes can share a second; the later-applied one wins). An older record never replaces a
  newer one, and re-applying an identical page writes nothing (written = 0).
- APPEND streams: ``ON CONFLICT DO NOTHING``; an event once stored is never rewritten.

The statement's row count is what was inserted or replaced; the rest of the page was stale, already present or a
duplicate.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from zd_pipeline.catalogue import Stream, WriteMode

from .arrow_page import POSITION, sql_expression
from .ddl import qualified, quote, table_columns

STAGED_PAGE = "_zd_staged_page"


def merge_sql(schema: str, stream: Stream) -> str:
    """The INSERT statement for one staged page; its only parameter is the sync time (epoch seconds)."""
    columns = table_columns(stream)
    names = ", ".join(quote(c.name) for c in columns)
    key = quote(stream.primary_key)
    selected = ", ".join(
        "to_timestamp(?) AS _synced_at" if c.name == "_synced_at" else f"{sql_expression(c)} AS {quote(c.name)}"
        for c in columns
    )
    deduplicated = (
        f"SELECT {selected} FROM {STAGED_PAGE} "
        f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _ordering_ts DESC, {POSITION} DESC) = 1"
    )
    insert = f"INSERT INTO {qualified(schema, stream.table)} AS stored ({names}) {deduplicated}"
    if stream.write_mode is WriteMode.APPEND:
        return f"{insert} ON CONFLICT ({key}) DO NOTHING"
    updates = ", ".join(f"{quote(c.name)} = excluded.{quote(c.name)}" for c in columns if c.name != stream.primary_key)
    return (
        f"{insert} ON CONFLICT ({key}) DO UPDATE SET {updates} "
        "WHERE excluded._ordering_ts > stored._ordering_ts "
        "OR (excluded._ordering_ts = stored._ordering_ts AND excluded._raw IS DISTINCT FROM stored._raw)"
    )


def merge_page(con: duckdb.DuckDBPyConnection, sql: str, page: pa.Table, synced_at: float) -> int:
    """Run ``sql`` (from :func:`merge_sql`) over ``page`` inside the caller's transaction; rows written."""
    if page.num_rows == 0:
        return 0
    con.register(STAGED_PAGE, page)
    try:
        row = con.execute(sql, [synced_at]).fetchone()
    finally:
        con.unregister(STAGED_PAGE)
    return int(row[0]) if row else 0
