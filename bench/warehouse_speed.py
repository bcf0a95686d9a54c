"""Warehouse upsert speed: ticket rows/s into a table already holding N rows, and the writer's memory.

Run: ``.venv/bin/python -m bench.warehouse_speed [--rows 1000000] [--pages 200] [--page-size 1000]``

1. Loads ``--rows`` generated tickets (10,000-record pages in one session; prints the load rate).
2. **The figure** (:func:`measure_upsert_rate`, also used by ``bench/run.py``): runs of ``--pages`` pages of
   ``--page-size`` tickets (70 % newer versions of stored tickets spread over the whole id range, 30 % new ids)
   go through the sync engine exactly as a sync writes them (``pipeline.engine.sync_streams``: a fetcher thread
   hands pages over the engine's queue, the single writer applies the pages already waiting as one transaction
   with their checkpoint, one short connection per transaction), until the vacuum the superseded versions make
   due has run at the end of a run (:func:`vacuum_cycle`): the rate a long series of syncs sustains. The client
   is replaced by pages generated beforehand, so the figure is the writer's own rate (a real sync waits for
   Zendesk far longer).
3. For comparison: one ``Warehouse.apply_page`` per page (connection per page, no coalescing), pages inside one
   ``Warehouse.session()``, and the cost of converting a page and of opening a connection.

Records look like the Zendesk ticket export (``bench/tickets.py``: ≈30 fields, nested via/custom_fields, tags, a
300-char description).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import random
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from zd_pipeline.catalogue import TICKETS, Stream
from zd_pipeline.checkpoint import Checkpoint, ResumePoint
from zd_pipeline.client import Page
from zd_pipeline.pipeline import engine
from zd_pipeline.pipeline.engine import StreamJob, sync_streams
from zd_pipeline.records import RawRecords
from zd_pipeline.warehouse import Warehouse, vacuum
from zd_pipeline.warehouse.arrow_page import page_to_arrow
from zd_pipeline.warehouse.connections import CATALOG

from .tickets import as_page, peak_rss_mb, reset_peak_rss, rss_mb, ticket

__all__ = [
    "arguments",
    "bench_checkpoint",
    "engine_upserts",
    "load",
    "measure_upsert_rate",
    "run_pages",
    "stored_rows",
    "ticket",
    "upsert_pages",
    "vacuum_cycle",
]


def load(wh: Warehouse, rows: int, *, quiet: bool = False) -> None:
    page_size = 10_000
    started = time.perf_counter()
    with wh.session():
        for first in range(1, rows + 1, page_size):
            records = as_page([ticket(i, 0) for i in range(first, min(first + page_size, rows + 1))])
            wh.apply_page(TICKETS, records, bench_checkpoint(first))
            if not quiet and (first - 1 + page_size) % 250_000 == 0:
                print(f"  {first - 1 + page_size:>9,} rows loaded, RSS {rss_mb():,.0f} MB")
    elapsed = time.perf_counter() - started
    if not quiet:
        print(f"loaded {rows:,} tickets in {elapsed:.1f}s ({rows / elapsed:,.0f} rows/s incl. generation)")


def upsert_pages(
    rows: int, pages: int, page_size: int, rng: random.Random, *, first_version: int = 1, first_new: int | None = None
) -> list[RawRecords]:
    """Pages (as the client hands them over: JSON text, see ``as_page``) of 70 % newer versions of stored
    tickets (ids 1..``rows``; versions from ``first_version`` on, one per page) and 30 % new ids
    (from ``first_new``, default ``rows + 1``), generated before timing."""
    result, next_new = [], rows + 1 if first_new is None else first_new
    for page in range(first_version - 1, first_version - 1 + pages):
        records = []
        for _ in range(page_size):
            if rng.random() < 0.7:
                records.append(ticket(rng.randrange(1, rows + 1), page + 1))
            else:
                records.append(ticket(next_new, page + 1))
                next_new += 1
        result.append(as_page(records))
    return result


def run_pages(existing_rows: int, pages: int, page_size: int, rng: random.Random, run: int) -> list[RawRecords]:
    """:func:`upsert_pages` for run ``run`` (0 first) of a series: its versions and new ids carry on from the
    runs before it, each ``pages`` pages of ``page_size``."""
    done = run * pages
    return upsert_pages(
        existing_rows,
        pages,
        page_size,
        rng,
        first_version=done + 1,
        first_new=existing_rows + done * page_size + 1,
    )


def timed_upserts(wh: Warehouse, pages: list[RawRecords], label: str, *, session: bool) -> None:
    """Apply ``pages``; the time includes opening and closing the session (its final checkpoint)."""
    started = time.perf_counter()
    written = 0
    with wh.session() if session else contextlib.nullcontext():
        for number, records in enumerate(pages):
            written += wh.apply_page(TICKETS, records, bench_checkpoint(number)).written
    elapsed = time.perf_counter() - started
    received = sum(len(p) for p in pages)
    print(
        f"{label}: {received:,} rows in {elapsed:.2f}s = {received / elapsed:,.0f} rows/s "
        f"({written:,} written; {elapsed / len(pages) * 1000:.1f} ms/page; RSS {rss_mb():,.0f} MB)"
    )


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


def engine_upserts(wh: Warehouse, pages: list[RawRecords], *, queue_bytes: int | None = None) -> dict[str, float]:
    """Apply ``pages`` through the sync engine as a sync does; rows/s, transactions, peak RSS of that phase.
    ``queue_bytes`` overrides the engine's queue budget (a comparison only: it bounds the batches)."""
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
    budget = engine.QUEUE_BYTES
    if queue_bytes is not None:
        engine.QUEUE_BYTES = queue_bytes
    last_write = [0.0]

    def written(*_: Any) -> None:
        last_write[0] = time.perf_counter()

    started = time.perf_counter()
    try:
        result = sync_streams(_PagesClient(pages), wh, [job], on_page=written)["tickets"]  # type: ignore[arg-type]
    finally:
        elapsed = time.perf_counter() - started
        engine.QUEUE_BYTES = budget
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
        "final_release_seconds": elapsed - (last_write[0] - started),
        "written": result.written,
        "transactions": transactions,
        "peak_rss_mb": peak_rss_mb(),
    }


