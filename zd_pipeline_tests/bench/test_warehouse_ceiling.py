"""Figure 3's ceiling (bench.warehouse_ceiling): the writer alone over one whole vacuum cycle; never asserts
timings."""

from __future__ import annotations

from pathlib import Path

from bench import warehouse_ceiling as wc
from bench import warehouse_speed as ws
from zd_pipeline.catalogue import TICKETS
from zd_pipeline.warehouse import Warehouse, memory, vacuum
from zd_pipeline.warehouse.connections import CATALOG


def test_a_line_runs_a_whole_cycle_under_its_own_settings_and_restores_them(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "bench.duckdb")
    wh.ensure_tables()
    ws.load(wh, 1_500, quiet=True)
    seen: list[tuple[int, float]] = []
    prepare = wh.prepare

    def watched(*args: object) -> object:  # the settings in force while the line runs
        seen.append((memory.PAGE_START_MB, vacuum.DEAD_SHARE))
        return prepare(*args)  # type: ignore[arg-type]

    wh.prepare = watched  # type: ignore[method-assign]
    figures = wc.writer_cycle(wh, wc.Config(2, 48, 0.3), 1_500, 4, 50)  # ~140 newer versions a run
    assert set(seen) == {(48, 0.3)}
    assert (memory.PAGE_START_MB, vacuum.DEAD_SHARE) == (32, 0.2)
    assert figures["vacuumed"] and figures["runs"] >= 2  # 30 % took several runs, and the last one's end vacuumed
    with wh.read() as con:
        shape = vacuum.table_shape(con, CATALOG, "zendesk", TICKETS.table)
    assert shape is not None and shape.dead_share == 0 and shape.live == wh.row_count("tickets") > 1_500
    assert figures["rows_per_second"] == figures["runs"] * 200 / figures["seconds"]
    assert 0 < figures["vacuum_seconds"] < figures["seconds"]
