"""Apply one converted batch (an Arrow table of one or more pages) to its stream's table, set-based, inside the
caller's transaction.

Steps, all bulk:

1. Duplicates inside the batch are resolved first (in Arrow): per id the newest ``_ordering_ts`` is kept, ties →
   the last one in the batch (pages keep their order, so a later page's record is the later one).
2. One join reads what the table stores for the batch's ids: ``_ordering_ts`` and the ``rowid`` (two narrow
   columns; the table has no index, the hash join over its ``id`` column is the lookup).
3. UPSERT streams, newest wins: each record is classified (in Arrow): new → insert; newer than stored → replace;
   older → ignore; equally new → replace only if its ``_raw`` differs from the stored one (Zendesk timestamps have
   one-second granularity, so two changes can share a second; the later-applied wins, while re-applying an
   identical page writes nothing). Replaced rows are deleted by ``rowid`` and the winners inserted in one
   ``INSERT ... SELECT`` from Arrow.
4. APPEND streams: the rows whose id is not stored yet are inserted; a stored event is never rewritten.

Ids stay unique without a PRIMARY KEY because every write goes through this merge under the single-writer lock:
the batch is unique after step 1 and a stored id is only ever replaced (deleted, then re-inserted) in the same
transaction. Measured on this machine (bench/warehouse_speed.py): maintaining the ART index of a PRIMARY KEY over
1,000,000 tickets made every batch slower, its checkpoints rewrite the table's last row group instead of
appending a new one, and its memory grows with the table; ``INSERT ... ON CONFLICT DO UPDATE`` (which needs that
index) took ~0.5 s per 1,000 tickets.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from zd_pipeline.catalogue import Stream, WriteMode

from .arrow_page import POSITION, sql_expression
from .ddl import qualified, quote, table_columns

STAGED = "_zd_staged_page"
_KEYS = "_zd_staged_keys"
_ROWIDS = "_zd_staged_rowids"
_WRITE = "_zd_write"


def apply_staged(
    con: duckdb.DuckDBPyConnection, schema: str, stream: Stream, page: pa.Table, synced_at: float
) -> pa.Array:
    """Write ``page`` (from :func:`page_to_arrow`) into the stream's table; returns the ``_pos`` of every row
    inserted or replaced, in page order.

    The page is never copied in Python: the decisions are boolean masks, and DuckDB reads only the winning rows
    (``WHERE _zd_write``) straight from the registered Arrow table.
    """
    if page.num_rows == 0:
        return pa.array([], pa.int32())
    key = stream.primary_key
    table = qualified(schema, stream.table)
    keep = newest_per_id(page, key)
    stored_ts, stored_rowid = _stored(con, table, key, page)
    new = pc.is_null(stored_ts)
    if stream.write_mode is WriteMode.APPEND:
        winners = pc.and_(new, keep)
    else:
        incoming = page.column("_ordering_ts").combine_chunks()
        replace = pc.and_(pc.fill_null(pc.greater(incoming, stored_ts), False), keep)
        tie = pc.and_(pc.fill_null(pc.equal(incoming, stored_ts), False), keep)
        if pc.any(tie).as_py():
            replace = pc.or_(replace, _raw_differs(con, table, page, tie, stored_rowid))
        if pc.any(replace).as_py():
            rowids = pa.table({"rid": pc.filter(stored_rowid, replace)})
            _with_registered(con, _ROWIDS, rowids, f"DELETE FROM {table} WHERE rowid IN (SELECT rid FROM {_ROWIDS})")
        winners = pc.or_(pc.and_(new, keep), replace)
    if pc.any(winners).as_py():
        staged = page.append_column(_WRITE, winners)
        _with_registered(con, STAGED, staged, insert_sql(schema, stream), [synced_at])
    return pc.filter(page.column(POSITION).combine_chunks(), winners)


def insert_sql(schema: str, stream: Stream) -> str:
    """``INSERT`` of the staged rows flagged ``_zd_write``; its only parameter is the sync time (epoch seconds)."""
    columns = table_columns(stream)
    names = ", ".join(quote(c.name) for c in columns)
    selected = ", ".join("to_timestamp(?)" if c.name == "_synced_at" else sql_expression(c) for c in columns)
    return f"INSERT INTO {qualified(schema, stream.table)} ({names}) SELECT {selected} FROM {STAGED} WHERE {_WRITE}"


def newest_per_id(page: pa.Table, key: str) -> pa.Array:
    """A mask keeping one row per id: the newest ``_ordering_ts``, ties → the largest ``_pos`` (the later record).
    All true when ids are unique."""
    ids = page.column(key)
    if pc.count_distinct(ids).as_py() == page.num_rows:
        return pa.array([True] * page.num_rows, pa.bool_())
    order = pc.sort_indices(page, [(key, "ascending"), ("_ordering_ts", "ascending"), (POSITION, "ascending")])
    sorted_ids = pc.take(ids, order).combine_chunks()
    # the last row of each run of equal ids is that id's winner
    last = pc.not_equal(sorted_ids.slice(0, len(sorted_ids) - 1), sorted_ids.slice(1))
    winners = pc.filter(order, pa.concat_arrays([last, pa.array([True], pa.bool_())]))
    return pc.is_in(pa.array(range(page.num_rows), pa.uint64()), value_set=winners.cast(pa.uint64()))


def _stored(con: duckdb.DuckDBPyConnection, table: str, key: str, page: pa.Table) -> tuple[pa.Array, pa.Array]:
    """Per page row (aligned): the stored ``_ordering_ts`` and ``rowid``, null where the id is not stored."""
    name = quote(key)
    sql = (
        f"SELECT k.{POSITION} AS pos, t._ordering_ts AS ts, t.rowid AS rid "
        f"FROM {_KEYS} k JOIN {table} t ON t.{name} = k.{name}"
    )
    with registered(con, _KEYS, page.select([key, POSITION])):
        found = con.sql(sql).to_arrow_table()
    where = pc.index_in(page.column(POSITION).combine_chunks(), value_set=found.column("pos").combine_chunks())
    return _take(found.column("ts"), where), _take(found.column("rid"), where)


def _raw_differs(
    con: duckdb.DuckDBPyConnection, table: str, page: pa.Table, tie: pa.Array, stored_rowid: pa.Array
) -> pa.Array:
    """Per page row: True where ``tie`` holds and the stored ``_raw`` differs from the incoming one.

    Reads ``_raw`` of those rows only (by ``rowid``), never the whole column.
    """
    rowids = pc.filter(stored_rowid, tie)
    sql = f"SELECT rowid AS rid, _raw::VARCHAR AS raw FROM {table} WHERE rowid IN (SELECT rid FROM {_ROWIDS})"
    with registered(con, _ROWIDS, pa.table({"rid": rowids})):
        found = con.sql(sql).to_arrow_table()
    stored_raw = _take(found.column("raw"), pc.index_in(rowids, value_set=found.column("rid").combine_chunks()))
    incoming = pc.filter(_storage(page.column("_raw")), tie)
    differs_at_ties = pc.fill_null(pc.not_equal(incoming, stored_raw.cast(pa.large_string())), True)
    return pc.replace_with_mask(pa.array([False] * page.num_rows, pa.bool_()), tie, differs_at_ties)


def _take(column: pa.ChunkedArray, indices: pa.Array) -> pa.Array:
    return pc.take(column.combine_chunks(), indices)


def _storage(column: pa.ChunkedArray) -> pa.Array:
    """The plain string storage of a JSON extension column."""
    array = column.combine_chunks()
    return array.storage if isinstance(array, pa.ExtensionArray) else array


def _with_registered(
    con: duckdb.DuckDBPyConnection,
    name: str,
    table: pa.Table,
    sql: str,
    parameters: list[object] | None = None,
) -> list[tuple]:
    """Run ``sql`` with ``table`` visible as ``name``; its rows."""
    with registered(con, name, table):
        return con.execute(sql, parameters or []).fetchall()


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> Iterator[None]:
    """``table`` visible to ``con``'s SQL as ``name`` inside the block.

    When the block fails, DuckDB has aborted the transaction and unregistering fails too ("Current transaction is
    aborted"); that second error is dropped so the first one (say, out of memory) is what the caller reports.
    """
    con.register(name, table)
    try:
        yield
    except BaseException:
        with suppress(duckdb.Error):
            con.unregister(name)
        raise
    con.unregister(name)
