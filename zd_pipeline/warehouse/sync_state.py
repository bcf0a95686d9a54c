"""Checkpoints in ``_sync_state``: one row per (stream, window_start, window_end), upserted in the transaction of
the page it follows, so a process killed at any instant leaves rows and checkpoint consistent: a resume re-reads at
most the page that was in flight, and re-applying it changes nothing (newest-wins).

``resume`` is stored as the JSON of :meth:`ResumePoint.to_dict` (a cursor or a start_time; never a secret).
"""

from __future__ import annotations

import duckdb
import orjson

from zd_pipeline.checkpoint import Checkpoint, ResumePoint

from .ddl import SYNC_STATE_TABLE, qualified

_COLUMNS = "stream, window_start, window_end, resume, high_water_mark, complete"


def save_checkpoint(con: duckdb.DuckDBPyConnection, schema: str, checkpoint: Checkpoint, now: float) -> None:
    """Replace the window's checkpoint inside the caller's transaction (delete + insert: several times cheaper
    in DuckDB than ``ON CONFLICT DO UPDATE``, and just as atomic inside the transaction)."""
    table = qualified(schema, SYNC_STATE_TABLE)
    window = [checkpoint.stream, checkpoint.window_start, checkpoint.window_end]
    con.execute(f"DELETE FROM {table} WHERE stream = ? AND window_start = ? AND window_end = ?", window).fetchall()
    con.execute(
        f"INSERT INTO {table} ({_COLUMNS}, updated_at) VALUES (?, ?, ?, ?, ?, ?, to_timestamp(?))",
        [
            *window,
            orjson.dumps(checkpoint.resume.to_dict()).decode(),
            checkpoint.high_water_mark,
            checkpoint.complete,
            now,
        ],
    ).fetchall()


def load_checkpoint(
    con: duckdb.DuckDBPyConnection, schema: str, stream: str, window_start: int, window_end: int
) -> Checkpoint | None:
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM {qualified(schema, SYNC_STATE_TABLE)} "
        "WHERE stream = ? AND window_start = ? AND window_end = ?",
        [stream, window_start, window_end],
    ).fetchall()
    return _checkpoint(rows[0]) if rows else None


def list_checkpoints(con: duckdb.DuckDBPyConnection, schema: str, stream: str) -> list[Checkpoint]:
    """Every window's checkpoint of ``stream``, by window start."""
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM {qualified(schema, SYNC_STATE_TABLE)} WHERE stream = ? "
        "ORDER BY window_start, window_end",
        [stream],
    ).fetchall()
    return [_checkpoint(row) for row in rows]


def _checkpoint(row: tuple) -> Checkpoint:
    stream, window_start, window_end, resume, high_water_mark, complete = row
    return Checkpoint(
        stream=stream,
        window_start=window_start,
        window_end=window_end,
        resume=ResumePoint.from_dict(orjson.loads(resume)),
        high_water_mark=high_water_mark,
        complete=complete,
    )
