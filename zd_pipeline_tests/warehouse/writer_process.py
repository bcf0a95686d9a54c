"""A separate writer process for the concurrency and crash tests (DuckDB's file locks are per process).

``python -m zd_pipeline_tests.warehouse.writer_process pages DB PAGES SIZE OFFSET [LOCK_TIMEOUT]``
    resumes the ticket sync of window ``BASE + OFFSET`` from its checkpoint and applies crash pages
    OFFSET .. OFFSET+PAGES-1, printing ``applied N`` after each commit (``locked: <message>`` on
    WarehouseLockedError).
``python -m zd_pipeline_tests.warehouse.writer_process held DB PAGES SIZE``
    like ``pages`` (offset 0) inside ``Warehouse.holding(3600)``: the file is kept between writes and let go
    only when someone announces they wait, and after the last page; prints ``done`` then and leaves when stdin
    closes.
``python -m zd_pipeline_tests.warehouse.writer_process hold DB``
    holds a write session, prints ``holding`` and keeps the file until a line arrives on stdin.
"""

from __future__ import annotations

import sys

from zd_pipeline.catalogue import TICKETS
from zd_pipeline.warehouse import Warehouse, WarehouseLockedError

from .records import BASE, crash_page, page_checkpoint


def run_pages(path: str, pages: int, size: int, offset: int, lock_timeout: float) -> None:
    try:
        _apply_pages(Warehouse(path, lock_timeout=lock_timeout), pages, size, offset)
    except WarehouseLockedError as error:
        print(f"locked: {error}", flush=True)


def _apply_pages(wh: Warehouse, pages: int, size: int, offset: int) -> None:
    window = (BASE + offset, BASE + offset + 86_400)
    saved = wh.load_checkpoint("tickets", *window)
    start = saved.resume.start_time if saved else 0
    for number in range(start, pages):
        checkpoint = page_checkpoint("tickets", number + 1, complete=number + 1 == pages, window=window)
        wh.apply_page(TICKETS, crash_page(offset + number, size), checkpoint)
        print(f"applied {number}", flush=True)


def run_held(path: str, pages: int, size: int) -> None:
    wh = Warehouse(path)
    with wh.holding(hold_seconds=3600):
        _apply_pages(wh, pages, size, 0)
        # as the sync engine does when no page comes: holding on here would leave a reader that announced itself
        # after the last write's check waiting for nothing (that race made the reader test fail under load)
        wh.let_go()
        print("done", flush=True)
        sys.stdin.read()


def hold(path: str) -> None:
    wh = Warehouse(path)
    wh.ensure_tables()
    with wh.session():
        print("holding", flush=True)
        sys.stdin.readline()


if __name__ == "__main__":
    mode, db, *rest = sys.argv[1:]
    if mode == "hold":
        hold(db)
    elif mode == "held":
        run_held(db, int(rest[0]), int(rest[1]))
    else:
        timeout = float(rest[3]) if len(rest) > 3 else 60.0
        run_pages(db, int(rest[0]), int(rest[1]), int(rest[2]), timeout)
