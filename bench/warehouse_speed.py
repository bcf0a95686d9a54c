"""Warehouse-only figures: ticket rows/s upserted into a table already holding N rows (figure 3, a report), and
what publishing that file costs (figure 9: two ways of making the published copy, time and disk).

Run: ``.venv/bin/python -m bench.warehouse_speed [--rows 1000000] [--pages 200] [--page-size 1000]``

1. Loads ``--rows`` generated tickets (10,000-record pages in one ``Warehouse.writing()`` block).
2. **Figure 3** (:func:`measure_upsert_rate`): ``--pages`` pages of ``--page-size`` tickets (70 % newer versions
   of stored tickets spread over the whole id range, 30 % new ids) go through the sync engine exactly as a sync
   writes them (``pipeline.engine.sync_streams``: a fetcher thread hands pages over the engine's queue, the single
   writer applies the pages already waiting as one transaction with their checkpoint), publishing at the end. The
   client is replaced by pages generated beforehand, so the figure is the writer's own rate (a real sync waits for
   Zendesk far longer).
3. **Figure 9** (:func:`measure_publish`): the file after the load, published by ``Warehouse.publish()``
   (checkpoint, byte copy, fsync, rename: what the pipeline does) and, for comparison, by DuckDB's
   ``COPY FROM DATABASE`` into a fresh file (compacted, but every row is read and compressed again).

Records look like the Zendesk ticket export (``bench/tickets.py``: ≈30 fields, nested via/custom_fields, tags, a
300-char description).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from zd_pipeline.catalogue import TICKETS, Stream
from zd_pipeline.checkpoint import Checkpoint, ResumePoint
from zd_pipeline.client import Page
from zd_pipeline.pipeline.engine import StreamJob, sync_streams
from zd_pipeline.records import RawRecords
from zd_pipeline.warehouse import Warehouse
from zd_pipeline.warehouse.files import replace_published

from .tickets import as_page, peak_rss_mb, reset_peak_rss, ticket

__all__ = ["bench_checkpoint", "engine_upserts", "load", "measure_publish", "measure_upsert_rate", "upsert_pages"]


def load(wh: Warehouse, rows: int) -> None:
    """``rows`` generated tickets (ids 1..rows), 10,000 a transaction, in one writing block (published at its end)."""
    page_size = 10_000
    with wh.writing():
        for first in range(1, rows + 1, page_size):
            records = as_page([ticket(i, 0) for i in range(first, min(first + page_size, rows + 1))])
            wh.apply_page(TICKETS, records, bench_checkpoint(first))


def upsert_pages(rows: int, pages: int, page_size: int, rng: random.Random) -> list[RawRecords]:
    """Pages (as the client hands them over: JSON text) of 70 % newer versions of stored tickets (ids 1..``rows``)
    and 30 % new ids, generated before timing."""
    result, next_new = [], rows + 1
    for page in range(pages):
        records = []
        for _ in range(page_size):
            if rng.random() < 0.7:
                records.append(ticket(rng.randrange(1, rows + 1), page + 1))
            else:
                records.append(ticket(next_new, page + 1))
                next_new += 1
        result.append(as_page(records))
    return result


class _PagesClient:
    """Stands in for ``ZendeskClient``: hands out pages generated beforehand, instantly."""

    def __init__(self, pages: list[RawRecords]) -> None:
        self.pages = pages

    def iter_pages(self, stream: Stream, start: ResumePoint, end_time: int | None = None) -> Iterator[Page]:
        high_water_mark = None
        for number, records in enumerate(self.pages):
            newest = max(records.stamps)
            high_water_mark = newest if high_water_mark is None else max(high_water_mark, newest)
            last = number == len(self.pages) - 1
            yield Page(stream.name, records, ResumePoint(start_time=number + 1), high_water_mark, last, None)


def engine_upserts(wh: Warehouse, pages: list[RawRecords]) -> dict[str, float]:
    """Apply ``pages`` through the sync engine as a sync does, publishing at the end; rows/s (whole time and until
    the last commit), transactions, peak RSS of that phase."""
    transactions = 0
    apply_pages = wh.apply_pages

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal transactions
        transactions += 1
        return apply_pages(*args, **kwargs)

    wh.apply_pages = counted  # type: ignore[method-assign]  # counts the engine's write transactions
    job = StreamJob(TICKETS, 0, 2**40, 2**40, ResumePoint(start_time=0))
    gc.collect()
    gc.freeze()  # the pre-generated pages are not the writer's garbage: keep the collector off them
    reset_peak_rss()
    last_write = [0.0]
    started = time.perf_counter()
    try:
        result = sync_streams(
            _PagesClient(pages), wh, [job], on_page=lambda *_: last_write.__setitem__(0, time.perf_counter())
        )[  # type: ignore[arg-type]
            "tickets"
        ]
    finally:
        elapsed = time.perf_counter() - started
        gc.unfreeze()
        del wh.apply_pages
    if result.error is not None:
        raise result.error
    rows = sum(len(p) for p in pages)
    return {
        "rows": rows,
        "seconds": elapsed,
        "rows_per_second": rows / elapsed,
        "writes_rows_per_second": rows / (last_write[0] - started),
        "publish_seconds": elapsed - (last_write[0] - started),
        "written": result.written,
        "transactions": transactions,
        "peak_rss_mb": peak_rss_mb(),
    }


def measure_upsert_rate(existing_rows: int = 1_000_000, pages: int = 200, page_size: int = 1000) -> dict[str, float]:
    """Figure 3: load ``existing_rows`` tickets, then :func:`engine_upserts` of ``pages`` pages."""
    with tempfile.TemporaryDirectory() as folder:
        wh = Warehouse(Path(folder) / "bench.duckdb")
        load(wh, existing_rows)
        figures = engine_upserts(wh, upsert_pages(existing_rows, pages, page_size, random.Random(7)))
    figures["existing_rows"] = existing_rows
    return figures


def measure_publish(rows: int = 1_000_000) -> dict[str, float]:
    """Figure 9: a warehouse of ``rows`` tickets published both ways (module docstring); seconds and MB of each,
    and of the working file."""
    with tempfile.TemporaryDirectory() as folder:
        wh = Warehouse(Path(folder) / "bench.duckdb")
        load(wh, rows)
        figures: dict[str, float] = {"rows": rows}
        with wh.writing():
            figures["working_mb"] = _mb(wh.files.working)
            began = time.perf_counter()
            wh.publish()
            figures["copy_seconds"] = time.perf_counter() - began
            figures["copy_mb"] = _mb(wh.path)
            began = time.perf_counter()
            with wh.query() as con:
                con.execute("CHECKPOINT")
                con.execute(f"ATTACH '{wh.files.publishing}' AS fresh")
                con.execute(f"COPY FROM DATABASE {con.execute('SELECT current_database()').fetchone()[0]} TO fresh")
                con.execute("DETACH fresh")
            replace_published(wh.files)
            figures["rewrite_seconds"] = time.perf_counter() - began
            figures["rewrite_mb"] = _mb(wh.path)
    return figures


def _mb(path: Path) -> float:
    return os.stat(path).st_size / 2**20


def bench_checkpoint(number: int) -> Checkpoint:
    return Checkpoint("tickets", 0, 1, ResumePoint(start_time=number), high_water_mark=number)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()
    print("figure 3:", measure_upsert_rate(args.rows, args.pages, args.page_size))
    print("figure 9:", measure_publish(args.rows))


if __name__ == "__main__":
    main()
