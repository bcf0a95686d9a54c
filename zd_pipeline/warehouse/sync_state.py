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


def checkpoint_statements(schema: str, checkpoint: Checkpoint, now: float) -> tuple[str, list[object]]:
    """The statements replacing the window's checkpoint, for the caller's transaction: a ``DELETE`` and an
    ``INSERT`` (delete + insert: several times cheaper in DuckDB than ``ON CONFLICT DO UPDATE``, and just as atomic
    inside the transaction), and the ``INSERT``'s parameters.

    They run in the same DuckDB call as the page's writes (``merge.apply_staged``'s ``then``), which binds
    parameters to a script's last statement only: the ``DELETE`` names the window with literals made here from
    values that cannot carry SQL (the catalogue's stream name, quoted; two integers), while everything that came
    from Zendesk (the resume cursor) travels as a parameter."""
    table = qualified(schema, SYNC_STATE_TABLE)
    stream = "'" + checkpoint.stream.replace("'", "''") + "'"
    delete = (
        f"DELETE FROM {table} WHERE stream = {stream} AND window_start = {int(checkpoint.window_start)} "
        f"AND window_end = {int(checkpoint.window_end)}"
    )
    insert = f"INSERT INTO {table} ({_COLUMNS}, updated_at) VALUES (?, ?, ?, ?, ?, ?, to_timestamp(?))"
    parameters: list[object] = [
        checkpoint.stream,
        checkpoint.window_start,
        checkpoint.window_end,
        orjson.dumps(checkpoint.resume.to_dict()).decode(),
        checkpoint.high_water_mark,
        checkpoint.complete,
        now,
    ]
    return f"{delete};\n{insert}", parameters


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
