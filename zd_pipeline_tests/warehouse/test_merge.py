"""``merge.registered``: a failing statement's own error reaches the caller, not the unregister's."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from zd_pipeline.warehouse.merge import registered


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