def measure_upsert_rate(existing_rows: int = 1_000_000, pages: int = 200, page_size: int = 1000) -> dict[str, float]:
    """The figure "ticket rows/s upserted into a table already holding ``existing_rows`` rows", written the way
    the sync engine writes (pages coalesced per transaction as they wait in its queue), over one whole cycle of
    the vacuum policy (:func:`vacuum_cycle`): the rate a long series of such syncs sustains.

    Returns :func:`vacuum_cycle`'s figures, plus ``existing_rows`` and ``pages_mb`` (the RSS the largest run's
    pre-generated pages took, part of ``peak_rss_mb``)."""
    with tempfile.TemporaryDirectory() as folder:
        wh = Warehouse(Path(folder) / "bench.duckdb")
        wh.ensure_tables()
        load(wh, existing_rows, quiet=True)
        figures = vacuum_cycle(wh, existing_rows, pages, page_size)
    figures["rows_per_s"] = figures["rows_per_second"]
    figures["existing_rows"] = existing_rows
    return figures


def vacuum_cycle(
    wh: Warehouse, existing_rows: int, pages: int, page_size: int, *, max_runs: int = 8
) -> dict[str, float]:
    """Runs of ``pages`` pages (:func:`upsert_pages`, each run newer versions than the last) through the sync
    engine (:func:`engine_upserts`), each ending as a sync ends (the writer lets go, vacuuming when the policy of
    ``warehouse.vacuum`` finds the table due), until a run's end vacuumed (the table then stores fewer rows than
    before the run plus what it wrote). Starting from a table with no dead rows, as a vacuum leaves it, that is
    one whole cycle: the writes that make a vacuum due, and the vacuum. A single run would leave the vacuum out
    or count it whole; charging a run "its share" of a vacuum measured early (stops 19-20) underestimated it,
    because the due vacuum rewrites the whole table (stop 21: 10-11 s for 1,180,000 rows, against 3.9 s for the
    merge of the small groups one run leaves). After ``max_runs`` runs without one, a vacuum is forced (the
    threshold at zero) and counted whole.

    Returns ``rows_per_second`` (all rows over the whole cycle's time), ``writes_rows_per_second`` (over the
    time until each run's last commit), ``vacuum_seconds`` (the end of the run that vacuumed, after its last
    commit), ``runs``, ``rows``, ``seconds``, ``written``, ``transactions``, ``peak_rss_mb`` (the highest of
    the runs, each including its pre-generated pages) and ``pages_mb``.
    """
    rng = random.Random(7)
    totals = dict.fromkeys(("rows", "seconds", "writes_seconds", "written", "transactions"), 0.0)
    peak = pages_mb = vacuum_seconds = 0.0
    runs, vacuumed = 0, False
    while not vacuumed:
        gc.collect()
        before = rss_mb()
        batches = run_pages(existing_rows, pages, page_size, rng, runs)
        pages_mb = max(pages_mb, rss_mb() - before)
        forced = runs + 1 == max_runs
        stored = stored_rows(wh)
        threshold = vacuum.DEAD_SHARE
        vacuum.DEAD_SHARE = 0.0 if forced else threshold
        try:
            run = engine_upserts(wh, batches)
        finally:
            vacuum.DEAD_SHARE = threshold
        del batches
        runs += 1
        for key in ("rows", "seconds", "written", "transactions"):
            totals[key] += run[key]
        totals["writes_seconds"] += run["seconds"] - run["final_release_seconds"]
        peak = max(peak, run["peak_rss_mb"])
        vacuumed = forced or stored_rows(wh) < stored + run["written"]  # rows reclaimed: the run's end vacuumed
        if vacuumed:
            vacuum_seconds = run["final_release_seconds"]
    return {
        "rows_per_second": totals["rows"] / totals["seconds"],
        "writes_rows_per_second": totals["rows"] / totals["writes_seconds"],
        "vacuum_seconds": vacuum_seconds,
        "runs": runs,
        "rows": totals["rows"],
        "seconds": totals["seconds"],
        "written": totals["written"],
        "transactions": totals["transactions"],
        "peak_rss_mb": peak,
        "pages_mb": pages_mb,
    }


