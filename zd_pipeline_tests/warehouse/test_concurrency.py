"""Several processes on one file: writers take turns, readers get in between pages or a clear message, a SIGKILL
loses nothing committed and a resume reaches the exact truth."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from zd_pipeline.catalogue import TICKETS
from zd_pipeline.settings import PROJECT_ROOT
from zd_pipeline.warehouse import Warehouse, WarehouseLockedError

from .records import BASE, WINDOW, crash_page, crash_truth, page_checkpoint


def start_writer(*args: object, stdin: int | None = None) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "zd_pipeline_tests.warehouse.writer_process", *map(str, args)]
    return subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stdin=stdin, text=True)


def wait_for_line(process: subprocess.Popen[str], wanted: str) -> list[str]:
    seen = []
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line.strip())
        if line.strip() == wanted:
            return seen
    raise AssertionError(f"writer ended before printing {wanted!r}: {seen}")


def table(wh: Warehouse) -> dict[int, tuple[int, str]]:
    with wh.read() as con:
        rows = con.execute("SELECT id, generated_timestamp, status FROM zendesk.tickets").fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}


def test_a_writer_killed_mid_sync_loses_nothing_and_resumes_to_the_truth(tmp_path: Path) -> None:
    db, pages, size = tmp_path / "crash.duckdb", 30, 300
    wh = Warehouse(db)
    for kill_after in (3, 9):  # killed twice, each time while it keeps writing pages
        writer = start_writer("pages", db, pages, size, 0)
        wait_for_line(writer, f"applied {kill_after}")
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        committed = wh.load_checkpoint("tickets", *WINDOW)
        assert committed is not None and kill_after < committed.resume.start_time < pages
        assert not committed.complete
        # the rows are exactly those of the pages the checkpoint says were applied, none of the page in flight
        assert table(wh) == crash_truth(range(committed.resume.start_time), size)
    finished = start_writer("pages", db, pages, size, 0)
    assert f"applied {pages - 1}" in finished.communicate(timeout=120)[0]
    assert table(wh) == crash_truth(range(pages), size)
    assert wh.load_checkpoint("tickets", *WINDOW) == page_checkpoint("tickets", pages, complete=True)


def test_a_reader_during_a_sync_sees_whole_pages_only(tmp_path: Path) -> None:
    db, pages, size = tmp_path / "read.duckdb", 25, 200
    wh = Warehouse(db, read_timeout=30)
    wh.ensure_tables()
    writer = start_writer("pages", db, pages, size, 0)
    counts = []
    while writer.poll() is None:
        with wh.read() as con:
            counts.append(con.execute("SELECT count(*) FROM zendesk.tickets").fetchone()[0])
    assert writer.wait() == 0 and counts
    assert all(count % size == 0 for count in counts), counts  # each page adds exactly `size` new ids
    assert counts == sorted(counts)
    assert wh.row_count("tickets") == pages * size


def test_a_reader_gets_in_while_a_sync_keeps_the_file_between_its_writes(tmp_path: Path) -> None:
    """A sync's writer keeps the file attached across writes; a waiting reader announces itself and the writer
    lets it in at its next write boundary (here the writer would otherwise hold the file for an hour)."""
    db, pages, size = tmp_path / "held.duckdb", 40, 400
    Warehouse(db).ensure_tables()
    writer = start_writer("held", db, pages, size, stdin=subprocess.PIPE)
    wait_for_line(writer, "applied 1")
    reader = Warehouse(db, read_timeout=20)
    counts_while_writing = []
    while True:
        with reader.read() as con:
            count = con.execute("SELECT count(*) FROM zendesk.tickets").fetchone()[0]
        if count == pages * size:
            break
        counts_while_writing.append(count)
    writer.communicate("", timeout=60)
    assert writer.returncode == 0
    assert counts_while_writing and counts_while_writing == sorted(counts_while_writing), counts_while_writing
    assert all(0 < count < pages * size and count % size == 0 for count in counts_while_writing)
    assert table(reader) == crash_truth(range(pages), size)


def test_a_user_session_left_open_makes_the_writer_give_up_clearly_and_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "held.duckdb"
    wh = Warehouse(db)
    wh.apply_page(TICKETS, crash_page(0, 50), page_checkpoint("tickets", 1))
    with wh.read():
        writer = start_writer("pages", db, 3, 50, 0, 0.5)
        out, _ = writer.communicate(timeout=60)
    assert f"locked: could not open {db} for writing within 0.5s" in out
    assert "Close other DuckDB sessions on this file" in out and "nothing committed was lost" in out
    assert wh.load_checkpoint("tickets", *WINDOW) == page_checkpoint("tickets", 1)
    rerun = start_writer("pages", db, 3, 50, 0)
    assert "applied 2" in rerun.communicate(timeout=60)[0]
    assert table(wh) == crash_truth(range(3), 50)


def test_a_reader_waits_briefly_for_a_held_write_session_then_gets_a_clear_message(tmp_path: Path) -> None:
    db = tmp_path / "session.duckdb"
    holder = start_writer("hold", db, stdin=subprocess.PIPE)
    wait_for_line(holder, "holding")
    busy = pytest.raises(WarehouseLockedError, match=f"{db} is busy: a sync is writing to it.*Waited 0.3s")
    with busy, Warehouse(db, read_timeout=0.3).read():
        pass
    holder.communicate("release\n", timeout=60)
    with Warehouse(db).read() as con:
        assert con.execute("SELECT count(*) FROM zendesk.tickets").fetchone() == (0,)


def test_two_writer_processes_at_once_both_land_every_page(tmp_path: Path) -> None:
    db, pages, size = tmp_path / "two.duckdb", 12, 100
    Warehouse(db).ensure_tables()
    writers = [start_writer("pages", db, pages, size, offset) for offset in (0, 1000)]
    outputs = [w.communicate(timeout=120)[0] for w in writers]
    assert all(f"applied {pages - 1}" in out for out in outputs), outputs
    wh = Warehouse(db)
    assert table(wh) == crash_truth([*range(pages), *range(1000, 1000 + pages)], size)
    assert [c.complete for c in wh.checkpoints("tickets")] == [True, True]


def test_writer_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    db, size = tmp_path / "threads.duckdb", 100
    Warehouse(db).ensure_tables()
    errors: list[BaseException] = []

    def sync(offset: int) -> None:
        wh = Warehouse(db)
        window = (BASE + offset, BASE + offset + 86_400)
        try:
            for number in range(6):
                checkpoint = page_checkpoint("tickets", number + 1, window=window)
                wh.apply_page(TICKETS, crash_page(offset + number, size), checkpoint)
        except BaseException as error:  # reported below: a thread's exception would otherwise vanish
            errors.append(error)

    threads = [threading.Thread(target=sync, args=(offset,)) for offset in (0, 1000, 2000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert table(Warehouse(db)) == crash_truth([n + o for o in (0, 1000, 2000) for n in range(6)], size)
