"""Figure 3: ticket rows/s upserted into a table already holding ``profile.warehouse_rows`` rows.

The measurement is ``bench/warehouse_speed.py``'s (owned by the warehouse's maintainer):
``measure_upsert_rate(existing_rows=...)`` when it offers one (upserts through the sync engine over one cycle of
the vacuum policy: the writes that make a vacuum due and the vacuum), else the same steps from its building blocks
(load the table, then time pages of 70 % newer versions of stored tickets and 30 % new ones, one
``Warehouse.apply_page`` per page, each with its checkpoint).
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from bench import warehouse_speed as ws
from bench.common import Figure
from bench.figures import Profile

GOAL_ROWS_PER_S = 50_000


def measure(profile: Profile) -> list[Figure]:
    rows = profile.warehouse_rows
    measure_upsert_rate = getattr(ws, "measure_upsert_rate", None)
    if measure_upsert_rate is not None:
        result = measure_upsert_rate(existing_rows=rows, pages=profile.warehouse_pages)
        rate = float(result["rows_per_s"])
        how = (
            f"bench.warehouse_speed.measure_upsert_rate: runs of {int(result['rows'] / result['runs']):,} rows (70 % "
            f"newer versions, 30 % new) through the sync engine, each ended as a sync ends, until the vacuum they "
            f"make due ran: {int(result['runs'])} runs, {int(result['rows']):,} rows in {int(result['transactions'])} "
            f"transactions and {result['seconds']:.1f} s, of which the vacuum {result['vacuum_seconds']:.1f} s; "
            f"until each run's last commit {result['writes_rows_per_second']:,.0f} rows/s; peak RSS "
            f"{result['peak_rss_mb']:.0f} MB"
        )
    else:
        rate = _fallback_rate(rows, profile.warehouse_pages)
        how = f"{profile.warehouse_pages} pages of 1,000 via Warehouse.apply_page"
    return [
        Figure(
            3,
            f"warehouse only: upsert into {rows:,} rows",
            f"{rate:,.0f} rows/s",
            f"≥ {GOAL_ROWS_PER_S:,}",
            rate >= GOAL_ROWS_PER_S,
            how,
            {"rate": rate},
        )
    ]


def _fallback_rate(rows: int, pages: int) -> float:
    from zd_pipeline.catalogue import TICKETS
    from zd_pipeline.warehouse import Warehouse

    with tempfile.TemporaryDirectory() as folder:
        wh = Warehouse(Path(folder) / "bench.duckdb")
        wh.ensure_tables()
        ws.load(wh, rows)
        batches = ws.upsert_pages(rows, pages, 1000, random.Random(7))
        began = time.perf_counter()
        for number, records in enumerate(batches):
            wh.apply_page(TICKETS, records, ws.bench_checkpoint(number))
        return pages * 1000 / (time.perf_counter() - began)
