"""The SQL behind the raw tables' asset checks: plain questions to DuckDB, no Dagster.

Each function takes an open connection, the account's schema and a catalogue stream name, and raises
``duckdb.CatalogException`` when the table does not exist (the caller says "sync first").
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from zd_pipeline.catalogue import get_stream

from .model import quote, validate_schema

SAMPLE = 10
SYNC_STATE_TABLE = "_sync_state"


def _table(schema: str, stream_name: str) -> str:
    stream = get_stream(stream_name)
    return f"{quote(validate_schema(schema))}.{quote(stream.table)}"


@dataclass(frozen=True)
class IdProblems:
    """Rows without an id, ids held by more than one row, and a few of those ids."""

    null_ids: int
    duplicated_ids: int
    sample: tuple[object, ...]

    @property
    def ok(self) -> bool:
        return self.null_ids == 0 and self.duplicated_ids == 0


def id_problems(con: duckdb.DuckDBPyConnection, schema: str, stream_name: str) -> IdProblems:
    key = quote(get_stream(stream_name).primary_key)
    table = _table(schema, stream_name)
    null_ids = con.execute(f"SELECT count(*) FROM {table} WHERE {key} IS NULL").fetchone()[0]
    duplicated = con.execute(
        f"SELECT {key} FROM {table} WHERE {key} IS NOT NULL GROUP BY {key} HAVING count(*) > 1 ORDER BY {key}"
    ).fetchall()
    return IdProblems(int(null_ids), len(duplicated), tuple(row[0] for row in duplicated[:SAMPLE]))


def row_count(con: duckdb.DuckDBPyConnection, schema: str, stream_name: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {_table(schema, stream_name)}").fetchone()[0])


def synced_through(con: duckdb.DuckDBPyConnection, schema: str, stream_name: str) -> int | None:
    """Epoch seconds up to which the stream is known current: the newest of its high-water mark (newest ordering
    timestamp stored) and the end of its latest completed sync window (``_sync_state``), so a quiet stream that
    syncs regularly stays fresh. ``None`` when it holds no rows and no completed window."""
    high_water_mark = con.execute(f"SELECT max(_ordering_ts) FROM {_table(schema, stream_name)}").fetchone()[0]
    try:
        window_end = con.execute(
            f"SELECT max(window_end) FROM {quote(validate_schema(schema))}.{quote(SYNC_STATE_TABLE)} "
            "WHERE stream = ? AND complete",
            [stream_name],
        ).fetchone()[0]
    except duckdb.CatalogException:  # a warehouse that never synced has no sync state yet
        window_end = None
    known = [int(v) for v in (high_water_mark, window_end) if v is not None]
    return max(known) if known else None


@dataclass(frozen=True)
class OrphanEvents:
    """Ticket events whose ticket is not in the tickets table, how many tickets that is, and a few of their ids."""

    events: int
    tickets: int
    sample: tuple[int, ...]


def orphan_ticket_events(con: duckdb.DuckDBPyConnection, schema: str) -> OrphanEvents:
    events, tickets = _table(schema, "ticket_events"), _table(schema, "tickets")
    missing = con.execute(
        f"SELECT e.ticket_id, count(*) FROM {events} e ANTI JOIN {tickets} t ON t.id = e.ticket_id "
        "WHERE e.ticket_id IS NOT NULL GROUP BY e.ticket_id ORDER BY e.ticket_id"
    ).fetchall()
    return OrphanEvents(
        events=sum(int(n) for _, n in missing),
        tickets=len(missing),
        sample=tuple(int(ticket) for ticket, _ in missing[:SAMPLE]),
    )
