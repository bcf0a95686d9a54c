from __future__ import annotations

from pathlib import Path

import pytest

from zd_pipeline.clock import ManualClock
from zd_pipeline.warehouse import Warehouse

from .records import BASE


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=BASE + 10_000_000)


@pytest.fixture
def wh(tmp_path: Path, clock: ManualClock) -> Warehouse:
    warehouse = Warehouse(tmp_path / "zendesk.duckdb", clock=clock)
    warehouse.ensure_tables()
    return warehouse


def rows(wh: Warehouse, table: str, columns: str = "*", order: str = "id") -> list[tuple]:
    with wh.read() as con:
        return con.execute(f"SELECT {columns} FROM {table} ORDER BY {order}").fetchall()
