from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from zd_pipeline.analytics import TABLES, build_all, build_table, get_table, markdown_table, render
from zd_pipeline.warehouse import Warehouse

from . import scenario
from .conftest import rows


def test_every_table_has_exactly_its_declared_columns_and_types(con: duckdb.DuckDBPyConnection) -> None:
    spelled = {"TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ"}
    for table in TABLES:
        described = con.execute(f"DESCRIBE analytics.{table.name}").fetchall()
        actual = [(name, spelled.get(kind, kind)) for name, kind, *_ in described]
        assert actual == [(c.name, c.type) for c in table.columns], table.name
        assert all(c.description for c in table.columns), table.name


def test_tables_come_after_the_analytics_tables_they_read() -> None:
    seen: set[str] = set()
    for table in TABLES:
        assert set(table.upstream) <= seen, table.name
        assert f"{{analytics}}.{table.name}" not in table.sql  # a table never reads itself
        seen.add(table.name)


def test_an_empty_account_builds_empty_tables(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "empty.duckdb")
    warehouse.ensure_tables()
    with warehouse.write() as con:
        build_all(con, TABLES, "main", "analytics")
        counts = {t.name: con.execute(f"SELECT count(*) FROM analytics.{t.name}").fetchone()[0] for t in TABLES}
    assert counts == dict.fromkeys(counts, 0)


def test_other_schema_names_are_honoured_and_a_rebuild_gives_the_same_rows(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "acme.duckdb")
    scenario.load(warehouse)
    with warehouse.write() as con:
        build_all(con, TABLES, "main", "acme_reports")
        first = rows(con, "SELECT * FROM acme_reports.ticket_backlog_daily ORDER BY day, status")
        build_all(con, TABLES, "main", "acme_reports")
        second = rows(con, "SELECT * FROM acme_reports.ticket_backlog_daily ORDER BY day, status")
    assert first == second
    assert len(first) > 0


def test_a_failing_build_keeps_the_previous_table(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "w.duckdb")
    scenario.load(warehouse)
    table = get_table("ticket_field_history")
    broken = replace(table, sql="SELECT 1 AS ticket_id FROM {raw}.no_such_table")
    with warehouse.write() as con:
        build_table(con, table, "main", "analytics")
        before = con.execute("SELECT count(*) FROM analytics.ticket_field_history").fetchone()[0]
        with pytest.raises(duckdb.CatalogException, match="no_such_table"):
            build_table(con, broken, "main", "analytics")
        after = con.execute("SELECT count(*) FROM analytics.ticket_field_history").fetchone()[0]
    assert before == after > 0


@pytest.mark.parametrize("bad", ["", "1abc", "a b", 'x"; DROP TABLE t; --'])
def test_a_bad_schema_name_is_refused_with_what_to_use(bad: str) -> None:
    with pytest.raises(ValueError, match="letters, digits and underscores"):
        render("SELECT 1 FROM {raw}.tickets", bad, "analytics")


def test_markdown_table_escapes_pipes_and_shows_nulls_as_blank() -> None:
    text = markdown_table(["a", "b"], [("x|y", None), (1.23456789, 2)])
    assert text.splitlines() == ["| a | b |", "| --- | --- |", "| x\\|y |  |", "| 1.235 | 2 |"]
