"""Figure 3 runs whole cycles of the vacuum policy (bench.warehouse_speed.vacuum_cycle); never asserts timings."""

from __future__ import annotations

from pathlib import Path

from bench import warehouse_speed as ws
from zd_pipeline.catalogue import TICKETS
from zd_pipeline.warehouse import Warehouse, vacuum
from zd_pipeline.warehouse.connections import CATALOG


def _shape(wh: Warehouse) -> vacuum.TableShape:
    with wh.read() as con:
        shape = vacuum.table_shape(con, CATALOG, "zendesk", TICKETS.table)
    assert shape is not None
    return shape


def test_a_cycle_runs_until_the_due_vacuum_has_run_and_counts_every_run(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "bench.duckdb")
    wh.ensure_tables()
    ws.load(wh, 1_500, quiet=True)  # small enough for DuckDB to merge its groups (see warehouse/vacuum.py)
    # runs of ~140 newer versions: ~8 % of the stored rows dead per run, so the policy's 20 % takes several runs
    figures = ws.vacuum_cycle(wh, 1_500, 1, 200)
    assert figures["runs"] >= 2  # the first runs left the vacuum for later ...
    assert figures["rows"] == 200 * figures["runs"]
    assert figures["vacuum_seconds"] > 0
    shape = _shape(wh)
    assert shape.dead_share == 0  # ... and the last one's end ran it
    assert shape.live == wh.row_count("tickets") > 1_500
    assert figures["rows_per_second"] == figures["rows"] / figures["seconds"]
    assert figures["writes_rows_per_second"] > figures["rows_per_second"]  # the vacuum is in the whole time only


def test_a_cycle_without_a_due_vacuum_forces_one_after_its_last_run(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "bench.duckdb")
    wh.ensure_tables()
    ws.load(wh, 1_500, quiet=True)
    figures = ws.vacuum_cycle(wh, 1_500, 1, 200, max_runs=1)
    assert figures["runs"] == 1 and figures["vacuum_seconds"] > 0
    assert _shape(wh).dead_share == 0
    assert vacuum.DEAD_SHARE == 0.2  # the threshold is back
