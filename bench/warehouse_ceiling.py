"""Figure 3's ceiling: the writer alone over one whole vacuum cycle, with what figure 3 cannot change varied.

Run: ``.venv/bin/python -m bench.warehouse_ceiling [--rows 1000000] [--pages 200] [--page-size 1000]`` (~6 minutes)

Figure 3 (:func:`bench.warehouse_speed.measure_upsert_rate`) runs the sync engine: fetcher threads convert pages
to Arrow while the writer applies the pages waiting, ~7 per transaction, under DuckDB's 32 MB write budget, and
a run's end vacuums once 20 % of the table is superseded versions. Each line here is the same cycle (runs of
``--pages`` pages, 70 % newer versions spread over the table and 30 % new ids, until a run's end vacuumed; every
row over the whole time) with the pages converted before timing, so nothing competes with the writer for the GIL
or the two cores, and with one of these changed:

- **pages per transaction**: the engine's queue budget (16 MB) bounds it; 200 means a run's whole ~500 MB of Arrow
  in one transaction;
- **DuckDB's memory budget for writes**: 32 MB is what keeps figure 6 (a 1,000,000-ticket sync under 300 MB);
- **the dead share** at which the vacuum falls due (``warehouse.vacuum.DEAD_SHARE``): 50 % lets the table
  grow to twice its live rows before it is rewritten, which every scan pays for.

The table is loaded once and copied for each line.
"""

from __future__ import annotations

import gc
import random
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zd_pipeline.catalogue import TICKETS
from zd_pipeline.warehouse import Warehouse, memory, vacuum

from .warehouse_speed import arguments, bench_checkpoint, load, run_pages, stored_rows

__all__ = ["CONFIGS", "Config", "writer_cycle"]


@dataclass(frozen=True)
class Config:
    """One line: pages per transaction, DuckDB's starting write budget (MB), the dead share that makes a vacuum
    due."""

    pages_per_transaction: int
    budget_mb: int
    dead_share: float

    def __str__(self) -> str:
        return (
            f"{self.pages_per_transaction} pages a transaction, {self.budget_mb} MB write budget, vacuum at "
            f"{self.dead_share:.0%} dead"
        )


CONFIGS = (
    Config(7, memory.PAGE_START_MB, vacuum.DEAD_SHARE),  # figure 3's settings, the engine's costs taken away
    Config(7, 256, vacuum.DEAD_SHARE),
    Config(200, memory.PAGE_START_MB, vacuum.DEAD_SHARE),
    Config(200, memory.PAGE_START_MB, 0.5),
)


def writer_cycle(
    wh: Warehouse, config: Config, existing_rows: int, pages: int, page_size: int, *, max_runs: int = 20
) -> dict[str, Any]:
    """Runs of pre-converted pages applied ``config.pages_per_transaction`` at a time inside
    ``Warehouse.holding`` (whose end vacuums when due), until a run's end vacuumed or ``max_runs``; returns
    ``rows_per_second`` over the whole time, ``runs``, ``seconds``, ``vacuumed``, ``vacuum_seconds`` and the
    first and last runs' write times (``first_writes``, ``last_writes``: the lookups slow as superseded versions
    pile up)."""
    rng = random.Random(7)
    start_mb, share = memory.PAGE_START_MB, vacuum.DEAD_SHARE
    memory.PAGE_START_MB, vacuum.DEAD_SHARE = config.budget_mb, config.dead_share
    writes: list[float] = []
    seconds = vacuum_seconds = 0.0
    vacuumed = False
    try:
        while len(writes) < max_runs:
            batch = run_pages(existing_rows, pages, page_size, rng, len(writes))
            prepared = [wh.prepare(TICKETS, records) for records in batch]
            del batch
            gc.collect()
            stored = stored_rows(wh)
            written, started = 0, time.perf_counter()
            with wh.holding():
                for first in range(0, len(prepared), config.pages_per_transaction):
                    chunk = prepared[first : first + config.pages_per_transaction]
                    written += sum(result.written for result in wh.apply_pages(TICKETS, chunk, bench_checkpoint(first)))
                writes.append(time.perf_counter() - started)
            run_seconds = time.perf_counter() - started
            seconds += run_seconds
            del prepared
            if stored_rows(wh) < stored + written:  # rows reclaimed: the hold's end vacuumed
                vacuumed, vacuum_seconds = True, run_seconds - writes[-1]
                break
    finally:
        memory.PAGE_START_MB, vacuum.DEAD_SHARE = start_mb, share
    return {
        "rows_per_second": len(writes) * pages * page_size / seconds,
        "runs": len(writes),
        "seconds": seconds,
        "vacuumed": vacuumed,
        "vacuum_seconds": vacuum_seconds,
        "first_writes": writes[0],
        "last_writes": writes[-1],
    }


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder) / "loaded.duckdb"
        loaded = Warehouse(template)
        loaded.ensure_tables()
        load(loaded, args.rows, quiet=True)
        del loaded
        for number, config in enumerate(CONFIGS):
            path = Path(folder) / f"line{number}.duckdb"
            shutil.copy(template, path)
            figures = writer_cycle(Warehouse(path), config, args.rows, args.pages, args.page_size)
            print(
                f"{config}: {figures['rows_per_second']:,.0f} rows/s ({figures['runs']} runs, "
                f"{figures['seconds']:.1f} s, the vacuum {figures['vacuum_seconds']:.1f} s; a run's writes "
                f"{figures['first_writes']:.2f} s first, {figures['last_writes']:.2f} s last)",
                flush=True,
            )


if __name__ == "__main__":
    main()