def stored_rows(wh: Warehouse) -> int:
    """Rows the tickets table stores, superseded ones included: writes only add to it, a vacuum takes away."""
    with wh.read() as con:
        shape = vacuum.table_shape(con, CATALOG, wh.schema, TICKETS.table)
    return shape.stored if shape is not None else 0


def prepared_upserts(wh: Warehouse, pages: list[RawRecords], batch: int = 7) -> None:
    """The writer alone: pages converted beforehand, applied ``batch`` at a time while holding the file, with no
    conversion competing for the GIL and the cores (the engine converts in its fetcher threads meanwhile)."""
    prepared = [wh.prepare(TICKETS, records) for records in pages]
    started = time.perf_counter()
    with wh.holding():
        for first in range(0, len(prepared), batch):
            wh.apply_pages(TICKETS, prepared[first : first + batch], bench_checkpoint(first))
        writes = time.perf_counter() - started
    rows = sum(p.size for p in prepared)
    print(
        f"for comparison: the writer alone (pages converted beforehand, {batch} per transaction): {rows:,} rows, "
        f"{rows / writes:,.0f} rows/s until the last commit, {time.perf_counter() - started - writes:.1f} s closing "
        "vacuum"
    )


def conversion_cost(pages: list[RawRecords]) -> None:
    started = time.perf_counter()
    for records in pages:
        page_to_arrow(TICKETS, records)
    per_page = (time.perf_counter() - started) / len(pages) * 1000
    print(f"converting a {len(pages[0]):,}-ticket page to Arrow: {per_page:.1f} ms")


def connection_cost(wh: Warehouse, times: int = 20) -> None:
    started = time.perf_counter()
    for _ in range(times):
        with wh.write():
            pass
    print(f"opening + closing a write connection: {(time.perf_counter() - started) / times * 1000:.1f} ms")


def bench_checkpoint(number: int) -> Checkpoint:
    return Checkpoint("tickets", 0, 1, ResumePoint(start_time=number), high_water_mark=number)


def arguments(description: str) -> argparse.Namespace:
    """The command line of this bench and ``bench.warehouse_ceiling``: ``--rows`` (the table's size before the
    upserts), ``--pages`` (a run's pages), ``--page-size``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--page-size", type=int, default=1000)
    return parser.parse_args()


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        wh = Warehouse(Path(folder) / "bench.duckdb")
        wh.ensure_tables()
        print(f"RSS before load: {rss_mb():,.0f} MB")
        load(wh, args.rows)
        print(f"RSS after load: {rss_mb():,.0f} MB; table holds {wh.row_count('tickets'):,} rows")
        connection_cost(wh)
        conversion_cost(upsert_pages(args.rows, 10, args.page_size, random.Random(1)))
        figure = vacuum_cycle(wh, args.rows, args.pages, args.page_size)
        print(
            f"THE FIGURE: upserts through the sync engine over one vacuum cycle: {figure['runs']} runs, "
            f"{figure['rows']:,.0f} rows in {figure['seconds']:.2f}s = {figure['rows_per_second']:,.0f} rows/s "
            f"({figure['written']:,.0f} written; {figure['transactions']:.0f} transactions; peak RSS "
            f"{figure['peak_rss_mb']:,.0f} MB, of which pre-generated pages {figure['pages_mb']:,.0f} MB); until "
            f"each run's last commit {figure['writes_rows_per_second']:,.0f} rows/s; the vacuum at the end of the "
            f"last run {figure['vacuum_seconds']:.1f} s"
        )
        done = figure["runs"] * args.pages
        more = upsert_pages(
            args.rows,
            80 + args.pages,
            args.page_size,
            rng,
            first_version=done + 1,
            first_new=args.rows + (done + 80 + args.pages) * args.page_size + 1,
        )
        prepared_upserts(wh, more[-80:-40])
        deeper = engine_upserts(wh, more[:-80], queue_bytes=2 * engine.QUEUE_BYTES)
        print(
            f"for comparison: the same through the engine with twice its queue budget (bigger batches): "
            f"{deeper['rows_per_second']:,.0f} rows/s ({deeper['transactions']} transactions)"
        )
        timed_upserts(
            wh, more[-40:-20], "for comparison: one Warehouse.apply_page (connection) per page", session=False
        )
        timed_upserts(wh, more[-20:], "for comparison: one apply_page per page inside one session", session=True)
        print(f"table now holds {wh.row_count('tickets'):,} rows")


if __name__ == "__main__":
    main()
