"""``merge.registered``: a failing statement's own error reaches the caller, not the unregister's."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from zd_pipeline.warehouse.arrow_values import positions
from zd_pipeline.warehouse.merge import newest_per_id, registered
from zd_pipeline.warehouse.pages import concat_pages


def test_the_failing_statements_error_is_raised_not_the_aborted_transactions() -> None:
    con = duckdb.connect()
    con.execute("BEGIN")
    with (
        pytest.raises(duckdb.ConversionException, match="Could not convert"),
        registered(con, "staged", pa.table({"a": ["not a number"]})),
    ):
        con.execute("SELECT CAST(a AS INTEGER) FROM staged").fetchall()
    con.execute("ROLLBACK")
    with pytest.raises(duckdb.CatalogException):  # unregistered all the same once the transaction is over
        con.execute("SELECT * FROM staged").fetchall()


def test_the_table_is_visible_inside_and_gone_after() -> None:
    con = duckdb.connect()
    with registered(con, "staged", pa.table({"a": [1, 2]})):
        assert con.execute("SELECT sum(a) FROM staged").fetchall() == [(3,)]
    with pytest.raises(duckdb.CatalogException):
        con.execute("SELECT * FROM staged").fetchall()


def test_newest_per_id_keeps_the_newest_version_and_the_later_one_on_a_tie() -> None:
    page = pa.table(
        {
            "id": pa.array([7, 8, 7, 9, 7, 8], pa.int64()),
            "_ordering_ts": pa.array([5, 1, 6, 1, 6, 0], pa.int64()),
            "_pos": positions(6),
        }
    )
    assert newest_per_id(page, "id").to_pylist() == [False, True, False, True, True, False]


def test_newest_per_id_keeps_every_row_of_a_page_without_repeated_ids() -> None:
    page = pa.table({"id": pa.array([3, 1, 2], pa.int64()), "_ordering_ts": pa.array([1, 1, 1]), "_pos": positions(3)})
    assert newest_per_id(page, "id").to_pylist() == [True, True, True]


def test_batch_positions_number_the_rows_of_every_page_in_order() -> None:
    pages = [pa.table({"id": [1, 2], "_pos": positions(2)}), pa.table({"id": [3], "_pos": positions(1)})]
    batch = concat_pages(pages)
    assert batch.column("_pos").to_pylist() == [0, 1, 2]
    assert batch.schema.field("_pos").type == pa.int32()
