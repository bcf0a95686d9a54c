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
   ``INSERT ... SELECT`` from Arrow; both read the staged page (registered once, with the decisions as columns)
   and go to DuckDB as one script with the caller's own statements (the checkpoint): fewer calls, fewer waits
   for the GIL (see the package docstring).
4. APPEND streams: the rows whose id is not stored yet are inserted; a stored event is never rewritten.

Ids stay unique without a PRIMARY KEY because every write goes through this merge under the single-writer lock:
the batch is unique after step 1 and a stored id is only ever replaced (deleted, then re-inserted) in the same
transaction. Measured on this machine (bench/warehouse_speed.py): maintaining the ART index of a PRIMARY KEY over
1,000,000 tickets made every batch slower, its checkpoints rewrite the table's last row group instead of
appending a new one, and its memory grows with the table; ``INSERT ... ON CONFLICT DO UPDATE`` (which needs that
index) took ~0.5 s per 1,000 tickets.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from zd_pipeline.catalogue import Stream, WriteMode

from .arrow_page import POSITION, sql_expression
from .arrow_values import constant_mask, positions
from .ddl import qualified, quote, table_columns

STAGED = "_zd_staged_page"
_KEYS = "_zd_staged_keys"
_ROWIDS = "_zd_staged_rowids"
_WRITE = "_zd_write"
_RID = "_zd_replaces"  # the stored rowid a staged row replaces


def apply_staged(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    stream: Stream,
    page: pa.Table,
    synced_at: float,
    then: tuple[str, list[object]] = ("", []),
) -> pa.Array:
    """Write ``page`` (from :func:`page_to_arrow`) into the stream's table, then run ``then`` (a script, whose
    last statement alone takes the listed parameters: say, the checkpoint's statements); returns the ``_pos`` of
    every row inserted or replaced, in page order.

    The page is never copied in Python: the decisions are Arrow columns of the staged page, and DuckDB reads the
    rows to delete and to insert straight from it. Its writes and ``then`` go to DuckDB as one script, one call:
    each call costs the writer the GIL several times, which it waits for while fetcher threads parse pages
    (the package docstring).
    """
    script, parameters = then
    if page.num_rows == 0:
        _run(con, [script], parameters)
        return pa.array([], pa.int32())
    key = stream.primary_key
    table = qualified(schema, stream.table)
    keep = newest_per_id(page, key)
    stored_ts, stored_rowid = _stored(con, table, key, page)
    new = pc.is_null(stored_ts)
    writes = []
    if stream.write_mode is WriteMode.APPEND:
        winners = pc.and_(new, keep)
        replaced = pa.nulls(page.num_rows, pa.int64())
    else:
        incoming = page.column("_ordering_ts").combine_chunks()
        replace = pc.and_(pc.fill_null(pc.greater(incoming, stored_ts), False), keep)
        tie = pc.and_(pc.fill_null(pc.equal(incoming, stored_ts), False), keep)
        if pc.any(tie).as_py():
            replace = pc.or_(replace, _raw_differs(con, table, page, tie, stored_rowid))
        replaced = pc.if_else(replace, stored_rowid, pa.scalar(None, pa.int64()))
        if pc.any(replace).as_py():
            replaced_rows = f"SELECT {_RID} FROM {STAGED} WHERE {_RID} IS NOT NULL"
            writes.append(f"DELETE FROM {table} WHERE rowid IN ({replaced_rows})")
        winners = pc.or_(pc.and_(new, keep), replace)
    if pc.any(winners).as_py():
        writes.append(insert_sql(schema, stream, synced_at))
    if writes:
        with registered(con, STAGED, page.append_column(_WRITE, winners).append_column(_RID, replaced)):
            _run(con, [*writes, script], parameters)
    else:
        _run(con, [script], parameters)
    return pc.filter(page.column(POSITION).combine_chunks(), winners)


def _run(con: duckdb.DuckDBPyConnection, statements: list[str], parameters: list[object]) -> None:
    """The non-empty ``statements`` as one script, one DuckDB call (``parameters`` bind its last statement)."""
    script = ";\n".join(statement for statement in statements if statement)
    if script:
        con.execute(script, parameters).fetchall()


def insert_sql(schema: str, stream: Stream, synced_at: float) -> str:
    """``INSERT`` of the staged rows flagged ``_zd_write``, stamped ``synced_at`` (epoch seconds, written as a
    literal: a script binds parameters to its last statement only)."""
    if not math.isfinite(synced_at):
        raise ValueError(f"the sync time must be a finite number of seconds, not {synced_at!r}")
    columns = table_columns(stream)
    names = ", ".join(quote(c.name) for c in columns)
    stamp = f"to_timestamp({float(synced_at)!r})"
    selected = ", ".join(stamp if c.name == "_synced_at" else sql_expression(c) for c in columns)
    return f"INSERT INTO {qualified(schema, stream.table)} ({names}) SELECT {selected} FROM {STAGED} WHERE {_WRITE}"


def newest_per_id(page: pa.Table, key: str) -> pa.Array:
    """A mask keeping one row per id: the newest ``_ordering_ts``, ties → the largest ``_pos`` (the later record).
    All true when ids are unique."""
    ids = page.column(key)
    if pc.count_distinct(ids).as_py() == page.num_rows:
        return constant_mask(page.num_rows, True)
    order = pc.sort_indices(page, [(key, "ascending"), ("_ordering_ts", "ascending"), (POSITION, "ascending")])
    sorted_ids = pc.take(ids, order).combine_chunks()
    # the last row of each run of equal ids is that id's winner
    last = pc.not_equal(sorted_ids.slice(0, len(sorted_ids) - 1), sorted_ids.slice(1))
    winners = pc.filter(order, pa.concat_arrays([last, pa.array([True], pa.bool_())]))
    return pc.is_in(positions(page.num_rows, pa.uint64()), value_set=winners.cast(pa.uint64()))


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
    return pc.replace_with_mask(constant_mask(page.num_rows, False), tie, differs_at_ties)


def _take(column: pa.ChunkedArray, indices: pa.Array) -> pa.Array:
    return pc.take(column.combine_chunks(), indices)


def _storage(column: pa.ChunkedArray) -> pa.Array:
    """The plain string storage of a JSON extension column."""
    array = column.combine_chunks()
    return array.storage if isinstance(array, pa.ExtensionArray) else array


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
