"""The scenario account loaded through the real warehouse, with every analytics table built once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from zd_pipeline.analytics import TABLES, build_all
from zd_pipeline.warehouse import Warehouse

from . import scenario

RAW = "main"  # the raw tables: the warehouse file's default schema
ANALYTICS = "analytics"


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    warehouse = Warehouse(tmp_path_factory.mktemp("analytics") / "scenario.duckdb")
    scenario.load(warehouse)
    with warehouse.write() as con:
        build_all(con, TABLES, RAW, ANALYTICS)
    return warehouse


@pytest.fixture
def con(built_warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    with built_warehouse.read() as connection:
        yield connection


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    """Query results as dicts (column name → value)."""
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def fresh_warehouse(tmp_path: Path, name: str = "w.duckdb") -> Warehouse:
    return Warehouse(tmp_path / name)
