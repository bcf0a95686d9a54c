"""A separate writer process for the concurrency and crash tests (DuckDB's file locks are per process).

``python -m zd_pipeline_tests.warehouse.writer_process pages DB PAGES SIZE OFFSET [LOCK_TIMEOUT]``
    inside one ``Warehouse.writing()`` block, resumes the ticket sync of window ``BASE + OFFSET`` from its
    checkpoint and applies crash pages OFFSET .. OFFSET+PAGES-1, publishing after each (``publish_seconds=0``) and
    printing ``applied N`` then (``locked: <message>`` on WarehouseLockedError).
``python -m zd_pipeline_tests.warehouse.writer_process stuck DB PAGES SIZE STEP``
    like ``pages`` (offset 0), but the last page's publish stops at ``STEP`` (``copy``: half the copy written;
    ``rename``: the copy whole, not yet renamed), prints ``stuck`` and waits there to be killed.
``python -m zd_pipeline_tests.warehouse.writer_process hold DB``
    holds the writer lock in a ``writing()`` block, prints ``holding`` and waits for a line on stdin.
"""

from __future__ import annotations

import shutil
import sys
import time

from zd_pipeline.catalogue import TICKETS
from zd_pipeline.warehouse import Warehouse, WarehouseLockedError, files, warehouse

from .records import BASE, crash_page, page_checkpoint


def run_pages(path: str, pages: int, size: int, offset: int, lock_timeout: float) -> None:
    try:
        _apply_pages(Warehouse(path, lock_timeout=lock_timeout, publish_seconds=0), pages, size, offset)
    except WarehouseLockedError as error:
        print(f"locked: {error}", flush=True)


def _apply_pages(wh: Warehouse, pages: int, size: int, offset: int) -> None:
    window = (BASE + offset, BASE + offset + 86_400)
    with wh.writing():
        saved = wh.load_checkpoint("tickets", *window)
        start = saved.resume.start_time if saved else 0
        for number in range(start, pages):
            checkpoint = page_checkpoint("tickets", number + 1, complete=number + 1 == pages, window=window)
            wh.apply_page(TICKETS, crash_page(offset + number, size), checkpoint)
            wh.publish_if_due()
            print(f"applied {number}", flush=True)


def run_stuck(path: str, pages: int, size: int, step: str) -> None:
    """Apply every page but the last normally, then get stuck inside the last one's publish."""
    wh = Warehouse(path, publish_seconds=0)
    _apply_pages(wh, pages - 1, size, 0)

    def stuck() -> None:
        print("stuck", flush=True)
        time.sleep(3600)

    def half_copy(layout: files.WarehouseFiles) -> None:
        with layout.working.open("rb") as source, layout.publishing.open("wb") as target:
            target.write(source.read(layout.working.stat().st_size // 2))
        stuck()

    def whole_copy(layout: files.WarehouseFiles) -> None:
        shutil.copyfile(layout.working, layout.publishing)
        stuck()

    setattr(warehouse, "copy_to_publishing", half_copy if step == "copy" else whole_copy)  # noqa: B010
    _apply_pages(Warehouse(path, publish_seconds=0), pages, size, 0)


def hold(path: str) -> None:
    wh = Warehouse(path)
    with wh.writing():
        wh.ensure_tables()
        print("holding", flush=True)
        sys.stdin.readline()


if __name__ == "__main__":
    mode, db, *rest = sys.argv[1:]
    if mode == "hold":
        hold(db)
    elif mode == "stuck":
        run_stuck(db, int(rest[0]), int(rest[1]), rest[2])
    else:
        timeout = float(rest[3]) if len(rest) > 3 else 60.0
        run_pages(db, int(rest[0]), int(rest[1]), int(rest[2]), timeout)
