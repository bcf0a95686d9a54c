"""Snapshot semantics for the reference tables (``catalogue.lists``), on one DuckDB connection.

A refresh hands over every item a list endpoint returned. In one transaction, with the list's state row:

1. every item is upserted: the stored row is replaced only by an item whose ``updated_at`` is not older (newest
   wins; the same snapshot twice changes nothing but ``_synced_at``);
2. when the snapshot is *complete* (every page read, the list's whole content), every stored id it lacks becomes
   a tombstone (``_deleted`` true); an id that comes back later is live again. Nothing is hard-deleted;
3. ``_reference_state`` keeps per list when it was last refreshed, whether completely, its row count and, for a
   ``since`` list (ratings), the newest creation time stored, where the next refresh resumes.

Tables: the catalogue's typed columns (values read from ``_raw`` with ``TRY_CAST``, so a value that no longer fits
its type is NULL in its column and intact in ``_raw``), then ``_raw JSON``, ``_synced_at``, ``_ordering_ts`` (epoch
of ``updated_at``) and ``_deleted`` (missing from a complete snapshot, or the list's tombstone field set).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from zd_pipeline.catalogue import Column, ListStream

from .ddl import qualified, quote
from .errors import WarehouseError

STATE_TABLE = "_reference_state"
META = (
    Column("_raw", "JSON", "The whole item as received."),
    Column("_synced_at", "TIMESTAMPTZ", "When a refresh last wrote this row."),
    Column("_ordering_ts", "BIGINT", "updated_at in epoch seconds (newest wins)."),
    Column("_deleted", "BOOLEAN", "True when the item is gone from Zendesk (or marked deleted there)."),
)


@dataclass(frozen=True)
class SnapshotState:
    """A list's last refresh: when, whether complete, rows stored, and (ratings) the newest creation time."""

    name: str
    synced_at: datetime
    complete: bool
    rows: int
    since: int | None


def ensure(con: duckdb.DuckDBPyConnection, schema: str, stream: ListStream) -> None:
    """Create the schema, the list's table and the state table if missing; add columns the catalogue gained."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {qualified(schema, STATE_TABLE)} (list VARCHAR PRIMARY KEY, "
        "synced_at TIMESTAMPTZ, complete BOOLEAN, rows BIGINT, since BIGINT)"
    )
    columns = ", ".join(f"{quote(c.name)} {c.type}" for c in (*stream.columns, *META))
    con.execute(f"CREATE TABLE IF NOT EXISTS {qualified(schema, stream.table)} ({columns})")
    existing = {
        row[0]
        for row in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
            [schema, stream.table],
        ).fetchall()
    }
    for column in (*stream.columns, *META):
        if column.name not in existing:
            con.execute(f"ALTER TABLE {qualified(schema, stream.table)} ADD COLUMN {quote(column.name)} {column.type}")


def apply(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    stream: ListStream,
    records: Sequence[dict[str, Any]],
    *,
    complete: bool,
    now: float,
) -> SnapshotState:
    """Apply one refresh (see the module docstring) in one transaction; returns the new state."""
    lacking = [r for r in records if not isinstance(r, dict) or r.get(stream.primary_key) is None]
    if lacking:
        raise WarehouseError(
            f"{len(lacking)} item(s) of {stream.name!r} have no {stream.primary_key!r} (e.g. {str(lacking[0])[:80]}); "
            "nothing of the snapshot was written"
        )
    ensure(con, schema, stream)
    target = qualified(schema, stream.table)
    synced_at = datetime.fromtimestamp(now, UTC)
    incoming = pa.table({"_text": [orjson.dumps(r).decode() for r in records], "_pos": list(range(len(records)))})
    con.register("_zd_incoming", incoming)
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE _zd_snapshot AS {_staged_sql(stream)}")
            con.execute(
                f"DELETE FROM {target} t USING _zd_snapshot s WHERE t.id = s.id "
                "AND (t._ordering_ts IS NULL OR s._ordering_ts IS NULL OR s._ordering_ts >= t._ordering_ts)"
            )
            names = ", ".join(quote(c.name) for c in (*stream.columns, *META))
            con.execute(
                f"INSERT INTO {target} ({names}) SELECT * EXCLUDE (_pos) REPLACE (?::TIMESTAMPTZ AS _synced_at) "
                f"FROM _zd_snapshot s WHERE NOT EXISTS (SELECT 1 FROM {target} t WHERE t.id = s.id)",
                [synced_at],
            )
            if complete:
                con.execute(
                    f"UPDATE {target} SET _deleted = true, _synced_at = ? "
                    "WHERE NOT _deleted AND id NOT IN (SELECT id FROM _zd_snapshot)",
                    [synced_at],
                )
            state = _store_state(con, schema, stream, synced_at, complete)
            con.execute("DROP TABLE _zd_snapshot")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.unregister("_zd_incoming")
    return state


def load_state(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> SnapshotState | None:
    """The list's last refresh, or ``None`` (never refreshed, or no state table yet)."""
    try:
        row = con.execute(
            f"SELECT list, synced_at, complete, rows, since FROM {qualified(schema, STATE_TABLE)} WHERE list = ?",
            [name],
        ).fetchone()
    except duckdb.CatalogException:
        return None
    return SnapshotState(*row) if row else None


def _staged_sql(stream: ListStream) -> str:
    """The incoming items as table rows: typed columns, then the bookkeeping ones; one row per id (newest item,
    ties to the later one in the snapshot)."""
    typed = ", ".join(f"{_extract(c)} AS {quote(c.name)}" for c in stream.columns)
    ordering = f"epoch(TRY_CAST(_text::JSON->>'{_path(stream.ordering_field)}' AS TIMESTAMPTZ))::BIGINT"
    deleted = "false"
    if stream.tombstone is not None:
        marker = orjson.dumps(stream.tombstone.value).decode().strip('"').replace("'", "''")
        deleted = f"coalesce(_text::JSON->>'{_path(stream.tombstone.field)}' = '{marker}', false)"
    return (
        f"SELECT {typed}, _text::JSON AS _raw, NULL::TIMESTAMPTZ AS _synced_at, {ordering} AS _ordering_ts, "
        f"{deleted} AS _deleted, _pos FROM _zd_incoming "
        f"QUALIFY row_number() OVER (PARTITION BY {_extract(stream.columns[0])} "
        "ORDER BY _ordering_ts DESC NULLS LAST, _pos DESC) = 1"
    )


def _extract(column: Column) -> str:
    path = _path(column.name)
    if column.type == "JSON":
        return f"(_text::JSON->'{path}')"
    if column.type == "VARCHAR":
        return f"(_text::JSON->>'{path}')"
    if column.type.endswith("[]"):
        return f"TRY_CAST(_text::JSON->'{path}' AS {column.type})"
    return f"TRY_CAST(_text::JSON->>'{path}' AS {column.type})"


def _path(field: str) -> str:
    return '$."' + field.replace("'", "''").replace('"', '\\"') + '"'


def _store_state(
    con: duckdb.DuckDBPyConnection, schema: str, stream: ListStream, synced_at: datetime, complete: bool
) -> SnapshotState:
    target = qualified(schema, stream.table)
    rows, since = con.execute(f"SELECT count(*), epoch(max(created_at))::BIGINT FROM {target}").fetchone()
    since = since if stream.since else None
    con.execute(
        f"INSERT OR REPLACE INTO {qualified(schema, STATE_TABLE)} VALUES (?, ?, ?, ?, ?)",
        [stream.name, synced_at, complete, rows, since],
    )
    return SnapshotState(stream.name, synced_at, complete, rows, since)
