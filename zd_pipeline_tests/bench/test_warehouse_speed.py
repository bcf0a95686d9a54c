"""Figure 3 charges a run the vacuum it defers (bench.warehouse_speed.deferred_vacuum); never asserts timings."""

from __future__ import annotations

import random
from pathlib import Path

from bench import warehouse_speed as ws
from zd_pipeline.catalogue import TICKETS
from zd_pipeline.warehouse import Warehouse, vacuum
from zd_pipeline.warehouse.connections import CATALOG


def test_a_run_below_the_dead_share_is_charged_its_share_of_the_vacuum_it_defers(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "bench.duckdb")
    wh.ensure_tables()
    ws.load(wh, 1_500, quiet=True)  # small enough for DuckDB to merge its groups (see warehouse/vacuum.py)
    pages = ws.upsert_pages(1_500, 1, 300, random.Random(7))  # ~210 newer versions: ~12 % of the stored rows dead
    ws.engine_upserts(wh, pages)
    with wh.read() as con:
        before = vacuum.table_shape(con, CATALOG, "zendesk", TICKETS.table)
    assert before is not None and 0 < before.dead_share < vacuum.DEAD_SHARE  # the run itself did not vacuum
    charged = ws.deferred_vacuum(wh)
    assert charged["vacuum_share"] == before.dead_share / vacuum.DEAD_SHARE
    assert charged["amortised_vacuum_seconds"] == charged["vacuum_seconds"] * charged["vacuum_share"] > 0
    with wh.read() as con:
        after = vacuum.table_shape(con, CATALOG, "zendesk", TICKETS.table)
    assert after is not None and after.dead_share == 0 and after.live == before.live  # the vacuum it timed ran
    assert vacuum.DEAD_SHARE == 0.2  # and the threshold is back
    assert ws.deferred_vacuum(wh)["vacuum_share"] == 0  # nothing left to charge
